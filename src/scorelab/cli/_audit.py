"""The audit commands: ``scorelab report DIR`` and ``scorelab compare DIR_A DIR_B``.

Registered on the application of :mod:`scorelab.cli._app` when this module is
imported; each command parses, calls the public function of the same name,
prints, and exits 2 on scorelab's own errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import scorelab
from scorelab.cli._app import _fails_cleanly, app, stdout
from scorelab.cli._render import render_comparison


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
) -> None:
    """Compare two runs: print the measures that differ and write an HTML comparison."""
    stdout.print(render_comparison(scorelab.compare(run_a, run_b, out=out)))
