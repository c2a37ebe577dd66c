"""An experiment's ``report.html``: how sure each number is and what drives it.

Data flow::

    experiment folder (design, results, summary, series, sensitivity .parquet; the manifest)
      --paired_differences--> differences.parquet (each point against point 0, common seeds)
      --sections--> report.html: the design, each output against each factor, bands over
                    time per design point, Sobol or Morris bars and a ranked table of
                    drivers, and the paired differences with 95% intervals

The page is self-contained and offline like a run's report (inline CSS and
plotly.js). It reads only the experiment's tables, so ``scorelab report`` can
write it again for a finished experiment folder.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import polars as pl

from scorelab._run_folder import REPORT_FILE, write_atomically
from scorelab.audit import paired_difference
from scorelab.reporting._html import (
    Html,
    cards,
    figure,
    page,
    paragraph,
    percent,
    section,
    table,
    tag,
)

DIFFERENCES_FILE = "differences.parquet"
#: A factor "matters" when its index's 95% interval lies above this share (see _drivers_section).
MATTERS_SHARE = 0.01
#: Most figures of one kind on a page; the tables in the folder hold the rest.
MOST_FIGURES = 36
#: Rows of paired differences shown per output (the largest); differences.parquet has all.
MOST_DIFFERENCE_ROWS = 12
BAND_COLOUR = "rgba(31,95,168,0.20)"
LINE_COLOUR = "#1f5fa8"

NAVIGATION = (("design", "Design"), ("drivers", "What drives it"), ("factors", "Against factors"),
              ("bands", "Over time"), ("differences", "Paired differences"))


def write_experiment_report(folder: Path, manifest: dict[str, Any]) -> list[str]:
    """Write ``differences.parquet`` and ``report.html`` into an experiment folder.

    Each is written under a temporary name and renamed; returns their names.
    """
    tables = _Tables.read(folder)
    differences = paired_differences(tables.results, tables.outputs)
    write_atomically(folder / DIFFERENCES_FILE, differences.write_parquet)
    html = experiment_page(manifest, tables, differences)
    write_atomically(folder / REPORT_FILE, lambda path: path.write_text(html, encoding="utf-8"))
    return [DIFFERENCES_FILE, REPORT_FILE]


class _Tables:
    """The experiment's tables, read once."""

    def __init__(self, design: pl.DataFrame, results: pl.DataFrame, summary: pl.DataFrame,
                 series: pl.DataFrame | None, sensitivity: pl.DataFrame | None) -> None:
        self.design, self.results, self.summary = design, results, summary
        self.series, self.sensitivity = series, sensitivity
        self.outputs = summary["output"].unique(maintain_order=True).to_list()
        fixed = {"simulation", "point", "replicate", "seed"}
        self.factors = [c for c in design.columns if c not in fixed]
        self.points = design.group_by("point", maintain_order=True).first().sort("point")

    @classmethod
    def read(cls, folder: Path) -> _Tables:
        def optional(name: str) -> pl.DataFrame | None:
            path = folder / f"{name}.parquet"
            return pl.read_parquet(path) if path.exists() else None

        return cls(pl.read_parquet(folder / "design.parquet"),
                   pl.read_parquet(folder / "results.parquet"),
                   pl.read_parquet(folder / "summary.parquet"),
                   optional("series"), optional("sensitivity"))


def paired_differences(results: pl.DataFrame, outputs: list[str]) -> pl.DataFrame:
    """Every output at every point against point 0, paired by replicate (common seeds).

    Replicate r has the same seed at every point, so point p minus point 0 in
    replicate r removes the noise the two share; ``paired_difference`` gives the
    mean, its Student-t 95% interval (NaN with one replicate) and the share of
    seeds in which the point is above point 0.
    """
    reference = results.filter(pl.col("point") == 0).sort("replicate")
    rows = []
    for point in results["point"].unique().sort().to_list()[1:]:
        other = results.filter(pl.col("point") == point).sort("replicate")
        common = reference.join(other, on="replicate", suffix="_b")
        for output in outputs:
            found = paired_difference(common[output].to_numpy(), common[f"{output}_b"].to_numpy())
            rows.append({"output": output, "point": point, "reference": 0,
                         "mean": found.mean, "low": found.low, "high": found.high,
                         "share_above": found.share_b_above, "n": found.n})
    schema = {"output": pl.String, "point": pl.Int64, "reference": pl.Int64,
              "mean": pl.Float64, "low": pl.Float64, "high": pl.Float64,
              "share_above": pl.Float64, "n": pl.Int64}
    return pl.DataFrame(rows, schema=schema)


