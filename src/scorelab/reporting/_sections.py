"""Report sections about people: the summary, scores, lists and wrongful sanctions.

Each function takes the :class:`ReportData` of a run and returns one ``<section>``.
A section with nothing to show says so in a sentence rather than drawing an
empty plot.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import polars as pl

from scorelab.reporting import _charts as charts
from scorelab.reporting._data import ReportData, cumulative
from scorelab.reporting._html import (
    Html,
    cards,
    figure,
    number,
    paragraph,
    percent,
    section,
    table,
    tag,
)
from scorelab.world import BEHAVIOURS, SENSORS, SERVICES


def total(data: ReportData, prefix: str, names: Iterable[str]) -> float:
    """Sum of the whole-run values ``<prefix>_<name>`` for everyone."""
    return sum(v for name in names if not math.isnan(v := data.value(f"{prefix}_{name}")))


def summary_section(data: ReportData) -> Html:
    """Who ran what, the headline numbers and a few findings in sentences."""
    policy, scenario = data.manifest.get("policy", {}), data.manifest.get("scenario", {})
    people = data.population
    records, wrongful = total(data, "records_by", SENSORS), total(data, "wrongful_records_by",
                                                                 SENSORS)
    items = [(f"{number(data.people(f'share_listed_{name}'))}",
              f"on the list '{name}' at the end ({percent(data.value(f'share_listed_{name}'))})")
             for name in data.lists]
    items += [
        (number(data.people("share_denied")),
         f"people denied a service ({percent(data.value('share_denied'))})"),
        (number(data.people("share_wrongfully_sanctioned")),
         "people sanctioned only because of a false record"),
        (number(wrongful), f"wrongful records, of {number(records)}"),
        (number(data.people("share_shamed")), "people shown on public screens"),
        (number(data.value("rewards_yuan_per_person") * people), "yuan of rewards"),
        (percent(total(data, "unseen_acts", BEHAVIOURS) / max(total(data, "acts", BEHAVIOURS),
                                                               1)),
         "of acts seen by no sensor"),
    ]
    if data.has_baseline:
        items.append((percent(data.value("act_change"), 1),
                      "change in acts against the same world with no policy"))
    intro = paragraph(
        f"{policy.get('name', '?')} (v{policy.get('version', '?')}) on {number(people)} "
        f"synthetic citizens for {len(data.dates)} days from {data.dates[0]} "
        f"(scenario '{scenario.get('name', '?')}', seed {data.manifest.get('seed', '?')}).")
    boundary = paragraph(
        "Every citizen here is synthetic, drawn from published census marginals; no real "
        "person's data was used. Numbers describe the model, not China.", note=True)
    sample = paragraph(
        f"Figures about people (how many were listed, denied or wronged, disparities, "
        f"stories) are estimated from the run's seeded sample of {number(data.sample_size)} "
        f"citizens ({percent(data.sample_size / people)}); their intervals account for it. "
        "Counts of events come from the daily aggregates, which count everyone.",
        note=True) if data.sampled else ""
    return section("summary", "Summary", intro, sample, cards(items),
                   tag("h3", "Findings"), tag("ul", *findings(data, records, wrongful),
                                              class_="findings"), boundary)


def findings(data: ReportData, records: float, wrongful: float) -> list[Html]:
    """A few sentences stating the audit's main results."""
    out = []
    denied, wrongly = data.people("share_denied"), data.people("share_wrongfully_sanctioned")
    if denied > 0:
        out.append(tag("li", f"{number(denied)} people were denied a service at least once; "
                   f"{number(total(data, 'denied', SERVICES))} denials in all."))
    if wrongly > 0:
        out.append(tag("li", f"{number(wrongly)} people were sanctioned only because of a "
                             "record of an act they did not commit: without the false "
                             "records (the engine replays everyone without them) they would "
                             "not have been denied or shown on a screen."))
    if records > 0:
        out.append(tag("li", f"{percent(wrongful / records)} of the {number(records)} records "
                             f"came from a false match or a false report ({number(wrongful)})."))
    shamed, wrong_shamed = data.value("shamed"), data.value("wrongful_shamed")
    if shamed > 0:
        out.append(tag("li", f"Faces were shown on public screens {number(shamed)} times, "
                             f"{number(wrong_shamed)} of them for a false match."))
    flagged = data.whole_run.filter(pl.col("metric").str.starts_with("disparity_")
                                    & pl.col("flagged"))
    clear = flagged.filter((pl.col("ci_low") > 1.25) | (pl.col("ci_high") < 0.8))
    out.append(tag("li", f"{flagged.height} group comparisons fall outside the [0.8, 1.25] "
                         f"band; {clear.height} of them clearly (the whole 95% interval "
                         "outside the band). See Disparities."))
    if data.has_baseline and not math.isnan(change := data.value("act_change")):
        how = ("about as many acts" if abs(change) < 0.0005 else
               f"{percent(abs(change), 1)} {'fewer' if change < 0 else 'more'} acts")
        out.append(tag("li", f"Under the policy people committed {how} of all kinds than "
                             "the same people in the same world without it."))
    return out


