"""The JSON API under ``/api``: policies, validation, runs as jobs, their results, sharing.

Every route calls the public engine (``scorelab.run`` through the job workers,
``RunResult``, ``explain``, ``compare``), never a second implementation. Run
ids are checked against :data:`~scorelab.server._requests.JOB_ID` before any
file is named, and every file served is one of a run folder's known files
under the server's runs folder: a client never names a path. Refusals are
JSON ``{"errors": [{"message", "line", "key"}]}`` with the HTTP status that
says why (404, 409, 413, 422, 429).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
import math
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse

from scorelab._errors import RunFolderError, ScorelabError
from scorelab._run_folder import RUN_FILES
from scorelab.audit import explain
from scorelab.policy import policies
from scorelab.reporting import compare
from scorelab.runner import RunResult
from scorelab.server._catalogue import Job
from scorelab.server._citizens import citizens_table
from scorelab.server._formats import negotiate, table_response
from scorelab.server._jobs import ConflictError, JobManager, QueueFullError
from scorelab.server._requests import (
    DEFAULT_SCENARIO,
    JOB_ID,
    RefusedError,
    RunBody,
    ValidateBody,
    check_policy_text,
    default_scenario_path,
    load_world,
    resolve,
    shipped_policies,
    shipped_scenarios,
)
from scorelab.server._settings import Settings
from scorelab.server._share import read_share_code, share_code

router = APIRouter(prefix="/api")
#: a served HTML file runs sandboxed: its scripts cannot read the token or call the API
SANDBOX = {"content-security-policy": "sandbox allow-scripts allow-popups"}
#: how often an event stream looks whether the catalogue changed, in seconds (in memory)
EVENT_POLL_SECONDS = 0.05
_MEDIA = {".html": "text/html", ".json": "application/json", ".toml": "text/plain",
          ".parquet": "application/vnd.apache.parquet"}


def _jobs(request: Request) -> JobManager:
    return request.app.state.jobs


def _settings(request: Request) -> Settings:
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


def _job(request: Request, run_id: str) -> Job:
    """The job of ``run_id``, or 404: an id that is not 16 hex digits names nothing."""
    job = _jobs(request).catalogue.get(run_id) if JOB_ID.fullmatch(run_id) else None
    if job is None or (job.status == "done" and not _jobs(request).is_done(job)):
        raise HTTPException(404, f"no run {run_id[:40]!r} on this server")
    return job


def _folder(request: Request, run_id: str) -> Path:
    """The folder of a finished run (404 unknown, 409 not done yet)."""
    job = _job(request, run_id)
    if job.status != "done":
        raise HTTPException(409, f"run {run_id} is {job.status}: its results are not there")
    return _settings(request).runs / job.folder


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities as None (JSON has no NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _run_folder_errors(request: Request, exc: ScorelabError) -> HTTPException:
    """A reader's error (no such citizen), its server path named by the run id."""
    return HTTPException(404, _settings(request).public(str(exc)))


# -- the server, policies and scenarios --------------------------------------------------

@router.get("/status")
def status(request: Request) -> dict[str, Any]:
    """The engine's readiness (``compiling``, ``ready``), the job workers and the queue."""
    return _jobs(request).status()


@router.get("/policies")
def list_policies() -> list[dict[str, Any]]:
    """The shipped policies: ``name`` is what ``POST /api/runs`` takes as ``policy``."""
    return [{"name": info.path.stem, "id": info.id, "title": info.name,
             "description": info.description} for info in policies()]


@router.get("/policies/{name}")
def policy_text(name: str) -> dict[str, Any]:
    """A shipped policy's TOML text, to edit and send back as ``policy_text``."""
    path = shipped_policies().get(name)
    if path is None:
        raise HTTPException(404, f"no shipped policy {name[:80]!r} (GET /api/policies)")
    return {"name": path.stem, "text": path.read_text(encoding="utf-8")}


