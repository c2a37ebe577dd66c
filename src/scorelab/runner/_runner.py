"""Run a policy on a scenario: chunks of households, local workers, a run folder.

Data flow::

    policy + scenario --compile_tables--> EngineTables ----------------------+
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
import errno
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from scorelab._errors import RunInterruptedError, RunRefusedError
from scorelab._owned import MARKER, marker_kind, writing
from scorelab._random import seed_to_int
from scorelab._resources import resolve_policy, resolve_scenario
from scorelab._run_folder import staging_of
from scorelab._version import __version__
from scorelab.engine import is_compiled, make_layout, score_bins, warm_up
from scorelab.policy import LoadedPolicy, load_policy
from scorelab.reporting import write_audit_and_report
from scorelab.runner import _checkpoint as checkpoint
from scorelab.runner._backends import chunk_results
from scorelab.runner._columns import UsedColumns, used_columns
from scorelab.runner._defaults import (
    default_chunk_size,
    default_ledger_sample,
    default_out,
    default_workers,
)
from scorelab.runner._estimate import Estimate, estimate, refuse_if_too_big
from scorelab.runner._folder import prepare_output, publish, write_manifest
from scorelab.runner._outputs import citizens_table, daily_table, ledger_table
from scorelab.runner._plan import RunPlan, plan_run
from scorelab.runner._request import DEFAULT_CHECKPOINT_EVERY, RunRequest
from scorelab.runner._result import RunResult
from scorelab.runner._stop import StopRequests
from scorelab.runner._worker import empty_matrix
from scorelab.world import LoadedScenario, load_scenario

#: The phases of a run, in order, as :class:`RunProgress` reports them.
PHASES = ("simulate", "citizens", "ledger", "daily", "report", "publish")


@dataclass(frozen=True)
class RunProgress:
    """Where a run is: its phase, and for ``simulate`` the citizens done of all.

    The writing phases (``citizens``, ``ledger``, ``daily``, ``report``,
    ``publish``) are reported once each as they start, with ``done == total``.
    """

    phase: str
    done: int
    total: int


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
    policy: str | Path | LoadedPolicy | None = None,
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
    progress: Callable[[RunProgress], None] | None = None,
    on_estimate: Callable[[Estimate], None] | None = None,
) -> RunResult:
    """Simulate ``policy`` on ``scenario`` and write a run folder.

    Args:
        policy: a policy file, the name of a shipped policy, or a loaded policy; None
            only with ``resume`` (there is no default policy).
        scenario: a scenario file or shipped name; None for the embedded default
            (100,000 citizens, 365 days).
        citizens: population size, overriding the scenario's.
        days: days to simulate, overriding the scenario's.
        seed: an int in [0, 2**63) or a numpy Generator, overriding the scenario's seed.
        out: the run folder; None: ``runs/<policy file name without .toml>`` under the
            working directory, as the CLI's ``--out`` (``runs/rongcheng`` for
            ``policies/rongcheng.toml`` or ``rongcheng``).
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
        force: replace ``out`` if it is a scorelab run folder (never another folder).
        resume: continue the interrupted run of this folder from its last checkpoint,
            exactly as it was started: only ``workers``, ``backend``, ``ray_address``
            and ``progress`` may be given with it.
        progress: called with a :class:`RunProgress` after each chunk and as each
            writing phase starts.
        on_estimate: called with the run's :class:`~scorelab.runner._estimate.Estimate`
            (memory, disk, wall time) once it is known to fit, before anything is
            written; it may raise to stop the run (the CLI shows the estimate of a run
            of more than an hour, and asks in a terminal).

    Returns:
        The finished run, whose tables can be read as pyarrow, polars or pandas.

    Raises:
        RunRefusedError: bad options, a run that would not fit, an ``out`` that is not
            scorelab's to replace, or a folder another process is writing.
        RunInterruptedError: the run stopped (SIGINT, SIGTERM, a full disk, a lost
            worker); its folder can be resumed.
    """
    if out is None and resume is None and policy is not None:
        out = default_out(policy)  # the CLI's default too: one folder for both
    if backend not in ("local", "ray"):
        raise RunRefusedError(f'backend must be "local" or "ray", got "{backend}"')
    options = {"workers": workers, "backend": backend, "ray_address": ray_address}
    if resume is not None:
        _refuse_options_with_resume(policy=policy, scenario=scenario, citizens=citizens,
                                    days=days, seed=seed, out=out, chunk_size=chunk_size,
                                    ledger_sample=ledger_sample, baseline=baseline,
                                    checkpoint_every=checkpoint_every, report=report,
                                    force=force)
        return _resume(Path(resume), progress=progress, **options)
    if policy is None:
        raise RunRefusedError("give a policy to run (a file or a shipped id; POLICY on the "
                              "command line), or resume= (--resume)")
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
    request = RunRequest(
        citizens=meta.citizens, days=meta.days, seed=meta.seed, chunk_size=chunk_size,
        ledger_sample=ledger_sample, baseline=baseline, checkpoint_every=checkpoint_every,
        report=report, policy_path=str(loaded_policy.path),
        scenario_path=str(loaded_scenario.path) if loaded_scenario.path else None)
    plan = plan_run(loaded_policy, loaded_scenario, request)
    out = Path(out).resolve()  # set above: the default folder when none was given
    need = refuse_if_too_big(plan.job.tables, citizens=meta.citizens, chunk_size=chunk_size,
                             workers=sizing_workers, baseline=baseline, out=out,
                             report=report)
    if on_estimate is not None:
        on_estimate(need)
    with writing(out):
        staging = prepare_output(out, force=force)
        (staging / "policy.toml").write_text(loaded_policy.text)
        (staging / "scenario.toml").write_text(loaded_scenario.text)
        (staging / "request.json").write_text(request.to_json())
        state = checkpoint.start(staging, len(plan.spans))
        return _execute(plan, staging, out, state, progress=progress, **options)


#: The keywords ``resume`` takes from the run's folder, with their defaults and CLI names.
_FIXED_BY_RESUME = {
    "policy": (None, "POLICY"), "scenario": (None, "--scenario"),
    "citizens": (None, "--citizens"), "days": (None, "--days"), "seed": (None, "--seed"),
    "out": (None, "--out"), "chunk_size": (None, "--chunk-size"),
    "ledger_sample": (None, "--ledger-sample"), "baseline": (False, "--baseline"),
    "checkpoint_every": (DEFAULT_CHECKPOINT_EVERY, "--checkpoint-every"),
    "report": (True, "--no-report"), "force": (False, "--force"),
}


def _refuse_options_with_resume(**given: Any) -> None:
    """Refuse options that a resume would have to ignore: they are fixed by the run's folder."""
    changed = [cli for name, (default, cli) in _FIXED_BY_RESUME.items()
               if given[name] != default]
    if changed:
        raise RunRefusedError(
            f"--resume continues a run exactly as it was started, so {', '.join(changed)} "
            "cannot be given with it (only --workers, --backend and --ray-address can); "
            "to run with other options, start a new run (--force replaces the old one)")


