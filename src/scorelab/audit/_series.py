"""Metrics from the daily aggregates: over time, over the whole run, and against the baseline.

Data flow::

    daily.parquet (day x dimension x group)
      --series------> day rows: score quantiles, shares of grades and lists, and each
                      day's events (acts, records, denials, shaming, rewards)
      --run_totals--> whole-run rows: every daily counter summed over the run, under its
                      daily column name (denied_flight, wrongful_records_by_camera ...),
                      plus denial rates per service and unseen shares per behaviour
    baseline.parquet (the same world and seed under no policy)
      --deterrence--> whole-run rows: acts without the policy, and the relative change
                      of acts under it (negative: the policy deterred)

Population is constant over a run, so a group's population is read once.
"""

from __future__ import annotations

import polars as pl

from scorelab.audit._metrics import conform
from scorelab.world import BEHAVIOURS, SENSORS, SERVICES

KEYS = ("day", "dimension", "group")
#: Counters summed over the run; each is a prefix completed by a vocabulary name.
COUNTER_BLOCKS = (
    ("acts", BEHAVIOURS), ("unseen_acts", BEHAVIOURS), ("records", BEHAVIOURS),
    ("records_by", SENSORS), ("wrongful_records_by", SENSORS),
    ("attempts", SERVICES), ("denied", SERVICES), ("wrongful_denied", SERVICES),
    ("discounted", SERVICES), ("reward_yuan", SERVICES),
)
SINGLE_COUNTERS = ("shamed", "wrongful_shamed", "appeals", "overturned", "complied")


def _block(columns: list[str], prefix: str, names: dict[str, str] | tuple[str, ...]) -> list[str]:
    return [f"{prefix}_{name}" for name in names if f"{prefix}_{name}" in columns]


def _labelled(frame: pl.DataFrame) -> pl.DataFrame:
    """Dimension and group as plain strings (they are dictionary-encoded in the files)."""
    return frame.with_columns(pl.col("dimension").cast(pl.String), pl.col("group").cast(pl.String))


def daily_lists(daily: pl.DataFrame) -> list[str]:
    """List names, from the ``listed_<L>`` columns of the daily table."""
    return [c.removeprefix("listed_") for c in daily.columns if c.startswith("listed_")]


def daily_grades(daily: pl.DataFrame) -> list[str]:
    """Grade names, best first, from the ``grade_<G>`` columns of the daily table."""
    return [c.removeprefix("grade_") for c in daily.columns if c.startswith("grade_")]


def series(daily: pl.DataFrame, baseline: pl.DataFrame | None = None) -> pl.DataFrame:
    """Day rows for every group: levels as shares of the group, events as counts that day.

    Metrics: ``score_mean``, ``score_p01`` .. ``score_p99`` (points);
    ``share_grade_<G>``, ``share_listed_<L>``, ``share_stigmatized`` (shares of the
    group that day); ``acts``, ``unseen_acts``, ``records``, ``wrongful_records``,
    ``denied``, ``wrongful_denied``, ``shamed``, ``wrongful_shamed``,
    ``reward_yuan``, ``list_entries_<L>`` (events that day) and, with a baseline,
    ``baseline_acts`` (acts that day in the same world without the policy).
    """
    cols = daily.columns
    population = pl.col("population")
    levels = {name: pl.col(name) for name in cols if name.startswith("score_")}
    levels |= {f"share_grade_{g}": pl.col(f"grade_{g}") / population for g in daily_grades(daily)}
    levels |= {f"share_listed_{n}": pl.col(f"listed_{n}") / population for n in daily_lists(daily)}
    levels["share_stigmatized"] = pl.col("stigmatized") / population
    events = {
        "acts": _block(cols, "acts", BEHAVIOURS),
        "unseen_acts": _block(cols, "unseen_acts", BEHAVIOURS),
        "records": _block(cols, "records", BEHAVIOURS),
        "wrongful_records": _block(cols, "wrongful_records_by", SENSORS),
        "denied": _block(cols, "denied", SERVICES),
        "wrongful_denied": _block(cols, "wrongful_denied", SERVICES),
        "reward_yuan": _block(cols, "reward_yuan", SERVICES),
    }
    exprs = {**levels, **{name: pl.sum_horizontal(block).cast(pl.Float64)
                          for name, block in events.items()}}
    exprs |= {name: pl.col(name).cast(pl.Float64) for name in ("shamed", "wrongful_shamed")}
    exprs |= {f"list_entries_{n}": pl.col(f"list_entries_{n}").cast(pl.Float64)
              for n in daily_lists(daily)}
    wide = _labelled(daily).select(*KEYS, "population",
                                   *[e.cast(pl.Float64).alias(n) for n, e in exprs.items()])
    if baseline is not None:
        acts = _labelled(baseline).select(
            *KEYS, baseline_acts=pl.sum_horizontal(_block(baseline.columns, "acts", BEHAVIOURS))
            .cast(pl.Float64))
        wide = wide.join(acts, on=list(KEYS), how="left", maintain_order="left")
    long = wide.unpivot(index=[*KEYS, "population"], variable_name="metric", value_name="value")
    return conform(long)


