"""The catalogue of scalar outputs an experiment can ask of each simulation.

Every measure of the run summary (``RunResult.summary``), plus measures by name
pattern: a grade's share (or the share below a grade), a list's count, a
service's denials, a disparity ratio:
``ratio:<measure>:<dimension>:<group>/<reference>``, the measure per person in
one group over the same in another (``ratio:wrongful_shamed:sex:female/male``),
and ``scaled:<count>``, a count for the population the citizens stand for.
"""

from __future__ import annotations

import math
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from scorelab._run_folder import read_run_toml
from scorelab.runner import RunResult
from scorelab.world import BEHAVIOUR_NAMES, SERVICE_NAMES

SUMMARY = {
    "acts": "acts committed (after deterrence), whole run",
    "unseen_acts": "acts no sensor recorded",
    "records": "records made, true and wrongful",
    "wrongful_records": "records of acts never committed",
    "denials": "service attempts denied",
    "wrongful_denials": "denials that happened only because of wrongful records",
    "rewards_yuan": "rewards paid, in yuan",
    "shamed": "times people were publicly shamed",
    "wrongful_shamed": "times people were shamed for a wrongful record",
    "appeals": "records appealed",
    "appeals_won": "appeals that overturned their record",
    "mean_score": "mean score on the last day",
    "median_score": "median score on the last day",
}
PATTERNS = {
    "grade_<grade>": "people in a grade on the last day",
    "share_grade_<grade>": "share of people in a grade on the last day",
    "share_below_<grade>": "share of people in a grade below <grade> on the last day",
    "listed_<list>": "people on a list on the last day",
    "acts_<behaviour>": "acts of one behaviour committed",
    "denials_<service>": "attempts at one service denied",
    "wrongful_denials_<service>": "denials of one service caused by wrongful records",
    "deterrence": ("the share of all acts the policy deterred: 1 - acts / acts in the same "
                   "world and seeds with no policy (negative: it encouraged acts); the "
                   "simulations then also run that baseline"),
    "deterrence_<behaviour>": "the same for one behaviour",
    "ratio:<measure>:<dimension>:<group>/<reference>": (
        "a disparity: the measure per person in <group> over the same in <reference> "
        "(measure: acts, records, wrongful_records, denials, wrongful_denials, shamed, "
        "wrongful_shamed, appeals; dimension: sex, age_band, region, urban, income_decile, "
        "occupation)"),
    "scaled:<count>": (
        "a count (not a share, score or ratio) times represents / citizens: the figure for "
        "the population the simulated citizens stand for ([scenario] represents; 1 without)"),
}
# a ratio's measure: the daily columns it sums
RATIO_COLUMNS = {
    "acts": "acts_", "records": "records_by_", "wrongful_records": "wrongful_records_by_",
    "denials": "denied_", "wrongful_denials": "wrongful_denied_", "shamed": "shamed",
    "wrongful_shamed": "wrongful_shamed", "appeals": "appeals",
}
DIMENSIONS = ("sex", "age_band", "region", "urban", "income_decile", "occupation")


def catalogue() -> list[tuple[str, str]]:
    """Every output name (or pattern) with what it means, for ``--list-outputs``."""
    return [*SUMMARY.items(), *PATTERNS.items()]


#: outputs that are not counts, so a weight cannot scale them
NOT_COUNTS = ("mean_score", "median_score", "share_", "ratio:", "scaled:", "deterrence")


def needs_baseline(outputs: tuple[str, ...]) -> bool:
    """Whether any output compares with the world under no policy (``deterrence``)."""
    return any(name.startswith("deterrence") for name in outputs)


