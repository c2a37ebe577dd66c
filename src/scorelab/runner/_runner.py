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
import json
import os
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
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
from scorelab.runner import _checkpoint as checkpoint
from scorelab.runner._columns import UsedColumns, take_columns, used_columns
from scorelab.runner._defaults import (
    default_chunk_size,
    default_ledger_sample,
    default_workers,
)
from scorelab.runner._estimate import refuse_if_too_big
from scorelab.runner._folder import prepare_output, publish, staging_of, write_manifest
from scorelab.runner._outputs import citizens_table, daily_table, ledger_table
from scorelab.runner._result import RunResult
from scorelab.world._census import load_census
from scorelab.world._population import BLOCK, PopulationTables, generate, in_sample
from scorelab.world._population import build_tables as population_tables
from scorelab.world._scenario import LoadedScenario, load_scenario

DEFAULT_CHECKPOINT_EVERY = 4


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
_matrices: dict[str, np.ndarray] = {}  # this worker's day matrices, reused chunk after chunk
_households: dict[str, Any] = {}  # and its household scratch, likewise


def _init_worker(job: _Job) -> None:
    global _job, _kernel_tables, _kernel_baseline  # noqa: PLW0603 (one job per worker process)
    _job = job
    _kernel_tables = to_kernel(job.tables)
    _kernel_baseline = to_kernel(job.baseline) if job.baseline is not None else None
    _matrices.clear()
    _households.clear()


def _empty_matrix(tables: Tables) -> np.ndarray:
    return np.zeros((tables.days + 1, tables.layout.width, tables.n_groups), np.int64)


def _worker_matrix(name: str, tables: Tables) -> np.ndarray:
    """This worker's day matrix ``name``, made once and reused chunk after chunk."""
    if name not in _matrices:
        _matrices[name] = _empty_matrix(tables)
    return _matrices[name]


def _worker_household(name: str, tables: Tables, count: int) -> Any:
    """This worker's household scratch ``name``, cleared for a chunk of ``count`` citizens.

    Reused chunk after chunk: a fresh one would map (and the kernel zero) about
    150 MB of per-citizen counters for every million citizens.
    """
    household = _households.get(name)
    if household is None or household.cit.shape[0] < count:
        household = _households[name] = new_household(tables, count)
    else:
        household.cnt[:] = 0
        household.cit[:count] = 0
    return household


def _simulate(span: tuple[int, int]) -> tuple[int, Any, UsedColumns, np.ndarray, np.ndarray, Any]:
    """Simulate citizens ``first .. first + count - 1`` in this worker.

    Returns how many citizens it simulated; the people and per-citizen counters
    of the ones in the ledger's seeded sample (only those are written, so only
    those travel back); the used columns of its day matrix; its ledger rows;
    and (with a baseline: the same people simulated a second time with no
    policy) the used columns of the baseline's day matrix.
    """
    first, count = span
    assert _job is not None
    people = generate(_job.seed, first, count, _job.total, _job.population)
    columns = (people.citizen_id, people.household_id, people.sex, people.age, people.region,
               people.urban, people.income_decile, people.occupation)
    matrix = _worker_matrix("daily", _job.tables)
    household = _worker_household("daily", _job.tables, count)
    touched, cit, ledger = run_chunk(_kernel_tables, household, matrix, *columns)
    daily = take_columns(matrix, touched)
    cit = cit[:count]
    if _job.tables.ledger_sample < 1.0:  # the citizen table keeps the ledger's sample
        keep = in_sample(_job.seed, people.citizen_id, _job.tables.ledger_sample)
        people, cit = people.subset(keep), cit[keep]
    else:
        cit = cit.copy()  # the scratch is reused for the next chunk
    baseline = None
    if _kernel_baseline is not None:
        matrix = _worker_matrix("baseline", _job.baseline)
        household = _worker_household("baseline", _job.baseline, count)
        touched, _, _ = run_chunk(_kernel_baseline, household, matrix, *columns)
        baseline = take_columns(matrix, touched)
    return count, people, daily, cit, ledger, baseline


