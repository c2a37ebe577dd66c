"""``scorelab calibrate``: parse, call ``scorelab.calibrate``, print the fit table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import scorelab
from scorelab.calibration import Evaluation
from scorelab.cli._app import _fails_cleanly, app, err, stdout
from scorelab.cli._render import render_calibration


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
    max_evaluations: Annotated[int | None, typer.Option(
        help="simulation budget of the search; 1: the scenario's values, no search")] = None,
    replicates: Annotated[int, typer.Option(
        help="simulations of the 90% forecast band (seeds and parameter draws), at least 2")
    ] = 20,
    workers: Annotated[int, typer.Option(help="local worker processes")] = 1,
    force: Annotated[bool, typer.Option(help="replace a non-empty --out")] = False,
) -> None:
    """Fit the scenario's free parameters to published figures; write the fit and forecast."""

    def progress(evaluation: Evaluation) -> None:
        values = ", ".join(f"{_short(k)}={v:.4g}" for k, v in evaluation.values.items())
        label = (f"simulation {evaluation.number}" if evaluation.stage == "search" else
                 f"{evaluation.stage} simulation {evaluation.number}/{evaluation.of}")
        err.print(f"{label}: objective {evaluation.objective:.4g} ({values})",
                  highlight=False, soft_wrap=True)

    result = scorelab.calibrate(scenario, targets=targets, out=out, policy=policy,
                                citizens=citizens, seed=seed, max_evaluations=max_evaluations,
                                replicates=replicates, workers=workers, force=force,
                                progress=progress)
    stdout.print(render_calibration(result))


def _short(key: str) -> str:
    """A parameter's name in progress lines: its last part, with the owner for a date.

    >>> _short("compliance.rate_per_year"), _short("services.flight.attempts_per_year.2018-01-01")
    ('rate_per_year', 'flight@2018-01-01')
    """
    parts = key.split(".")
    return f"{parts[-3]}@{parts[-1]}" if parts[-1][:1].isdigit() and len(parts) >= 3 else parts[-1]