def scores_section(data: ReportData) -> Html:
    """Scores and grades over time, for everyone."""
    parts: list[object] = []
    if not data.manifest.get("policy", {}).get("rules", data.policy.get("rules")):
        parts.append(paragraph("This policy has no scoring rules: every score stays at its "
                               "start value, and the grade is a placeholder."))
    quantiles = {q: data.over_time(q) for q in ("score_p10", "score_p50", "score_p90")}
    parts.append(figure(charts.score_band("Scores over time (everyone)", data.dates, quantiles,
                                          data.over_time("score_mean")), "scores"))
    grades = [c.removeprefix("grade_") for c in data.tables.daily.columns
              if c.startswith("grade_")]
    if len(grades) > 1:
        series = {g: data.over_time(f"share_grade_{g}") for g in grades}
        parts.append(figure(charts.stacked_shares("Share of people in each grade", data.dates,
                                                  series), "grades"))
    last = [[g, percent(data.over_time(f"share_grade_{g}")[-1])] for g in grades]
    parts.append(table(["grade", "share at the end"], last, numeric=[1]))
    return section("scores", "Scores over time", *parts)


def lists_section(data: ReportData) -> Html:
    """Who is on each list, over time and by group."""
    if not data.lists:
        return section("listed", "Who is listed", paragraph("This policy keeps no lists."))
    parts: list[object] = []
    for name in data.lists:
        spec = data.policy.get("lists", {}).get(name, {})
        parts.append(tag("h3", f"{spec.get('title', name)} ({name})"))
        parts.append(paragraph(
            f"{number(data.people(f'share_listed_{name}'))} people "
            f"({percent(data.value(f'share_listed_{name}'))}) are on the list at the end; "
            f"{number(data.value(f'list_entries_{name}'))} entries and "
            f"{number(data.value(f'list_exits_{name}'))} exits during the run."))
        parts.append(figure(charts.lines(f"Share of people on the list '{name}'", data.dates,
                                         {"everyone": data.over_time(f"share_listed_{name}")},
                                         percent=True), f"listed-{name}"))
        rows = data.metric_rows(f"share_listed_{name}", charts.CHART_DIMENSIONS)
        parts.append(figure(charts.group_shares(f"On the list '{name}' at the end, by group "
                                                "(95% Wilson intervals)", rows),
                            f"listed-groups-{name}", height=charts.figure_height(rows.height)))
    return section("listed", "Who is listed", *parts)


def wrongful_section(data: ReportData) -> Html:
    """Records of acts nobody committed, and the sanctions that followed only from them."""
    parts: list[object] = [paragraph(
        "A record is wrongful when it comes from a camera's false match or from a false "
        "report (informants, platforms): the world keeps the truth beside every record. A "
        "sanction is wrongful when the person would not have had it without their wrongful "
        "records: the engine replays every citizen a second time with those records removed "
        "and compares, so this is an exact counterfactual, not an estimate.")]
    sensors = [s for s in SENSORS if data.value(f"records_by_{s}") > 0]
    rows = []
    for sensor in sensors:
        recorded, wrong = data.value(f"records_by_{sensor}"), data.value(
            f"wrongful_records_by_{sensor}")
        rows.append([sensor, number(recorded), number(wrong), percent(wrong / recorded, 3)])
    parts.append(table(["sensor", "records", "wrongful", "share wrongful"], rows,
                       numeric=[1, 2, 3]))
    wrongful = total(data, "wrongful_records_by", SENSORS)
    if wrongful == 0:
        parts.append(paragraph("No record in this run was wrongful."))
        return section("wrongful", "Wrongful sanctions", *parts)
    parts.append(figure(charts.bars(
        "Wrongful records by sensor", sensors,
        {"wrongful": [data.value(f"wrongful_records_by_{s}") for s in sensors]},
        y_title="records"), "wrongful-sensors"))
    series = {"wrongful records": cumulative(data.over_time("wrongful_records")),
              "denials only because of them": cumulative(data.over_time("wrongful_denied")),
              "shown on screens for a false match": cumulative(
                  data.over_time("wrongful_shamed"))}
    parts.append(figure(charts.lines("Wrongful records and sanctions, cumulated", data.dates,
                                     series, y_title="count"), "wrongful-time"))
    for metric, title in (("share_wrongfully_recorded", "With a wrongful record"),
                          ("share_wrongfully_sanctioned", "Sanctioned only because of one")):
        if data.people(metric) > 0:
            rows_ = data.metric_rows(metric, (*charts.CHART_DIMENSIONS, "sex+age_band"))
            parts.append(figure(charts.group_shares(f"{title}, by group (95% Wilson intervals)",
                                                    rows_), metric,
                                height=charts.figure_height(rows_.height)))
    parts.append(paragraph("Cameras err more for some people: NIST (2019) found 2 to 5 times "
                           "more false positives for women, and more for the elderly; the "
                           "scenario's multipliers carry that into the world.", note=True))
    return section("wrongful", "Wrongful sanctions", *parts)
