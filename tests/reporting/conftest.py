"""The report tests reuse the audit's small runs."""

from __future__ import annotations

from ..audit.conftest import audit_runs_dir, harsh_run, harsh_run_fewer_cameras  # noqa: F401
