"""Two runs side by side: the same measures for each, scaled so different sizes compare.

Data flow::

    run A, run B (complete folders) --audit_table--> whole-run rows of each
        --measures_of--> ComparisonRow(section, measure, unit, a, b) for everyone, and
                       disparity ratios by sex and age
        + the inputs that differ (policy, scenario keys, size, seed)
        --> Comparison
    (over R common seeds, the same measures: scorelab.audit._replicated)

Counts of events are given per 100,000 citizens; shares of people as shares;
disparities as ratios to each run's reference group. Behaviours are those
either policy acts on (its rules, lists and shaming), plus all acts together.
The measures of many runs are chosen over all of them (a denial of a kind that
happened in any run is a measure of each), so replicates share one list.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import polars as pl

from scorelab._run_folder import read_run_manifest, read_run_policy, read_run_toml, reading_run
from scorelab.audit._audit import audit_table
from scorelab.world import BEHAVIOURS, SENSORS, SERVICES

if TYPE_CHECKING:
    from scorelab.audit._replicated import ReplicatedRow

PER_CITIZENS = 100_000
DISPARITY_DIMENSIONS = ("sex", "age_band")


@dataclass(frozen=True)
class ComparisonRow:
    """One measure in both runs."""

    section: str
    measure: str
    unit: str  # "share", "per 100k", "ratio", "points", "yuan", "change"
    a: float
    b: float

    @property
    def difference(self) -> float:
        """B minus A."""
        return self.b - self.a

    @property
    def relative_change(self) -> float:
        """(B - A) / A; NaN when A is 0 or missing."""
        return self.difference / self.a if self.a and not math.isnan(self.a) else math.nan

    def cells(self) -> tuple[str, str, str, str]:
        """A, B, B minus A and the relative change, as text in the row's unit (pages, terminal)."""
        return (format_value(self.a, self.unit), format_value(self.b, self.unit),
                format_difference(self), format_change(self))

    @property
    def differs(self) -> bool:
        """Whether the two values differ (two missing values do not)."""
        return differ(self.a, self.b)


def differ(a: float, b: float) -> bool:
    """Whether two values of a measure differ: beyond rounding, or one missing (not both)."""
    if math.isnan(a) and math.isnan(b):
        return False
    return math.isnan(a) or math.isnan(b) or not math.isclose(a, b, abs_tol=1e-12)


@dataclass(frozen=True)
class Comparison:
    """Two runs compared: what differs in their inputs, and every measure in both.

    With replicates (``scorelab.compare(..., replicates=R)``), ``seeds`` are the R
    common seeds that A's and B's inputs were run on again, and ``replicated``
    holds every measure over them; both are empty otherwise.
    """

    run_a: Path
    run_b: Path
    manifest_a: dict[str, Any]
    manifest_b: dict[str, Any]
    inputs: tuple[tuple[str, str, str], ...]
    rows: tuple[ComparisonRow, ...]
    audit_a: pl.DataFrame = field(repr=False)
    audit_b: pl.DataFrame = field(repr=False)
    out: Path | None = None
    seeds: tuple[int, ...] = ()
    replicated: tuple[ReplicatedRow, ...] = ()

    @property
    def labels(self) -> tuple[str, str]:
        """Short names of runs A and B: their folders, policies and scenarios."""
        return (label(self.run_a.name, self.manifest_a), label(self.run_b.name, self.manifest_b))

    def differences(self) -> list[ComparisonRow]:
        """The rows whose values differ between the runs."""
        return [row for row in self.rows if row.differs]

    def row(self, measure: str) -> ComparisonRow:
        """The row of a measure, by its name.

        Raises:
            KeyError: no such measure.
        """
        for row in self.rows:
            if row.measure == measure:
                return row
        raise KeyError(f"no measure {measure!r}: see Comparison.rows for the names")

    def replicated_differences(self) -> list[ReplicatedRow]:
        """The measures over the common seeds whose values differ on some seed."""
        return [row for row in self.replicated if row.differs]

    def replicated_row(self, measure: str) -> ReplicatedRow:
        """A measure over the common seeds, by its name.

        Raises:
            KeyError: no such measure, or the comparison has no replicates.
        """
        for row in self.replicated:
            if row.measure == measure:
                return row
        raise KeyError(f"no measure {measure!r} over seeds: see Comparison.replicated "
                       "(empty without replicates)")