def check_output(name: str) -> str:
    """Why ``name`` is not an output an experiment can ask for; "" when it is."""
    if name.startswith("scaled:"):
        count = name.removeprefix("scaled:")
        if count.startswith(NOT_COUNTS):
            return (f'"{name}": only a count can be scaled to the population it stands for, '
                    f'and "{count}" is a share, a score or a ratio')
        return check_output(count)
    if name in SUMMARY or name == "deterrence" or name.startswith((
            "grade_", "share_grade_", "share_below_", "listed_")):
        return ""
    if name.startswith("deterrence_"):
        behaviour = name.removeprefix("deterrence_")
        return "" if behaviour in BEHAVIOUR_NAMES else (
            f'"{name}": no behaviour "{behaviour}": expected one of {", ".join(BEHAVIOUR_NAMES)}')
    if name.startswith("acts_"):
        behaviour = name.removeprefix("acts_")
        return "" if behaviour in BEHAVIOUR_NAMES else (
            f'"{name}": no behaviour "{behaviour}": expected one of {", ".join(BEHAVIOUR_NAMES)}')
    for prefix in ("denials_", "wrongful_denials_"):
        if name.startswith(prefix):
            service = name.removeprefix(prefix)
            return "" if service in SERVICE_NAMES else (
                f'"{name}": no service "{service}": expected one of {", ".join(SERVICE_NAMES)}')
    if name.startswith("ratio:"):
        parts = name.split(":")
        if len(parts) != 4 or "/" not in parts[3]:
            return f'"{name}": a ratio is ratio:<measure>:<dimension>:<group>/<reference>'
        if parts[1] not in RATIO_COLUMNS:
            return (f'"{name}": a ratio\'s measure is one of {", ".join(RATIO_COLUMNS)}, '
                    f'got "{parts[1]}"')
        if parts[2] not in DIMENSIONS:
            return (f'"{name}": a ratio\'s dimension is one of {", ".join(DIMENSIONS)}, '
                    f'got "{parts[2]}"')
        return ""
    return f'"{name}" is not an output: see scorelab experiment --list-outputs'


def measure(folder: Path, names: tuple[str, ...]) -> dict[str, float]:
    """The named outputs of one finished run folder.

    Read with pyarrow, not polars: this runs in forked pool workers, where a
    polars thread pool inherited from the parent can deadlock.

    Raises:
        KeyError: a grade, list or ratio group the run does not have (named).
    """
    result = RunResult(folder)
    summary = result.summary()
    everyone = result.everyone  # read once, for the summary and the per-name columns
    by_group = None  # every dimension's rows: read only for a ratio
    out: dict[str, float] = {}
    counts = [name.removeprefix("scaled:") for name in names]
    for name in dict.fromkeys(counts):
        if name.startswith("share_grade_"):
            out[name] = summary[name.removeprefix("share_")] / summary["citizens"]
        elif name.startswith("share_below_"):
            out[name] = _below(result.manifest["policy"]["grades"], summary, name)
        elif name.startswith(("denials_", "wrongful_denials_", "acts_")):
            column = name.replace("denials_", "denied_", 1)
            out[name] = float(pc.sum(everyone[column]).as_py() or 0)
        elif name.startswith("deterrence"):
            out[name] = _deterrence(folder, everyone, name.removeprefix("deterrence_")
                                    if name != "deterrence" else "")
        elif name.startswith("ratio:"):
            if by_group is None:
                by_group = pq.read_table(folder / "daily.parquet")
            out[name] = _ratio(by_group, name)
        else:
            out[name] = float(summary[name])
    if any(name.startswith("scaled:") for name in names):
        weight = _weight(folder, summary["citizens"])
        out.update({name: out[name.removeprefix("scaled:")] * weight for name in names
                    if name.startswith("scaled:")})
    return {name: out[name] for name in names}


def _below(grades: list[str], summary: dict[str, float], name: str) -> float:
    """The share of people in the grades below one (grades go best first)."""
    grade = name.removeprefix("share_below_")
    if grade not in grades:
        raise KeyError(f'{name}: no grade "{grade}" in the policy: expected one of '
                       + ", ".join(grades))
    below = grades[grades.index(grade) + 1:]
    return sum(summary[f"grade_{g}"] for g in below) / summary["citizens"]


