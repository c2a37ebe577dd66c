"""The Ray backend: chunks as Ray tasks on a local instance or an existing cluster.

The job (compiled tables and census tables) is put in Ray's object store once;
each task simulates one chunk and returns its day matrix, per-citizen counters
and ledger rows. Results are consumed in chunk order with at most
``workers + 1`` tasks in flight, exactly as the local backend, so both write
byte-identical run folders. Keep ``--ledger-sample`` small on a cluster: the
citizen and ledger rows of each chunk travel back to the driver.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any

from scorelab._errors import RunRefusedError

_cached: dict[int, Any] = {}


def _simulate_remote(job: Any, span: tuple[int, int]) -> tuple:
    """Run one chunk in a Ray worker, compiling the kernel tables once per worker process."""
    from scorelab.runner import _runner  # noqa: PLC0415 (imported inside the worker)

    key = id(job)
    if _cached.get("job_id") != key:
        _runner._init_worker(job)
        _cached["job_id"] = key
    return _runner._simulate(span)


def ray_results(job: Any, spans: list[tuple[int, int]], workers: int | None,
                address: str | None) -> Iterator[tuple]:
    """Chunk results from Ray tasks, in chunk order; ``workers`` None: one per cluster CPU."""
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
        if workers is None:
            workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
        simulate = ray.remote(_simulate_remote)
        job_ref = ray.put(job)
        pending: deque = deque()
        for span in spans:
            pending.append(simulate.remote(job_ref, span))
            if len(pending) > workers:
                yield ray.get(pending.popleft())
        while pending:
            yield ray.get(pending.popleft())
    finally:
        if started_here:
            ray.shutdown()