@router.get("/scenarios")
def list_scenarios(request: Request) -> list[dict[str, Any]]:
    """The shipped scenarios, the embedded default (``default``) first, with their sizes."""
    found = [(DEFAULT_SCENARIO, None), *((name, name) for name in shipped_scenarios())]
    out = []
    for name, shipped in found:
        meta = load_world(shipped, None, _settings(request))[0].scenario.scenario
        out.append({"name": name, "title": meta.name, "description": meta.description,
                    "citizens": meta.citizens, "days": meta.days, "seed": meta.seed,
                    "start_date": meta.start_date.isoformat()})
    return out


@router.get("/scenarios/{name}")
def scenario_text(name: str) -> dict[str, Any]:
    """A shipped scenario's TOML text (``default``: the embedded default's)."""
    path = default_scenario_path() if name == DEFAULT_SCENARIO else shipped_scenarios().get(name)
    if path is None:
        raise HTTPException(404, f"no shipped scenario {name[:80]!r} (GET /api/scenarios)")
    return {"name": name, "text": path.read_text(encoding="utf-8")}


@router.post("/validate")
def validate_policy(body: ValidateBody, request: Request) -> dict[str, Any]:
    """Check policy text (and scenario text) as ``scorelab validate`` checks a file.

    422 with the located error, its message as ``scorelab validate policy.toml`` says it.
    """
    summary = check_policy_text(body.policy_text, _settings(request))
    if body.scenario_text is not None:
        load_world(None, body.scenario_text, _settings(request))
    return {"ok": True, "line": summary.line().replace(str(summary.path), "policy.toml"),
            "policy": {"id": summary.id, "name": summary.name, "version": summary.version,
                       "grades": summary.grades, "rules": summary.rules,
                       "lists": summary.lists, "sanctions": summary.sanctions,
                       "rewards": summary.rewards, "sources": summary.sources,
                       "assumed": summary.assumed, "sha256": summary.sha256}}


# -- runs ----------------------------------------------------------------------------------

def _submitted(request: Request, body: RunBody) -> JSONResponse:
    jobs = _jobs(request)
    try:
        job, queued = jobs.submit(resolve(body, _settings(request)))
    except QueueFullError as exc:
        raise RefusedError.one(429, str(exc), limit="max_queued") from None
    view = {**job_view(jobs, job), "cached": not queued and job.status == "done"}
    return JSONResponse(jsonable_encoder(view), status_code=202 if queued else 200)


@router.post("/runs", status_code=202)
def submit_run(body: RunBody, request: Request) -> JSONResponse:
    """Queue a run (202), or answer with the identical request's job (200; done: cached)."""
    return _submitted(request, body)


@router.get("/runs")
def list_runs(request: Request) -> list[dict[str, Any]]:
    """Every run this server's catalogue holds, the most recently queued first."""
    jobs = _jobs(request)
    return [job_view(jobs, job, brief=True) for job in jobs.catalogue.jobs()
            if job.status != "done" or jobs.is_done(job)]


@router.get("/runs/{run_id}")
def get_run(run_id: str, request: Request) -> dict[str, Any]:
    """A run's status (``position`` when queued, ``progress`` when running), timings, request."""
    return job_view(_jobs(request), _job(request, run_id))


@router.get("/runs/{run_id}/events")
async def run_events(run_id: str, request: Request) -> StreamingResponse:
    """Server-sent events: the run as ``GET /api/runs/{id}`` shows it, at each change.

    One ``data:`` line of JSON per change of status, place in the queue or
    progress, the last when the run has ended (then the stream closes): a page's
    ``EventSource`` follows a run without polling.
    """
    jobs = _jobs(request)
    _job(request, run_id)

    async def changes() -> AsyncIterator[str]:
        seen, last = -1, None
        while True:
            if jobs.catalogue.changes != seen:
                seen = jobs.catalogue.changes
                job = jobs.catalogue.get(run_id)
                if job is None:
                    return
                view = json.dumps(jsonable_encoder(job_view(jobs, job)))
                if view != last:
                    last = view
                    yield f"data: {view}\n\n"
                if job.status not in ("queued", "running"):
                    return
            await asyncio.sleep(EVENT_POLL_SECONDS)

    return StreamingResponse(changes(), media_type="text/event-stream",
                             headers={"cache-control": "no-cache"})