def experiment_page(manifest: dict[str, Any], tables: _Tables, differences: pl.DataFrame) -> str:
    """The whole experiment report as a string."""
    meta = manifest["experiment"]["experiment"]
    body = [
        _design_section(manifest, tables),
        _drivers_section(tables),
        _factors_section(tables),
        _bands_section(tables),
        _differences_section(tables, differences),
    ]
    subtitle = [meta.get("description") or "",
                f"{meta['design']} design: {manifest['points']:,} points x "
                f"{meta['replicates']:,} replicates = {manifest['simulations']:,} simulations "
                f"of {meta['citizens']:,} citizens x {meta['days']:,} days, seed {meta['seed']}"]
    return page(f"scorelab experiment: {manifest['name']}", subtitle, NAVIGATION, body)


def _design_section(manifest: dict[str, Any], tables: _Tables) -> Html:
    meta = manifest["experiment"]["experiment"]
    factors = manifest["experiment"]["factor"]
    rows = []
    for factor in factors:
        if factor.get("range") is not None:
            low, high = factor["range"]
            spread = f"range {_plain(low)} to {_plain(high)}"
        elif factor.get("values") is not None:
            spread = "values " + ", ".join(_plain(v) for v in factor["values"])
        else:
            spread = "levels " + ", ".join(factor["levels"])
        rows.append([factor["path"], spread, factor.get("note", "")])
    headline = []
    for output in tables.outputs[:8]:
        means = tables.summary.filter(pl.col("output") == output)["mean"]
        low, high = means.min(), means.max()
        headline.append((f"{_short(low)} to {_short(high)}",
                         f"{output}: lowest and highest point mean"))
    sources = [tag("li", s) for s in meta.get("sources") or ()]
    world = meta.get("scenario") or "the embedded world"
    parts: list[object] = [
        paragraph(f"Policy {meta['policy']}, scenario {world}. Replicate r has the same seed "
                  "at every design point (common random numbers). "
                  f"{manifest['simulations']:,} simulations took {manifest['seconds']:,.1f} s."),
        cards(headline),
        table(["factor", "what varies", "note"], rows),
    ]
    if sources:
        parts += [tag("h3", "Sources"), tag("ul", *sources)]
    return section("design", "The design", *parts)


def _drivers_section(tables: _Tables) -> Html:
    sensitivity = tables.sensitivity
    if sensitivity is None:
        return section("drivers", "What drives each output", paragraph(
            "Sensitivity indices need a sobol or morris design; this experiment's design "
            "gives none. The plots against each factor below show the effects."))
    sobol = "ST" in sensitivity.columns
    index, spread = ("ST", "ST_conf") if sobol else ("mu_star", "mu_star_conf")
    parts: list[object] = [paragraph(
        "ST (total order) is the share of an output's variance that a factor explains, alone "
        "and with the others; S1 is its share alone. A factor matters when its interval lies "
        "above 0.01 (1% of the variance). Bars carry 95% intervals." if sobol else
        "mu* is the mean absolute change of the output per elementary step of a factor (Morris "
        "screening); sigma large against mu* means interactions or a non-linear effect. A "
        "factor matters when mu*'s interval lies above 1% of the output's largest mu*.")]
    ranked = []
    drawn = 0
    for output in tables.outputs:
        rows = sensitivity.filter(pl.col("output") == output)
        if rows[index].is_nan().all():
            ranked.append([output, "–", "constant or undefined at some point: no index", "",
                           ""])
            continue
        rows = rows.sort(index, descending=True, nulls_last=True)
        # matters: the interval's low end above 1% of the variance (Sobol), or above 1% of
        # the largest mu* of this output (Morris): a real but negligible effect is not shown
        floor = MATTERS_SHARE if sobol else MATTERS_SHARE * float(rows[index].max() or 0.0)
        for rank, row in enumerate(rows.iter_rows(named=True), start=1):
            matters = row[index] - row[spread] > floor
            other = f"{row['S1']:.3f} ± {row['S1_conf']:.3f}" if sobol else f"{row['sigma']:.4g}"
            ranked.append([output, str(rank), row["factor"],
                           f"{row[index]:.3f} ± {row[spread]:.3f}", other,
                           Html('<span class="good">yes</span>') if matters else "no"])
        if drawn < MOST_FIGURES:
            parts.append(figure(_index_bars(output, rows, sobol), f"drivers-{drawn}",
                                height=max(260, 110 + 60 * rows.height)))
            drawn += 1
    head = ["output", "rank", "factor", f"{index} ± 95%", "S1 ± 95%" if sobol else "sigma",
            "matters"]
    parts.insert(1, table(head, ranked, numeric=[1, 3]))
    return section("drivers", "What drives each output", *parts)


