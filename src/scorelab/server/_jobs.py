"""The job queue: a bounded FIFO of runs, served by job worker processes, never the server's.

Data flow::

    POST /api/runs --JobSpec--> submit: the catalogue's job if the same request is done,
        queued or running; else a queued job (HTTP 429 past max_queued)
    queue (FIFO) --dispatch--> an idle ready worker (``_worker.main``, its own process group)
    worker --progress, done, failed, interrupted--> a reader thread per worker
        --> the catalogue (status, timings, progress) and the live progress

A job worker warms the engine at start; the first one compiles when the cache
is cold, the others start once it is ready (they then load the compiled code in
seconds instead of compiling it side by side). Cancelling a running job kills
its worker's whole process group (the run's local pool with it), removes the
run's staging folder (only a folder scorelab marked as a run), and starts a
fresh worker. Closing kills every group and marks unfinished jobs interrupted,
keeping their staging folders so that ``resume`` continues them.
"""

from __future__ import annotations

import collections
import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from scorelab._owned import LOCK_SUFFIX, marker_kind, remove_owned
from scorelab._run_folder import MANIFEST, staging_of
from scorelab._version import __version__
from scorelab.engine import is_compiled
from scorelab.runner import PHASES
from scorelab.server._catalogue import Catalogue, Job
from scorelab.server._requests import JobSpec
from scorelab.server._settings import Settings
from scorelab.server._worker import main as worker_main

#: the share of a run each phase starts at, for a rough overall fraction (simulating is
#: the first 80%: above a million citizens it is nearly all of the time)
_PHASE_START = dict(zip(PHASES, (0.0, 0.80, 0.85, 0.90, 0.92, 0.98), strict=True))
WORKER_JOIN_SECONDS = 5.0


class QueueFullError(Exception):
    """The queue holds ``max_queued`` jobs already (HTTP 429)."""


class ConflictError(Exception):
    """The job is not in a state that allows what was asked (HTTP 409)."""


@dataclass
class _Worker:
    slot: int
    process: Any  # a spawn context's Process
    conn: Connection
    state: str = "starting"  # starting, ready, broken, gone
    job: str | None = None
    retired: bool = False  # ended on purpose (cancel, close): its exit is no accident
    reader: threading.Thread | None = field(default=None, repr=False)


def progress_of(phase: str, done: int, total: int) -> dict[str, Any]:
    """A progress record: the phase, its count, and a rough fraction of the whole run.

    >>> progress_of("simulate", 50, 100)["fraction"]
    0.4
    """
    if phase == "simulate":
        fraction = _PHASE_START["citizens"] * done / max(total, 1)
    else:
        fraction = _PHASE_START.get(phase, 1.0 if phase == "done" else 0.0)
    return {"phase": phase, "done": done, "total": total, "fraction": round(fraction, 4)}


