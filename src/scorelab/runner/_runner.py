"""Run a policy on a scenario: chunks of households, local workers, a run folder.

Data flow::

    policy + scenario --build_tables--> Tables ----------------------+
    census --population tables--> generate(chunk) --> run_chunk(T) --+--> matrix (summed)
                                                                     +--> citizens, ledger rows
    matrix --> daily.parquet;  rows --> citizens/ledger.parquet (fixed row groups)
    manifest.json last, then the folder is renamed into place.

Chunks are independent tasks; results are consumed in chunk order and the day
matrix is an integer sum, so the worker count and chunk size never change a
result.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from scorelab import __version__
from scorelab._errors import RunRefusedError
from scorelab._random import seed_to_int
from scorelab._resources import resolve_policy, resolve_scenario
from scorelab.engine._kernel import new_household, run_chunk
from scorelab.engine._tables import (
    Groups,
    Tables,
    build_tables,
    make_layout,
    score_bins,
    to_kernel,
)
from scorelab.policy._load import LoadedPolicy, load_policy
from scorelab.policy._schema import Policy
from scorelab.runner._folder import RowGroupWriter, prepare_output, publish, write_manifest
from scorelab.runner._outputs import citizens_table, daily_table, ledger_table
from scorelab.runner._result import RunResult
from scorelab.world._census import load_census
from scorelab.world._population import BLOCK, PopulationTables, generate
from scorelab.world._population import build_tables as population_tables
from scorelab.world._scenario import LoadedScenario, load_scenario

DEFAULT_CHUNK = 1 << 18


@dataclass(frozen=True)
class _Job:
    """Everything a worker needs, shipped once per worker process."""

    tables: Tables
    population: PopulationTables
    seed: int
    total: int
    baseline: Tables | None = None  # the same world with no policy, for deterrence


_job: _Job | None = None
_kernel_tables: Any = None
_kernel_baseline: Any = None


def _init_worker(job: _Job) -> None:
    global _job, _kernel_tables, _kernel_baseline  # noqa: PLW0603 (one job per worker process)
    _job = job
    _kernel_tables = to_kernel(job.tables)
    _kernel_baseline = to_kernel(job.baseline) if job.baseline is not None else None


def _simulate(span: tuple[int, int]) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, Any]:
    """Simulate citizens ``first .. first + count - 1`` in this worker.

    With a baseline, the same people are simulated a second time with no
    policy; only its day matrix is kept.
    """
    first, count = span
    assert _job is not None
    people = generate(_job.seed, first, count, _job.total, _job.population)
    columns = (people.citizen_id, people.household_id, people.sex, people.age, people.region,
               people.urban, people.income_decile, people.occupation)
    matrix, cit, ledger = run_chunk(_kernel_tables, new_household(_job.tables, count), *columns)
    baseline = None
    if _kernel_baseline is not None:
        baseline, _, _ = run_chunk(_kernel_baseline, new_household(_job.baseline, count),
                                   *columns)
    return people, matrix, cit, ledger, baseline


def plan_chunks(total: int, chunk_size: int) -> list[tuple[int, int]]:
    """Cut ``total`` citizens into chunks of whole blocks (households never straddle chunks).

    >>> plan_chunks(2500, 1000)
    [(0, 1024), (1024, 1024), (2048, 452)]
    """
    size = max(BLOCK, -(-chunk_size // BLOCK) * BLOCK)
    return [(first, min(size, total - first)) for first in range(0, total, size)]


def _results(job: _Job, spans: list[tuple[int, int]], workers: int) -> Iterator[tuple]:
    if workers <= 1 or len(spans) == 1:
        _init_worker(job)
        yield from map(_simulate, spans)
        return
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker,
                             initargs=(job,)) as pool:
        yield from pool.map(_simulate, spans)


def run(
    policy: str | Path | LoadedPolicy = "rongcheng",
    scenario: str | Path | LoadedScenario | None = None,
    *,
    citizens: int | None = None,
    days: int | None = None,
    seed: int | np.random.Generator | None = None,
    out: str | Path | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    workers: int = 1,
    ledger_sample: float = 1.0,
    baseline: bool = False,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> RunResult:
    """Simulate ``policy`` on ``scenario`` and write a run folder.

    Args:
        policy: a policy file, the name of a shipped policy, or a loaded policy.
        scenario: a scenario file or shipped name; None for the embedded default
            (100,000 citizens, 365 days).
        citizens: population size, overriding the scenario's.
        days: days to simulate, overriding the scenario's.
        seed: an int or a numpy Generator, overriding the scenario's seed.
        out: the run folder; None writes to a new temporary folder.
        chunk_size: citizens per unit of work (rounded up to whole blocks of 1,024).
        workers: local worker processes.
        ledger_sample: share of citizens whose ledger entries are kept (1.0: all).
        baseline: also simulate the same world and seed with no policy, and write its
            aggregates to ``baseline.parquet`` (to measure deterrence).
        force: replace an existing non-empty ``out``.
        progress: called with (citizens done, citizens in all) after each chunk.

    Returns:
        The finished run, whose tables can be read as pyarrow, polars or pandas.
    """
    if workers < 1:
        raise RunRefusedError(f"workers must be at least 1, got {workers}")
    if chunk_size < 1:
        raise RunRefusedError(f"chunk_size must be positive, got {chunk_size}")
    if not 0.0 <= ledger_sample <= 1.0:
        raise RunRefusedError(f"ledger_sample must lie in [0, 1], got {ledger_sample}")
    for name, value in (("citizens", citizens), ("days", days)):
        if value is not None and value < 1:
            raise RunRefusedError(f"{name} must be at least 1, got {value}")
    clock = time.perf_counter()
    loaded_policy = policy if isinstance(policy, LoadedPolicy) else load_policy(
        resolve_policy(policy))
    seed_value = seed_to_int(seed) if seed is not None else None
    loaded_scenario = scenario if isinstance(scenario, LoadedScenario) else load_scenario(
        resolve_scenario(scenario) if scenario is not None else None,
        citizens=citizens, days=days, seed=seed_value)
    world = loaded_scenario.scenario
    meta = world.scenario
    census = load_census(meta.census)
    population = population_tables(census)
    tables, groups = build_tables(loaded_policy.policy, world, census,
                                  population.occupation_names, ledger_sample=ledger_sample)
    baseline_tables = None
    if baseline:
        baseline_tables, _ = build_tables(
            without_rules(loaded_policy.policy), world, census, population.occupation_names,
            ledger_sample=0.0)
    job = _Job(tables, population, meta.seed, meta.citizens, baseline_tables)
    if out is None:
        out = Path(tempfile.mkdtemp(prefix="scorelab-run-")) / "run"
    out = Path(out)
    staging = prepare_output(out, force=force)
    spans = plan_chunks(meta.citizens, chunk_size)
    matrix = None
    baseline_matrix = None
    citizens_out = RowGroupWriter(staging / "citizens.parquet")
    ledger_out = RowGroupWriter(staging / "ledger.parquet")
    policy_model = loaded_policy.policy
    rule_ids = tuple(r.id for r in policy_model.rules)
    done = 0
    setup_seconds = time.perf_counter() - clock
    for people, chunk_matrix, cit, ledger, chunk_baseline in _results(job, spans, workers):
        matrix = chunk_matrix if matrix is None else matrix + chunk_matrix
        if chunk_baseline is not None:
            baseline_matrix = (chunk_baseline if baseline_matrix is None
                               else baseline_matrix + chunk_baseline)
        citizens_out.write(citizens_table(
            people, cit, region_names=census.region_names,
            occupation_names=population.occupation_names, grades=policy_model.grade_names,
            lists=policy_model.list_names))
        ledger_out.write(ledger_table(ledger, start=meta.start_date, rules=rule_ids))
        done += len(people)
        if progress is not None:
            progress(done, meta.citizens)
    citizens_out.close()
    ledger_out.close()
    simulate_seconds = time.perf_counter() - clock - setup_seconds
    bin_low = score_bins(policy_model.score.floor, policy_model.score.ceiling,
                         policy_model.score.start)[1]
    for name, source in (("daily", matrix), ("baseline", baseline_matrix)):
        if source is None:
            continue
        lists = policy_model.list_names if name == "daily" else ()
        table = daily_table(source, make_layout(len(lists), len(policy_model.grades),
                                                tables.hist_bins),
                            groups, start=meta.start_date, grades=policy_model.grade_names,
                            lists=lists, bin_low=bin_low, ceiling=policy_model.score.ceiling)
        pq.write_table(table, staging / f"{name}.parquet", compression="zstd",
                       row_group_size=1 << 20)
    (staging / "policy.toml").write_text(loaded_policy.text)
    (staging / "scenario.toml").write_text(loaded_scenario.text)
    manifest = _manifest(loaded_policy, loaded_scenario, groups, chunk_size=chunk_size,
                         workers=workers, ledger_sample=ledger_sample, baseline=baseline,
                         timings={"setup_s": setup_seconds, "simulate_s": simulate_seconds,
                                  "total_s": time.perf_counter() - clock})
    write_manifest(staging, manifest)
    publish(staging, out)
    return RunResult(out.resolve())


def without_rules(policy: Policy) -> Policy:
    """The same scale and grades with no rules, lists, sanctions, rewards or shaming."""
    return policy.model_copy(update={"rules": (), "lists": {}, "sanctions": (), "rewards": (),
                                     "shaming": None})


def _manifest(policy: LoadedPolicy, scenario: LoadedScenario, groups: Groups, *,
              chunk_size: int, workers: int, ledger_sample: float, baseline: bool,
              timings: dict[str, float]) -> dict[str, Any]:
    meta = scenario.scenario.scenario
    return {
        "scorelab_version": __version__,
        "complete": True,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "policy": {
            "id": policy.policy.policy.id, "name": policy.policy.policy.name,
            "version": policy.policy.policy.version, "path": str(policy.path),
            "sha256": policy.sha256, "grades": list(policy.policy.grade_names),
            "lists": list(policy.policy.list_names),
            "rules": [r.id for r in policy.policy.rules],
        },
        "scenario": {
            "name": meta.name, "path": str(scenario.path) if scenario.path else None,
            "sha256": scenario.sha256, "citizens": meta.citizens, "days": meta.days,
            "start_date": meta.start_date.isoformat(), "census": meta.census,
        },
        "seed": meta.seed,
        "chunk_size": chunk_size,
        "workers": workers,
        "ledger_sample": ledger_sample,
        "baseline": baseline,
        "groups": {name: list(values) for name, values in zip(groups.names, groups.values,
                                                               strict=True)},
        "timings": timings,
        "host": {"cpus": os.cpu_count()},
    }