def _index_bars(output: str, rows: pl.DataFrame, sobol: bool) -> go.Figure:
    factors = rows["factor"].to_list()
    keys = (("ST", "ST_conf"), ("S1", "S1_conf")) if sobol else (("mu_star", "mu_star_conf"),)
    fig = go.Figure([go.Bar(y=factors, x=rows[value].to_list(), orientation="h", name=value,
                            error_x={"type": "data", "array": rows[conf].to_list()})
                     for value, conf in keys])
    fig.update_layout(title=f"{output}: {'Sobol indices' if sobol else 'Morris mu*'}",
                      barmode="group", legend={"orientation": "h", "y": -0.25})
    fig.update_yaxes(autorange="reversed")
    return fig


def _factors_section(tables: _Tables) -> Html:
    parts: list[object] = [paragraph(
        "Each design point's mean over its replicates against one factor's value; the bars "
        "span the 5th to 95th percentile over replicates. With several factors varying, the "
        "spread at one factor value is the other factors' doing.")]
    means = tables.summary.join(tables.points, on="point")
    drawn = 0
    for output in tables.outputs:
        rows = means.filter(pl.col("output") == output)
        if rows["mean"].is_nan().all():
            parts.append(paragraph(f"{output} is undefined (NaN) at every point: nothing to "
                                   "draw.", note=True))
            continue
        for factor in tables.factors:
            if drawn >= MOST_FIGURES:
                parts.append(paragraph(f"The other plots are left out: {MOST_FIGURES} is the "
                                       "most this page draws. summary.parquet and "
                                       "design.parquet hold every point.", note=True))
                return section("factors", "Each output against each factor", *parts)
            ordered = rows.sort(factor)
            mean, p05, p95 = (ordered[c].to_list() for c in ("mean", "p05", "p95"))
            fig = go.Figure(go.Scatter(
                x=ordered[factor].to_list(), y=mean, mode="markers", name=output,
                marker={"color": LINE_COLOUR, "size": 8},
                error_y={"type": "data", "symmetric": False,
                         "array": [_gap(h, m) for h, m in zip(p95, mean, strict=True)],
                         "arrayminus": [_gap(m, lo) for m, lo in zip(mean, p05, strict=True)],
                         "color": "#5b6473"}))
            fig.update_layout(title=f"{output} against {factor}", xaxis_title=factor,
                              yaxis_title=output, showlegend=False)
            parts.append(figure(fig, f"factor-{drawn}", height=320))
            drawn += 1
    return section("factors", "Each output against each factor", *parts)


def _bands_section(tables: _Tables) -> Html:
    series = tables.series
    if series is None:
        return section("bands", "Over time", paragraph(
            "This experiment asked for no daily series (series = [...] in its file)."))
    parts: list[object] = [paragraph(
        "The median over replicates of each daily series, with its 5-95% band, for the design "
        "point chosen in the menu; the thin lines are every point's median.")]
    for index, name in enumerate(series["series"].unique(maintain_order=True).to_list()):
        parts.append(figure(_band_figure(name, series.filter(pl.col("series") == name)),
                            f"band-{index}", height=420))
    return section("bands", "Over time", *parts)


def _band_figure(name: str, rows: pl.DataFrame) -> go.Figure:
    """Every point's median faintly, and one point's band and median chosen from a menu."""
    points = rows["point"].unique().sort().to_list()
    by_point = {p: rows.filter(pl.col("point") == p).sort("day") for p in points}
    traces: list[go.Scatter] = [
        go.Scatter(x=r["day"].to_list(), y=r["p50"].to_list(), mode="lines", hoverinfo="skip",
                   line={"width": 1, "color": "rgba(91,100,115,0.25)"}, showlegend=False)
        for r in by_point.values()]
    for shown, (point, r) in enumerate(by_point.items()):
        day = r["day"].to_list()
        traces += [
            go.Scatter(x=day, y=r["p95"].to_list(), mode="lines", line={"width": 0},
                       showlegend=False, visible=shown == 0, name=f"point {point} 95th"),
            go.Scatter(x=day, y=r["p05"].to_list(), mode="lines", line={"width": 0},
                       fill="tonexty", fillcolor=BAND_COLOUR, visible=shown == 0,
                       name="5-95% over replicates"),
            go.Scatter(x=day, y=r["p50"].to_list(), mode="lines", visible=shown == 0,
                       line={"color": LINE_COLOUR, "width": 2}, name=f"point {point} median"),
        ]
    faint = [True] * len(points)
    buttons = []
    for shown, point in enumerate(points):
        visible = faint + [i // 3 == shown for i in range(3 * len(points))]
        buttons.append({"label": f"point {point}", "method": "update",
                        "args": [{"visible": visible}]})
    fig = go.Figure(traces)
    fig.update_layout(title=f"{name} by day", xaxis_title="day", yaxis_title=name,
                      hovermode="x unified", legend={"orientation": "h", "y": -0.2},
                      updatemenus=[{"buttons": buttons, "x": 1.0, "xanchor": "right", "y": 1.18,
                                    "active": 0}])
    return fig


def _differences_section(tables: _Tables, differences: pl.DataFrame) -> Html:
    replicates = int(tables.results.group_by("point").len()["len"].min() or 0)
    if differences.height == 0:
        return section("differences", "Paired differences", paragraph(
            "The design has one point: there is nothing to compare."))
    parts: list[object] = [paragraph(
        "Each point minus point 0, replicate by replicate (the same seeds), so the noise the "
        "two share cancels: the mean difference with its 95% interval (Student t over "
        "replicates) and the share of seeds in which the point is above point 0. "
        "differences.parquet holds every row.")]
    if replicates < 2:
        parts.append(paragraph("With one replicate per point there is no interval: ask for "
                               "replicates = 2 or more.", note=True))
    drawn = 0
    for output in tables.outputs:
        rows = differences.filter(pl.col("output") == output)
        if rows["mean"].is_nan().all():
            continue
        largest = rows.sort(pl.col("mean").abs(), descending=True, nulls_last=True).head(
            MOST_DIFFERENCE_ROWS).sort("point")
        parts.append(tag("h3", output))
        parts.append(table(
            ["point", "minus point 0", "95% interval", "share of seeds above", "seeds"],
            [[str(r["point"]), f"{r['mean']:,.4g}", _interval(r["low"], r["high"]),
              percent(r["share_above"], 0), str(r["n"])]
             for r in largest.iter_rows(named=True)], numeric=[0, 1, 3, 4],
            flagged=[_excludes_zero(r["low"], r["high"]) for r in largest.iter_rows(named=True)]))
        if drawn < MOST_FIGURES:
            parts.append(figure(_difference_dots(output, rows), f"difference-{drawn}",
                                height=320))
            drawn += 1
    return section("differences", "Paired differences against point 0", *parts)


def _difference_dots(output: str, rows: pl.DataFrame) -> go.Figure:
    mean, low, high = (rows[c].to_list() for c in ("mean", "low", "high"))
    fig = go.Figure(go.Scatter(
        x=rows["point"].to_list(), y=mean, mode="markers", marker={"color": LINE_COLOUR},
        error_y={"type": "data", "symmetric": False,
                 "array": [_gap(h, m) for h, m in zip(high, mean, strict=True)],
                 "arrayminus": [_gap(m, lo) for m, lo in zip(mean, low, strict=True)]},
        name="point minus point 0"))
    fig.add_hline(y=0.0, line_dash="dot", line_color="#5b6473")
    fig.update_layout(title=f"{output}: each point minus point 0, with 95% intervals",
                      xaxis_title="design point", yaxis_title="difference", showlegend=False)
    return fig


def _gap(a: float | None, b: float | None) -> float:
    """The length ``a - b`` of an error bar; 0 where either end is missing."""
    if a is None or b is None or math.isnan(a) or math.isnan(b):
        return 0.0
    return a - b


def _excludes_zero(low: float, high: float) -> bool:
    return not (math.isnan(low) or math.isnan(high)) and (low > 0 or high < 0)


def _interval(low: float, high: float) -> str:
    if math.isnan(low) or math.isnan(high):
        return "–"
    return f"{low:,.4g} to {high:,.4g}"


def _short(value: float | None) -> str:
    """A headline number in four significant figures; a dash when missing."""
    if value is None or math.isnan(value):
        return "–"
    return f"{value:,.4g}"


def _plain(value: float) -> str:
    """A factor's value as its file would hold it: whole numbers in full.

    >>> _plain(176_000_000.0), _plain(0.0001), _plain(2.5)
    ('176,000,000', '0.0001', '2.5')
    """
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:.6g}"
