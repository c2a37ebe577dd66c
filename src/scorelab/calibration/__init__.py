"""Calibration: fit a scenario's free parameters to published figures, then forecast.

``scorelab.calibrate`` (``scorelab calibrate``) is the entry point; the package is
named ``calibration`` so the function does not shadow it (as ``run`` / ``runner``).
"""

from __future__ import annotations

from scorelab.calibration._calibrate import CalibrationResult, calibrate
from scorelab.calibration._fit import Evaluation
from scorelab.calibration._metrics import FORECAST_METRICS, METRICS
from scorelab.calibration._outputs import FitRow
from scorelab.calibration._targets import Target, TargetsError, load_targets

__all__ = [
    "Evaluation",
    "FORECAST_METRICS",
    "METRICS",
    "CalibrationResult",
    "FitRow",
    "Target",
    "TargetsError",
    "calibrate",
    "load_targets",
]