def _resume(out: Path, *, progress: Callable[[RunProgress], None] | None,
            **options: Any) -> RunResult:
    """Continue an interrupted run from its staging folder's last checkpoint."""
    out = out.resolve()
    with writing(out):
        staging = staging_of(out)
        if not staging.is_dir():
            if (out / "manifest.json").is_file():
                raise RunRefusedError(f"{out} is already complete: nothing to resume")
            raise RunRefusedError(f"{out}: no interrupted run to resume (no {staging.name})")
        if marker_kind(staging) != "run":
            raise RunRefusedError(f"{staging}: not a scorelab run folder (no {MARKER}): "
                                  "nothing of it is touched")
        if (staging / "manifest.json").is_file():  # finished, stopped while publishing
            checkpoint.clear(staging)
            publish(staging, out)
            return RunResult(out)
        state, request = checkpoint.load(staging, out)
        options["workers"] = _workers(options["workers"], request.citizens,
                                      options["backend"])
        policy = load_policy(staging / "policy.toml")
        scenario = load_scenario(staging / "scenario.toml", citizens=request.citizens,
                                 days=request.days, seed=request.seed)
        return _execute(plan_run(policy, scenario, request), staging, out, state,
                        progress=progress, **options)


def _execute(plan: RunPlan, staging: Path, out: Path, state: checkpoint.Progress, *,
             workers: int | None, backend: str, ray_address: str | None,
             progress: Callable[[RunProgress], None] | None) -> RunResult:
    """Simulate the chunks not yet done, then write and publish the folder.

    A stop (signal, full disk, lost worker) saves a checkpoint of every chunk
    finished so far and raises :class:`RunInterruptedError`.
    """
    with StopRequests() as stop:
        try:
            return _simulate_and_write(plan, staging, out, state, stop, workers=workers,
                                       backend=backend, ray_address=ray_address,
                                       progress=progress)
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            raise RunInterruptedError(
                f"the disk is full ({exc.filename or staging}): free some space, then "
                f"continue with: scorelab run --resume {out}") from None


