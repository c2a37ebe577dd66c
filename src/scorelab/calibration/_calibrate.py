"""The public ``calibrate`` function and its result; mirrors ``scorelab calibrate``.

Data flow::

    calibrate(scenario, targets=, out=) --prepare--> scenario, policy, targets (checked)
        --fit (Nelder-Mead over simulations)--> start and best evaluations
        --curvature (d simulations)--> covariance --forecast_band (R simulations)--> band
        --> out/: scenario.toml (fitted), fit.csv, forecast.csv, fit.html, calibration.json

The folder is written beside ``out`` under a temporary name and renamed into
place at the end, so an interrupted calibration leaves no half-written result.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scorelab._errors import RunRefusedError
from scorelab._owned import remove_owned, writing
from scorelab.calibration._band import (
    DEFAULT_REPLICATES,
    MIN_REPLICATES,
    curvature,
    forecast_band,
    parameter_spread,
)
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
        evaluations: simulations the search ran (the band's are not counted).
        fit: each target against the fitted simulation, with the band there.
        sd: dotted key -> standard deviation of the fitted value (real units, from
            the fit's curvature; docs/calibration.md).
        replicates: simulations in the forecast band.
    """

    folder: Path
    scenario: Path
    parameters: dict[str, float]
    start: dict[str, float]
    objective: float
    start_objective: float
    evaluations: int
    fit: tuple[FitRow, ...]
    sd: dict[str, float]
    replicates: int


def calibrate(
    scenario: str | Path,
    *,
    targets: str | Path,
    out: str | Path,
    policy: str | Path | None = None,
    citizens: int | None = None,
    seed: int | None = None,
    max_evaluations: int | None = None,
    replicates: int = DEFAULT_REPLICATES,
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
        max_evaluations: simulation budget of the search; default ``[calibration]
            max_evaluations``; 1 simulates the scenario's own values, no search.
        replicates: simulations of the forecast band (at least 2), each on its own
            seed at parameters drawn from the fit's uncertainty; run after the search
            and outside its budget, with one simulation per free parameter before them.
        workers: local worker processes per simulation.
        force: replace a non-empty ``out``.
        progress: called after each simulation with its :class:`Evaluation` (the
            search's, then the band's: see ``Evaluation.stage``).

    Returns:
        The fitted values, the objective and the fit table; the files are in ``out``.

    Raises:
        ScenarioError: the scenario is invalid or has no ``[calibration]`` table.
        TargetsError: the targets file is invalid, or a target lies after the last day.
        RunRefusedError: ``out`` is not empty and ``force`` is not set, or
            ``replicates`` is below 2.
    """
    if replicates < MIN_REPLICATES:
        raise RunRefusedError(f"replicates must be at least {MIN_REPLICATES}, got {replicates}: "
                              "the band's percentiles need several simulations")
    text, loaded, loaded_policy, rows = prepare(scenario, targets=targets, policy=policy,
                                                citizens=citizens, seed=seed)
    calibration = loaded.scenario.calibration
    assert calibration is not None  # checked by prepare
    out = Path(out).resolve()
    with writing(out):
        return _calibrate_into(out, force, text=text, loaded=loaded, policy=loaded_policy,
                               rows=rows, calibration=calibration, targets=Path(targets),
                               citizens=citizens, seed=seed, workers=workers,
                               progress=progress, max_evaluations=max_evaluations,
                               replicates=replicates)


def _calibrate_into(out: Path, force: bool, *, text, loaded, policy, rows, calibration,
                    targets: Path, citizens, seed, workers, progress,
                    max_evaluations, replicates: int) -> CalibrationResult:
    """Fit in a hidden folder beside ``out`` (locked by the caller), then rename it into place."""
    staging = scratch_folder(out, force)
    try:
        problem = Problem(text=text, loaded=loaded, policy=policy, targets=rows,
                          space=ParameterSpace(calibration.parameters), scratch=staging,
                          citizens=citizens, seed=seed, workers=workers, progress=progress)
        budget = max_evaluations if max_evaluations is not None else calibration.max_evaluations
        first, best, seconds = fit(problem, budget)
        local = curvature(problem, best)
        band = forecast_band(problem, local, replicates)
        table = fit_rows(problem, first, best, band)
        header = fitted_header(problem, first, best, targets)
        (staging / "scenario.toml").write_text(header + problem.scenario_text(best.values),
                                               encoding="utf-8")
        write_csvs(staging, table, forecast_rows(best.series, problem.weight), band)
        write_html(staging / "fit.html", problem, table, first, best, local, band)
        write_summary(staging, problem, first, best, seconds, targets, local, band)
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
        start_objective=first.objective, evaluations=len(problem.history), fit=tuple(table),
        sd={key: row["sd"] for key, row in parameter_spread(problem.space, local).items()},
        replicates=replicates)
