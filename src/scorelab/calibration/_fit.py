"""``scorelab.calibrate``: fit a scenario's free parameters to published figures.

Data flow::

    scenario file ([calibration]: policy, free parameters with prior ranges, budget)
    targets CSV --load_targets--> targets
    unit point u --ParameterSpace--> values --set_keys--> scenario text --scorelab.run-->
        daily.parquet --read_series--> simulated figures * weight --residuals--> objective
    scipy.optimize.minimize(Nelder-Mead, bounds = unit cube) over u --> best values
    best values --> fitted scenario, fit.csv, forecast.csv, fit.html, calibration.json

Every evaluation uses the scenario's seed (common random numbers), so two nearby
parameter values replay the same citizens with the same random draws and the
objective moves smoothly, apart from single events entering or leaving a window.

Why Nelder-Mead: the objective comes from a stochastic simulator, so it has no
usable gradient (with common random numbers it is piecewise constant at the scale
of one event); there are few parameters (up to about six) and an evaluation costs
seconds, which rules out population methods such as differential evolution
(hundreds of evaluations per generation). scipy's Nelder-Mead accepts bounds
(the unit cube of the prior ranges) and needs only function values.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import inspect
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from scorelab._errors import ScenarioError
from scorelab._owned import check_out, write_marker
from scorelab._resources import resolve_policy, resolve_scenario
from scorelab.calibration._metrics import DailySeries, read_series
from scorelab.calibration._objective import ParameterSpace, residuals
from scorelab.calibration._scenario_text import set_keys
from scorelab.calibration._targets import Target, TargetsError, load_targets
from scorelab.policy import LoadedPolicy, load_policy
from scorelab.runner import run
from scorelab.world import LoadedScenario, load_scenario

INITIAL_STEP = 0.15  # first simplex: 15% of each prior range (in the unit cube)
# A calibration reads only daily.parquet: skip the run folder's audit and report
# where the runner can (its ``report`` keyword is newer than this package).
_RUN_OPTIONS = {"report": False} if "report" in inspect.signature(run).parameters else {}


@dataclass(frozen=True)
class Evaluation:
    """One simulation of the scenario at one set of parameter values.

    Attributes:
        number: 1 for the first evaluation (the scenario's own values); for the
            band's simulations, 1 to ``of`` within their stage.
        values: dotted key -> value.
        simulated: the scaled simulated figure per target, shape (targets,).
        objective: sum of squared residuals.
        series: the run's daily whole-population series (for the forecast).
        stage: ``search`` (the optimiser's), ``curvature`` (a step from the fit, on
            its seed) or ``band`` (a replicate: another seed, drawn values).
        of: simulations in this stage (0 for the search, whose count is not known).
        seed: the simulation's seed.
    """

    number: int
    values: dict[str, float]
    simulated: np.ndarray
    objective: float
    series: DailySeries = field(repr=False)
    stage: str = "search"
    of: int = 0
    seed: int = 0


@dataclass
class Problem:
    """A scenario, a policy and targets: evaluates parameter values by simulation."""

    text: str
    loaded: LoadedScenario
    policy: LoadedPolicy
    targets: tuple[Target, ...]
    space: ParameterSpace
    scratch: Path
    citizens: int | None = None
    seed: int | None = None
    workers: int = 1
    progress: Callable[[Evaluation], None] | None = None
    history: list[Evaluation] = field(default_factory=list)
    _cache: dict[tuple, Evaluation] = field(default_factory=dict)

    @property
    def weight(self) -> float:
        """Real people per simulated citizen (``represents / citizens``; 1 without it)."""
        meta = self.loaded.scenario.scenario
        return (meta.represents or meta.citizens) / meta.citizens

    @property
    def list_name(self) -> str:
        """The list that list metrics read: the policy's first list."""
        names = self.policy.policy.list_names
        return names[0] if names else ""

    def scenario_text(self, values: dict[str, float]) -> str:
        """The scenario file with ``values`` written in."""
        return set_keys(self.text, values)

    @property
    def fit_seed(self) -> int:
        """The seed of every search simulation (the scenario's, or the override)."""
        return self.loaded.scenario.scenario.seed

    def lookup(self, values: dict[str, float]) -> Evaluation | None:
        """The search's simulation at ``values``, if it ran one."""
        return self._cache.get(tuple(sorted(values.items())))

    def cached(self, values: dict[str, float]) -> bool:
        """Whether ``values`` were simulated already."""
        return self.lookup(values) is not None

    def evaluate(self, values: dict[str, float]) -> Evaluation:
        """Simulate at ``values`` (cached) and score the figures against the targets."""
        known = self.lookup(values)
        if known is not None:
            return known
        number = len(self.history) + 1
        result = self.simulate(values, name=str(number), number=number)
        self._cache[tuple(sorted(values.items()))] = result
        self.history.append(result)
        return result

    def simulate(self, values: dict[str, float], *, name: str, number: int,
                 stage: str = "search", of: int = 0, seed: int | None = None) -> Evaluation:
        """One simulation at ``values`` on ``seed`` (default the fit's), scored and reported.

        ``evaluate`` records the search's simulations; the forecast band's call this
        directly, so calibration.json's history and the cache stay the search's.
        """
        seed = self.fit_seed if seed is None else seed
        path = self.scratch / f"scenario-{name}.toml"
        path.write_text(self.scenario_text(values), encoding="utf-8")
        scenario = load_scenario(path, citizens=self.citizens, seed=seed)
        folder = self.scratch / f"run-{name}"
        run(self.policy, scenario, out=folder, ledger_sample=0.0, workers=self.workers,
            **_RUN_OPTIONS)
        series = read_series(folder, self.list_name)
        shutil.rmtree(folder)
        path.unlink()
        simulated = np.array([series.value(t.metric, t.date) for t in self.targets])
        simulated *= self.weight
        objective = float(np.sum(self.residuals(simulated) ** 2))
        result = Evaluation(number, dict(values), simulated, objective, series, stage, of, seed)
        if self.progress is not None:
            self.progress(result)
        return result

    def residuals(self, simulated: np.ndarray) -> np.ndarray:
        """The objective's residual per target for scaled simulated figures, shape (targets,)."""
        return residuals(self.targets, simulated, 0.5 * self.weight)

    def best(self) -> Evaluation:
        """The evaluation with the smallest objective so far (the first on ties)."""
        return min(self.history, key=lambda e: (e.objective, e.number))


class _BudgetSpentError(Exception):
    """Raised inside the optimiser when the simulation budget is spent."""


def nelder_mead(problem: Problem, start: np.ndarray, max_evaluations: int) -> None:
    """Minimise the objective over the unit cube with bounded Nelder-Mead (scipy).

    Stops when the simplex has shrunk below 0.2% of every prior range and its
    objectives agree within 1e-4, or after ``max_evaluations`` simulations in all
    (repeated points are answered from the cache and cost nothing).
    """
    d = len(start)
    simplex = [start]
    for k in range(d):
        step = np.zeros(d)
        step[k] = INITIAL_STEP if start[k] + INITIAL_STEP <= 1.0 else -INITIAL_STEP
        simplex.append(np.clip(start + step, 0.0, 1.0))

    def objective(u: np.ndarray) -> float:
        values = problem.space.values(u)
        if not problem.cached(values) and len(problem.history) >= max_evaluations:
            raise _BudgetSpentError
        return problem.evaluate(values).objective

    with contextlib.suppress(_BudgetSpentError):
        minimize(objective, start, method="Nelder-Mead", bounds=[(0.0, 1.0)] * d,
                 options={"initial_simplex": np.array(simplex), "maxfev": 100 * max_evaluations,
                          "xatol": 2e-3, "fatol": 1e-4})


def prepare(scenario: str | Path, *, targets: str | Path, policy: str | Path | None,
            citizens: int | None, seed: int | None) -> tuple[str, LoadedScenario,
                                                             LoadedPolicy, tuple[Target, ...]]:
    """Load and cross-check the scenario, its policy and the targets before any simulation."""
    path = resolve_scenario(scenario)
    loaded = load_scenario(path, citizens=citizens, seed=seed)
    calibration = loaded.scenario.calibration
    if calibration is None:
        raise ScenarioError("no [calibration] table: declare the free parameters with "
                            "[[calibration.parameters]] key, low and high (docs/calibration.md)",
                            path=path)
    policy_name = policy if policy is not None else calibration.policy
    if policy_name is None:
        raise ScenarioError("no policy to calibrate under: set [calibration] policy, or pass "
                            "policy=", path=path)
    loaded_policy = load_policy(resolve_policy(policy_name))
    rows = load_targets(targets)
    meta = loaded.scenario.scenario
    last = meta.start_date + dt.timedelta(days=meta.days - 1)
    for row in rows:
        if row.date > last:
            raise TargetsError(f"{row.date} is after the scenario's last day {last}: lengthen "
                               "[scenario] days or drop the row", path=targets, line=row.line,
                               key="date")
        if "listed" in row.metric and not loaded_policy.policy.list_names:
            raise TargetsError(f"metric {row.metric} needs a list, and the policy has none",
                               path=targets, line=row.line, key="metric")
    return path.read_text(encoding="utf-8"), loaded, loaded_policy, rows


def fit(problem: Problem, max_evaluations: int) -> tuple[Evaluation, Evaluation, float]:
    """Run the optimiser; return the start and best evaluations and the seconds taken."""
    clock = time.perf_counter()
    tree = problem.loaded.scenario.model_dump(mode="json")  # dated rates: keys are dates
    current = {}
    for key in problem.space.keys:
        node = tree
        for part in key.split("."):
            node = node[part]
        current[key] = float(node)
    start = problem.space.unit(current)
    first = problem.evaluate(problem.space.values(start))
    if max_evaluations > 1:
        nelder_mead(problem, start, max_evaluations)
    return first, problem.best(), time.perf_counter() - clock


#: What a calibration folder holds: every file ``calibrate`` writes there.
CALIBRATION_FILES = ("scenario.toml", "fit.csv", "forecast.csv", "fit.html", "calibration.json")


def scratch_folder(out: Path, force: bool) -> Path:
    """Check ``out`` may be written; return a new hidden folder beside it to work in.

    ``force`` replaces only a calibration folder scorelab wrote (never the current
    folder, a parent of it, or a folder holding other files).
    """
    out = out.resolve()
    check_out(out, "calibration", CALIBRATION_FILES, force=force)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    write_marker(staging, "calibration")
    return staging
