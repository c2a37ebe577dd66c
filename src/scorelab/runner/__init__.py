"""Running a policy on a scenario: chunks, workers, and atomic run folders.

The package is ``scorelab.runner`` rather than ``scorelab.run`` so that
``scorelab.run`` can be the public function (docs/architecture.md).
"""

from __future__ import annotations

from scorelab._run_folder import read_manifest
from scorelab.runner._backends import local_pool, ray_session
from scorelab.runner._defaults import SMALL_RUN
from scorelab.runner._estimate import Estimate, refuse_many_runs
from scorelab.runner._plan import plan_chunks
from scorelab.runner._request import DEFAULT_CHECKPOINT_EVERY
from scorelab.runner._result import RunResult
from scorelab.runner._runner import PHASES, RunProgress, estimate_run, run

__all__ = ["DEFAULT_CHECKPOINT_EVERY", "PHASES", "SMALL_RUN", "Estimate", "RunProgress",
           "RunResult", "estimate_run", "local_pool", "plan_chunks", "ray_session",
           "read_manifest", "refuse_many_runs", "run"]