class JobManager:
    """Runs jobs on ``settings.jobs`` worker processes, one job each, in the order asked."""

    def __init__(self, settings: Settings, catalogue: Catalogue, *,
                 announce: Callable[[str], None] | None = None) -> None:
        self.settings, self.catalogue = settings, catalogue
        self._announce = announce or (lambda line: print(line, file=sys.stderr, flush=True))
        self._lock = threading.RLock()
        self._queue: collections.deque[str] = collections.deque()
        self._workers: dict[int, _Worker] = {}
        self._waiting_slots: list[int] = []  # started once the first worker has compiled
        self._context = multiprocessing.get_context("spawn")  # never fork a threaded server
        self._engine, self._engine_seconds, self._engine_error = "compiling", None, None
        self._closing = False

    # -- life --------------------------------------------------------------------------

    def start(self) -> None:
        """Mark what a killed server left unfinished, then start the job workers."""
        self.catalogue.interrupt_unfinished()
        slots = list(range(self.settings.jobs))
        if not is_compiled():  # one compiles; the others then load its code in seconds
            slots, self._waiting_slots = slots[:1], slots[1:]
        with self._lock:
            for slot in slots:
                self._start_worker(slot)

    def close(self) -> None:
        """End every job worker's process group; unfinished jobs become interrupted (once)."""
        with self._lock:
            if self._closing:
                return
            self._closing = True
            workers = list(self._workers.values())
            for worker in workers:
                worker.retired = True
                _kill_group(worker.process)
        for worker in workers:
            _reap(worker)
        self.catalogue.interrupt_unfinished()

    def _start_worker(self, slot: int) -> None:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(target=worker_main, name=f"scorelab-job-worker-{slot}",
                                        args=(theirs, str(self.settings.runs), os.getpid()))
        process.start()
        theirs.close()
        worker = _Worker(slot, process, ours)
        worker.reader = threading.Thread(target=self._read, args=(worker,), daemon=True,
                                         name=f"scorelab-job-reader-{slot}")
        self._workers[slot] = worker
        worker.reader.start()

    def _read(self, worker: _Worker) -> None:
        """A reader thread: each message of one worker, then what its end means."""
        while True:
            try:
                message = worker.conn.recv()
            except (EOFError, OSError):
                break
            with self._lock:
                if not worker.retired:
                    self._handle(worker, message)
        worker.process.join(WORKER_JOIN_SECONDS)
        with self._lock:
            if not worker.retired:
                self._lost(worker)

    def _handle(self, worker: _Worker, message: tuple) -> None:
        kind = message[0]
        if kind == "ready":
            worker.state = "ready"
            if self._engine != "ready":
                self._engine, self._engine_seconds = "ready", float(message[1])
                self._announce(f"scorelab serve: engine ready ({message[1]:.1f} s)")
            while self._waiting_slots and not self._closing:
                self._start_worker(self._waiting_slots.pop(0))
        elif kind == "broken":
            worker.state, self._engine_error = "broken", str(message[1])
            if not any(w.state == "ready" for w in self._workers.values()):
                self._engine = "failed"
            self._announce(f"scorelab serve: a job worker cannot start: {message[1]}")
            return
        elif kind == "progress":
            _, job_id, phase, done, total = message
            self.catalogue.update(job_id, progress=progress_of(phase, done, total))
            return
        else:  # done, failed, interrupted
            self._finish(message[1], kind, message[2] if len(message) > 2 else None)
            worker.job = None
        self._dispatch()

    def _lost(self, worker: _Worker) -> None:
        """A worker ended by itself (killed from outside, out of memory): say so, replace it."""
        code = worker.process.exitcode
        had_started = worker.state == "ready"
        worker.state = "gone"
        worker.conn.close()
        if worker.job is not None:
            self._finish(worker.job, "interrupted", f"the job's worker process ended "
                         f"unexpectedly (exit code {code}): resume it")
            worker.job = None
        if self._closing:
            return
        if had_started:
            self._start_worker(worker.slot)
        elif self._engine_error is None:
            self._engine_error = f"a job worker ended while starting (exit code {code})"
            if not any(w.state == "ready" for w in self._workers.values()):
                self._engine = "failed"

    def _finish(self, job_id: str, status: str, error: str | None) -> None:
        job = self.catalogue.get(job_id)
        if job is None:
            return
        now = time.time()
        progress = progress_of("done", 1, 1) if status == "done" else job.progress
        seconds = now - job.started_at if job.started_at is not None else None
        self.catalogue.update(job_id, status=status, finished_at=now, seconds=seconds,
                              error=None if error is None else self.settings.public(error),
                              progress=progress,
                              resume=status == "interrupted")

    def _dispatch(self) -> None:
        """Give queued jobs to idle ready workers, first come first served."""
        for worker in self._workers.values():
            if not self._queue or self._closing:
                return
            if worker.state != "ready" or worker.job is not None:
                continue
            job_id = self._queue.popleft()
            job = self.catalogue.get(job_id)
            if job is None:
                continue
            worker.job = job_id
            self.catalogue.update(job_id, status="running", started_at=time.time(),
                                  progress=progress_of("simulate", 0, job.request["citizens"]))
            with contextlib.suppress(OSError):  # a dead worker: its reader says so
                worker.conn.send((job_id, job.request, job.resume))

    # -- what the API asks -------------------------------------------------------------

    def submit(self, spec: JobSpec) -> tuple[Job, bool]:
        """The job of ``spec``: the catalogue's (done, queued, running), or a new queued one.

        Returns:
            The job, and whether it was queued now.

        Raises:
            QueueFullError: ``max_queued`` jobs wait already and no worker is free.
        """
        with self._lock:
            job = self.catalogue.get(spec.id)
            if job is not None and (job.status in ("queued", "running") or self.is_done(job)):
                return job, False
            resume = job is not None and job.status == "interrupted"
            return self._enqueue(Job(id=spec.id, hash=spec.hash, request=spec.request,
                                     about=spec.about, status="queued", folder=spec.id,
                                     resume=resume)), True

    def resume(self, job_id: str) -> Job:
        """Queue an interrupted job again, to continue from its last checkpoint.

        Raises:
            KeyError: no such job. ConflictError: it is not interrupted. QueueFullError: as submit.
        """
        with self._lock:
            job = self.catalogue.get(job_id)
            if job is None:
                raise KeyError(job_id)
            if job.status != "interrupted":
                raise ConflictError(f"run {job_id} is {job.status}: only an interrupted run "
                                    "resumes")
            job.resume = True
            return self._enqueue(job)

    def _enqueue(self, job: Job) -> Job:
        idle = any(w.state == "ready" and w.job is None for w in self._workers.values())
        if len(self._queue) >= self.settings.max_queued and not idle:
            raise QueueFullError(f"{len(self._queue)} runs are waiting already: this server's "
                                 f"limit max_queued is {self.settings.max_queued} (scorelab "
                                 "serve --max-queued); try again when one has started")
        job.status, job.queued_at, job.error = "queued", time.time(), None
        job.started_at = job.finished_at = job.seconds = job.progress = None
        self.catalogue.put(job)
        self._queue.append(job.id)
        self._dispatch()
        return self.catalogue.get(job.id) or job

    def cancel(self, job_id: str) -> Job:
        """Drop a queued job, or end a running one with every process of its worker.

        Raises:
            KeyError: no such job. ConflictError: it is neither queued nor running.
        """
        with self._lock:
            job = self.catalogue.get(job_id)
            if job is None:
                raise KeyError(job_id)
            if job.status == "queued":
                self._queue.remove(job_id)
                self.catalogue.update(job_id, status="cancelled", finished_at=time.time())
                return self.catalogue.get(job_id) or job
            if job.status != "running":
                raise ConflictError(f"run {job_id} is {job.status}: only a queued or running run "
                                    "can be cancelled")
            worker = next(w for w in self._workers.values() if w.job == job_id)
            worker.retired = True
            _kill_group(worker.process)
        _reap(worker)
        with self._lock:
            if (self.settings.runs / job.folder / MANIFEST).is_file():  # it finished first
                self._finish(job_id, "done", None)
            else:
                _remove_staging(self.settings.runs / job.folder)
                self._finish(job_id, "cancelled", None)
            if not self._closing:
                self._start_worker(worker.slot)
            return self.catalogue.get(job_id) or job

    def is_done(self, job: Job) -> bool:
        """Whether a job is done and its folder is still there (else it runs again)."""
        return job.status == "done" and (self.settings.runs / job.folder / MANIFEST).is_file()

    def position(self, job_id: str) -> int | None:
        """A queued job's place in the queue (1: next), or None."""
        with self._lock:
            return self._queue.index(job_id) + 1 if job_id in self._queue else None

    def status(self) -> dict[str, Any]:
        """The engine's readiness, the workers and the queue."""
        with self._lock:
            workers = [{"pid": w.process.pid, "state": "busy" if w.job else w.state,
                        "job": w.job} for w in self._workers.values()]
            return {"engine": self._engine, "engine_seconds": self._engine_seconds,
                    "error": self._engine_error, "jobs": self.settings.jobs,
                    "running": sum(1 for w in self._workers.values() if w.job),
                    "queued": len(self._queue), "max_queued": self.settings.max_queued,
                    "workers": workers, "version": __version__}