def group_populations(daily: pl.DataFrame) -> pl.DataFrame:
    """Population of each (dimension, group), from the first day, in the file's order."""
    first = daily.filter(pl.col("day") == pl.col("day").min())
    return _labelled(first).select("dimension", "group", "population")


def run_totals(daily: pl.DataFrame) -> pl.DataFrame:
    """Whole-run rows: every daily counter summed over the run, per group.

    Metrics keep the daily column names (``denied_flight``, ``records_by_camera``,
    ``wrongful_denied_train``, ``shamed`` ...). Derived: ``denial_rate_<service>``
    (denials per attempt) and ``unseen_share_<behaviour>`` (acts with no record,
    per act). Count and interval columns are empty: these count events, not people.
    """
    cols = daily.columns
    counters = [c for prefix, names in COUNTER_BLOCKS for c in _block(cols, prefix, names)]
    counters += [c for c in cols if c.startswith(("list_entries_", "list_exits_"))]
    counters += [c for c in SINGLE_COUNTERS if c in cols]
    totals = (_labelled(daily).group_by("dimension", "group", maintain_order=True)
              .agg(*[pl.col(c).sum().cast(pl.Float64) for c in counters]))
    derived = {}
    for service in SERVICES:
        if f"denied_{service}" in cols:
            derived[f"denial_rate_{service}"] = _ratio(f"denied_{service}", f"attempts_{service}")
    for behaviour in BEHAVIOURS:
        if f"acts_{behaviour}" in cols:
            derived[f"unseen_share_{behaviour}"] = _ratio(f"unseen_acts_{behaviour}",
                                                          f"acts_{behaviour}")
    totals = totals.with_columns(**derived).join(
        group_populations(daily), on=["dimension", "group"], maintain_order="left")
    long = totals.unpivot(index=["dimension", "group", "population"],
                          variable_name="metric", value_name="value")
    return conform(long)


def deterrence(daily: pl.DataFrame, baseline: pl.DataFrame) -> pl.DataFrame:
    """Acts under the policy against the same world and seed with no policy, per group.

    Metrics: ``baseline_acts_<behaviour>`` and ``baseline_acts`` (acts over the
    run without the policy), ``act_change_<behaviour>`` and ``act_change`` (acts
    under the policy / acts without it - 1; -0.2 means a fifth fewer acts).
    NaN where the behaviour never happens without the policy.
    """
    behaviours = [b for b in BEHAVIOURS if f"acts_{b}" in daily.columns]

    def summed(frame: pl.DataFrame, prefix: str) -> pl.DataFrame:
        return (_labelled(frame).group_by("dimension", "group", maintain_order=True)
                .agg(*[pl.col(f"acts_{b}").sum().cast(pl.Float64).alias(f"{prefix}_{b}")
                       for b in behaviours])
                .with_columns(pl.sum_horizontal([f"{prefix}_{b}" for b in behaviours])
                              .alias(prefix)))

    both = summed(daily, "acts").join(summed(baseline, "baseline_acts"),
                                      on=["dimension", "group"], maintain_order="left")
    changes = {f"act_change_{b}": _ratio(f"acts_{b}", f"baseline_acts_{b}") - 1
               for b in behaviours}
    changes["act_change"] = _ratio("acts", "baseline_acts") - 1
    out = both.select("dimension", "group", *[f"baseline_acts_{b}" for b in behaviours],
                      "baseline_acts", **changes)
    out = out.join(group_populations(daily), on=["dimension", "group"], maintain_order="left")
    return conform(out.unpivot(index=["dimension", "group", "population"],
                               variable_name="metric", value_name="value"))


def _ratio(numerator: str, denominator: str) -> pl.Expr:
    """``numerator / denominator`` as floats, NaN where the denominator is 0."""
    return (pl.when(pl.col(denominator) > 0)
            .then(pl.col(numerator).cast(pl.Float64) / pl.col(denominator))
            .otherwise(float("nan")))
