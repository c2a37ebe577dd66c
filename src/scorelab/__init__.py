"""scorelab: a laboratory for social scoring systems, on synthetic populations.

Policy as code, a synthetic world, an explainable scoring engine and an audit.
The public API mirrors the ``scorelab`` command: ``scorelab.run(...)`` is
``scorelab run ...``, ``scorelab.explain(folder, 42)`` is ``scorelab explain
FOLDER 42``, ``scorelab.serve(port=8000)`` is ``scorelab serve --port 8000``. No
real person's data is ever read: every citizen is synthetic.
"""

from __future__ import annotations

from scorelab import _numba_cache  # noqa: I001 (before any module that compiles with numba)
from scorelab._version import __version__

_numba_cache.configure()

from scorelab._errors import (  # noqa: E402 (after numba's cache folder is set)
    ExperimentError,
    PolicyError,
    RunFolderError,
    RunInterruptedError,
    RunRefusedError,
    ScenarioError,
    ScorelabError,
    ServerError,
)
from scorelab.audit import CitizenStory, Comparison, explain  # noqa: E402
from scorelab.calibration import CalibrationResult, calibrate  # noqa: E402
from scorelab.experiments import ExperimentResult, experiment  # noqa: E402
from scorelab.policy import PolicyInfo, ValidationSummary, policies, validate  # noqa: E402
from scorelab.reporting import compare, report  # noqa: E402
from scorelab.runner import RunProgress, RunResult, run  # noqa: E402
from scorelab.server import serve  # noqa: E402

__all__ = [
    "CalibrationResult",
    "CitizenStory",
    "Comparison",
    "ExperimentError",
    "ExperimentResult",
    "PolicyError",
    "PolicyInfo",
    "RunFolderError",
    "RunInterruptedError",
    "RunProgress",
    "RunRefusedError",
    "RunResult",
    "ScenarioError",
    "ScorelabError",
    "ServerError",
    "ValidationSummary",
    "__version__",
    "calibrate",
    "compare",
    "experiment",
    "explain",
    "policies",
    "report",
    "run",
    "serve",
    "validate",
]
