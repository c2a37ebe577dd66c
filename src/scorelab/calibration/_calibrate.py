"""The public ``calibrate`` function and its result; mirrors ``scorelab calibrate``.

Data flow::

    calibrate(scenario, targets=, out=) --prepare--> scenario, policy, targets (checked)
        --fit (Nelder-Mead over simulations)--> start and best evaluations
        --> out/: scenario.toml (fitted), fit.csv, forecast.csv, fit.html, calibration.json

The folder is written beside ``out`` under a temporary name and renamed into
place at the end, so an interrupted calibration leaves no half-written result.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scorelab._owned import remove_owned, writing
from scorelab.calibration._fit import Evaluation, Problem, fit, prepare, scratch_folder
from scorelab.calibration._objective import ParameterSpace
from scorelab.calibration._outputs import (
    FitRow,
    fit_rows,
    fitted_header,
    forecast_rows,
    write_csvs,
    write_html,
    write_summary,
)


@dataclass(frozen=True)
class CalibrationResult:
    """A finished calibration.

    Attributes:
        folder: the output folder.
        scenario: the fitted scenario file (``folder/scenario.toml``).
        parameters: dotted key -> fitted value.
        start: dotted key -> the scenario's own value (the optimiser's start).
        objective: sum of squared log-ratio residuals at the fitted values.
        start_objective: the same at the start values.
        evaluations: simulations run.
        fit: each target against the fitted simulation.
    """

    folder: Path
    scenario: Path
    parameters: dict[str, float]
    start: dict[str, float]
    objective: float
    start_objective: float
    evaluations: int
    fit: tuple[FitRow, ...]


def calibrate(
    scenario: str | Path,
    *,
    targets: str | Path,
    out: str | Path,
    policy: str | Path | None = None,
    citizens: int | None = None,
    seed: int | None = None,
    max_evaluations: int | None = None,
    workers: int = 1,
    force: bool = False,
    progress: Callable[[Evaluation], None] | None = None,
) -> CalibrationResult:
    """Fit a scenario's free parameters to published figures, and forecast with them.

    Args:
        scenario: a scenario file (or shipped name) with a ``[calibration]`` table.
        targets: a CSV file of ``date,metric,value`` rows (see ``load_targets``).
        out: the folder to write.
        policy: the policy to simulate; default: ``[calibration] policy``.
        citizens: simulated citizens, overriding the scenario (the weight follows).
        seed: the seed of every simulation (common random numbers), overriding the scenario.
        max_evaluations: simulation budget; default ``[calibration] max_evaluations``.
        workers: local worker processes per simulation.
        force: replace a non-empty ``out``.
        progress: called after each simulation with its :class:`Evaluation`.

    Returns:
        The fitted values, the objective and the fit table; the files are in ``out``.

    Raises:
        ScenarioError: the scenario is invalid or has no ``[calibration]`` table.
        TargetsError: the targets file is invalid, or a target lies after the last day.
        RunRefusedError: ``out`` is not empty and ``force`` is not set.
    """
    text, loaded, loaded_policy, rows = prepare(scenario, targets=targets, policy=policy,
                                                citizens=citizens, seed=seed)
    calibration = loaded.scenario.calibration
    assert calibration is not None  # checked by prepare
    out = Path(out).resolve()
    with writing(out):
        return _calibrate_into(out, force, text=text, loaded=loaded, policy=loaded_policy,
                               rows=rows, calibration=calibration, targets=Path(targets),
                               citizens=citizens, seed=seed, workers=workers,
                               progress=progress, max_evaluations=max_evaluations)


def _calibrate_into(out: Path, force: bool, *, text, loaded, policy, rows, calibration,
                    targets: Path, citizens, seed, workers, progress,
                    max_evaluations) -> CalibrationResult:
    """Fit in a hidden folder beside ``out`` (locked by the caller), then rename it into place."""
    staging = scratch_folder(out, force)
    try:
        problem = Problem(text=text, loaded=loaded, policy=policy, targets=rows,
                          space=ParameterSpace(calibration.parameters), scratch=staging,
                          citizens=citizens, seed=seed, workers=workers, progress=progress)
        budget = max_evaluations if max_evaluations is not None else calibration.max_evaluations
        first, best, seconds = fit(problem, budget)
        table = fit_rows(problem, first, best)
        header = fitted_header(problem, first, best, targets)
        (staging / "scenario.toml").write_text(header + problem.scenario_text(best.values),
                                               encoding="utf-8")
        write_csvs(staging, table, forecast_rows(best.series, problem.weight))
        write_html(staging / "fit.html", problem, table, first, best)
        write_summary(staging, problem, first, best, seconds, targets)
        if out.is_dir() and any(out.iterdir()):
            remove_owned(out, "calibration")
        elif out.is_dir():
            out.rmdir()
        staging.rename(out)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return CalibrationResult(
        folder=out, scenario=out / "scenario.toml",
        parameters=dict(best.values), start=dict(first.values), objective=best.objective,
        start_objective=first.objective, evaluations=len(problem.history), fit=tuple(table))
