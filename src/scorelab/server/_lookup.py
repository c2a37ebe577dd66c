"""From a request to the server's state: its job manager, settings, a run's job and folder.

Every route that names a run goes through :func:`job_of` or :func:`folder_of`:
the id is checked against :data:`~scorelab.server._requests.JOB_ID` before the
catalogue is asked, and a folder is always ``<runs>/<the job's folder>``,
never a path a client sent. :func:`job_view` is a job as every route shows it.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request

from scorelab.server._catalogue import Job
from scorelab.server._jobs import JobManager
from scorelab.server._requests import JOB_ID
from scorelab.server._settings import Settings


def jobs_of(request: Request) -> JobManager:
    """The server's job manager."""
    return request.app.state.jobs


def settings_of(request: Request) -> Settings:
    """The server's settings."""
    return request.app.state.settings


def _time(seconds: float | None) -> str | None:
    return None if seconds is None else dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(
        timespec="milliseconds")


def job_view(jobs: JobManager, job: Job, *, brief: bool = False) -> dict[str, Any]:
    """A job as the API shows it: status, place in the queue, progress, timings, request."""
    request = job.request
    if brief:  # lists leave out the texts
        request = {k: v for k, v in request.items() if not k.endswith("_text")}
    view = {"id": job.id, "status": job.status, "about": job.about, "error": job.error,
            "progress": job.progress, "resumable": job.status == "interrupted",
            "timings": {"queued_at": _time(job.queued_at), "started_at": _time(job.started_at),
                        "finished_at": _time(job.finished_at), "seconds": job.seconds},
            "request": request, "links": _links(job.id)}
    if job.status == "queued":
        view["position"] = jobs.position(job.id)
    return view


def _links(job_id: str) -> dict[str, str]:
    base = f"/api/runs/{job_id}"
    return {"self": base, "summary": f"{base}/summary", "daily": f"{base}/daily",
            "citizens": f"{base}/citizens", "share": f"{base}/share", "events": f"{base}/events",
            "report": f"{base}/files/report.html"}


def job_of(request: Request, run_id: str) -> Job:
    """The job of ``run_id``, or 404: an id that is not 16 hex digits names nothing."""
    job = jobs_of(request).catalogue.get(run_id) if JOB_ID.fullmatch(run_id) else None
    if job is None or (job.status == "done" and not jobs_of(request).is_done(job)):
        raise HTTPException(404, f"no run {run_id[:40]!r} on this server")
    return job


def folder_of(request: Request, run_id: str) -> Path:
    """The folder of a finished run (404 unknown, 409 not done yet)."""
    job = job_of(request, run_id)
    if job.status != "done":
        raise HTTPException(409, f"run {run_id} is {job.status}: its results are not there")
    return settings_of(request).runs / job.folder


def finite(value: Any) -> Any:
    """``value`` with NaN and infinities as None (JSON has no NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value