def _simulate_and_write(plan: RunPlan, staging: Path, out: Path, state: checkpoint.Progress,
                        stop: StopRequests, *, workers: int | None, backend: str,
                        ray_address: str | None,
                        progress: Callable[[RunProgress], None] | None) -> RunResult:
    clock = time.perf_counter()
    # a cold cache compiles the engine once, here, rather than in every worker at once
    compile_seconds = warm_up() if backend == "local" and not is_compiled() else None
    resume_note = f"continue with: scorelab run --resume {out}"

    def report_progress(phase: str, done: int, total: int) -> None:
        if progress is not None:
            progress(RunProgress(phase, done, total))

    used = _simulate(plan, staging, state, stop, workers=workers, backend=backend,
                     ray_address=ray_address, resume_note=resume_note,
                     report_progress=report_progress)
    simulate_seconds = time.perf_counter() - clock - (compile_seconds or 0.0)

    def phase(name: str) -> None:
        stop.check(f"the simulation is saved; {resume_note}")
        report_progress(name, 1, 1)

    for kind in ("citizens", "ledger"):
        phase(kind)
        checkpoint.merge_parts(staging, kind, len(plan.spans))
    phase("daily")
    _write_daily(plan, staging, {name: used_columns(matrix, used[name])
                                 for name, matrix in state.matrices.items()})
    timings = {"simulate_s": simulate_seconds, "total_s": time.perf_counter() - clock}
    if compile_seconds is not None:
        timings["compile_s"] = compile_seconds
    manifest = _manifest(plan, workers=workers, backend=backend, timings=timings)
    if plan.request.report:
        phase("report")
        manifest["files"] = write_audit_and_report(staging, manifest, folder_name=out.name)
        manifest["timings"]["total_s"] = time.perf_counter() - clock
    phase("publish")
    write_manifest(staging, manifest)
    checkpoint.clear(staging)
    publish(staging, out)
    return RunResult(out)


