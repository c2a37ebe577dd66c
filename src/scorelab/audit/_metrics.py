"""Who is punished, and who is punished wrongly: shares of people by group, and disparities.

Data flow::

    citizens.parquet (one row per citizen)
      --citizen_outcomes--> one boolean column per outcome (listed_<L>, denied, ...)
      --group_shares(dimensions)--> rows (dimension, group, metric "share_<outcome>",
                                     count, population, value, Wilson interval)
      --disparities--> rows (metric "disparity_<outcome>": the group's share over its
                        reference group's share, Katz interval, flagged outside [0.8, 1.25])

The reference group of a dimension is its largest group (ties: the first in the
dimension's order), the default of Aequitas ("majority"): a ratio then reads "how
much more often than most people". Shares count people, not events: a person
denied a train ticket ten times is one denied person. Combinations of dimensions
("sex+age_band") are groups of their own, labelled ``"female & 60-74"``.

When a run keeps only a seeded sample of citizens (``ledger_sample`` < 1), the
citizen table is that sample: shares are then estimates, ``population`` is the
group's size in the sample, and the intervals cover the sampling too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import polars as pl

from scorelab._errors import ScorelabError
from scorelab.audit._rates import outside_fair_band, rate_ratio, wilson_interval

#: Dimensions of the citizen table that groups are drawn from, in report order.
DIMENSIONS = ("all", "sex", "age_band", "region", "urban", "income_decile", "occupation")
#: Outcomes compared across groups as disparities (listing outcomes are added per list).
DISPARITY_OUTCOMES = ("denied", "wrongfully_sanctioned", "wrongfully_recorded", "shamed")
COMBINATION_SEPARATOR = "+"
GROUP_SEPARATOR = " & "

#: Columns of the audit table, in order; every metric function returns exactly these.
AUDIT_SCHEMA = {
    "dimension": pl.String, "group": pl.String, "metric": pl.String, "day": pl.Int32,
    "value": pl.Float64, "count": pl.Float64, "population": pl.Int64,
    "ci_low": pl.Float64, "ci_high": pl.Float64, "reference": pl.String,
    "flagged": pl.Boolean,
}


def list_names(citizens: pl.DataFrame) -> list[str]:
    """Names of the policy's lists, from the ``listed_<L>`` columns of the citizen table."""
    return [name.removeprefix("listed_") for name in citizens.columns
            if name.startswith("listed_")]


def citizen_outcomes(citizens: pl.DataFrame) -> pl.DataFrame:
    """Add one boolean column per outcome to the citizen table.

    Outcomes: ``listed_<L>`` (on list L at the end of the run, already present),
    ``denied`` (denied a service at least once), ``wrongfully_sanctioned``
    (denied a service *only because of* wrongful records, by the engine's exact
    counterfactual replay, or shown on a public screen for a false match),
    ``wrongfully_recorded`` (at least one record from a false match or a false
    report), ``shamed`` (shown on a public screen) and ``rewarded`` (any reward).
    """
    return citizens.with_columns(
        denied=pl.col("denials") > 0,
        wrongfully_sanctioned=(pl.col("wrongful_denials") > 0) | (pl.col("wrongful_shamed") > 0),
        wrongfully_recorded=pl.col("wrongful_records") > 0,
        shamed=pl.col("shamed") > 0,
        rewarded=pl.col("rewards_yuan") > 0,
    )


def outcome_names(citizens: pl.DataFrame) -> list[str]:
    """Every outcome shared as ``share_<outcome>``, lists first."""
    return [f"listed_{name}" for name in list_names(citizens)] + [
        "denied", "wrongfully_sanctioned", "wrongfully_recorded", "shamed", "rewarded"]


def group_label(dimension: str) -> pl.Expr:
    """The group a citizen belongs to in ``dimension`` (or a ``+``-joined combination).

    Labels match ``daily.parquet``: ``urban``/``rural``, income deciles ``D1``..``D10``.
    """
    parts = dimension.split(COMBINATION_SEPARATOR)
    unknown = [part for part in parts if part not in DIMENSIONS]
    if unknown:
        raise ScorelabError(f"unknown group dimension {unknown[0]!r} in {dimension!r}: "
                            f"expected one of {', '.join(DIMENSIONS)}, joined by '+' "
                            "for a combination (sex+age_band)")
    labels = [_single_label(part) for part in parts]
    return labels[0] if len(labels) == 1 else pl.concat_str(labels, separator=GROUP_SEPARATOR)


def _single_label(dimension: str) -> pl.Expr:
    if dimension == "all":
        return pl.lit("all")
    if dimension == "urban":
        return pl.when(pl.col("urban")).then(pl.lit("urban")).otherwise(pl.lit("rural"))
    if dimension == "income_decile":
        return pl.format("D{}", pl.col("income_decile"))
    return pl.col(dimension).cast(pl.String)


