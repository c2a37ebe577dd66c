"""Forecast bands: seed noise and parameter uncertainty around a fit, as a 90% interval.

Data flow::

    fit u* (unit cube) --one step per parameter, on the fit's seed--> Jacobian J of the
        residuals (targets x parameters) --Gauss-Newton, with the prior range--> covariance C
    for r in 0 .. R-1: u_r ~ N(u*, C) clipped into [0, 1]^d, seed replicate_seed(fit seed, r)
        --simulate--> series_r --5th and 95th percentile per (metric, day)--> lower, upper

Why curvature: it costs d + R simulations after the search. A bootstrap over the
targets refits once per resample and ABC accepts a small share of thousands of
simulations; either costs a fit or more per band.

The covariance is a Laplace approximation: the curvature of the objective,
J^T J / s^2 with s^2 = objective / max(informative targets - d, 1), plus the
declared prior range as a Gaussian of the uniform prior's variance (1/12 of the
unit cube per axis). The prior term is why this is not a plain pseudo-inverse
s^2 (J^T J)^+: that gives a direction the targets do not constrain zero variance
(certainty exactly where the targets say nothing); here it keeps the prior's
spread, and the draws are clipped into the range.

The Jacobian's step runs on the fit's own seed (common random numbers), so the
difference holds the parameter's effect, not seed noise. A step of 5% of the
range (``STEP``) moves a log-scaled rate by 12% to 26% (ranges of 10x to 100x):
thousands of events per target at the shipped scale, far above the one-event
steps of the objective, and small enough that a log-ratio residual is still
close to linear in it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from scorelab._seeds import replicate_seed
from scorelab.calibration._fit import Evaluation, Problem
from scorelab.calibration._metrics import DailySeries
from scorelab.calibration._objective import ParameterSpace

#: Jacobian step, as a share of each prior range (the unit cube).
STEP = 0.05
#: Precision of a uniform draw on [0, 1] (variance 1/12): the prior range, as a Gaussian.
PRIOR_PRECISION = 12.0
#: The band's percentiles: a 90% interval.
PERCENTILES = (5.0, 95.0)
#: How many band simulations unless told: enough for rough 5th/95th percentiles.
DEFAULT_REPLICATES = 20
#: The least number of band simulations a percentile can be read from.
MIN_REPLICATES = 2


@dataclass(frozen=True)
class Curvature:
    """The fit's local curvature and the parameter covariance it implies (unit cube).

    Attributes:
        centre: the fit's point of the unit cube, shape (d,).
        steps: the step taken on each parameter, shape (d,) (negative: backward,
            at the top of the range; as the rounded file values really move).
        jacobian: d residual / d u, shape (targets, d); 0 on targets that do not inform.
        informative: per target, shape (targets,): an ``equal`` target of positive
            weight, or a bound the fit misses (a met bound's residual is 0 nearby).
        residual_variance: s^2 = objective / max(informative targets - d, 1).
        covariance: of u, shape (d, d).
    """

    centre: np.ndarray
    steps: np.ndarray
    jacobian: np.ndarray
    informative: np.ndarray
    residual_variance: float
    covariance: np.ndarray

    @property
    def sd(self) -> np.ndarray:
        """Standard deviation of each parameter in the unit cube, shape (d,)."""
        return np.sqrt(np.clip(np.diag(self.covariance), 0.0, None))

    def draw(self, count: int, rng: np.random.Generator) -> np.ndarray:
        """``count`` points from N(centre, covariance), clipped into the cube, shape (count, d)."""
        variances, axes = np.linalg.eigh(self.covariance)
        root = axes * np.sqrt(np.clip(variances, 0.0, None))
        normal = rng.standard_normal((count, len(self.centre)))
        return np.clip(self.centre + normal @ root.T, 0.0, 1.0)


@dataclass(frozen=True)
class Band:
    """The band's simulations: each a replicate seed with drawn parameter values.

    Attributes:
        seeds: the replicate seeds, ``replicate_seed(fit seed, r)`` for r = 0 .. R-1.
        values: the drawn parameter values of each replicate (dotted key -> value).
        series: each replicate's daily series.
        weight: real people per simulated citizen.
    """

    seeds: tuple[int, ...]
    values: tuple[dict[str, float], ...]
    series: tuple[DailySeries, ...] = field(repr=False)
    weight: float = 1.0

    def interval(self, metric: str, day: dt.date) -> tuple[float, float]:
        """The 5th and 95th percentile of ``metric`` at ``day`` over the replicates, scaled."""
        figures = np.array([s.value(metric, day) for s in self.series]) * self.weight
        lower, upper = np.percentile(figures, PERCENTILES)
        return float(lower), float(upper)


def curvature(problem: Problem, best: Evaluation, step: float = STEP) -> Curvature:
    """The Jacobian of the residuals at ``best`` (d simulations) and the covariance of u."""
    space = problem.space
    centre = space.unit(best.values)
    base = problem.residuals(best.simulated)
    informative = np.array([t.weight > 0 and (t.bound == "equal" or r != 0.0)
                            for t, r in zip(problem.targets, base, strict=True)], dtype=bool)
    d = len(centre)
    jacobian = np.zeros((len(base), d))
    steps = np.zeros(d)
    for k in range(d):
        point = centre.copy()
        point[k] += step if centre[k] + step <= 1.0 else -step
        values = space.values(point)
        steps[k] = space.unit(values)[k] - centre[k]
        moved = problem.lookup(values) or problem.simulate(
            values, name=f"curvature-{k + 1}", number=k + 1, stage="curvature", of=d)
        if steps[k] != 0.0:
            jacobian[:, k] = (problem.residuals(moved.simulated) - base) / steps[k]
    jacobian[~informative] = 0.0
    variance = best.objective / max(int(informative.sum()) - d, 1)
    return Curvature(centre, steps, jacobian, informative, variance,
                     covariance(jacobian, variance))


def covariance(jacobian: np.ndarray, variance: float) -> np.ndarray:
    """(J^T J / s^2 + 12 I)^-1: the curvature's covariance, the prior range where it is flat.

    With s^2 = 0 (a perfect fit) a constrained direction has variance 0 and a flat
    one the prior's 1/12.

    >>> covariance(np.array([[1.0, 0.0]]), 0.01).round(5).tolist()
    [[0.00893, 0.0], [0.0, 0.08333]]
    """
    curvatures, axes = np.linalg.eigh(jacobian.T @ jacobian)
    curvatures = np.clip(curvatures, 0.0, None)
    flat = curvatures <= 1e-12 * max(float(curvatures.max(initial=0.0)), 1.0)
    if variance > 0:
        variances = variance / (curvatures + PRIOR_PRECISION * variance)
    else:
        variances = np.zeros_like(curvatures)
    variances[flat & (variance == 0)] = 1.0 / PRIOR_PRECISION
    return (axes * variances) @ axes.T


def forecast_band(problem: Problem, fit: Curvature, replicates: int) -> Band:
    """R simulations, replicate r on ``replicate_seed(fit seed, r)`` at drawn values.

    The draws come from one Generator seeded with the fit's seed, so the band is
    the same every time for the same inputs.
    """
    points = fit.draw(replicates, np.random.default_rng(problem.fit_seed))
    seeds = tuple(replicate_seed(problem.fit_seed, r) for r in range(replicates))
    values, series = [], []
    for r, (point, seed) in enumerate(zip(points, seeds, strict=True)):
        drawn = problem.space.values(point)
        simulation = problem.simulate(drawn, name=f"band-{r + 1}", number=r + 1, stage="band",
                                      of=replicates, seed=seed)
        values.append(drawn)
        series.append(simulation.series)
    return Band(seeds, tuple(values), tuple(series), problem.weight)


def parameter_spread(space: ParameterSpace, fit: Curvature) -> dict[str, dict[str, float]]:
    """Per parameter: its sd in the unit cube and in real units, and its 90% range.

    The real-unit sd is the unit-cube sd times d value / d u at the fit (the delta
    method: for a log scale, relative to the value); the 90% range is the fit
    plus and minus 1.645 sd in the cube, clipped and mapped into the prior range.
    """
    z = 1.6448536269514722  # the standard normal's 95th percentile
    low = space.values(np.clip(fit.centre - z * fit.sd, 0.0, 1.0))
    high = space.values(np.clip(fit.centre + z * fit.sd, 0.0, 1.0))
    real = space.slopes(fit.centre) * fit.sd
    return {key: {"sd_unit": float(fit.sd[k]), "sd": float(real[k]), "low_90": low[key],
                  "high_90": high[key]} for k, key in enumerate(space.keys)}
