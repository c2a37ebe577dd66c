"""Refuse a run that would not fit, before it starts, with the option that fixes it.

The estimates are deliberately simple and a little generous: the day matrix
(days x groups x columns of int64) per worker and per accumulator, the chunk's
own arrays, and the expected ledger entries from the behaviour rates and
detection chances of the compiled tables.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scorelab._errors import RunRefusedError
from scorelab.engine._tables import Tables

GIB = 1024**3
BYTES_PER_CITIZEN_IN_CHUNK = 18 * 8 + 32 + 200  # counters, attributes, output table building
BYTES_PER_LEDGER_ROW = 72  # in memory; about 12 on disk after compression
BYTES_PER_CITIZEN_ON_DISK = 40
LOG_BYTES = (1 << 20) * 16 * 2


@dataclass(frozen=True)
class Estimate:
    """What a run is expected to need."""

    memory: int
    disk: int
    ledger_rows: int


def ledger_rows_per_citizen(tables: Tables) -> float:
    """Expected ledger entries per citizen over the run, before the ledger sample.

    Records that a rule scores count once, twice if they can expire.
    """
    scored = np.zeros(tables.beh_rate.shape[0])
    for rule in range(tables.rule_beh.shape[0]):
        scored[tables.rule_beh[rule]] += 2 if tables.rule_expiry[rule] else 1
    per_day = (tables.beh_rate * tables.beh_detect_any.max(axis=1) * scored).sum()
    return float(per_day * tables.days * 1.5)  # multipliers make some groups busier


def estimate(tables: Tables, *, citizens: int, chunk_size: int, workers: int,
             baseline: bool) -> Estimate:
    """Memory and disk a run needs."""
    matrix = (tables.days + 1) * tables.n_groups * tables.layout.width * 8
    matrices = matrix * (2 if baseline else 1)
    chunk = min(chunk_size, citizens)
    rows = ledger_rows_per_citizen(tables) * tables.ledger_sample
    per_chunk = chunk * (BYTES_PER_CITIZEN_IN_CHUNK + rows * BYTES_PER_LEDGER_ROW) + LOG_BYTES
    in_flight = workers + 1 if workers > 1 else 1
    memory = int(in_flight * (matrices + per_chunk) + matrices + 300 * 1024**2)
    # the citizen table keeps the ledger's sample too; the daily table is at most the matrices
    disk = int(2 * citizens * (tables.ledger_sample * BYTES_PER_CITIZEN_ON_DISK + rows * 12)
               + matrices)
    return Estimate(memory=memory, disk=disk, ledger_rows=int(rows * citizens))


def available_memory() -> int | None:
    """Memory available to a new process (Linux), or None where it cannot be read."""
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def refuse_if_too_big(tables: Tables, *, citizens: int, chunk_size: int, workers: int,
                      baseline: bool, out: Path) -> Estimate:
    """Raise :class:`RunRefusedError` when the run would not fit in memory or on disk."""
    need = estimate(tables, citizens=citizens, chunk_size=chunk_size, workers=workers,
                    baseline=baseline)
    memory = available_memory()
    if memory is not None and need.memory > 0.9 * memory:
        raise RunRefusedError(
            f"this run needs about {need.memory / GIB:.1f} GiB of memory but "
            f"{memory / GIB:.1f} GiB are available: use a smaller --chunk-size (now "
            f"{chunk_size:,}) or fewer --workers (now {workers})")
    parent = out.resolve().parent
    while not parent.exists():
        parent = parent.parent
    free = shutil.disk_usage(parent).free
    if need.disk > 0.9 * free:
        raise RunRefusedError(
            f"this run needs about {need.disk / GIB:.1f} GiB of disk but {free / GIB:.1f} GiB "
            f"are free under {parent}: keep a sample of citizens and ledger with --ledger-sample "
            f"(about {need.ledger_rows:,} ledger rows expected), or write elsewhere with --out")
    return need