def group_shares(
    citizens: pl.DataFrame, dimensions: Iterable[str],
    order: dict[str, Sequence[str]] | None = None,
) -> pl.DataFrame:
    """Share of people with each outcome, per group, with Wilson 95% intervals.

    Args:
        citizens: the citizen table after :func:`citizen_outcomes`.
        dimensions: dimension names, or ``+``-joined combinations.
        order: group order per single dimension (as in ``daily.parquet``); groups
            not listed, and combinations, follow in label order.

    Returns:
        Audit rows: metric ``share_<outcome>`` (value a share in [0, 1], count the
        people with it, population the group's size) and ``rewards_yuan_per_person``.
    """
    outcomes = outcome_names(citizens)
    frames = []
    for dimension in dimensions:
        grouped = (citizens.group_by(group_label(dimension).alias("group"))
                   .agg(pl.len().alias("population"),
                        *[pl.col(o).sum().cast(pl.Float64) for o in outcomes],
                        pl.col("rewards_yuan").mean().alias("rewards_yuan_per_person")))
        grouped = _in_order(grouped, dimension, order or {})
        shares = grouped.unpivot(index=["group", "population", "_position"], on=outcomes,
                                 variable_name="metric", value_name="count")
        low, high = wilson_interval(shares["count"].to_numpy(), shares["population"].to_numpy())
        shares = shares.with_columns(
            metric=pl.lit("share_") + pl.col("metric"),
            value=pl.col("count") / pl.col("population"),
            ci_low=pl.Series(low), ci_high=pl.Series(high))
        rewards = grouped.select("group", "population", "_position",
                                 metric=pl.lit("rewards_yuan_per_person"),
                                 value=pl.col("rewards_yuan_per_person"))
        frames += [shares.with_columns(dimension=pl.lit(dimension)),
                   rewards.with_columns(dimension=pl.lit(dimension))]
    return conform(pl.concat(frames, how="diagonal_relaxed"))


def _in_order(grouped: pl.DataFrame, dimension: str,
              order: dict[str, Sequence[str]]) -> pl.DataFrame:
    """Sort groups as the dimension orders them, keeping that position in ``_position``."""
    known = list(order.get(dimension, ()))
    rank = {name: i for i, name in enumerate(known)}
    labels = grouped["group"].to_list()
    position = [rank.get(label, len(known) + sorted(labels).index(label)) for label in labels]
    return grouped.with_columns(_position=pl.Series(position, dtype=pl.Int64)).sort("_position")


def reference_groups(shares: pl.DataFrame) -> dict[str, str]:
    """The reference group of each dimension: its largest (ties: the first in order)."""
    sizes = (shares.filter(pl.col("metric") == "share_denied")
             .select("dimension", "group", "population"))
    out: dict[str, str] = {}
    for (dimension,), part in sizes.group_by("dimension", maintain_order=True):
        populations = part["population"].to_numpy()
        out[str(dimension)] = part["group"][int(np.argmax(populations))]
    return out


def disparities(shares: pl.DataFrame) -> pl.DataFrame:
    """Each group's share against its dimension's reference group, for the disparity outcomes.

    Args:
        shares: rows from :func:`group_shares`.

    Returns:
        Audit rows with metric ``disparity_<outcome>``: value the ratio of shares,
        ``ci_low``/``ci_high`` its Katz 95% interval, ``reference`` the reference
        group, ``flagged`` whether the ratio lies outside [0.8, 1.25]. The
        reference group's own row has ratio 1. No row where the reference share
        is 0 has a ratio (value NaN, not flagged).
    """
    wanted = [f"share_listed_{name}" for name in _listed_metrics(shares)] + [
        f"share_{o}" for o in DISPARITY_OUTCOMES]
    rows = (shares.filter(pl.col("metric").is_in(wanted) & (pl.col("dimension") != "all"))
            .drop("reference", "flagged"))
    chosen = reference_groups(shares)
    references = pl.DataFrame({"dimension": list(chosen), "reference": list(chosen.values())},
                              schema={"dimension": pl.String, "reference": pl.String})
    base = rows.select("dimension", "metric", reference="group", reference_count="count",
                       reference_population="population")
    joined = rows.join(references, on="dimension", maintain_order="left").join(
        base, on=["dimension", "metric", "reference"], how="left", maintain_order="left")
    ratio, low, high = rate_ratio(
        joined["count"].to_numpy(), joined["population"].to_numpy(),
        joined["reference_count"].to_numpy(), joined["reference_population"].to_numpy())
    is_reference = (joined["group"] == joined["reference"]).to_numpy()
    valid = ~np.isnan(ratio)
    low = np.where(is_reference & valid, 1.0, low)  # a group against itself: exactly 1
    high = np.where(is_reference & valid, 1.0, high)
    out = joined.with_columns(
        metric=pl.col("metric").str.replace("^share_", "disparity_"),
        value=pl.Series(ratio), ci_low=pl.Series(low), ci_high=pl.Series(high),
        flagged=pl.Series(outside_fair_band(ratio)))
    return conform(out)


def _listed_metrics(shares: pl.DataFrame) -> list[str]:
    metrics = shares["metric"].unique(maintain_order=True).to_list()
    return [m.removeprefix("share_listed_") for m in metrics if m.startswith("share_listed_")]


def conform(rows: pl.DataFrame) -> pl.DataFrame:
    """Select and cast the audit columns in order, adding missing ones as nulls."""
    columns = [
        (pl.col(name) if name in rows.columns else pl.lit(None)).cast(dtype).alias(name)
        for name, dtype in AUDIT_SCHEMA.items()
    ]
    return rows.select(columns)