class MeasuredRun:
    """Whole-run values of one run for everyone, read from its audit table.

    What the measures of a comparison read; once read, the run's folder may go
    (``compare --replicates`` deletes each replicate's folder as soon as it is read).
    """

    @classmethod
    def read(cls, folder: str | Path, *, keep_days: bool = True) -> MeasuredRun:
        """Read a run folder's tables and policy; ``keep_days=False`` keeps whole-run rows only.

        Raises:
            RunFolderError: the folder is not a run's, or a file in it is not what a run
                writes (named).
        """
        folder = Path(folder)
        with reading_run(folder):
            return cls(audit_table(folder, by=()), read_run_policy(folder), keep_days=keep_days)

    def __init__(self, audit: pl.DataFrame, policy: dict[str, Any], *,
                 keep_days: bool = True) -> None:
        whole = audit.filter(pl.col("day").is_null())
        everyone = whole.filter(pl.col("dimension") == "all")
        self.values = dict(zip(everyone["metric"], everyone["value"], strict=True))
        self.whole = whole
        # From the daily aggregates (which count everyone), not from the citizen table,
        # which may hold only the run's ledger sample.
        self.population = float(everyone.filter(pl.col("metric") == "shamed")["population"][0])
        last = audit.filter((pl.col("dimension") == "all") & (pl.col("day") == pl.col("day").max()))
        self.last_day = dict(zip(last["metric"], last["value"], strict=True))
        self.policy = policy
        self.audit = audit if keep_days else audit.clear()  # the days: for the page's charts

    def get(self, metric: str) -> float:
        value = self.values.get(metric)
        return math.nan if value is None else float(value)

    def per_citizens(self, metric: str) -> float:
        return self.get(metric) * PER_CITIZENS / self.population

    def summed(self, prefix: str, names: Iterable[str]) -> float:
        return sum(self.values.get(f"{prefix}_{n}", 0.0) for n in names)

    def ratio(self, outcome: str, dimension: str, group: str) -> float:
        rows = self.whole.filter((pl.col("metric") == f"disparity_{outcome}")
                                 & (pl.col("dimension") == dimension) & (pl.col("group") == group))
        return float(rows["value"][0]) if rows.height else math.nan

    def acted_on(self) -> set[str]:
        """Behaviours the policy acts on: its rules, list entries and shaming."""
        found = {r.get("behaviour") for r in self.policy.get("rules", [])}
        for spec in self.policy.get("lists", {}).values():
            found |= set(spec.get("entry_behaviours", []))
        found |= set(self.policy.get("shaming", {}).get("behaviours", []))
        return {b for b in found if b}


class _Measure(NamedTuple):
    section: str
    name: str
    unit: str
    read: Callable[[MeasuredRun], float]