def plan_chunks(total: int, chunk_size: int) -> list[tuple[int, int]]:
    """Cut ``total`` citizens into chunks of whole blocks (households never straddle chunks).

    >>> plan_chunks(2500, 1000)
    [(0, 1024), (1024, 1024), (2048, 452)]
    """
    size = max(BLOCK, -(-chunk_size // BLOCK) * BLOCK)
    return [(first, min(size, total - first)) for first in range(0, total, size)]


def _results(job: _Job, spans: list[tuple[int, int]], workers: int | None,
             backend: str = "local", ray_address: str | None = None) -> Iterator[tuple]:
    """Chunk results in chunk order; at most ``workers + 1`` chunks are in flight at once."""
    if backend == "ray":
        from scorelab.runner._ray import ray_results  # noqa: PLC0415 (optional dependency)

        yield from ray_results(job, spans, workers, ray_address)
        return
    if workers <= 1 or len(spans) <= 1:
        _init_worker(job)
        yield from map(_simulate, spans)
        return
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker,
                             initargs=(job,)) as pool:
        pending: deque = deque()
        for span in spans:
            pending.append(pool.submit(_simulate, span))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


@dataclass(frozen=True)
class _Plan:
    """A run, ready to execute: inputs, compiled tables, chunks and options."""

    policy: LoadedPolicy
    scenario: LoadedScenario
    job: _Job
    groups: Groups
    census_regions: tuple[str, ...]
    spans: list[tuple[int, int]]
    request: dict[str, Any]


def _plan(policy: LoadedPolicy, scenario: LoadedScenario, request: dict[str, Any]) -> _Plan:
    world = scenario.scenario
    meta = world.scenario
    census = load_census(meta.census)
    population = population_tables(census)
    tables, groups = build_tables(policy.policy, world, census, population.occupation_names,
                                  ledger_sample=request["ledger_sample"])
    baseline_tables = None
    if request["baseline"]:
        baseline_tables, _ = build_tables(without_rules(policy.policy), world, census,
                                          population.occupation_names, ledger_sample=0.0)
    job = _Job(tables, population, meta.seed, meta.citizens, baseline_tables)
    spans = plan_chunks(meta.citizens, request["chunk_size"])
    return _Plan(policy, scenario, job, groups, census.region_names, spans, request)


def _workers(workers: int | None, citizens: int, backend: str) -> int | None:
    """The worker count to run with: given, or the default (None: every CPU of the Ray cluster)."""
    if workers is not None or backend == "ray":
        return workers
    return default_workers(citizens)


def _check_options(citizens, days, chunk_size, workers, ledger_sample, checkpoint_every):
    if workers is not None and workers < 1:
        raise RunRefusedError(f"workers must be at least 1, got {workers}")
    if chunk_size is not None and chunk_size < 1:
        raise RunRefusedError(f"chunk_size must be positive, got {chunk_size}")
    if checkpoint_every < 1:
        raise RunRefusedError(f"checkpoint_every must be at least 1, got {checkpoint_every}")
    if ledger_sample is not None and not 0.0 <= ledger_sample <= 1.0:
        raise RunRefusedError(f"ledger_sample must lie in [0, 1], got {ledger_sample}")
    for name, value in (("citizens", citizens), ("days", days)):
        if value is not None and value < 1:
            raise RunRefusedError(f"{name} must be at least 1, got {value}")


def run(
    policy: str | Path | LoadedPolicy = "rongcheng",
    scenario: str | Path | LoadedScenario | None = None,
    *,
    citizens: int | None = None,
    days: int | None = None,
    seed: int | np.random.Generator | None = None,
    out: str | Path | None = None,
    chunk_size: int | None = None,
    workers: int | None = None,
    ledger_sample: float | None = None,
    baseline: bool = False,
    checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY,
    report: bool = True,
    backend: str = "local",
    ray_address: str | None = None,
    force: bool = False,
    resume: str | Path | None = None,
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
        chunk_size: citizens per unit of work (rounded up to whole blocks of 1,024);
            None: about four chunks per worker, between 262,144 and 1,048,576.
        workers: local worker processes (Ray tasks in flight); None: one per core
            above 1,000,000 citizens, else 1 (Ray: the cluster's CPUs; the manifest
            then says null).
        ledger_sample: share of citizens (a seeded sample) whose rows are kept in
            ``citizens.parquet`` and ``ledger.parquet`` (1.0: everyone); daily aggregates
            always cover everyone. None: everyone up to 1,000,000 citizens, above that
            a round share keeping 100,000 to 250,000 (0.0001 for the whole country).
        baseline: also simulate the same world and seed with no policy, and write its
            aggregates to ``baseline.parquet`` (to measure deterrence).
        checkpoint_every: save a checkpoint after this many chunks (the engine replays
            whole households over the whole run, so progress is counted in chunks).
        report: write ``audit.parquet`` and ``report.html`` into the run folder.
        backend: ``local`` (a process pool) or ``ray`` (tasks on a Ray cluster; needs the
            ``scorelab[ray]`` extra).
        ray_address: the Ray cluster to join; None starts a local Ray instance.
        force: replace an existing non-empty ``out``.
        resume: continue the interrupted run of this folder from its last checkpoint;
            every other argument but ``workers`` and ``progress`` is then taken from it.
        progress: called with (citizens done, citizens in all) after each chunk.

    Returns:
        The finished run, whose tables can be read as pyarrow, polars or pandas.
    """
    if backend not in ("local", "ray"):
        raise RunRefusedError(f'backend must be "local" or "ray", got "{backend}"')
    options = {"workers": workers, "backend": backend, "ray_address": ray_address}
    if resume is not None:
        return _resume(Path(resume), progress=progress, **options)
    _check_options(citizens, days, chunk_size, workers, ledger_sample, checkpoint_every)
    loaded_policy = policy if isinstance(policy, LoadedPolicy) else load_policy(
        resolve_policy(policy))
    seed_value = seed_to_int(seed) if seed is not None else None
    loaded_scenario = scenario if isinstance(scenario, LoadedScenario) else load_scenario(
        resolve_scenario(scenario) if scenario is not None else None,
        citizens=citizens, days=days, seed=seed_value)
    meta = loaded_scenario.scenario.scenario
    options["workers"] = _workers(workers, meta.citizens, backend)
    # chunks and memory are sized for the workers of this machine when Ray chooses them
    sizing_workers = options["workers"] or default_workers(meta.citizens)
    chunk_size = chunk_size or default_chunk_size(meta.citizens, sizing_workers)
    if ledger_sample is None:
        ledger_sample = default_ledger_sample(meta.citizens)
    request = {
        "scorelab_version": __version__, "citizens": meta.citizens, "days": meta.days,
        "seed": meta.seed, "chunk_size": chunk_size, "ledger_sample": ledger_sample,
        "baseline": baseline, "checkpoint_every": checkpoint_every, "report": report,
        "policy_path": str(loaded_policy.path),
        "scenario_path": str(loaded_scenario.path) if loaded_scenario.path else None,
    }
    plan = _plan(loaded_policy, loaded_scenario, request)
    if out is None:
        out = Path(tempfile.mkdtemp(prefix="scorelab-run-")) / "run"
    out = Path(out)
    refuse_if_too_big(plan.job.tables, citizens=meta.citizens, chunk_size=chunk_size,
                      workers=sizing_workers, baseline=baseline, out=out)
    staging = prepare_output(out, force=force)
    (staging / "policy.toml").write_text(loaded_policy.text)
    (staging / "scenario.toml").write_text(loaded_scenario.text)
    (staging / "request.json").write_text(json.dumps(request, indent=2))
    return _execute(plan, staging, out, progress=progress, **options)


def _resume(out: Path, *, progress: Callable[[int, int], None] | None,
            **options: Any) -> RunResult:
    """Continue an interrupted run from its staging folder's last checkpoint."""
    staging = staging_of(out)
    if not (staging / "request.json").is_file():
        if (out / "manifest.json").is_file():
            raise RunRefusedError(f"{out} is already complete: nothing to resume")
        raise RunRefusedError(f"{out}: no interrupted run to resume (no {staging.name})")
    if (staging / "manifest.json").is_file():  # finished, interrupted while publishing
        publish(staging, out)
        return RunResult(out.resolve())
    request = json.loads((staging / "request.json").read_text())
    if request["scorelab_version"] != __version__:
        raise RunRefusedError(f"{out} was started by scorelab {request['scorelab_version']}; "
                              f"this is {__version__}: start the run again")
    options["workers"] = _workers(options["workers"], request["citizens"], options["backend"])
    policy = load_policy(staging / "policy.toml")
    scenario = load_scenario(staging / "scenario.toml", citizens=request["citizens"],
                             days=request["days"], seed=request["seed"])
    return _execute(_plan(policy, scenario, request), staging, out, progress=progress,
                    **options)


def _execute(plan: _Plan, staging: Path, out: Path, *, workers: int | None, backend: str,
             ray_address: str | None, progress: Callable[[int, int], None] | None) -> RunResult:
    """Simulate the chunks not yet done, checkpointing, then write and publish the folder."""
    clock = time.perf_counter()
    request, meta = plan.request, plan.scenario.scenario.scenario
    policy = plan.policy.policy
    info, matrices = checkpoint.load(staging)
    done_chunks, done = info["chunks_done"], info["citizens_done"]
    rule_ids = tuple(r.id for r in policy.rules)
    spans = plan.spans
    if progress is not None:
        progress(done, meta.citizens)
    results = _results(plan.job, spans[done_chunks:], workers, backend, ray_address)
    tables = {"daily": plan.job.tables, "baseline": plan.job.baseline}
    used = {name: matrix.any(axis=(0, 2)) for name, matrix in matrices.items()}
    direct = len(spans) == 1 and done_chunks == 0  # one chunk: nothing to resume, no parts
    rows: dict[str, pa.Table] = {}
    whole: dict[str, UsedColumns] = {}  # a run of one chunk: its columns are the run's
    for index, (count, people, daily, cit, ledger, base) in enumerate(results,
                                                                      start=done_chunks):
        for name, part in (("daily", daily), ("baseline", base)):
            if part is None:
                continue
            if direct:
                whole[name] = part
                continue
            if name not in matrices:
                matrices[name] = _empty_matrix(tables[name])
                used[name] = np.zeros(matrices[name].shape[1], np.bool_)
            part.add_to(matrices[name])
            used[name][part.columns] = True
        done += count
        rows = {"citizens": citizens_table(
                    people, cit, region_names=plan.census_regions,
                    occupation_names=plan.job.population.occupation_names,
                    grades=policy.grade_names, lists=policy.list_names),
                "ledger": ledger_table(ledger, start=meta.start_date, rules=rule_ids)}
        if not direct:  # parts and checkpoints, so that a crash loses little
            for kind, table in rows.items():
                checkpoint.write_part(staging, kind, index, table)
            if (index + 1) % request["checkpoint_every"] == 0 or index + 1 == len(spans):
                checkpoint.save(staging, index + 1, len(spans), done, matrices, used)
        if progress is not None:
            progress(done, meta.citizens)
    simulate_seconds = time.perf_counter() - clock
    for kind in ("citizens", "ledger"):
        if direct:
            checkpoint.write_final(staging, kind, [rows[kind]])
        else:
            checkpoint.merge_parts(staging, kind, len(spans))
    if not direct:
        whole = {name: used_columns(matrix, used[name]) for name, matrix in matrices.items()}
    _write_daily(plan, staging, whole)
    checkpoint.clear(staging)
    manifest = _manifest(plan, workers=workers, backend=backend, timings={
        "simulate_s": simulate_seconds, "total_s": time.perf_counter() - clock})
    if plan.request.get("report", True):
        # imported here: the report reads run folders through scorelab.runner
        from scorelab.report import write_audit_and_report  # noqa: PLC0415

        manifest["files"] = write_audit_and_report(staging, manifest)
        manifest["timings"]["total_s"] = time.perf_counter() - clock
    write_manifest(staging, manifest)
    publish(staging, out)
    return RunResult(out.resolve())


def _write_daily(plan: _Plan, staging: Path, matrices: dict[str, UsedColumns]) -> None:
    policy, meta = plan.policy.policy, plan.scenario.scenario.scenario
    bin_low = score_bins(policy.score.floor, policy.score.ceiling, policy.score.start)[1]
    for name, matrix in matrices.items():
        lists = policy.list_names if name == "daily" else ()
        layout = make_layout(len(lists), len(policy.grades), plan.job.tables.hist_bins)
        table = daily_table(matrix, layout, plan.groups, start=meta.start_date,
                            grades=policy.grade_names, lists=lists, bin_low=bin_low,
                            ceiling=policy.score.ceiling)
        tmp = staging / f".{name}.parquet.tmp"
        pq.write_table(table, tmp, compression="zstd", row_group_size=1 << 20)
        os.replace(tmp, staging / f"{name}.parquet")


def without_rules(policy: Policy) -> Policy:
    """The same scale and grades with no rules, lists, sanctions, rewards or shaming."""
    return policy.model_copy(update={"rules": (), "lists": {}, "sanctions": (), "rewards": (),
                                     "shaming": None})


def _manifest(plan: _Plan, *, workers: int | None, backend: str,
              timings: dict[str, float]) -> dict[str, Any]:
    policy, scenario, request = plan.policy, plan.scenario, plan.request
    meta = scenario.scenario.scenario
    return {
        "scorelab_version": __version__,
        "complete": True,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "policy": {
            "id": policy.policy.policy.id, "name": policy.policy.policy.name,
            "version": policy.policy.policy.version, "path": request["policy_path"],
            "sha256": policy.sha256, "grades": list(policy.policy.grade_names),
            "lists": list(policy.policy.list_names),
            "rules": [r.id for r in policy.policy.rules],
        },
        "scenario": {
            "name": meta.name, "path": request["scenario_path"],
            "sha256": scenario.sha256, "citizens": meta.citizens, "days": meta.days,
            "start_date": meta.start_date.isoformat(), "census": meta.census,
        },
        "seed": meta.seed,
        "chunk_size": request["chunk_size"],
        "chunks": len(plan.spans),
        "workers": workers,
        "backend": backend,
        "ledger_sample": request["ledger_sample"],
        "baseline": request["baseline"],
        "groups": {name: list(values)
                   for name, values in zip(plan.groups.names, plan.groups.values, strict=True)},
        "timings": timings,
        "host": {"cpus": os.cpu_count()},
    }
