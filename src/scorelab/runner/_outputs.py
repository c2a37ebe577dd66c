"""Turn kernel arrays into the tables of a run folder.

* ``daily``: one row per day and group (dimension, group) with score quantiles,
  grade counts, list counts and every event counter, from the day matrix;
* ``citizens``: one row per citizen, attributes and final state;
* ``ledger``: one row per point change, with names instead of indices.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from scorelab.engine import CITIZEN_COUNTERS, LEDGER_COLUMNS, LEDGER_KINDS, Groups, Layout
from scorelab.runner._columns import UsedColumns
from scorelab.world import BEHAVIOUR_NAMES, SENSOR_NAMES, SERVICE_NAMES, Citizens, age_band_of

QUANTILES = (0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99)


def _columns(matrix: UsedColumns, layout: Layout):
    """The day matrix's columns as flat arrays, one value per (day, group) row.

    Change columns (from ``layout.hist`` on) are cumulated over days into
    levels; counters are as they are. ``matrix`` holds the used columns of the
    engine's (days + 1, columns, groups) array; the others share one array of
    zeros (a long run's matrix is mostly unused columns).
    """
    days, _, n_groups = matrix.values.shape
    rows = (days - 1) * n_groups
    zeros = np.zeros(rows, np.int64)
    at = {int(index): j for j, index in enumerate(matrix.columns)}

    def column(index: int) -> np.ndarray:
        if index not in at:
            return zeros
        values = matrix.values[:-1, at[index], :]
        if index >= layout.hist:
            values = np.cumsum(values, axis=0)
        return np.ascontiguousarray(values).reshape(rows)

    return column


def _quantiles(hist: np.ndarray, bin_low: np.ndarray, bin_high: np.ndarray) -> np.ndarray:
    """Quantiles of scores from per-bin counts, shape (rows, bins) -> (rows, len(QUANTILES)).

    A quantile falling in a one-point bin is exact; in a wider bin it is
    interpolated linearly inside the bin.
    """
    cum = np.cumsum(hist, axis=1)
    total = cum[:, -1:]
    out = np.full((hist.shape[0], len(QUANTILES)), np.nan)
    for j, q in enumerate(QUANTILES):
        target = q * total[:, 0]
        idx = np.argmax(cum >= target[:, None], axis=1)
        below = np.where(idx > 0, cum[np.arange(len(idx)), idx - 1], 0)
        inside = hist[np.arange(len(idx)), idx]
        frac = np.where(inside > 0, (target - below) / np.maximum(inside, 1), 0)
        width = bin_high[idx] - bin_low[idx]
        value = np.where(width <= 1, bin_low[idx], bin_low[idx] + frac * width)
        out[:, j] = np.where(total[:, 0] > 0, value, np.nan)
    return out


def daily_table(
    matrix: UsedColumns, layout: Layout, groups: Groups, *, start: dt.date,
    grades: tuple[str, ...], lists: tuple[str, ...], bin_low: np.ndarray, ceiling: int,
) -> pa.Table:
    """Per day and group: population, score summary, grades, lists and every counter.

    ``matrix`` is the day matrix by its used columns (a column left out is zero).
    """
    column = _columns(matrix, layout)
    days, n_groups = matrix.values.shape[0] - 1, matrix.values.shape[2]
    day = np.repeat(np.arange(days), n_groups)
    dims = [name for name, values in zip(groups.names, groups.values, strict=True)
            for _ in values]
    values = [v for vs in groups.values for v in vs]
    # score bins nobody reached hold no count: quantiles over the others are the same
    # (with none reached, one empty bin: no population, every quantile NaN)
    used = matrix.columns
    bins = used[(used >= layout.hist) & (used < layout.grades)] - layout.hist
    if not bins.size:
        bins = np.zeros(1, np.int64)
    hist = np.stack([column(layout.hist + b) for b in bins], axis=1)
    population = hist.sum(axis=1)
    bin_high = np.append(bin_low[1:], ceiling + 1)
    columns: dict[str, object] = {
        "day": day.astype(np.int32),
        "date": pa.array([start + dt.timedelta(days=int(d)) for d in range(days)]).take(
            pa.array(day)),
        "dimension": pa.array(np.tile(dims, days)).dictionary_encode(),
        "group": pa.array(np.tile(values, days)).dictionary_encode(),
        "population": population,
        "score_mean": np.where(population > 0, column(layout.score_sum) / np.maximum(
            population, 1), np.nan),
    }
    quantiles = _quantiles(hist, bin_low[bins], bin_high[bins])
    for j, q in enumerate(QUANTILES):
        columns[f"score_p{round(q * 100):02d}"] = quantiles[:, j]
    for g, name in enumerate(grades):
        columns[f"grade_{name}"] = column(layout.grades + g)
    for i, name in enumerate(lists):
        columns[f"listed_{name}"] = column(layout.listed + i)
        columns[f"list_entries_{name}"] = column(layout.list_entries + i)
        columns[f"list_exits_{name}"] = column(layout.list_exits + i)
    blocks = (
        ("acts", layout.acts, BEHAVIOUR_NAMES),
        ("wrongful_records", layout.wrongful_by_behaviour, BEHAVIOUR_NAMES),
        ("records", layout.records_by_behaviour, BEHAVIOUR_NAMES),
        ("records_by", layout.records_by_sensor, SENSOR_NAMES),
        ("wrongful_records_by", layout.wrongful_by_sensor, SENSOR_NAMES),
        ("attempts", layout.attempts, SERVICE_NAMES), ("denied", layout.denied, SERVICE_NAMES),
        ("wrongful_denied", layout.wrongful_denied, SERVICE_NAMES),
        ("discounted", layout.discounted, SERVICE_NAMES),
    )
    for prefix, offset, names in blocks:
        for i, name in enumerate(names):
            columns[f"{prefix}_{name}"] = column(offset + i)
    for name in BEHAVIOUR_NAMES:  # acts that left no true record
        columns[f"unseen_acts_{name}"] = (columns[f"acts_{name}"] - columns[f"records_{name}"]
                                          + columns[f"wrongful_records_{name}"])
    for i, name in enumerate(SERVICE_NAMES):
        columns[f"reward_yuan_{name}"] = column(layout.reward_fen + i) / 100.0
    for name in ("shamed", "wrongful_shamed", "stigmatized", "appeals", "overturned", "complied"):
        columns[name] = column(getattr(layout, name))
    return pa.table(columns)


def citizens_table(
    people: Citizens, cit: np.ndarray, *, region_names: tuple[str, ...],
    occupation_names: tuple[str, ...], grades: tuple[str, ...], lists: tuple[str, ...],
) -> pa.Table:
    """One row per citizen: who they are, then their counters (``CITIZEN_COUNTERS``, in order)."""
    grade_names = pa.array(grades)
    columns: dict[str, object] = {
        "citizen_id": people.citizen_id,
        "household_id": people.household_id,
        "sex": pa.DictionaryArray.from_arrays(people.sex.astype(np.int8), ["male", "female"]),
        "age": people.age,
        "age_band": pa.DictionaryArray.from_arrays(
            age_band_of(people.age), ["0-17", "18-29", "30-44", "45-59", "60-74", "75+"]),
        "region": pa.DictionaryArray.from_arrays(people.region.astype(np.int16),
                                                 list(region_names)),
        "urban": people.urban.astype(bool),
        "income_decile": (people.income_decile + 1).astype(np.int8),
        "occupation": pa.DictionaryArray.from_arrays(people.occupation.astype(np.int8),
                                                     list(occupation_names)),
    }
    for index, counter in enumerate(CITIZEN_COUNTERS):
        values = cit[:, index]
        if counter.written == "as is":
            columns[counter.name] = values
        elif counter.written == "int32":
            columns[counter.name] = values.astype(np.int32)
        elif counter.written == "grade":
            columns[counter.name] = pa.DictionaryArray.from_arrays(values.astype(np.int8),
                                                                   grade_names)
        elif counter.written == "lists":
            columns["listed"] = values != 0  # on any list at the end
            for i, name in enumerate(lists):
                columns[f"listed_{name}"] = ((values >> i) & 1).astype(bool)
        elif counter.written == "services":
            columns[counter.name] = _service_lists(values)
        else:  # "yuan": counted in fen
            columns["rewards_yuan"] = values / 100.0
    return pa.table(columns)


def _service_lists(masks: np.ndarray) -> pa.Array:
    """Bitmasks of services as lists of service names (vectorised: most masks are 0)."""
    rows = np.nonzero(masks)[0]
    bits = ((masks[rows, None] >> np.arange(len(SERVICE_NAMES))) & 1).astype(bool)
    lengths = np.zeros(masks.shape[0], np.int32)
    lengths[rows] = bits.sum(axis=1)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    values = pa.array(np.array(SERVICE_NAMES)[np.nonzero(bits)[1]], pa.string())
    # items named "element", as Parquet names them (and as every run's files have had
    # them): a part file then reads back as the table that was written
    return pa.ListArray.from_arrays(pa.array(offsets), values,
                                    type=pa.list_(pa.field("element", pa.string())))


def ledger_table(ledger: np.ndarray, *, start: dt.date, rules: tuple[str, ...]) -> pa.Table:
    """One row per point change, with rule, sensor, behaviour and kind by name."""
    def names(index: np.ndarray, vocabulary: tuple[str, ...], missing: str) -> pa.Array:
        labels = (*vocabulary, missing)
        return pa.DictionaryArray.from_arrays(
            np.where(index < 0, len(vocabulary), index).astype(np.int32), list(labels))

    def column(name: str) -> np.ndarray:
        return ledger[:, LEDGER_COLUMNS.index(name)]

    day = column("day")
    return pa.table({
        "citizen_id": column("citizen_id"),
        "day": day.astype(np.int32),
        "date": pa.array(np.datetime64(start, "D") + day.astype("timedelta64[D]")),
        "kind": pa.DictionaryArray.from_arrays(column("kind").astype(np.int8), list(LEDGER_KINDS)),
        "rule": names(column("rule"), rules, "decay"),
        "sensor": names(column("sensor"), SENSOR_NAMES, "none"),
        "behaviour": names(column("behaviour"), BEHAVIOUR_NAMES, "none"),
        "delta": column("delta").astype(np.int32),
        "wrongful": column("wrongful").astype(bool),
        "record_id": column("record_id"),
    })
