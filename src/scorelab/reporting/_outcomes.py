"""Report sections about what the policy does: services denied, rewards, behaviour change.

Each function takes the :class:`ReportData` of a run and returns one ``<section>``.
"""

from __future__ import annotations

import math

from scorelab.reporting import _charts as charts
from scorelab.reporting._data import ReportData, cumulative
from scorelab.reporting._html import Html, figure, number, paragraph, percent, section, table, tag
from scorelab.reporting._sections import total
from scorelab.world import BEHAVIOURS, SERVICES


def services_section(data: ReportData) -> Html:
    """Services denied, per service and by group, and how many denials were wrongful."""
    used = [s for s in SERVICES if data.value(f"attempts_{s}") > 0]
    rows = [[s, number(data.value(f"attempts_{s}")), number(data.value(f"denied_{s}")),
             percent(data.value(f"denial_rate_{s}"), 3),
             number(data.value(f"wrongful_denied_{s}")),
             number(data.value(f"discounted_{s}"))] for s in used]
    parts: list[object] = [table(
        ["service", "attempts", "denied", "denial rate", "denied only because of a false record",
         "on better terms"], rows, numeric=[1, 2, 3, 4, 5])]
    if total(data, "denied", SERVICES) == 0:
        parts.insert(0, paragraph("No service was denied to anyone under this policy."))
        return section("services", "Services denied", *parts)
    denied = [s for s in used if data.value(f"denied_{s}") > 0]
    rightful = [data.value(f"denied_{s}") - data.value(f"wrongful_denied_{s}") for s in denied]
    parts.append(figure(charts.bars(
        "Denials by service", denied,
        {"denied": rightful,
         "denied only because of a false record": [data.value(f"wrongful_denied_{s}")
                                                   for s in denied]},
        stacked=True, y_title="denials"), "denials"))
    parts.append(figure(charts.lines(
        "Denials, cumulated", data.dates,
        {"all denials": cumulative(data.over_time("denied")),
         "only because of a false record": cumulative(data.over_time("wrongful_denied"))},
        y_title="denials"), "denials-time"))
    rows_ = data.metric_rows("share_denied", charts.CHART_DIMENSIONS)
    parts.append(figure(charts.group_shares("Denied a service at least once, by group "
                                            "(95% Wilson intervals)", rows_),
                        "denied-groups", height=charts.figure_height(rows_.height)))
    return section("services", "Services denied", *parts)


def rewards_section(data: ReportData) -> Html:
    """Rewards: their value per service, and who receives them."""
    if not data.policy.get("rewards"):
        return section("rewards", "Rewards", paragraph("This policy gives no rewards."))
    used = [s for s in SERVICES if data.value(f"discounted_{s}") > 0]
    rows = [[s, number(data.value(f"discounted_{s}")), number(data.value(f"reward_yuan_{s}"))]
            for s in used]
    parts: list[object] = [
        paragraph(f"{number(data.people('share_rewarded'))} people "
                  f"({percent(data.value('share_rewarded'))}) received "
                  f"{number(total(data, 'reward_yuan', SERVICES))} yuan of rewards; a use on "
                  "better terms whose value the policy does not state counts as 0 yuan."),
        table(["service", "uses on better terms", "value (yuan)"], rows, numeric=[1, 2])]
    if not used:
        parts.append(paragraph("Nobody met a reward's condition during the run."))
        return section("rewards", "Rewards", *parts)
    per_person = data.metric_rows("rewards_yuan_per_person", charts.CHART_DIMENSIONS)
    parts.append(figure(charts.group_shares("Rewards per person by group (yuan)", per_person,
                                            percent=False, x_title="yuan per person"),
                        "rewards-groups", height=charts.figure_height(per_person.height)))
    return section("rewards", "Rewards", *parts)


def behaviour_section(data: ReportData) -> Html:
    """Acts under the policy against the same world with no policy, and acts nobody saw."""
    parts: list[object] = []
    done = [b for b in BEHAVIOURS if data.value(f"acts_{b}") > 0]
    if data.has_baseline:
        parts.append(paragraph(
            "The same citizens in the same world with the same seed were simulated a second "
            "time with no policy; the difference in acts is what the policy deterred (or "
            "encouraged)."))
        rows = [[b, number(data.value(f"baseline_acts_{b}")), number(data.value(f"acts_{b}")),
                 _signed(data.value(f"act_change_{b}")),
                 percent(data.value(f"unseen_share_{b}"), 1)] for b in done]
        parts.append(table(["behaviour", "acts without the policy", "acts under it", "change",
                            "seen by no sensor"], rows, numeric=[1, 2, 3, 4]))
        parts.append(figure(charts.bars(
            "Change in acts under the policy", done,
            {"change": [data.value(f"act_change_{b}") for b in done]}, percent=True,
            y_title="change against no policy"), "deterrence"))
        parts.append(figure(charts.lines(
            "Acts of all kinds, cumulated", data.dates,
            {"without the policy": cumulative(data.over_time("baseline_acts")),
             "under the policy": cumulative(data.over_time("acts"))}, y_title="acts"),
            "acts-time"))
    else:
        parts.append(paragraph(tag("strong", "No baseline in this run: "),
                               "run with --baseline (scorelab.run(..., baseline=True)) to "
                               "compare acts against the same world with no policy."))
        rows = [[b, number(data.value(f"acts_{b}")),
                 percent(data.value(f"unseen_share_{b}"), 1)] for b in done]
        parts.append(table(["behaviour", "acts", "seen by no sensor"], rows, numeric=[1, 2]))
    return section("behaviour", "Behaviour change", *parts)


def _signed(value: float) -> str:
    """A relative change with its sign.

    >>> _signed(-0.123), _signed(0.0), _signed(float("nan"))
    ('-12.3%', '+0.0%', '–')
    """
    return "–" if math.isnan(value) else f"{value:+.1%}"
