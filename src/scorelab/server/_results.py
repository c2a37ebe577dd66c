"""The results of finished runs under ``/api``: summaries, tables, stories, files, comparisons.

Each route reads a finished run's folder with the engine's own readers
(``RunResult``, ``scorelab.explain``, ``scorelab.compare``); tables go out as
JSON records, CSV or Arrow IPC (``_formats``). A run that is not done is 409;
an unknown id 404; files are a run folder's own files only.
"""

from __future__ import annotations

import functools
import json
import threading
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import FileResponse

from scorelab._errors import RunFolderError, ScorelabError
from scorelab._run_folder import RUN_FILES
from scorelab.audit import explain
from scorelab.reporting import compare
from scorelab.runner import RunResult
from scorelab.server._citizens import citizens_table
from scorelab.server._formats import negotiate, table_response
from scorelab.server._lookup import finite, folder_of, settings_of
from scorelab.server._requests import RefusedError

router = APIRouter()  # included by _api.router, under /api
#: a served HTML file runs sandboxed: its scripts cannot read the token or call the API
SANDBOX = {"content-security-policy": "sandbox allow-scripts allow-popups"}
#: a finished run's summary is read once, by one thread (pages opened at once wait for it)
_SUMMARY_LOCK = threading.Lock()
_MEDIA = {".html": "text/html", ".json": "application/json", ".toml": "text/plain",
          ".parquet": "application/vnd.apache.parquet"}


def _run_folder_errors(request: Request, exc: ScorelabError) -> HTTPException:
    """A reader's error (no such citizen), its server path named by the run id."""
    return HTTPException(404, settings_of(request).public(str(exc)))


@router.get("/runs/{run_id}/summary")
def run_summary(run_id: str, request: Request) -> dict[str, Any]:
    """The headline numbers of a finished run (``RunResult.summary()``)."""
    folder = folder_of(request, run_id)
    with _SUMMARY_LOCK:
        return _summary(folder, (folder / "manifest.json").stat().st_mtime_ns)


@functools.lru_cache(maxsize=256)
def _summary(folder: Path, written: int) -> dict[str, Any]:
    """A finished run's summary, read once: its folder does not change (keyed by the manifest)."""
    return finite(RunResult(folder).summary())


@router.get("/runs/{run_id}/daily")
def run_daily(run_id: str, request: Request, dimension: str | None = None,
              group: str | None = None, columns: str | None = None,
              format: str | None = None):
    """``daily.parquet`` as JSON records, CSV or Arrow IPC (by ``Accept`` or ``format``).

    ``dimension`` and ``group`` pick rows (``dimension=all``: everyone);
    ``columns`` (comma-separated) picks columns.
    """
    folder = folder_of(request, run_id)
    path = folder / "daily.parquet"
    names = pq.read_schema(path).names
    wanted = _columns(columns, names)
    _check_rows(json.loads((folder / "manifest.json").read_text())["groups"], dimension, group)
    filters = [(pc.field(name) == value) for name, value in
               (("dimension", dimension), ("group", group)) if value is not None]
    expression = filters[0] & filters[1] if len(filters) == 2 else (filters or [None])[0]
    table = pq.read_table(path, columns=wanted, filters=expression)
    return table_response(table, _format(request, format), name=f"{run_id}-daily")


def _check_rows(groups: dict[str, list[str]], dimension: str | None, group: str | None) -> None:
    """A 422 naming what is expected for a dimension or group the run does not have."""
    if dimension is not None and dimension not in groups:
        raise RefusedError.one(422, f"dimension: no dimension {dimension[:80]!r}: expected one "
                                    f"of {', '.join(sorted(groups))}", key="dimension")
    known = groups.get(dimension, []) if dimension else sorted({g for v in groups.values()
                                                                for g in v})
    if group is not None and group not in known:
        within = f"of dimension {dimension!r}" if dimension else "in this run"
        raise RefusedError.one(422, f"group: no group {group[:80]!r} {within}: expected one of "
                                    f"{', '.join(known)}", key="group")


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
    path = folder_of(request, run_id) / "citizens.parquet"
    table, total = citizens_table(path, dict(request.query_params), limit=limit,
                                  offset=offset, columns=columns, sort=sort)
    return table_response(table, _format(request, format), name=f"{run_id}-citizens",
                          headers={"x-total-count": str(total)})


@router.get("/runs/{run_id}/citizens/{citizen_id}")
def citizen_story(run_id: str, citizen_id: int, request: Request) -> dict[str, Any]:
    """One citizen's story (``scorelab.explain``): who, every point change, reconciled."""
    folder = folder_of(request, run_id)
    try:
        story = explain(folder, citizen_id)
    except RunFolderError as exc:
        raise _run_folder_errors(request, exc) from None
    return finite(jsonable_encoder({
        "citizen_id": story.citizen_id, "attributes": story.attributes,
        "start_score": story.start_score, "final_score": story.final_score,
        "grade": story.grade, "in_ledger_sample": story.in_ledger_sample,
        "reconciles": story.reconciles, "entries": story.entries}))


@router.get("/runs/{run_id}/files/{name}")
def run_file(run_id: str, name: str, request: Request) -> FileResponse:
    """One of a finished run folder's own files (manifest.json, daily.parquet, report.html...)."""
    folder = folder_of(request, run_id)
    if name not in RUN_FILES or not (folder / name).is_file():
        raise HTTPException(404, f"run {run_id} has no file {name[:80]!r} (files: "
                                 f"{', '.join(RUN_FILES)})")
    suffix = Path(name).suffix
    return FileResponse(folder / name, media_type=_MEDIA.get(suffix, "application/octet-stream"),
                        headers=SANDBOX if suffix == ".html" else None,
                        content_disposition_type="inline", filename=f"{run_id}-{name}")


# -- comparing -----------------------------------------------------------------------------

@router.get("/compare")
def compare_runs(a: str, b: str, request: Request) -> dict[str, Any]:
    """Two finished runs compared (``scorelab.compare``): inputs that differ, every measure."""
    comparison = compare(folder_of(request, a), folder_of(request, b),
                         out=_compare_page(request, a, b))
    rows = [{"section": r.section, "measure": r.measure, "unit": r.unit, "a": r.a, "b": r.b,
             "difference": r.difference, "relative_change": r.relative_change,
             "differs": r.differs} for r in comparison.rows]
    return finite({"a": a, "b": b, "labels": list(comparison.labels),
                    "inputs": [{"input": n, "a": va, "b": vb} for n, va, vb in comparison.inputs],
                    "rows": rows, "page": f"/api/compare/page?a={a}&b={b}"})


@router.get("/compare/page")
def compare_page(a: str, b: str, request: Request) -> FileResponse:
    """The comparison's HTML page (written in the runs folder's ``compare/``)."""
    page = _compare_page(request, a, b)
    if not page.is_file():
        compare(folder_of(request, a), folder_of(request, b), out=page)
    return FileResponse(page, media_type="text/html", headers=SANDBOX)


def _compare_page(request: Request, a: str, b: str) -> Path:
    """Where the page of A against B lives: ``<runs>/compare/<a>-vs-<b>.html``."""
    folder_of(request, a)  # both ids are checked before a path is made of them
    folder_of(request, b)
    folder = settings_of(request).runs / "compare"
    folder.mkdir(exist_ok=True)
    return folder / f"{a}-vs-{b}.html"