@router.delete("/runs/{run_id}")
def cancel_run(run_id: str, request: Request) -> dict[str, Any]:
    """Cancel a queued run, or end a running one and every process of its job worker."""
    _job(request, run_id)
    try:
        return job_view(_jobs(request), _jobs(request).cancel(run_id))
    except ConflictError as exc:
        raise HTTPException(409, str(exc)) from None


@router.post("/runs/{run_id}/resume", status_code=202)
def resume_run(run_id: str, request: Request) -> dict[str, Any]:
    """Queue an interrupted run again: it continues from its last checkpoint."""
    _job(request, run_id)
    try:
        return job_view(_jobs(request), _jobs(request).resume(run_id))
    except ConflictError as exc:
        raise HTTPException(409, str(exc)) from None
    except QueueFullError as exc:
        raise RefusedError.one(429, str(exc), limit="max_queued") from None


@router.get("/runs/{run_id}/summary")
def run_summary(run_id: str, request: Request) -> dict[str, Any]:
    """The headline numbers of a finished run (``RunResult.summary()``)."""
    folder = _folder(request, run_id)
    with _SUMMARY_LOCK:  # pages opened at once read it once, not side by side
        return _summary(folder, (folder / "manifest.json").stat().st_mtime_ns)


_SUMMARY_LOCK = threading.Lock()


@functools.lru_cache(maxsize=256)
def _summary(folder: Path, written: int) -> dict[str, Any]:
    """A finished run's summary, read once: its folder does not change (keyed by the manifest)."""
    return _finite(RunResult(folder).summary())


@router.get("/runs/{run_id}/daily")
def run_daily(run_id: str, request: Request, dimension: str | None = None,
              group: str | None = None, columns: str | None = None,
              format: str | None = None):
    """``daily.parquet`` as JSON records, CSV or Arrow IPC (by ``Accept`` or ``format``).

    ``dimension`` and ``group`` pick rows (``dimension=all``: everyone);
    ``columns`` (comma-separated) picks columns.
    """
    path = _folder(request, run_id) / "daily.parquet"
    names = pq.read_schema(path).names
    wanted = _columns(columns, names)
    filters = [(pc.field(name) == value) for name, value in
               (("dimension", dimension), ("group", group)) if value is not None]
    expression = filters[0] & filters[1] if len(filters) == 2 else (filters or [None])[0]
    table = pq.read_table(path, columns=wanted, filters=expression)
    return table_response(table, _format(request, format), name=f"{run_id}-daily")


def _columns(columns: str | None, names: list[str]) -> list[str] | None:
    if columns is None:
        return None
    wanted = [c.strip() for c in columns.split(",") if c.strip()]
    unknown = [c for c in wanted if c not in names]
    if unknown:
        raise RefusedError.one(422, f"columns: no column {unknown[0][:80]!r} in this table",
                               key="columns")
    return wanted


def _format(request: Request, format: str | None) -> str:
    try:
        return negotiate(request, format)
    except ValueError as exc:
        raise RefusedError.one(422, str(exc), key="format") from None


@router.get("/runs/{run_id}/citizens")
def run_citizens(run_id: str, request: Request,
                 limit: int = Query(1000, ge=0, le=1_000_000),
                 offset: int = Query(0, ge=0), columns: str | None = None,
                 sort: str | None = None, format: str | None = None):
    """``citizens.parquet`` rows: ``limit`` from ``offset``, filtered and sorted.

    Filters are query parameters: ``COLUMN=value`` (``grade=C``, ``region=Henan``,
    ``listed=true``), ``COLUMN_min`` and ``COLUMN_max`` for numbers
    (``wrongful_denials_min=1``); ``sort=COLUMN`` or ``-COLUMN`` (descending).
    ``X-Total-Count`` says how many rows match before paging.
    """
    path = _folder(request, run_id) / "citizens.parquet"
    table, total = citizens_table(path, dict(request.query_params), limit=limit,
                                  offset=offset, columns=columns, sort=sort)
    return table_response(table, _format(request, format), name=f"{run_id}-citizens",
                          headers={"x-total-count": str(total)})