def _deterrence(folder: Path, everyone: pa.Table, behaviour: str) -> float:
    """1 - acts under the policy / acts with no policy (one behaviour, or all with "")."""
    baseline = pq.read_table(folder / "baseline.parquet", filters=[("dimension", "=", "all")])
    column = f"acts_{behaviour}" if behaviour else "acts_"

    def acts(table: pa.Table) -> float:
        return float(sum(pc.sum(table[c]).as_py() or 0 for c in table.column_names
                         if c == column or (not behaviour and c.startswith(column))))

    without = acts(baseline)
    return 1.0 - acts(everyone) / without if without else math.nan


def _weight(folder: Path, citizens: float) -> float:
    """Real people per simulated citizen: ``[scenario] represents`` over the citizens run."""
    scenario = read_run_toml(folder / "scenario.toml").get("scenario", {})
    represents = scenario.get("represents")
    return float(represents) / citizens if represents else 1.0


def _ratio(daily: pa.Table, name: str) -> float:
    """``ratio:<measure>:<dimension>:<group>/<reference>`` of one run (NaN over 0 per person)."""
    _, what, dimension, groups = name.split(":")
    group, reference = groups.split("/", 1)
    prefix = RATIO_COLUMNS[what]
    columns = [c for c in daily.column_names if c == prefix or (prefix.endswith("_")
                                                                and c.startswith(prefix))]
    rows = daily.filter(pc.equal(daily["dimension"].cast(pa.string()), dimension))
    last = pc.max(rows["day"]).as_py()
    rates = {}
    for label in (group, reference):
        mine = rows.filter(pc.equal(rows["group"].cast(pa.string()), label))
        if mine.num_rows == 0:
            known = sorted(set(rows["group"].cast(pa.string()).to_pylist()))
            raise KeyError(f'{name}: no group "{label}" in {dimension}: expected one of '
                           + ", ".join(known))
        people = mine.filter(pc.equal(mine["day"], last))["population"][0].as_py()
        total = float(sum(pc.sum(mine[c]).as_py() or 0 for c in columns))
        rates[label] = total / people if people else math.nan
    return rates[group] / rates[reference] if rates[reference] else math.nan


#: daily series an experiment can band over replicates: levels, and counts cumulated
SERIES_LEVELS = {"mean_score": "score_mean", "median_score": "score_p50"}
SERIES_COUNTS = ("acts", "records", "wrongful_records", "denials", "wrongful_denials",
                 "shamed", "wrongful_shamed", "appeals")


def check_series(name: str) -> str:
    """Why ``name`` is not a daily series an experiment can band; "" when it is."""
    if name in SERIES_LEVELS or name in SERIES_COUNTS or name.startswith(("grade_", "listed_")):
        return ""
    return (f'"{name}" is not a series: expected {", ".join([*SERIES_LEVELS, *SERIES_COUNTS])}'
            ", grade_<grade> or listed_<list> (counts are cumulated from day 0)")


def series(folder: Path, names: tuple[str, ...]) -> dict[str, list[float]]:
    """The named daily series of one run folder, for the whole population, day by day."""
    if not names:
        return {}
    daily = pq.read_table(folder / "daily.parquet", filters=[("dimension", "=", "all")])
    out: dict[str, list[float]] = {}
    for name in names:
        if name in SERIES_LEVELS:
            values = daily[SERIES_LEVELS[name]].to_numpy()
        elif name in SERIES_COUNTS:
            prefix = RATIO_COLUMNS[name]
            columns = [c for c in daily.column_names
                       if c == prefix or (prefix.endswith("_") and c.startswith(prefix))]
            values = sum(daily[c].to_numpy().astype(float) for c in columns).cumsum()
        else:
            values = daily[name].to_numpy()
        out[name] = [float(v) for v in values]
    return out