def _simulate(plan: RunPlan, staging: Path, state: checkpoint.Progress, stop: StopRequests, *,
              workers: int | None, backend: str, ray_address: str | None, resume_note: str,
              report_progress: Callable[[str, int, int], None]) -> dict[str, np.ndarray]:
    """Simulate the chunks not done yet into ``state``; return which columns each matrix uses.

    Each chunk's citizen and ledger rows become part files, and the summed day
    matrices a checkpoint every ``checkpoint_every`` chunks and after the last,
    so that a stop loses little and the writing phases can resume from the parts.
    """
    meta, policy = plan.scenario.scenario.scenario, plan.policy.policy
    rule_ids = tuple(r.id for r in policy.rules)
    spans, saved = plan.spans, state.chunks_done
    tables = {"daily": plan.job.tables, "baseline": plan.job.baseline}
    matrices = state.matrices
    used = {name: matrix.any(axis=(0, 2)) for name, matrix in matrices.items()}

    def stop_note() -> str:
        return f"{state.chunks_done} of {len(spans)} chunks are saved; {resume_note}"

    report_progress("simulate", state.citizens_done, meta.citizens)
    results = chunk_results(plan.job, spans[state.chunks_done:], workers, backend=backend,
                            ray_address=ray_address, stop=stop, note=stop_note)
    try:
        for index, (count, people, daily, cit, ledger, base) in enumerate(
                results, start=state.chunks_done):
            for name, part in (("daily", daily), ("baseline", base)):
                if part is None:
                    continue
                if name not in matrices:
                    matrices[name] = empty_matrix(tables[name])
                    used[name] = np.zeros(matrices[name].shape[1], np.bool_)
                part.add_to(matrices[name])
                used[name][part.columns] = True
            rows = {"citizens": citizens_table(
                        people, cit, region_names=plan.census_regions,
                        occupation_names=plan.job.population.occupation_names,
                        grades=policy.grade_names, lists=policy.list_names),
                    "ledger": ledger_table(ledger, start=meta.start_date, rules=rule_ids)}
            for kind, table in rows.items():
                name, sha = checkpoint.write_part(staging, kind, index, table)
                state.parts[name] = sha
            state.chunks_done, state.citizens_done = index + 1, state.citizens_done + count
            if (state.chunks_done % plan.request.checkpoint_every == 0
                    or state.chunks_done == len(spans)):
                checkpoint.save(staging, state, used)
                saved = state.chunks_done
            report_progress("simulate", state.citizens_done, meta.citizens)
    except RunInterruptedError:
        if saved < state.chunks_done:  # keep every chunk finished before the stop
            checkpoint.save(staging, state, used)
        raise
    return used


def _write_daily(plan: RunPlan, staging: Path, matrices: dict[str, UsedColumns]) -> None:
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


def _manifest(plan: RunPlan, *, workers: int | None, backend: str,
              timings: dict[str, float]) -> dict[str, Any]:
    policy, scenario, request = plan.policy, plan.scenario, plan.request
    meta = scenario.scenario.scenario
    return {
        "scorelab_version": __version__,
        "complete": True,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "policy": {
            "id": policy.policy.policy.id, "name": policy.policy.policy.name,
            "version": policy.policy.policy.version, "path": request.policy_path,
            "sha256": policy.sha256, "grades": list(policy.policy.grade_names),
            "lists": list(policy.policy.list_names),
            "rules": [r.id for r in policy.policy.rules],
        },
        "scenario": {
            "name": meta.name, "path": request.scenario_path,
            "sha256": scenario.sha256, "citizens": meta.citizens, "days": meta.days,
            "start_date": meta.start_date.isoformat(), "census": meta.census,
        },
        "seed": meta.seed,
        "chunk_size": request.chunk_size,
        "chunks": len(plan.spans),
        "workers": workers,
        "backend": backend,
        "ledger_sample": request.ledger_sample,
        "baseline": request.baseline,
        "groups": {name: list(values)
                   for name, values in zip(plan.groups.names, plan.groups.values, strict=True)},
        "timings": timings,
        "host": {"cpus": os.cpu_count()},
    }


def estimate_run(policy: str | Path, scenario: str | Path | None = None, *, citizens: int,
                 days: int, report: bool = False, baseline: bool = False) -> Estimate:
    """What one run of ``policy`` on ``scenario`` would need on one worker, without running it.

    For planners of many runs (experiments, ``compare --replicates``): memory, disk
    and wall time at the measured rates of docs/performance.md; ``baseline`` adds
    the same world with no policy.
    """
    loaded_policy = load_policy(resolve_policy(policy))
    loaded_scenario = load_scenario(resolve_scenario(scenario) if scenario is not None else None,
                                    citizens=citizens, days=days)
    meta = loaded_scenario.scenario.scenario
    chunk_size = default_chunk_size(meta.citizens, 1)
    request = RunRequest(citizens=meta.citizens, days=meta.days, seed=meta.seed,
                         chunk_size=chunk_size, ledger_sample=default_ledger_sample(meta.citizens),
                         report=report, policy_path=str(loaded_policy.path),
                         scenario_path=str(loaded_scenario.path) if loaded_scenario.path else None)
    tables = plan_run(loaded_policy, loaded_scenario, request).job.tables
    return estimate(tables, citizens=meta.citizens, chunk_size=chunk_size, workers=1,
                    baseline=baseline, report=report)
