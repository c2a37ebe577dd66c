"""``scorelab calibrate``: parse, call ``scorelab.calibrate``, print the fit table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Group
from rich.table import Table

import scorelab
from scorelab.calibration import CalibrationResult
from scorelab.calibration._fit import Evaluation
from scorelab.cli._app import _fails_cleanly, app, err, stdout


@app.command()
@_fails_cleanly
def calibrate(
    scenario: Annotated[str, typer.Argument(help="scenario file with a calibration table")],
    targets: Annotated[Path, typer.Option(help="CSV of date,metric,value targets")],
    out: Annotated[Path, typer.Option(help="folder to write")],
    policy: Annotated[str | None, typer.Option(help="policy; default: the scenario's")] = None,
    citizens: Annotated[int | None, typer.Option(help="simulated citizens")] = None,
    seed: Annotated[int | None, typer.Option(
        help="seed of every simulation, 0 to 2**63-1")] = None,
    max_evaluations: Annotated[int | None, typer.Option(help="simulation budget")] = None,
    workers: Annotated[int, typer.Option(help="local worker processes")] = 1,
    force: Annotated[bool, typer.Option(help="replace a non-empty --out")] = False,
) -> None:
    """Fit the scenario's free parameters to published figures; write the fit and forecast."""

    def progress(evaluation: Evaluation) -> None:
        values = ", ".join(f"{_short(k)}={v:.4g}" for k, v in evaluation.values.items())
        err.print(f"simulation {evaluation.number}: objective {evaluation.objective:.4g} "
                  f"({values})", highlight=False, soft_wrap=True)

    result = scorelab.calibrate(scenario, targets=targets, out=out, policy=policy,
                                citizens=citizens, seed=seed, max_evaluations=max_evaluations,
                                workers=workers, force=force, progress=progress)
    stdout.print(render_calibration(result))


def render_calibration(result: CalibrationResult) -> Group:
    """The fitted parameters and the fit table, for the terminal."""
    parameters = Table("parameter", "start", "fitted", box=None,
                       title=f"{result.evaluations} simulations, objective "
                             f"{result.start_objective:.4g} -> {result.objective:.4g}")
    for key, value in result.parameters.items():
        parameters.add_row(key, f"{result.start[key]:.4g}", f"{value:.4g}")
    fit = Table("date", "metric", "bound", "target", "simulated", "ratio", box=None,
                title=f"written to {result.folder}")
    for row in result.fit:
        fit.add_row(row.date.isoformat(), row.metric, row.bound, f"{row.target:,.0f}",
                    f"{row.simulated:,.0f}", f"{row.ratio:.3f}")
    return Group(parameters, fit)


def _short(key: str) -> str:
    """A parameter's name in progress lines: its last part, with the owner for a date.

    >>> _short("compliance.rate_per_year"), _short("services.flight.attempts_per_year.2018-01-01")
    ('rate_per_year', 'flight@2018-01-01')
    """
    parts = key.split(".")
    return f"{parts[-3]}@{parts[-1]}" if parts[-1][:1].isdigit() and len(parts) >= 3 else parts[-1]
