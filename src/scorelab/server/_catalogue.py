"""The catalogue of jobs: an SQLite database in the runs folder, so a restart forgets nothing.

``<runs>/catalogue.sqlite`` (WAL mode) holds one row per job: its id, content
hash, request, labels, status, timings, folder, error and last progress. The
job manager writes it as jobs move; the API reads it. Run folders stay the
results (``<runs>/<id>/``); the catalogue only says which request made which
folder and how that went.

One server owns a runs folder at a time: it holds an OS lock on
``<runs>/.serve.lock`` (``flock``, released by the OS however the server
dies), since a second server would mark the first one's running jobs
interrupted. On opening, jobs left ``running`` or ``queued`` by a server that
was killed become ``interrupted``, or ``done`` where the folder was published
before the kill.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from scorelab._errors import ServerError
from scorelab._owned import lock_or_holder
from scorelab._run_folder import MANIFEST

DATABASE, SERVER_LOCK = "catalogue.sqlite", ".serve.lock"
#: every status a job can have; the last four are final until a client asks again
STATUSES = ("queued", "running", "done", "failed", "cancelled", "interrupted")
SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL,
    request TEXT NOT NULL,
    about TEXT NOT NULL,
    status TEXT NOT NULL,
    resume INTEGER NOT NULL DEFAULT 0,
    queued_at REAL,
    started_at REAL,
    finished_at REAL,
    seconds REAL,
    folder TEXT NOT NULL,
    error TEXT,
    progress TEXT
)
"""
_FIELDS = ("id", "hash", "request", "about", "status", "resume", "queued_at", "started_at",
           "finished_at", "seconds", "folder", "error", "progress")
_JSON_FIELDS = ("request", "about", "progress")


@dataclass
class Job:
    """One row of the catalogue (times in seconds since the epoch; ``folder`` under runs)."""

    id: str
    hash: str
    request: dict[str, Any]
    about: dict[str, Any]
    status: str
    folder: str
    resume: bool = False  # the next start continues the run's staging folder
    queued_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    seconds: float | None = None
    error: str | None = None
    progress: dict[str, Any] | None = field(default=None)


class Catalogue:
    """The jobs of one runs folder; thread-safe (one connection behind a lock)."""

    def __init__(self, runs: Path) -> None:
        self.runs = runs
        try:
            runs.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ServerError(f"--runs {runs}: cannot create it ({exc.strerror})") from None
        self._lock_file = _hold_server_lock(runs)
        try:
            self._db = sqlite3.connect(runs / DATABASE, check_same_thread=False,
                                       isolation_level=None, timeout=10)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(_SCHEMA)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.Error as exc:
            self._lock_file.close()
            raise ServerError(f"--runs {runs}: cannot open {DATABASE} ({exc})") from None
        self._lock = threading.Lock()
        #: how many writes the catalogue has had: a watcher of a job re-reads it on a change
        self.changes = 0

    def close(self) -> None:
        """Close the database and release the runs folder for another server."""
        with self._lock:
            self._db.close()
        self._lock_file.close()  # the file stays: unlinking it could let two servers lock

    def get(self, job_id: str) -> Job | None:
        """The job of ``job_id``, or None."""
        with self._lock:
            row = self._db.execute(f"SELECT {', '.join(_FIELDS)} FROM jobs WHERE id = ?",
                                   (job_id,)).fetchone()
        return None if row is None else _job(row)

    def jobs(self) -> list[Job]:
        """Every job, the most recently queued first."""
        with self._lock:
            rows = self._db.execute(f"SELECT {', '.join(_FIELDS)} FROM jobs "
                                    "ORDER BY queued_at DESC, id").fetchall()
        return [_job(row) for row in rows]

    def put(self, job: Job) -> None:
        """Write ``job`` whole (a new job, or one queued again)."""
        values = [getattr(job, name) for name in _FIELDS]
        values = [json.dumps(v) if name in _JSON_FIELDS and v is not None else v
                  for name, v in zip(_FIELDS, values, strict=True)]
        with self._lock:
            self._db.execute(f"INSERT OR REPLACE INTO jobs ({', '.join(_FIELDS)}) "
                             f"VALUES ({', '.join('?' * len(_FIELDS))})", values)
            self.changes += 1

    def update(self, job_id: str, **changes: Any) -> None:
        """Change some fields of a job."""
        unknown = set(changes) - set(_FIELDS)
        if unknown:
            raise ValueError(f"no job field {', '.join(sorted(unknown))}")
        names = list(changes)
        values = [json.dumps(changes[n]) if n in _JSON_FIELDS and changes[n] is not None
                  else changes[n] for n in names]
        with self._lock:
            self._db.execute(f"UPDATE jobs SET {', '.join(f'{n} = ?' for n in names)} "
                             "WHERE id = ?", [*values, job_id])
            self.changes += 1

    def interrupt_unfinished(self) -> list[str]:
        """Mark jobs a killed server left ``running`` or ``queued``: interrupted, or done.

        A job whose folder was published before the kill is done; the others keep
        their staging folder, so that ``resume`` continues them.
        """
        now = time.time()
        changed = []
        for job in self.jobs():
            if job.status not in ("running", "queued"):
                continue
            if (self.runs / job.folder / MANIFEST).is_file():
                self.update(job.id, status="done", finished_at=job.finished_at or now)
            else:
                self.update(job.id, status="interrupted", resume=True,
                            error="the server stopped before the run finished: resume it")
            changed.append(job.id)
        return changed


def _job(row: tuple) -> Job:
    values = dict(zip(_FIELDS, row, strict=True))
    for name in _JSON_FIELDS:
        if values[name] is not None:
            values[name] = json.loads(values[name])
    values["resume"] = bool(values["resume"])
    return Job(**values)


def _hold_server_lock(runs: Path) -> IO[str]:
    """Hold ``<runs>/.serve.lock``, or refuse: another live server serves this folder."""
    path = runs / SERVER_LOCK
    try:
        handle = open(path, "a+")  # noqa: SIM115 (held for the server's life)
    except OSError as exc:
        raise ServerError(f"--runs {runs}: cannot write in it ({exc.strerror})") from None
    holder = lock_or_holder(handle)
    if holder is not None:
        raise ServerError(f"--runs {runs} is served by another scorelab serve (PID {holder}): "
                          "stop it, or give this one another --runs")
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle
