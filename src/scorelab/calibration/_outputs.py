"""What a calibration writes: fitted scenario, fit.csv, forecast.csv, fit.html, calibration.json.

Data flow::

    Problem + start and best Evaluation + Band --> fit rows (target against simulated, band)
                                               --> forecast rows (every month-end, scaled)
    rows + Band --csv--> fit.csv, forecast.csv (value, lower, upper)
    rows + Band --plotly--> fit.html (self-contained);  Curvature, Band --> calibration.json
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from scorelab._version import __version__
from scorelab.calibration._band import PERCENTILES, STEP, Band, Curvature, parameter_spread
from scorelab.calibration._fit import Evaluation, Problem
from scorelab.calibration._metrics import FORECAST_METRICS, DailySeries, month_ends


@dataclass(frozen=True)
class FitRow:
    """One target against the fitted simulation (figures for the real population).

    ``lower`` and ``upper`` are the forecast band at the target (a 90% interval of
    seed noise and parameter uncertainty; docs/calibration.md).
    """

    date: dt.date
    metric: str
    bound: str
    target: float
    simulated: float
    ratio: float
    start: float
    lower: float
    upper: float
    source: str


def fit_rows(problem: Problem, first: Evaluation, best: Evaluation, band: Band) -> list[FitRow]:
    """Each target with its simulated value at the fitted and at the start parameters."""
    return [FitRow(t.date, t.metric, t.bound, t.value, float(best.simulated[i]),
                   float(best.simulated[i] / t.value), float(first.simulated[i]),
                   *band.interval(t.metric, t.date), t.source)
            for i, t in enumerate(problem.targets)]


def forecast_rows(series: DailySeries, weight: float,
                  metrics: Iterable[str] = FORECAST_METRICS) -> list[tuple[dt.date, str, float]]:
    """(month-end, metric, scaled value) from January of the first simulated year on."""
    ends = month_ends(series.start, series.last)
    return [(day, metric, series.value(metric, day) * weight)
            for metric in metrics for day in ends]


def write_csvs(folder: Path, fit: list[FitRow], forecast: list[tuple[dt.date, str, float]],
               band: Band) -> None:
    """Write fit.csv and forecast.csv (whole numbers of people and purchases).

    forecast.csv's ``value`` is the fitted simulation's; ``lower`` and ``upper``
    are the band's 5th and 95th percentiles at the same month-end.
    """
    with (folder / "fit.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["date", "metric", "bound", "target", "simulated", "ratio",
                         "simulated_at_start", "lower", "upper", "source"])
        for r in fit:
            writer.writerow([r.date.isoformat(), r.metric, r.bound, round(r.target),
                             round(r.simulated), f"{r.ratio:.4f}", round(r.start),
                             round(r.lower), round(r.upper), r.source])
    with (folder / "forecast.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["date", "metric", "value", "lower", "upper"])
        for day, metric, value in forecast:
            lower, upper = band.interval(metric, day)
            writer.writerow([day.isoformat(), metric, round(value), round(lower), round(upper)])


def write_summary(folder: Path, problem: Problem, first: Evaluation, best: Evaluation,
                  seconds: float, targets: Path, curvature: Curvature, band: Band) -> None:
    """calibration.json: parameters (range, start, fitted, spread), objectives, band, provenance."""
    meta = problem.loaded.scenario.scenario
    spread = parameter_spread(problem.space, curvature)
    summary = {
        "scorelab_version": __version__,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "scenario": str(problem.loaded.path), "scenario_sha256": problem.loaded.sha256,
        "policy": str(problem.policy.path), "targets": str(targets),
        "citizens": meta.citizens, "represents": meta.represents, "weight": problem.weight,
        "seed": meta.seed, "method": "Nelder-Mead (scipy.optimize.minimize, bounded)",
        "evaluations": len(problem.history), "seconds": round(seconds, 1),
        "objective": {"start": first.objective, "fitted": best.objective},
        "parameters": [
            {"key": p.key, "low": p.low, "high": p.high, "scale": p.scale, "note": p.note,
             "start": first.values[p.key], "fitted": best.values[p.key], **spread[p.key]}
            for p in problem.space.parameters],
        "band": {
            "method": "Gauss-Newton curvature at the fit (one difference per parameter, "
                      "on the fit's seed) with the prior range as a Gaussian of variance "
                      "1/12 per unit-cube axis; replicate r runs on replicate_seed(seed, r) "
                      "at values drawn from N(fit, covariance), clipped into the range",
            "replicates": len(band.seeds), "percentiles": list(PERCENTILES), "step": STEP,
            "steps": curvature.steps.tolist(),
            "informative_targets": int(curvature.informative.sum()),
            "residual_variance": curvature.residual_variance,
            "covariance_unit": curvature.covariance.tolist(), "seeds": list(band.seeds),
            "values": list(band.values)},
        "history": [{"number": e.number, "objective": e.objective, "values": e.values}
                    for e in problem.history],
    }
    (folder / "calibration.json").write_text(json.dumps(summary, indent=1) + "\n")


def fitted_header(problem: Problem, first: Evaluation, best: Evaluation, targets: Path) -> str:
    """Comment lines put at the top of the fitted scenario file."""
    lines = [f"# Fitted by `scorelab calibrate` (scorelab {__version__}, "
             f"{dt.date.today().isoformat()}) to {targets.name}:",
             f"# {len(problem.history)} simulations, objective {first.objective:.4g} at the "
             f"start values, {best.objective:.4g} fitted.",
             *(f"#   {k} = {v:.6g}  (start {first.values[k]:.6g})" for k, v in best.values.items()),
             ""]
    return "\n".join(lines)


def write_html(path: Path, problem: Problem, fit: list[FitRow], first: Evaluation,
               best: Evaluation, curvature: Curvature, band: Band) -> None:
    """fit.html: one panel per metric (band, fitted and start forecasts, targets), the tables."""
    metrics = list(dict.fromkeys([*FORECAST_METRICS, *(r.metric for r in fit)]))
    figure = make_subplots(rows=(len(metrics) + 1) // 2, cols=2, subplot_titles=metrics,
                           vertical_spacing=0.08)
    legend: set[str] = set()  # names already in the legend: each is shown once
    for i, metric in enumerate(metrics):
        _panel(figure, metric, i, problem, [r for r in fit if r.metric == metric],
               (first, best), band, legend)
    figure.update_layout(height=330 * ((len(metrics) + 1) // 2), width=1100,
                         title="Calibration: published figures against the simulation "
                               f"(scaled to the real population); band: 90% of "
                               f"{len(band.seeds)} simulations, seed noise and parameter "
                               "uncertainty")
    spread = parameter_spread(problem.space, curvature)
    page = ["<!doctype html><html><head><meta charset='utf-8'><title>scorelab calibration"
            "</title></head><body style='font-family:sans-serif'>",
            figure.to_html(full_html=False, include_plotlyjs=True),
            _table(["parameter", "low", "high", "start", "fitted", "sd", "90% range"],
                   [[p.key, p.low, p.high, f"{first.values[p.key]:.6g}",
                     f"{best.values[p.key]:.6g}", f"{spread[p.key]['sd']:.3g}",
                     f"{spread[p.key]['low_90']:.4g} - {spread[p.key]['high_90']:.4g}"]
                    for p in problem.space.parameters]),
            _table(list(asdict(fit[0])) if fit else [],
                   [[r.date, r.metric, r.bound, f"{r.target:,.0f}", f"{r.simulated:,.0f}",
                     f"{r.ratio:.3f}", f"{r.start:,.0f}", f"{r.lower:,.0f}", f"{r.upper:,.0f}",
                     r.source] for r in fit]),
            "</body></html>"]
    path.write_text("\n".join(page), encoding="utf-8")


def _panel(figure: go.Figure, metric: str, i: int, problem: Problem, shown: list[FitRow],
           runs: tuple[Evaluation, Evaluation], band: Band, legend: set[str]) -> None:
    """Panel ``i``: the band behind the start and fitted forecasts, the published points."""
    row, col = i // 2 + 1, i % 2 + 1

    def first_time(name: str) -> bool:
        new = name not in legend
        legend.add(name)
        return new

    ends = [day for day, _, _ in forecast_rows(runs[1].series, problem.weight, [metric])]
    intervals = [band.interval(metric, day) for day in ends]
    figure.add_trace(go.Scatter(  # one closed outline: up the upper edge, back the lower
        x=[*ends, *reversed(ends)],
        y=[u for _, u in intervals] + [lo for lo, _ in reversed(intervals)],
        name="90% band", legendgroup="band", showlegend=first_time("90% band"), mode="lines",
        fill="toself", fillcolor="rgba(31,119,180,0.2)", line={"width": 0},
        hoverinfo="skip"), row=row, col=col)
    for evaluation, name, style in zip(runs, ("start values", "fitted"), ("dash", "solid"),
                                       strict=True):
        rows = forecast_rows(evaluation.series, problem.weight, [metric])
        figure.add_trace(go.Scatter(
            x=[d for d, _, _ in rows], y=[v for _, _, v in rows], name=name,
            legendgroup=name, showlegend=first_time(name), mode="lines",
            line={"dash": style, "color": "#888" if style == "dash" else "#1f77b4"}),
            row=row, col=col)
    if shown:
        figure.add_trace(go.Scatter(
            x=[r.date for r in shown], y=[r.target for r in shown], mode="markers",
            name="published", legendgroup="published", showlegend=first_time("published"),
            marker={"size": 10, "color": "#d62728",
                    "symbol": ["triangle-up" if r.bound == "lower" else "triangle-down"
                               if r.bound == "upper" else "circle" for r in shown]},
            text=[r.source for r in shown]), row=row, col=col)


def _table(header: list[str], rows: list[list[object]]) -> str:
    """A plain HTML table, every cell escaped."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table border='1' cellpadding='4' style='border-collapse:collapse;margin:1em'>" \
           f"<tr>{head}</tr>{body}</table>"