@router.get("/runs/{run_id}/citizens/{citizen_id}")
def citizen_story(run_id: str, citizen_id: int, request: Request) -> dict[str, Any]:
    """One citizen's story (``scorelab.explain``): who, every point change, reconciled."""
    folder = _folder(request, run_id)
    try:
        story = explain(folder, citizen_id)
    except RunFolderError as exc:
        raise _run_folder_errors(request, exc) from None
    return _finite(jsonable_encoder({
        "citizen_id": story.citizen_id, "attributes": story.attributes,
        "start_score": story.start_score, "final_score": story.final_score,
        "grade": story.grade, "in_ledger_sample": story.in_ledger_sample,
        "reconciles": story.reconciles, "entries": story.entries}))


@router.get("/runs/{run_id}/files/{name}")
def run_file(run_id: str, name: str, request: Request) -> FileResponse:
    """One of a finished run folder's own files (manifest.json, daily.parquet, report.html...)."""
    folder = _folder(request, run_id)
    if name not in RUN_FILES or not (folder / name).is_file():
        raise HTTPException(404, f"run {run_id} has no file {name[:80]!r} (files: "
                                 f"{', '.join(RUN_FILES)})")
    suffix = Path(name).suffix
    return FileResponse(folder / name, media_type=_MEDIA.get(suffix, "application/octet-stream"),
                        headers=SANDBOX if suffix == ".html" else None,
                        content_disposition_type="inline", filename=f"{run_id}-{name}")


# -- sharing and comparing -------------------------------------------------------------------

@router.get("/runs/{run_id}/share")
def share_run(run_id: str, request: Request) -> dict[str, Any]:
    """The run's share code: its whole request, for ``/share/{code}`` on any server."""
    code = share_code(_job(request, run_id).request)
    return {"id": run_id, "code": code, "url": f"/share/{code}", "api": f"/api/share/{code}"}


@router.get("/share/{code}")
def read_share(code: str, request: Request) -> dict[str, Any]:
    """What a share code asks for: the request, its id here, and its job if this server has it."""
    spec = resolve(read_share_code(code, _settings(request)), _settings(request))
    job = _jobs(request).catalogue.get(spec.id)
    known = job is not None and (job.status != "done" or _jobs(request).is_done(job))
    return {"id": spec.id, "about": spec.about, "request": spec.request,
            "job": job_view(_jobs(request), job) if known else None}


@router.post("/share/{code}", status_code=202)
def run_share(code: str, request: Request) -> JSONResponse:
    """Run what a share code asks for (202), or answer with its job here (200)."""
    return _submitted(request, read_share_code(code, _settings(request)))


@router.get("/compare")
def compare_runs(a: str, b: str, request: Request) -> dict[str, Any]:
    """Two finished runs compared (``scorelab.compare``): inputs that differ, every measure."""
    comparison = compare(_folder(request, a), _folder(request, b),
                         out=_compare_page(request, a, b))
    rows = [{"section": r.section, "measure": r.measure, "unit": r.unit, "a": r.a, "b": r.b,
             "difference": r.difference, "relative_change": r.relative_change,
             "differs": r.differs} for r in comparison.rows]
    return _finite({"a": a, "b": b, "labels": list(comparison.labels),
                    "inputs": [{"input": n, "a": va, "b": vb} for n, va, vb in comparison.inputs],
                    "rows": rows, "page": f"/api/compare/page?a={a}&b={b}"})


@router.get("/compare/page")
def compare_page(a: str, b: str, request: Request) -> FileResponse:
    """The comparison's HTML page (written in the runs folder's ``compare/``)."""
    page = _compare_page(request, a, b)
    if not page.is_file():
        compare(_folder(request, a), _folder(request, b), out=page)
    return FileResponse(page, media_type="text/html", headers=SANDBOX)


def _compare_page(request: Request, a: str, b: str) -> Path:
    """Where the page of A against B lives: ``<runs>/compare/<a>-vs-<b>.html``."""
    _folder(request, a)  # both ids are checked before a path is made of them
    _folder(request, b)
    folder = _settings(request).runs / "compare"
    folder.mkdir(exist_ok=True)
    return folder / f"{a}-vs-{b}.html"
