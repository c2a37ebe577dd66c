"""Plotly figures used by the report and the comparison page.

Each builder takes plain lists or an audit-table slice and returns a
``go.Figure``; :func:`scorelab.reporting._html.figure` turns it into HTML. Shares
are plotted as percentages, ratios on a log axis with the Aequitas band
[0.8, 1.25] shaded, intervals as error bars.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
import polars as pl

from scorelab.audit import FAIR_HIGH, FAIR_LOW

DIMENSION_TITLES = {
    "all": "everyone", "sex": "sex", "age_band": "age", "region": "region",
    "urban": "urban/rural", "income_decile": "income decile", "occupation": "occupation",
    "sex+age_band": "sex & age",
}
#: Dimensions drawn in group charts (regions, 31 of them, go in tables only).
CHART_DIMENSIONS = ("sex", "age_band", "urban", "income_decile", "occupation")


def dimension_title(dimension: str) -> str:
    """Readable name of a dimension or a ``+``-joined combination."""
    return DIMENSION_TITLES.get(dimension, dimension.replace("+", " & ").replace("_", " "))


def lines(title: str, x: Sequence[object], series: Mapping[str, Sequence[float]], *,
          y_title: str = "", percent: bool = False) -> go.Figure:
    """One line per series over ``x`` (dates)."""
    fig = go.Figure([go.Scatter(x=list(x), y=list(values), mode="lines", name=name)
                     for name, values in series.items()])
    fig.update_layout(title=title, yaxis_title=y_title, hovermode="x unified",
                      legend={"orientation": "h", "y": -0.2})
    if percent:
        fig.update_yaxes(tickformat=".2%")
    return fig


def score_band(title: str, x: Sequence[object], quantiles: Mapping[str, Sequence[float]],
               mean: Sequence[float]) -> go.Figure:
    """The 10th-90th percentile band, the median and the mean of scores over time."""
    x = list(x)
    fig = go.Figure([
        go.Scatter(x=x, y=list(quantiles["score_p90"]), mode="lines", line={"width": 0},
                   name="90th percentile", showlegend=False),
        go.Scatter(x=x, y=list(quantiles["score_p10"]), mode="lines", line={"width": 0},
                   fill="tonexty", fillcolor="rgba(31,95,168,0.18)",
                   name="10th to 90th percentile"),
        go.Scatter(x=x, y=list(quantiles["score_p50"]), mode="lines", name="median",
                   line={"color": "#1f5fa8"}),
        go.Scatter(x=x, y=list(mean), mode="lines", name="mean",
                   line={"color": "#d9822b", "dash": "dot"}),
    ])
    fig.update_layout(title=title, yaxis_title="points", hovermode="x unified",
                      legend={"orientation": "h", "y": -0.2})
    return fig


def stacked_shares(title: str, x: Sequence[object],
                   series: Mapping[str, Sequence[float]]) -> go.Figure:
    """Shares stacked to 100% over time (grades)."""
    fig = go.Figure([go.Scatter(x=list(x), y=list(values), mode="lines", stackgroup="one",
                                name=name) for name, values in series.items()])
    fig.update_layout(title=title, hovermode="x unified", legend={"orientation": "h", "y": -0.2})
    fig.update_yaxes(tickformat=".1%")
    return fig


def bars(title: str, categories: Sequence[str], series: Mapping[str, Sequence[float]], *,
         stacked: bool = False, percent: bool = False, y_title: str = "") -> go.Figure:
    """Vertical bars, one trace per series, grouped or stacked."""
    fig = go.Figure([go.Bar(x=list(categories), y=list(values), name=name)
                     for name, values in series.items()])
    fig.update_layout(title=title, barmode="stack" if stacked else "group", yaxis_title=y_title,
                      legend={"orientation": "h", "y": -0.25})
    if percent:
        fig.update_yaxes(tickformat=".1%")
    return fig


def _group_labels(rows: pl.DataFrame) -> list[str]:
    return [f"{dimension_title(d)}: {g}" for d, g in zip(rows["dimension"], rows["group"],
                                                        strict=True)]


def group_shares(title: str, rows: pl.DataFrame, *, percent: bool = True,
                 x_title: str = "") -> go.Figure:
    """Horizontal bars of one metric per group, with 95% intervals where present.

    Args:
        title: the figure title.
        rows: audit rows of one metric (dimension, group, value, ci_low, ci_high).
        percent: show values as percentages.
        x_title: the axis title.
    """
    value = rows["value"].to_numpy()
    low = rows["ci_low"].fill_null(np.nan).to_numpy()
    high = rows["ci_high"].fill_null(np.nan).to_numpy()
    has_ci = bool(np.isfinite(low).any())
    error = {"type": "data", "symmetric": False, "array": np.nan_to_num(high - value).tolist(),
             "arrayminus": np.nan_to_num(value - low).tolist(), "color": "#5b6473"}
    fig = go.Figure(go.Bar(x=value.tolist(), y=_group_labels(rows), orientation="h",
                           marker_color="#1f5fa8", error_x=error if has_ci else None,
                           name=title))
    fig.update_layout(title=title, xaxis_title=x_title, showlegend=False)
    fig.update_yaxes(autorange="reversed")
    if percent:
        fig.update_xaxes(tickformat=".2%")
    return fig


def ratio_dots(title: str, rows: pl.DataFrame) -> go.Figure:
    """Disparity ratios per group with 95% intervals on a log axis; the fair band shaded.

    Args:
        title: the figure title.
        rows: audit ``disparity_*`` rows of one outcome with a ratio (value > 0).
    """
    value = rows["value"].to_numpy()
    low, high = rows["ci_low"].to_numpy(), rows["ci_high"].to_numpy()
    flagged = rows["flagged"].to_list()
    labels = _group_labels(rows)
    fig = go.Figure(go.Scatter(
        x=value.tolist(), y=labels, mode="markers",
        marker={"size": 9, "color": ["#b3261e" if f else "#1f5fa8" for f in flagged]},
        error_x={"type": "data", "symmetric": False, "array": (high - value).tolist(),
                 "arrayminus": (value - low).tolist(), "color": "#5b6473"},
        name="ratio to the reference group"))
    fig.add_vrect(x0=FAIR_LOW, x1=FAIR_HIGH, fillcolor="rgba(27,127,59,0.12)", line_width=0)
    fig.add_vline(x=1.0, line_dash="dot", line_color="#5b6473")
    fig.update_layout(title=title, xaxis_title="ratio to the reference group (log scale)",
                      showlegend=False)
    fig.update_xaxes(type="log")
    fig.update_yaxes(autorange="reversed")
    return fig


def differences(title: str, labels: Sequence[str], mean: Sequence[float],
                low: Sequence[float], high: Sequence[float], sure: Sequence[bool], *,
                percent: bool = False) -> go.Figure:
    """Differences B - A as dots with their 95% intervals, a line at 0; ``sure`` ones in red.

    Args:
        title: the figure title.
        labels: one per difference (the measure).
        mean: each difference.
        low: the low end of its interval (NaN: no interval drawn).
        high: the high end of its interval.
        sure: whether each interval excludes 0.
        percent: show values as percentages (differences of shares: percentage points).
    """
    value, low, high = (np.asarray(v, dtype=float) for v in (mean, low, high))
    fig = go.Figure(go.Scatter(
        x=value.tolist(), y=list(labels), mode="markers",
        marker={"size": 9, "color": ["#b3261e" if s else "#1f5fa8" for s in sure]},
        error_x={"type": "data", "symmetric": False,
                 "array": np.nan_to_num(high - value).tolist(),
                 "arrayminus": np.nan_to_num(value - low).tolist(), "color": "#5b6473"},
        name="B − A, 95% interval"))
    fig.add_vline(x=0.0, line_dash="dot", line_color="#5b6473")
    fig.update_layout(title=title, xaxis_title="B − A (mean over the seeds)", showlegend=False)
    fig.update_yaxes(autorange="reversed")
    if percent:
        fig.update_xaxes(tickformat=".2%")
    return fig


def figure_height(rows: int) -> int:
    """A height that fits ``rows`` horizontal bars (pixels)."""
    return int(min(1400, max(300, 120 + 22 * rows)))
