"""The JSON API under ``/api``: policies, validation, runs as jobs, sharing (results: ``_results``).

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
import functools
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, StreamingResponse

from scorelab._random import SEED_MAX
from scorelab._seeds import replicate_seed
from scorelab.policy import load_policy, policies
from scorelab.server._editor import router as editor_router
from scorelab.server._editor import validated
from scorelab.server._jobs import ConflictError, QueueFullError
from scorelab.server._lookup import job_of, job_view, jobs_of, settings_of
from scorelab.server._requests import (
    DEFAULT_SCENARIO,
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
from scorelab.server._results import router as results_router
from scorelab.server._share import read_share_code, share_code

router = APIRouter(prefix="/api")
#: how often an event stream looks whether the catalogue changed, in seconds (in memory)
EVENT_POLL_SECONDS = 0.05
#: the most replicate seeds one request may ask for
MAX_REPLICATES = 100


# -- the server, policies and scenarios --------------------------------------------------

@router.get("/status")
def status(request: Request) -> dict[str, Any]:
    """The engine's readiness (``compiling``, ``ready``), the job workers and the queue."""
    return jobs_of(request).status()


@router.get("/policies")
def list_policies() -> list[dict[str, Any]]:
    """The shipped policies: ``name`` is what ``POST /api/runs`` takes as ``policy``.

    Each with its title, one-line description, jurisdiction and sources (``id``,
    ``title``, ``url``, ``note``), as its file cites them.
    """
    return _shipped_list()


@functools.cache
def _shipped_list() -> list[dict[str, Any]]:
    """The shipped policies, read once: the files do not change while a server runs."""
    out = []
    for info in policies():
        meta = load_policy(info.path).policy.policy
        out.append({"name": info.path.stem, "id": info.id, "title": info.name,
                    "description": info.description, "jurisdiction": meta.jurisdiction,
                    "version": meta.version,
                    "sources": [source.model_dump() for source in meta.sources]})
    return out


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
        meta = load_world(shipped, None, settings_of(request))[0].scenario.scenario
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
    summary = check_policy_text(body.policy_text, settings_of(request))
    if body.scenario_text is not None:
        load_world(None, body.scenario_text, settings_of(request))
    return validated(summary)


# -- runs ----------------------------------------------------------------------------------

def _submitted(request: Request, body: RunBody) -> JSONResponse:
    jobs = jobs_of(request)
    try:
        job, queued = jobs.submit(resolve(body, settings_of(request)))
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
    jobs = jobs_of(request)
    return [job_view(jobs, job, brief=True) for job in jobs.catalogue.jobs()
            if job.status != "done" or jobs.is_done(job)]


@router.get("/seeds")
def replicate_seeds(seed: int = Query(ge=0, le=SEED_MAX),
                    replicates: int = Query(ge=1, le=MAX_REPLICATES)) -> dict[str, Any]:
    """The seeds of replicates 0 to ``replicates - 1`` of ``seed``, as experiments use them.

    Each is ``replicate_seed(seed, r)`` (common random numbers: the same replicate
    has the same seed in every run that derives it from ``seed``), given as text
    too, since JavaScript's numbers hold integers exactly only up to 2**53.
    """
    seeds = [replicate_seed(seed, r) for r in range(replicates)]
    return {"seed": seed, "seeds": seeds, "text": [str(s) for s in seeds]}


@router.get("/runs/{run_id}")
def get_run(run_id: str, request: Request) -> dict[str, Any]:
    """A run's status (``position`` when queued, ``progress`` when running), timings, request."""
    return job_view(jobs_of(request), job_of(request, run_id))


@router.get("/runs/{run_id}/events")
async def run_events(run_id: str, request: Request) -> StreamingResponse:
    """Server-sent events: the run as ``GET /api/runs/{id}`` shows it, at each change.

    One ``data:`` line of JSON per change of status, place in the queue or
    progress, the last when the run has ended (then the stream closes): a page's
    ``EventSource`` follows a run without polling.
    """
    jobs = jobs_of(request)
    job_of(request, run_id)

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
    job_of(request, run_id)
    try:
        return job_view(jobs_of(request), jobs_of(request).cancel(run_id))
    except ConflictError as exc:
        raise HTTPException(409, str(exc)) from None


@router.post("/runs/{run_id}/resume", status_code=202)
def resume_run(run_id: str, request: Request) -> dict[str, Any]:
    """Queue an interrupted run again: it continues from its last checkpoint."""
    job_of(request, run_id)
    try:
        return job_view(jobs_of(request), jobs_of(request).resume(run_id))
    except ConflictError as exc:
        raise HTTPException(409, str(exc)) from None
    except QueueFullError as exc:
        raise RefusedError.one(429, str(exc), limit="max_queued") from None


# -- sharing ---------------------------------------------------------------------------------

@router.get("/runs/{run_id}/share")
def share_run(run_id: str, request: Request) -> dict[str, Any]:
    """The run's share code: its whole request, for ``/share/{code}`` on any server."""
    code = share_code(job_of(request, run_id).request)
    return {"id": run_id, "code": code, "url": f"/share/{code}", "api": f"/api/share/{code}"}


@router.get("/share/{code}")
def read_share(code: str, request: Request) -> dict[str, Any]:
    """What a share code asks for: the request, its id here, and its job if this server has it."""
    spec = resolve(read_share_code(code, settings_of(request)), settings_of(request))
    job = jobs_of(request).catalogue.get(spec.id)
    known = job is not None and (job.status != "done" or jobs_of(request).is_done(job))
    return {"id": spec.id, "about": spec.about, "request": spec.request,
            "job": job_view(jobs_of(request), job) if known else None}


@router.post("/share/{code}", status_code=202)
def run_share(code: str, request: Request) -> JSONResponse:
    """Run what a share code asks for (202), or answer with its job here (200)."""
    return _submitted(request, read_share_code(code, settings_of(request)))


router.include_router(results_router)
router.include_router(editor_router)
