"""``scorelab compare A B``: two runs measured side by side, as a page people can read.

Data flow::

    run A, run B --compare_runs--> Comparison (inputs, measures)
        [with replicates: --replicate--> every measure over R common seeds (_replicates)]
                 --comparison_page--> a self-contained HTML page: what differs in the
                   inputs, every measure that differs, and charts of A against B
                   (events per 100,000 citizens, over time, by behaviour, disparities);
                   with replicates, the differences over the seeds with 95% intervals
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path

import plotly.graph_objects as go
import polars as pl

from scorelab._errors import RunRefusedError
from scorelab._owned import check_page_replaceable
from scorelab._run_folder import write_atomically
from scorelab.audit import (
    FAIR_HIGH,
    FAIR_LOW,
    PER_CITIZENS,
    Comparison,
    ComparisonRow,
    compare_runs,
)
from scorelab.reporting import _charts as charts
from scorelab.reporting._data import cumulative
from scorelab.reporting._html import Html, figure, page, paragraph, section, table
from scorelab.reporting._replicates import ComparisonProgress, replicate, scratch_of

#: Per-day events drawn over time (cumulated, per 100,000 citizens) when either run has them.
TIME_MEASURES = {"denied": "service denials", "wrongful_records": "wrongful records",
                 "wrongful_denied": "denials only because of a false record",
                 "shamed": "shown on public screens", "wrongful_shamed": "shown for a false match"}
#: The units of differences over seeds, one chart each (their scales do not mix).
DIFFERENCE_CHARTS = {"per 100k": f"events per {PER_CITIZENS:,} citizens",
                     "share": "shares of people (percentage points)", "points": "points",
                     "yuan": "yuan per person", "change": "change against no policy",
                     "ratio": "disparity ratios"}


def compare(
    run_a: str | Path,
    run_b: str | Path,
    *,
    out: str | Path | None = None,
    replicates: int | None = None,
    workers: int = 1,
    progress: Callable[[ComparisonProgress], None] | None = None,
) -> Comparison:
    """Compare two finished runs: print-ready measures and an HTML page (``scorelab compare``).

    Args:
        run_a: the first run folder (A).
        run_b: the second run folder (B); differences read B minus A.
        out: the HTML file to write; None writes ``compare-<A>-vs-<B>.html`` beside run A.
        replicates: also run A's and B's own inputs (their policy, scenario, size and
            options) again on this many common seeds, replicate r on
            ``replicate_seed(A's seed, r)`` for both, and measure every difference over
            them (``Comparison.replicated``): 2 R simulations, in a hidden scratch folder
            beside the page that is removed when the comparison ends. At least 2.
        workers: worker processes for the replicates, each running one simulation at a
            time; a simulation above ``SMALL_RUN`` citizens runs on all of them in chunks.
        progress: called with a :class:`ComparisonProgress` after each replicate's simulation.

    Returns:
        The comparison, with ``out`` set to the page written.

    Raises:
        RunFolderError: a folder is missing or not a complete run.
        RunRefusedError: ``out`` is a folder, its folder does not exist, it is a file
            scorelab did not write (a run's manifest, say), or it cannot be written
            (checked before the runs are read, where it can be); fewer than 2
            replicates; replicates that would not fit here or take more than a week.
        RunInterruptedError: the replicates were stopped (Ctrl-C); nothing is left of them.
    """
    if replicates is not None and replicates < 2:
        raise RunRefusedError(f"--replicates must be at least 2, got {replicates}: a 95% "
                              "interval needs two seeds (leave it out to compare the two "
                              "runs as they are)")
    if workers < 1:
        raise RunRefusedError(f"--workers must be at least 1, got {workers}")
    path = Path(out) if out is not None else (
        Path(run_a).resolve().parent / f"compare-{Path(run_a).name}-vs-{Path(run_b).name}.html")
    check_page_replaceable(path)  # a folder, a missing folder, a file scorelab did not write
    comparison = compare_runs(run_a, run_b)
    if replicates is not None:
        comparison = replicate(comparison, replicates, scratch=scratch_of(path.resolve()),
                               workers=workers, progress=progress)
    html = comparison_page(comparison)
    try:
        write_atomically(path, lambda tmp: tmp.write_text(html, encoding="utf-8"))
    except OSError as exc:
        raise RunRefusedError(f"--out {path}: cannot write it ({exc.strerror or exc})") from None
    return dataclasses.replace(comparison, out=path)


def comparison_page(comparison: Comparison) -> str:
    """The whole comparison page as a string."""
    name_a, name_b = comparison.labels
    inputs = table(["input", "A", "B"], [list(row) for row in comparison.inputs],
                   flagged=[a != b for _, a, b in comparison.inputs])
    differences = comparison.differences()
    rows = [[r.section, r.measure, r.unit, *r.cells()] for r in differences]
    measures = table(["section", "measure", "unit", "A", "B", "B − A", "change"], rows,
                     numeric=[3, 4, 5, 6])
    equal = len(comparison.rows) - len(differences)
    body = [
        section("inputs", "What differs in the inputs",
                paragraph(f"A: {name_a}. B: {name_b}. Rows in red differ."), inputs),
        section("measures", "Measures that differ", paragraph(
            f"Events per {PER_CITIZENS:,} citizens, so runs of different sizes compare; "
            f"shares are of people; ratios are to each run's reference group. {equal} other "
            "measures are equal in both runs."), measures),
        section("charts", "A against B", *_charts(comparison)),
    ]
    subtitle = [f"A: {name_a}", f"B: {name_b}"]
    nav = [("inputs", "Inputs"), ("measures", "Measures"), ("charts", "Charts")]
    if comparison.seeds:
        seeds = len(comparison.seeds)
        body.insert(2, section("seeds", f"Over {seeds} seeds", *_replicated(comparison)))
        nav.insert(2, ("seeds", f"Over {seeds} seeds"))
    return page("scorelab comparison", subtitle, nav, body)


def _replicated(comparison: Comparison) -> list[Html]:
    """The measures over the common seeds: a sentence, the table, the differences drawn."""
    seeds = len(comparison.seeds)
    differences = comparison.replicated_differences()
    rows = [[r.section, r.measure, r.unit, *r.cells(), str(r.difference.n)] for r in differences]
    parts: list[Html] = [paragraph(
        f"A's inputs and B's inputs (policy, scenario, size, options) run again on the same "
        f"{seeds} seeds, derived from A's seed {comparison.manifest_a['seed']} (common random "
        "numbers: seed-to-seed noise cancels in each seed's B − A). B − A is the mean over the "
        "seeds with a Student-t 95% interval; rows in red have an interval that excludes 0. "
        "“B > A” is the share of seeds in which B is above A. "
        f"{len(comparison.replicated) - len(differences)} other measures are equal on every "
        "seed."),
        table(["section", "measure", "unit", "A (mean)", "B (mean)", "B − A", "95% interval",
               "B > A", "seeds"], rows, numeric=[3, 4, 5, 6, 7, 8],
              flagged=[r.difference.excludes_zero for r in differences])]
    for unit, title in DIFFERENCE_CHARTS.items():
        drawn = [r for r in differences if r.unit == unit and not math.isnan(r.difference.mean)]
        if drawn:
            fig = charts.differences(
                f"B − A over the seeds: {title}", [r.measure for r in drawn],
                [r.difference.mean for r in drawn], [r.difference.low for r in drawn],
                [r.difference.high for r in drawn],
                [r.difference.excludes_zero for r in drawn], percent=unit in ("share", "change"))
            parts.append(figure(fig, f"seeds-{unit.replace(' ', '-')}",
                                height=charts.figure_height(len(drawn))))
    if not differences:
        parts.append(paragraph(f"No measure differs on any of the {seeds} seeds."))
    return parts



def _charts(comparison: Comparison) -> list[Html]:
    """Charts of A against B; a sentence when there is nothing to draw."""
    parts: list[Html] = []
    events = [r for r in comparison.rows if r.unit.startswith("per ")
              and r.section in ("lists", "sanctions", "wrongful") and (r.a > 0 or r.b > 0)]
    if events:
        fig = charts.bars(f"Events per {PER_CITIZENS:,} citizens", [r.measure for r in events],
                          {"A": [r.a for r in events], "B": [r.b for r in events]},
                          y_title=f"per {PER_CITIZENS:,} citizens")
        fig.update_yaxes(type="log")
        parts.append(figure(fig, "events", height=460))
    for metric, title in TIME_MEASURES.items():
        series = {name: _cumulated(audit, manifest, metric) for name, audit, manifest in
                  (("A", comparison.audit_a, comparison.manifest_a),
                   ("B", comparison.audit_b, comparison.manifest_b))}
        if any(values and values[1][-1] > 0 for values in series.values()):
            fig = go.Figure([go.Scatter(x=dates, y=values, mode="lines", name=name)
                             for name, (dates, values) in series.items()])
            fig.update_layout(title=f"{title.capitalize()} per {PER_CITIZENS:,} citizens, "
                              "cumulated", hovermode="x unified")
            parts.append(figure(fig, f"time-{metric}"))
    acts = [r for r in comparison.rows if r.measure.startswith("acts: ")]
    records = [comparison.row(r.measure.replace("acts: ", "records: ")) for r in acts]
    if acts:
        parts.append(figure(charts.bars(
            f"Acts and records per {PER_CITIZENS:,} citizens, by behaviour the policies act on",
            [r.measure.removeprefix("acts: ") for r in acts],
            {"acts A": [r.a for r in acts], "acts B": [r.b for r in acts],
             "records A": [r.a for r in records], "records B": [r.b for r in records]}),
            "acts"))
    ratios = [r for r in comparison.rows if r.unit == "ratio" and r.differs]
    if ratios:
        parts.append(figure(_ratio_pairs(ratios), "disparities",
                            height=charts.figure_height(len(ratios))))
    if not parts:
        parts.append(paragraph("Nothing happened in either run that can be drawn."))
    return parts


def _cumulated(audit: pl.DataFrame, manifest: dict, metric: str) -> tuple[list, list[float]]:
    """(dates, cumulative count per 100,000 citizens) of a per-day metric for everyone."""
    rows = audit.filter((pl.col("metric") == metric) & (pl.col("dimension") == "all")
                        & pl.col("day").is_not_null()).sort("day")
    if rows.height == 0:
        return [], []
    start = dt.date.fromisoformat(manifest["scenario"]["start_date"])
    dates = [start + dt.timedelta(days=int(d)) for d in rows["day"]]
    scale = PER_CITIZENS / float(rows["population"][0])
    return dates, [v * scale for v in cumulative(rows["value"].to_list())]


def _ratio_pairs(rows: list[ComparisonRow]) -> go.Figure:
    """Disparity ratios of A and B side by side, log axis, the fair band shaded."""
    labels = [r.measure.replace(" ratio: ", ": ") for r in rows]

    def drawable(value: float) -> float | None:  # a log axis cannot show 0 or a missing ratio
        return value if value > 0 else None

    fig = go.Figure([
        go.Scatter(x=[drawable(r.a) for r in rows], y=labels, mode="markers", name="A",
                   marker={"size": 9, "symbol": "circle"}),
        go.Scatter(x=[drawable(r.b) for r in rows], y=labels, mode="markers", name="B",
                   marker={"size": 9, "symbol": "diamond"}),
    ])
    fig.add_vrect(x0=FAIR_LOW, x1=FAIR_HIGH, fillcolor="rgba(27,127,59,0.12)", line_width=0)
    fig.update_layout(title="Disparities that differ: ratio to the reference group",
                      xaxis_title="ratio (log scale)")
    fig.update_xaxes(type="log")
    fig.update_yaxes(autorange="reversed")
    return fig
