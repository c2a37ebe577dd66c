"""Where chunks run: in this process, on a local pool of worker processes, or on Ray.

Every backend hands back chunk results in chunk order with at most
``workers + 1`` chunks in flight (one in-order window, :func:`_in_order`), so all
of them write the same bytes. While it waits for a chunk the window checks
:class:`~scorelab.runner._stop.StopRequests` every fifth of a second, so Ctrl-C
stops a run of many workers at once; a run in this process stops after the
chunk in progress (the engine cannot be interrupted mid-chunk).

Local workers die with their run. Each one ignores SIGINT (the run decides when
to stop) and asks Linux to kill it when its parent dies (``PR_SET_PDEATHSIG``),
so a parent ended by SIGKILL or the OOM killer leaves no worker behind; on any
other platform a thread in the worker watches the parent instead. When the run
ends by an error or a stop, the pool's workers are terminated, not awaited.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from scorelab._errors import RunInterruptedError, RunRefusedError
from scorelab.runner._stop import StopRequests
from scorelab.runner._worker import ChunkResult, Job, init_worker, simulate

POLL_SECONDS = 0.2
_PR_SET_PDEATHSIG = 1


def chunk_results(job: Job, spans: list[tuple[int, int]], workers: int | None, *,
                  backend: str, ray_address: str | None, stop: StopRequests,
                  note: Callable[[], str]) -> Iterator[ChunkResult]:
    """Results of ``spans`` in order; ``note()`` says how to continue, for a stop's message."""
    if backend == "ray":
        yield from _ray_results(job, spans, workers, ray_address, stop, note)
    elif workers is None or workers <= 1 or len(spans) <= 1:
        init_worker(job)
        for span in spans:
            stop.check(note())
            yield simulate(span)
    else:
        yield from _pool_results(job, spans, workers, stop, note)


def _in_order(submit: Callable[[tuple[int, int]], Any], wait: Callable[[Any], ChunkResult],
              spans: list[tuple[int, int]], window: int) -> Iterator[ChunkResult]:
    pending: deque = deque()
    for span in spans:
        pending.append(submit(span))
        if len(pending) > window:
            yield wait(pending.popleft())
    while pending:
        yield wait(pending.popleft())


def _pool_results(job: Job, spans: list[tuple[int, int]], workers: int, stop: StopRequests,
                  note: Callable[[], str]) -> Iterator[ChunkResult]:
    def lost_worker() -> RunInterruptedError:
        return RunInterruptedError("a worker process died (killed from outside, or by the "
                                   f"system when memory ran out): {note()}")

    def submit(span: tuple[int, int]) -> Future:
        try:
            return pool.submit(simulate, span)
        except (BrokenProcessPool, RuntimeError):  # a dead worker shuts the pool down
            raise lost_worker() from None

    def wait(future: Future) -> ChunkResult:
        while True:
            stop.check(note())
            try:
                return future.result(timeout=POLL_SECONDS)
            except FutureTimeout:
                continue
            except BrokenProcessPool:
                raise lost_worker() from None

    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=_init_pool_worker, initargs=(job, os.getpid()))
    finished = False
    try:
        yield from _in_order(submit, wait, spans, workers)
        finished = True
    finally:
        if finished:
            pool.shutdown(wait=True)
        else:
            _terminate(pool)


@contextlib.contextmanager
def local_pool(workers: int, initializer: Callable[..., None] | None = None,
               initargs: tuple = ()) -> Iterator[ProcessPoolExecutor]:
    """A pool of forked workers that ignore SIGINT and die with this process.

    Left normally, it waits for its workers; left by an exception (a stop, a
    failure), it ends them at once. Other packages' many-task jobs (experiments)
    use it as the runner's chunks do.
    """
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=_init_task_worker,
                               initargs=(os.getpid(), initializer, initargs))
    try:
        yield pool
    except BaseException:
        _terminate(pool)
        raise
    pool.shutdown(wait=True)


def _init_task_worker(parent: int, initializer: Callable[..., None] | None,
                      initargs: tuple) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    die_with_parent(parent)
    if initializer is not None:
        initializer(*initargs)


def _terminate(pool: ProcessPoolExecutor) -> None:
    """End a pool's workers now (a stopped or failed run does not wait for their chunks)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(OSError, ValueError):
            process.terminate()
    deadline = time.monotonic() + 5
    for process in processes:
        with contextlib.suppress(OSError, ValueError, AssertionError):
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()


def _init_pool_worker(job: Job, parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the run decides when to stop
    die_with_parent(parent)
    init_worker(job)


def die_with_parent(parent: int) -> None:
    """Make this process end when process ``parent`` does, however it ends."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL) == 0:
            if os.getppid() != parent:  # it died before we asked
                os._exit(1)
            return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="scorelab-parent-watch").start()


_ray_job_key: list[int] = []  # the job this Ray worker process was initialised with


def _simulate_remote(job: Job, span: tuple[int, int]) -> ChunkResult:
    """Run one chunk in a Ray worker, building the kernel structs once per worker process."""
    if _ray_job_key != [id(job)]:
        init_worker(job)
        _ray_job_key[:] = [id(job)]
    return simulate(span)


def _ray_results(job: Job, spans: list[tuple[int, int]], workers: int | None,
                 address: str | None, stop: StopRequests,
                 note: Callable[[], str]) -> Iterator[ChunkResult]:
    """Chunk results from Ray tasks; ``workers`` None: one per cluster CPU.

    The job goes to Ray's object store once; each task returns only its chunk's
    outputs. Keep ``--ledger-sample`` small on a cluster: the citizen and ledger
    rows of each chunk travel back to the driver.
    """
    with ray_session(workers, address) as ray:
        yield from _ray_chunks(ray, job, spans, workers, stop, note)


def _ray_chunks(ray: Any, job: Job, spans: list[tuple[int, int]], workers: int | None,
                stop: StopRequests, note: Callable[[], str]) -> Iterator[ChunkResult]:
    pending_refs: list[Any] = []

    def submit(span: tuple[int, int]) -> Any:
        ref = remote.remote(job_ref, span)
        pending_refs.append(ref)
        return ref

    def wait(ref: Any) -> ChunkResult:
        while True:
            stop.check(note())
            try:
                result = ray.get(ref, timeout=POLL_SECONDS)
            except ray.exceptions.GetTimeoutError:
                continue
            pending_refs.remove(ref)
            return result

    try:
        if workers is None:
            workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
        remote = ray.remote(_simulate_remote)
        job_ref = ray.put(job)
        yield from _in_order(submit, wait, spans, workers)
    finally:
        for ref in pending_refs:
            with contextlib.suppress(Exception):
                ray.cancel(ref, force=True)


@contextlib.contextmanager
def ray_session(workers: int | None, address: str | None) -> Iterator[Any]:
    """The ``ray`` module, connected: to ``address``, or to a local Ray of ``workers`` CPUs.

    A Ray this function started is shut down when the block ends; one already
    running (``ray.init`` called by the user) is left as it was.
    """
    try:
        import ray  # noqa: PLC0415 (optional dependency)
    except ImportError:
        raise RunRefusedError('the ray backend needs Ray: pip install "scorelab[ray]"') from None
    started_here = not ray.is_initialized()
    if started_here:
        if address is None:
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False,
                     configure_logging=False)
        else:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
    try:
        yield ray
    finally:
        if started_here:
            ray.shutdown()
