"""What a calibration writes: fitted scenario, fit.csv, forecast.csv, fit.html, calibration.json.

Data flow::

    Problem + start and best Evaluation --> fit rows (target against simulated)
                                        --> forecast rows (every month-end, scaled)
    rows --csv--> fit.csv, forecast.csv;  rows --plotly--> fit.html (self-contained)
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
from scorelab.calibration._fit import Evaluation, Problem
from scorelab.calibration._metrics import FORECAST_METRICS, DailySeries, month_ends


@dataclass(frozen=True)
class FitRow:
    """One target against the fitted simulation (figures for the real population)."""

    date: dt.date
    metric: str
    bound: str
    target: float
    simulated: float
    ratio: float
    start: float
    source: str


def fit_rows(problem: Problem, first: Evaluation, best: Evaluation) -> list[FitRow]:
    """Each target with its simulated value at the fitted and at the start parameters."""
    return [FitRow(t.date, t.metric, t.bound, t.value, float(best.simulated[i]),
                   float(best.simulated[i] / t.value), float(first.simulated[i]), t.source)
            for i, t in enumerate(problem.targets)]


def forecast_rows(series: DailySeries, weight: float,
                  metrics: Iterable[str] = FORECAST_METRICS) -> list[tuple[dt.date, str, float]]:
    """(month-end, metric, scaled value) from January of the first simulated year on."""
    ends = month_ends(series.start, series.last)
    return [(day, metric, series.value(metric, day) * weight)
            for metric in metrics for day in ends]


def write_csvs(folder: Path, fit: list[FitRow], forecast: list[tuple[dt.date, str, float]]) -> None:
    """Write fit.csv and forecast.csv (whole numbers of people and purchases)."""
    with (folder / "fit.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["date", "metric", "bound", "target", "simulated", "ratio",
                         "simulated_at_start", "source"])
        for r in fit:
            writer.writerow([r.date.isoformat(), r.metric, r.bound, round(r.target),
                             round(r.simulated), f"{r.ratio:.4f}", round(r.start), r.source])
    with (folder / "forecast.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["date", "metric", "value"])
        for day, metric, value in forecast:
            writer.writerow([day.isoformat(), metric, round(value)])


def write_summary(folder: Path, problem: Problem, first: Evaluation, best: Evaluation,
                  seconds: float, targets: Path) -> None:
    """calibration.json: parameters (range, start, fitted), objectives, budget, provenance."""
    meta = problem.loaded.scenario.scenario
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
             "start": first.values[p.key], "fitted": best.values[p.key]}
            for p in problem.space.parameters],
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
               best: Evaluation) -> None:
    """fit.html: one panel per metric (fitted and start forecasts, targets), and the tables."""
    metrics = list(dict.fromkeys([*FORECAST_METRICS, *(r.metric for r in fit)]))
    figure = make_subplots(rows=(len(metrics) + 1) // 2, cols=2, subplot_titles=metrics,
                           vertical_spacing=0.08)
    for i, metric in enumerate(metrics):
        row, col = i // 2 + 1, i % 2 + 1
        for evaluation, name, style in ((first, "start values", "dash"),
                                        (best, "fitted", "solid")):
            rows = forecast_rows(evaluation.series, problem.weight, [metric])
            figure.add_trace(go.Scatter(
                x=[d for d, _, _ in rows], y=[v for _, _, v in rows], name=name,
                legendgroup=name, showlegend=i == 0, mode="lines",
                line={"dash": style, "color": "#888" if style == "dash" else "#1f77b4"}),
                row=row, col=col)
        shown = [r for r in fit if r.metric == metric]
        if shown:
            figure.add_trace(go.Scatter(
                x=[r.date for r in shown], y=[r.target for r in shown], mode="markers",
                name="published", legendgroup="published", showlegend=i == 0,
                marker={"size": 10, "color": "#d62728",
                        "symbol": ["triangle-up" if r.bound == "lower" else "triangle-down"
                                   if r.bound == "upper" else "circle" for r in shown]},
                text=[r.source for r in shown]), row=row, col=col)
    figure.update_layout(height=330 * ((len(metrics) + 1) // 2), width=1100,
                         title="Calibration: published figures against the simulation "
                               "(scaled to the real population)")
    page = ["<!doctype html><html><head><meta charset='utf-8'><title>scorelab calibration"
            "</title></head><body style='font-family:sans-serif'>",
            figure.to_html(full_html=False, include_plotlyjs=True),
            _table(["parameter", "low", "high", "start", "fitted"],
                   [[p.key, p.low, p.high, f"{first.values[p.key]:.6g}",
                     f"{best.values[p.key]:.6g}"] for p in problem.space.parameters]),
            _table(list(asdict(fit[0])) if fit else [],
                   [[r.date, r.metric, r.bound, f"{r.target:,.0f}", f"{r.simulated:,.0f}",
                     f"{r.ratio:.3f}", f"{r.start:,.0f}", r.source] for r in fit]),
            "</body></html>"]
    path.write_text("\n".join(page), encoding="utf-8")


def _table(header: list[str], rows: list[list[object]]) -> str:
    """A plain HTML table, every cell escaped."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table border='1' cellpadding='4' style='border-collapse:collapse;margin:1em'>" \
           f"<tr>{head}</tr>{body}</table>"
