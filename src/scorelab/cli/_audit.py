"""The audit commands: ``scorelab report DIR`` and ``scorelab compare DIR_A DIR_B``.

Registered on the application of :mod:`scorelab.cli._app` when this module is
imported; each command parses, calls the public function of the same name,
prints, and exits 2 on scorelab's own errors. ``compare --replicates`` draws a
progress bar over its simulations on stderr, as ``scorelab experiment`` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

import scorelab
from scorelab.cli._app import _fails_cleanly, app, err, stdout
from scorelab.cli._long_run import say_if_compiling
from scorelab.cli._render import render_comparison
from scorelab.reporting import ComparisonProgress


@app.command()
@_fails_cleanly
def report(
    folder: Annotated[Path, typer.Argument(help="a finished run folder")],
    by: Annotated[list[str] | None, typer.Option(
        help="a combination of dimensions to audit, such as sex+age_band (repeatable; "
             "default sex+age_band)")] = None,
) -> None:
    """Write the run's audit table (audit.parquet) and HTML report (report.html)."""
    for path in scorelab.report(folder, by=by):
        stdout.print(f"wrote {path}", markup=False, highlight=False, soft_wrap=True)


@app.command()
@_fails_cleanly
def compare(
    run_a: Annotated[Path, typer.Argument(help="the first run folder (A)")],
    run_b: Annotated[Path, typer.Argument(help="the second run folder (B)")],
    out: Annotated[Path | None, typer.Option(
        help="HTML page to write (default: compare-A-vs-B.html beside A)")] = None,
    replicates: Annotated[int | None, typer.Option(
        help="also run both runs' inputs on this many common seeds (at least 2): each "
             "difference with its 95% interval")] = None,
    workers: Annotated[int, typer.Option(help="worker processes for the replicates")] = 1,
) -> None:
    """Compare two runs: print the measures that differ and write an HTML comparison."""
    if replicates is None:
        stdout.print(render_comparison(scorelab.compare(run_a, run_b, out=out)))
        return
    if replicates >= 2:
        say_if_compiling(err, backend="local")
    columns = (TextColumn("[bold]simulations"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("simulations", total=2 * replicates)

        def progress(event: ComparisonProgress) -> None:
            bar.update(task, completed=event.done, total=event.total)

        comparison = scorelab.compare(run_a, run_b, out=out, replicates=replicates,
                                      workers=workers, progress=progress)
    stdout.print(render_comparison(comparison))
