"""``scorelab experiment``: parse, call ``scorelab.experiment``, show progress, print a summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

import scorelab
from scorelab.cli._app import _fails_cleanly, app, err, stdout
from scorelab.cli._long_run import say_if_compiling
from scorelab.cli._render import render_experiment, table
from scorelab.experiments import ExperimentProgress, catalogue


@app.command()
@_fails_cleanly
def experiment(
    path: Annotated[Path | None, typer.Argument(help="experiment file (TOML)")] = None,
    out: Annotated[Path | None, typer.Option(
        help="experiment folder (default: runs/EXPERIMENT, named after the file)")] = None,
    resume: Annotated[Path | None, typer.Option(help="continue a stopped experiment")] = None,
    citizens: Annotated[int | None, typer.Option(help="population size")] = None,
    days: Annotated[int | None, typer.Option(help="days to simulate")] = None,
    replicates: Annotated[int | None, typer.Option(help="seeds per design point")] = None,
    samples: Annotated[int | None, typer.Option(help="base samples of lhs/sobol/morris")] = None,
    workers: Annotated[int, typer.Option(help="worker processes (or local Ray CPUs)")] = 1,
    backend: Annotated[str, typer.Option(help="local (process pool) or ray")] = "local",
    ray_address: Annotated[str | None, typer.Option(help="Ray cluster to join")] = None,
    keep_runs: Annotated[bool, typer.Option(help="keep every simulation's run folder")] = False,
    force: Annotated[bool, typer.Option(help="replace an earlier experiment at --out")] = False,
    list_outputs: Annotated[bool, typer.Option(
        help="print the outputs an experiment can ask for, and exit")] = False,
) -> None:
    """Run many simulations from one file: a design, replicates, sensitivity."""
    if list_outputs:
        rows = table("output", "what it is")
        for name, meaning in catalogue():
            rows.add_row(name, meaning)
        stdout.print(rows)
        return
    say_if_compiling(err, backend=backend)
    columns = (TextColumn("[bold]simulations"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("simulations", total=None)

        def progress(event: ExperimentProgress) -> None:
            bar.update(task, completed=event.done, total=event.total)

        result = scorelab.experiment(path, out=out, resume=resume, citizens=citizens, days=days,
                                     replicates=replicates, samples=samples, workers=workers,
                                     backend=backend, ray_address=ray_address,
                                     keep_runs=keep_runs, force=force, progress=progress)
    stdout.print(render_experiment(result))