def measures_of(runs: Sequence[MeasuredRun]) -> list[_Measure]:
    """Every measure of these runs, in report order, with how to read it from one run."""
    per = f"per {PER_CITIZENS // 1000}k"
    def in_any(metric: str) -> bool:
        return any(r.get(metric) > 0 for r in runs)

    def per_citizens(prefix: str, names: Iterable[str]) -> Callable[[MeasuredRun], float]:
        return lambda r: r.summed(prefix, names) * PER_CITIZENS / r.population

    out = [_Measure("scores", "mean score at the end", "points",
                    lambda r: r.last_day.get("score_mean", math.nan))]
    lists = sorted({m.removeprefix("share_listed_") for r in runs for m in r.values
                    if m.startswith("share_listed_")})
    for name in lists:
        out += [_Measure("lists", f"on the list '{name}' at the end", "share",
                         lambda r, n=name: r.get(f"share_listed_{n}")),
                _Measure("lists", f"entries to the list '{name}'", per,
                         lambda r, n=name: r.per_citizens(f"list_entries_{n}"))]
    out += [_Measure("sanctions", "people denied a service", "share",
                     lambda r: r.get("share_denied")),
            _Measure("sanctions", "service denials", per, per_citizens("denied", SERVICES))]
    out += [_Measure("sanctions", f"denials: {s}", per,
                     lambda r, s=s: r.per_citizens(f"denied_{s}"))
            for s in SERVICES if in_any(f"denied_{s}")]
    out += [_Measure("wrongful", "records", per, per_citizens("records_by", SENSORS)),
            _Measure("wrongful", "wrongful records", per,
                     per_citizens("wrongful_records_by", SENSORS))]
    out += [_Measure("wrongful", f"wrongful records: {s}", per,
                     lambda r, s=s: r.per_citizens(f"wrongful_records_by_{s}"))
            for s in SENSORS if in_any(f"wrongful_records_by_{s}")]
    out += [
        _Measure("wrongful", "people with a wrongful record", "share",
                 lambda r: r.get("share_wrongfully_recorded")),
        _Measure("wrongful", "people sanctioned only because of a false record", "share",
                 lambda r: r.get("share_wrongfully_sanctioned")),
        _Measure("wrongful", "denials only because of a false record", per,
                 per_citizens("wrongful_denied", SERVICES)),
        _Measure("wrongful", "shown on public screens", per, lambda r: r.per_citizens("shamed")),
        _Measure("wrongful", "shown for a false match", per,
                 lambda r: r.per_citizens("wrongful_shamed")),
        _Measure("wrongful", "people shown on public screens", "share",
                 lambda r: r.get("share_shamed")),
        _Measure("behaviour", "acts of all kinds", per, per_citizens("acts", BEHAVIOURS)),
    ]
    acted_on = set().union(*(r.acted_on() for r in runs))
    for bh in [x for x in BEHAVIOURS if x in acted_on]:
        out += [
            _Measure("behaviour", f"acts: {bh}", per,
                     lambda r, bh=bh: r.per_citizens(f"acts_{bh}")),
            _Measure("behaviour", f"records: {bh}", per,
                     lambda r, bh=bh: r.per_citizens(f"records_{bh}")),
            _Measure("behaviour", f"unseen: {bh}", "share",
                     lambda r, bh=bh: r.get(f"unseen_share_{bh}")),
            _Measure("behaviour", f"change against no policy: {bh}", "change",
                     lambda r, bh=bh: r.get(f"act_change_{bh}")),
        ]
    out += [
        _Measure("rewards", "rewards per person", "yuan",
                 lambda r: r.get("rewards_yuan_per_person")),
        _Measure("rewards", "people rewarded", "share", lambda r: r.get("share_rewarded")),
        _Measure("appeals", "appeals", per, lambda r: r.per_citizens("appeals")),
        _Measure("appeals", "appeals won", per, lambda r: r.per_citizens("overturned")),
    ]
    return out + _disparity_measures(runs)


def _disparity_measures(runs: Sequence[MeasuredRun]) -> list[_Measure]:
    """Ratios of every non-reference group by sex and age with a ratio in any run."""
    rows = pl.concat([r.whole for r in runs]).filter(
        pl.col("metric").str.starts_with("disparity_")
        & pl.col("dimension").is_in(DISPARITY_DIMENSIONS) & (pl.col("group") != pl.col("reference"))
        & pl.col("value").is_not_nan())
    keys = rows.select(outcome=pl.col("metric").str.replace("^disparity_", ""),
                       dimension="dimension", group="group").unique(maintain_order=True)
    return [_Measure("disparities", f"{outcome} ratio: {group} ({dimension})", "ratio",
                     lambda r, o=outcome, d=dimension, g=group: r.ratio(o, d, g))
            for outcome, dimension, group in keys.iter_rows()]


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out |= _flatten(value, f"{prefix}{key}.")
        else:
            out[f"{prefix}{key}"] = value
    return out