def _kill_group(process: Any) -> None:
    """SIGKILL a worker's process group (itself and its run's pool); the worker alone if none."""
    pid = process.pid
    if pid is None or process.exitcode is not None:  # never started, or reaped: pid not ours
        return
    try:
        if os.getpgid(pid) == pid:  # it called setsid: its group is its own
            os.killpg(pid, signal.SIGKILL)
            return
    except ProcessLookupError:
        return
    with contextlib.suppress(OSError, ValueError):
        process.kill()


def _reap(worker: _Worker) -> None:
    """Wait for a killed worker to end, and for its reader thread to see the pipe close."""
    worker.process.join(WORKER_JOIN_SECONDS)
    if worker.reader is not None and worker.reader is not threading.current_thread():
        worker.reader.join(WORKER_JOIN_SECONDS)
    with contextlib.suppress(OSError):
        worker.conn.close()
    worker.state = "gone"


def _remove_staging(out: Any) -> None:
    """Remove what a killed run left: its staging folder (scorelab's marker only) and lock."""
    staging = staging_of(out)
    if marker_kind(staging) == "run":
        remove_owned(staging, "run")
    elif staging.is_dir() and not any(staging.iterdir()):  # killed before its marker
        staging.rmdir()
    with contextlib.suppress(OSError):
        (out.parent / f".{out.name}{LOCK_SUFFIX}").unlink()

