"""Run options chosen from the population when the user leaves them out.

``scorelab run policy --citizens 1411778724`` should simply work on an ordinary
machine: every core busy, chunks large enough that per-chunk costs vanish, and
a ledger small enough to write. Small runs keep what suits them: one process
(starting workers costs about a second each, more than a small run takes) and
every citizen in the ledger. Results never depend on these choices: the same
seed gives the same files for any worker count and chunk size, and the ledger
sample only decides which citizens' rows are written.

A run given no folder writes ``runs/<policy file name>`` under the working
directory (:func:`default_out`), from the API and the CLI alike.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from scorelab.policy import LoadedPolicy

SMALL_RUN = 1_000_000  # up to this many citizens: one process, everyone in the ledger
SMALLEST_CHUNK = 1 << 18
LARGEST_CHUNK = 1 << 20  # about 0.6 GB of scratch per worker (docs/performance.md)
CHUNKS_PER_WORKER = 4  # enough to keep workers even when chunks finish unevenly
SAMPLED_CITIZENS = 250_000  # the most citizens a default ledger sample keeps
RUNS = Path("runs")  # where runs given no folder go, under the working directory


def default_out(policy: str | Path | LoadedPolicy) -> Path:
    """The run folder of ``policy`` when none is given: :data:`RUNS` / its file name, no ``.toml``.

    A shipped policy's id names its folder as it was given.

    >>> default_out("policies/rongcheng.toml").as_posix(), default_out("court-list").as_posix()
    ('runs/rongcheng', 'runs/court-list')
    """
    return RUNS / Path(policy.path if isinstance(policy, LoadedPolicy) else policy).stem


def default_workers(citizens: int) -> int:
    """One worker per core above :data:`SMALL_RUN` citizens, else one process."""
    if citizens <= SMALL_RUN:
        return 1
    return max(1, os.cpu_count() or 1)


def default_chunk_size(citizens: int, workers: int) -> int:
    """About :data:`CHUNKS_PER_WORKER` chunks per worker, between 262,144 and 1,048,576 citizens.

    >>> default_chunk_size(100_000, 1), default_chunk_size(1_411_778_724, 2)
    (262144, 1048576)
    """
    return min(LARGEST_CHUNK, max(SMALLEST_CHUNK, citizens // (CHUNKS_PER_WORKER * workers)))


def default_ledger_sample(citizens: int) -> float:
    """Everyone up to :data:`SMALL_RUN` citizens; above, a round share keeping 100,000 to 250,000.

    The share is 1, 2 or 5 times a power of ten, so that it reads as what it is.

    >>> default_ledger_sample(100_000), default_ledger_sample(1_411_778_724)
    (1.0, 0.0001)
    >>> default_ledger_sample(10_000_000)
    0.02
    """
    if citizens <= SMALL_RUN:
        return 1.0
    share = SAMPLED_CITIZENS / citizens
    exponent = math.floor(math.log10(share))
    for mantissa in (5, 2, 1):
        rounded = float(f"{mantissa}e{exponent}")
        if rounded <= share:
            return rounded
    return float(f"1e{exponent - 1}")  # log10 rounded up across a power of ten