def _inputs(folder_a: Path, a: dict[str, Any], folder_b: Path,
            b: dict[str, Any]) -> tuple[tuple[str, str, str], ...]:
    """What the two runs were given: policy, size, seed, and every scenario key that differs."""
    rows = [("policy", f"{a['policy']['id']} ({a['policy']['sha256'][:10]})",
             f"{b['policy']['id']} ({b['policy']['sha256'][:10]})"),
            ("scenario", a["scenario"]["name"], b["scenario"]["name"])]
    for key in ("citizens", "days", "start_date"):
        rows.append((key, str(a["scenario"][key]), str(b["scenario"][key])))
    rows.append(("seed", str(a["seed"]), str(b["seed"])))
    rows.append(("baseline", str(a.get("baseline", False)), str(b.get("baseline", False))))
    scenario_a, scenario_b = (_flatten(read_run_toml(f / "scenario.toml"))
                              if (f / "scenario.toml").is_file() else {}
                              for f in (folder_a, folder_b))
    for key in sorted(set(scenario_a) | set(scenario_b)):
        if key.startswith("scenario.") or scenario_a.get(key) == scenario_b.get(key):
            continue
        rows.append((key, str(scenario_a.get(key, "(default)")),
                     str(scenario_b.get(key, "(default)"))))
    return tuple(rows)


def compare_runs(run_a: str | Path, run_b: str | Path) -> Comparison:
    """Compare two finished runs measure by measure.

    Args:
        run_a: the first run folder (A).
        run_b: the second run folder (B); differences read B minus A.

    Returns:
        The comparison, with no HTML written (see ``scorelab.compare``).

    Raises:
        RunFolderError: a folder is missing or not a complete run, or a file in it is not
            what a run writes (named).
    """
    folder_a, folder_b = Path(run_a), Path(run_b)
    manifest_a, manifest_b = read_run_manifest(folder_a), read_run_manifest(folder_b)
    a, b = MeasuredRun.read(folder_a), MeasuredRun.read(folder_b)
    rows = tuple(ComparisonRow(m.section, m.name, m.unit, float(m.read(a)), float(m.read(b)))
                 for m in measures_of((a, b)))
    return Comparison(folder_a, folder_b, manifest_a, manifest_b,
                      _inputs(folder_a, manifest_a, folder_b, manifest_b), rows,
                      a.audit, b.audit)


def format_value(value: float, unit: str) -> str:
    """A value in its unit: shares as percentages, counts with separators.

    >>> format_value(0.01234, "share"), format_value(1234.56, "per 100k")
    ('1.234%', '1,234.6')
    >>> format_value(-0.2, "change"), format_value(1.5, "ratio")
    ('-20.0%', '1.50')
    """
    if math.isnan(value):
        return "–"
    if unit == "share":
        return f"{value:.3%}"
    if unit == "change":
        return f"{value:+.1%}" if value else "0.0%"
    if unit == "ratio":
        return f"{value:.2f}"
    return f"{value:,.1f}"


def format_difference(row: ComparisonRow) -> str:
    """B minus A in the row's unit (percentage points for shares).

    >>> format_difference(ComparisonRow("s", "m", "share", 0.01, 0.015))
    '+0.500 pp'
    """
    return format_delta(row.difference, row.unit)


def format_delta(diff: float, unit: str, *, points: bool = True) -> str:
    """A difference of two values in ``unit``; of shares in percentage points.

    ``points=False`` leaves out the `` pp`` (an interval says it once).

    >>> format_delta(0.005, "share"), format_delta(-12.34, "per 100k")
    ('+0.500 pp', '-12.3')
    """
    if math.isnan(diff):
        return "–"
    if unit in ("share", "change"):
        return f"{diff * 100:+.3f}" + (" pp" if points else "")
    if unit == "ratio":
        return f"{diff:+.2f}"
    return f"{diff:+,.1f}"


def format_interval(low: float, high: float, unit: str) -> str:
    """An interval of a difference in ``unit``.

    >>> format_interval(-0.001, 0.002, "share"), format_interval(1.0, 2.5, "ratio")
    ('-0.100 to +0.200 pp', '+1.00 to +2.50')
    """
    if math.isnan(low) or math.isnan(high):
        return "–"
    return (f"{format_delta(low, unit, points=False)} to "
            f"{format_delta(high, unit)}")


def format_change(row: ComparisonRow) -> str:
    """Relative change from A to B, for counts and levels only."""
    change = row.relative_change
    if row.unit in ("share", "change", "ratio") or math.isnan(change):
        return ""
    return f"{change:+.1%}"


def label(folder_name: str, manifest: dict) -> str:
    """A short name for a run: its folder, policy and scenario."""
    return f"{folder_name} ({manifest['policy']['id']}, {manifest['scenario']['name']})"
