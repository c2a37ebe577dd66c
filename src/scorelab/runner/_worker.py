"""The worker side of a run: the job it is given once, and simulating one chunk.

A worker process (or the run's own process, with one worker) receives the
:class:`Job` once, builds the kernel's structs from it, and then simulates
chunks one after another, reusing its day matrices and household scratch.
Only what a chunk's outputs need travels back: the used columns of the day
matrix, the sampled citizens' rows and counters, and the ledger rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from scorelab.engine import EngineTables, clear_household, new_household, run_chunk, to_kernel
from scorelab.runner._columns import UsedColumns, take_columns
from scorelab.world import CensusCdfs, generate, in_sample

#: What one chunk sends back: citizens simulated, sampled people, day columns,
#: sampled counters, ledger rows, baseline day columns (or None).
ChunkResult = tuple[int, Any, UsedColumns, np.ndarray, Any, UsedColumns | None]


@dataclass(frozen=True)
class Job:
    """Everything a worker needs, shipped once per worker process."""

    tables: EngineTables
    population: CensusCdfs
    seed: int
    total: int
    baseline: EngineTables | None = None  # the same world with no policy, for deterrence


@dataclass
class _WorkerState:
    """One worker's job, kernel structs and scratch, kept from chunk to chunk."""

    job: Job
    kernel_tables: Any
    kernel_baseline: Any
    matrices: dict[str, np.ndarray]
    households: dict[str, Any]


_state: _WorkerState | None = None  # one job per worker process


def init_worker(job: Job) -> None:
    """Make ``job`` this process's job (compiling its kernel structs once)."""
    global _state  # noqa: PLW0603 (one job per worker process)
    _state = _WorkerState(job, to_kernel(job.tables),
                          to_kernel(job.baseline) if job.baseline is not None else None, {}, {})


def empty_matrix(tables: EngineTables) -> np.ndarray:
    """A zero day matrix: (days + 1) x columns x groups, int64."""
    return np.zeros((tables.days + 1, tables.layout.width, tables.n_groups), np.int64)


def _matrix(state: _WorkerState, name: str, tables: EngineTables) -> np.ndarray:
    """This worker's day matrix ``name``, made once and reused chunk after chunk."""
    if name not in state.matrices:
        state.matrices[name] = empty_matrix(tables)
    return state.matrices[name]


def _household(state: _WorkerState, name: str, tables: EngineTables, count: int) -> Any:
    """This worker's household scratch ``name``, cleared for a chunk of ``count`` citizens.

    Reused chunk after chunk: a fresh one would map (and the kernel zero) about
    150 MB of per-citizen counters for every million citizens.
    """
    household = state.households.get(name)
    if household is None or household.cit.shape[0] < count:
        household = state.households[name] = new_household(tables, count)
    else:
        clear_household(household, count)
    return household


def simulate(span: tuple[int, int]) -> ChunkResult:
    """Simulate citizens ``first .. first + count - 1`` in this worker.

    Returns how many citizens it simulated; the people and per-citizen counters
    of the ones in the ledger's seeded sample (only those are written, so only
    those travel back); the used columns of its day matrix; its ledger rows;
    and (with a baseline: the same people simulated a second time with no
    policy) the used columns of the baseline's day matrix.
    """
    first, count = span
    state = _state
    assert state is not None, "init_worker first"
    job = state.job
    people = generate(job.seed, first, count, job.total, job.population)
    columns = (people.citizen_id, people.household_id, people.sex, people.age, people.region,
               people.urban, people.income_decile, people.occupation)
    matrix = _matrix(state, "daily", job.tables)
    household = _household(state, "daily", job.tables, count)
    touched, cit, ledger = run_chunk(state.kernel_tables, household, matrix, *columns)
    daily = take_columns(matrix, touched)
    cit = cit[:count]
    if job.tables.ledger_sample < 1.0:  # the citizen table keeps the ledger's sample
        keep = in_sample(job.seed, people.citizen_id, job.tables.ledger_sample)
        people, cit = people.subset(keep), cit[keep]
    else:
        cit = cit.copy()  # the scratch is reused for the next chunk
    baseline = None
    if state.kernel_baseline is not None:
        assert job.baseline is not None
        matrix = _matrix(state, "baseline", job.baseline)
        household = _household(state, "baseline", job.baseline, count)
        touched, _, _ = run_chunk(state.kernel_baseline, household, matrix, *columns)
        baseline = take_columns(matrix, touched)
    return count, people, daily, cit, ledger, baseline
