"""The disparities section: how much more often some groups are listed, denied or wronged.

Reads the audit's ``disparity_*`` rows (a group's share over its reference
group's share, with the Katz interval) and the ``share_*`` rows they came from.
"""

from __future__ import annotations

import math

import polars as pl

from scorelab.audit import FAIR_HIGH, FAIR_LOW
from scorelab.reporting import _charts as charts
from scorelab.reporting._data import ReportData
from scorelab.reporting._html import Html, figure, interval, paragraph, percent, section, table, tag

MAX_TABLE_ROWS = 40
OUTCOME_TITLES = {
    "denied": "denied a service",
    "wrongfully_sanctioned": "sanctioned only because of a false record",
    "wrongfully_recorded": "with a wrongful record",
    "shamed": "shown on a public screen",
}


def outcome_title(outcome: str) -> str:
    """Readable name of an outcome (``listed_court`` -> ``on the list 'court'``)."""
    if outcome.startswith("listed_"):
        return f"on the list '{outcome.removeprefix('listed_')}'"
    return OUTCOME_TITLES.get(outcome, outcome.replace("_", " "))


def disparity_rows(data: ReportData) -> pl.DataFrame:
    """Disparity rows with a ratio, joined to the group's and the reference's shares."""
    rows = data.whole_run.filter(pl.col("metric").str.starts_with("disparity_")
                                 & pl.col("value").is_not_nan())
    rows = rows.with_columns(outcome=pl.col("metric").str.replace("^disparity_", ""))
    shares = data.whole_run.filter(pl.col("metric").str.starts_with("share_")).select(
        "dimension", "group", outcome=pl.col("metric").str.replace("^share_", ""),
        share=pl.col("value"))
    with_group = rows.join(shares, on=["dimension", "group", "outcome"], how="left",
                           maintain_order="left")
    reference = shares.rename({"group": "reference", "share": "reference_share"})
    return with_group.join(reference, on=["dimension", "reference", "outcome"], how="left",
                           maintain_order="left")


def disparities_section(data: ReportData) -> Html:
    """Ratio charts per outcome and a table of every flagged comparison."""
    parts: list[object] = [paragraph(
        "For each dimension (sex, age, region, ...) the reference group is its largest group, "
        "as Aequitas does by default. A group's ratio is its share of people with the outcome "
        "divided by the reference group's share; the Aequitas convention flags a ratio below "
        f"{FAIR_LOW} or above {FAIR_HIGH} (shaded green in the charts is the band). The "
        "interval is a Katz log 95% interval: the synthetic population is one draw of the "
        "world model, and small groups give wide intervals. A comparison is flagged "
        "'clearly' when its whole interval lies outside the band.")]
    rows = disparity_rows(data)
    if rows.height == 0:
        parts.append(paragraph("No outcome happened to anyone in a reference group, so no "
                               "ratio can be computed."))
        return section("disparities", "Disparities", *parts)
    chart_dims = (*charts.CHART_DIMENSIONS, "sex+age_band")
    for outcome in rows["outcome"].unique(maintain_order=True).to_list():
        part = rows.filter((pl.col("outcome") == outcome)
                           & pl.col("dimension").is_in(chart_dims) & (pl.col("value") > 0))
        if part.filter(pl.col("group") != pl.col("reference")).height == 0:
            continue
        ordered = pl.concat([part.filter(pl.col("dimension") == d) for d in chart_dims])
        parts.append(figure(charts.ratio_dots(f"{outcome_title(outcome).capitalize()}: ratio "
                                              "to the reference group", ordered),
                            f"disparity-{outcome}", height=charts.figure_height(ordered.height)))
    parts.append(flagged_table(rows))
    return section("disparities", "Disparities", *parts)


def flagged_table(rows: pl.DataFrame) -> Html:
    """Every flagged comparison, the most extreme first (at most ``MAX_TABLE_ROWS``)."""
    # Most certain first: how far the interval's nearer end lies from 1 (log scale).
    flagged = rows.filter(pl.col("flagged")).with_columns(
        certainty=pl.when(pl.col("value") > 1).then(pl.col("ci_low").log())
        .otherwise(-pl.col("ci_high").log()),
        clearly=(pl.col("ci_low") > FAIR_HIGH) | (pl.col("ci_high") < FAIR_LOW),
    ).sort(["certainty"], descending=True, nulls_last=True)
    if flagged.height == 0:
        return paragraph("No comparison falls outside the band.")
    body = []
    for row in flagged.head(MAX_TABLE_ROWS).iter_rows(named=True):
        body.append([charts.dimension_title(row["dimension"]), row["group"],
                     outcome_title(row["outcome"]), percent(row["share"], 3), row["reference"],
                     percent(row["reference_share"], 3), _ratio(row["value"]),
                     interval(row["ci_low"], row["ci_high"]),
                     tag("span", "yes", class_="flag") if row["clearly"] else "no"])
    more = flagged.height - MAX_TABLE_ROWS
    note = paragraph(f"{more} more flagged comparisons are in audit.parquet (metric "
                     "disparity_*, flagged = true).", note=True) if more > 0 else ""
    return tag("div", tag("h3", f"Flagged comparisons ({flagged.height})"), table(
        ["dimension", "group", "outcome", "share", "reference", "reference share", "ratio",
         "95% interval", "clearly"], body, numeric=[3, 5, 6, 7],
        flagged=flagged.head(MAX_TABLE_ROWS)["clearly"].to_list()), note)


def _ratio(value: float) -> str:
    """A ratio with two decimals.

    >>> _ratio(2.345), _ratio(float("nan"))
    ('2.35', '–')
    """
    return "–" if math.isnan(value) else f"{value:.2f}"
