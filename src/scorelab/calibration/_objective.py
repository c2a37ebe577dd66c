"""The calibration objective: log-ratio residuals of simulated against published figures.

Data flow::

    unit vector u in [0, 1]^d --ParameterSpace.values--> {key: value} (prior range, log or linear)
    simulated figures (scaled) + targets --residuals--> r --sum of squares--> objective

A residual is ``sqrt(weight) * ln(simulated / target)``: a relative error, so a
count of 0.7 M and one of 17 M weigh alike, and a factor of 2 too high costs as
much as a factor of 2 too low. A ``lower`` bound costs only when the simulation
falls below it, an ``upper`` bound only above it. A simulated count of zero is
floored at half an event (times the weight) so the logarithm stays finite.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scorelab.calibration._scenario_text import format_value
from scorelab.calibration._targets import Target
from scorelab.world import FreeParameter


@dataclass(frozen=True)
class ParameterSpace:
    """The free parameters, mapped to the unit cube so every axis has the same size."""

    parameters: tuple[FreeParameter, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        """The dotted scenario keys, in declaration order."""
        return tuple(p.key for p in self.parameters)

    def values(self, unit: Sequence[float]) -> dict[str, float]:
        """Scenario values for a point of the unit cube, rounded as the file will hold them.

        >>> p = FreeParameter(key="a.b", low=0.01, high=1.0)
        >>> ParameterSpace((p,)).values([0.5])
        {'a.b': 0.1}
        """
        out = {}
        for parameter, u in zip(self.parameters, unit, strict=True):
            u = min(1.0, max(0.0, float(u)))
            lo, hi = parameter.low, parameter.high
            value = lo * (hi / lo) ** u if parameter.scale == "log" else lo + (hi - lo) * u
            out[parameter.key] = float(format_value(value))
        return out

    def unit(self, values: dict[str, float]) -> np.ndarray:
        """The unit-cube point of scenario values (clipped into the prior range).

        >>> p = FreeParameter(key="a.b", low=0.01, high=1.0)
        >>> ParameterSpace((p,)).unit({"a.b": 0.1}).round(6).tolist()
        [0.5]
        """
        out = []
        for parameter in self.parameters:
            value = min(parameter.high, max(parameter.low, values[parameter.key]))
            lo, hi = parameter.low, parameter.high
            out.append(math.log(value / lo) / math.log(hi / lo) if parameter.scale == "log"
                       else (value - lo) / (hi - lo))
        return np.array(out)

    def slopes(self, unit: Sequence[float]) -> np.ndarray:
        """The slope d value / d u at a point of the unit cube, per parameter (real-unit spreads).

        >>> p = FreeParameter(key="a.b", low=1.0, high=3.0, scale="linear")
        >>> ParameterSpace((p,)).slopes([0.5]).tolist()
        [2.0]
        """
        out = []
        for parameter, u in zip(self.parameters, unit, strict=True):
            lo, hi = parameter.low, parameter.high
            if parameter.scale == "log":
                out.append(lo * (hi / lo) ** float(u) * math.log(hi / lo))
            else:
                out.append(hi - lo)
        return np.array(out)


def residuals(targets: Sequence[Target], simulated: Sequence[float], floor: float) -> np.ndarray:
    """Weighted log-ratio residuals, one per target (0 where a bound is met).

    Args:
        targets: the published figures.
        simulated: the scaled simulated figure for each target, same order.
        floor: the smallest simulated figure used (half an event, scaled).

    Returns:
        float64 array of shape (len(targets),).

    >>> t = [Target(date=None, metric="m", value=100.0), Target(date=None, metric="m",
    ...      value=100.0, bound="lower")]
    >>> residuals(t, [200.0, 200.0], 0.5).round(4).tolist()
    [0.6931, 0.0]
    """
    out = np.empty(len(targets))
    for i, (target, value) in enumerate(zip(targets, simulated, strict=True)):
        r = math.sqrt(target.weight) * math.log(max(value, floor) / target.value)
        if target.bound == "lower":
            r = min(r, 0.0)
        elif target.bound == "upper":
            r = max(r, 0.0)
        out[i] = r
    return out
