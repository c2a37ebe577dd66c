"""Where an experiment's simulations run: here, on a local pool, or as Ray tasks.

Data flow::

    Task (number, policy file, scenario file, seed) --simulate--> run folder
        --measure, series--> outputs --save(number, outputs)--> simulations/NNNNNN.json

- Small simulations (up to the runner's one-process size, ``SMALL_RUN``
  citizens) run one per worker: in this process, on a local pool of forked
  workers that persist across simulations, or as Ray tasks (Ray reuses its
  worker processes, so the engine loads once per process there too).
- A larger simulation is cut into chunks as ``scorelab run`` does: simulations
  then run one after another, each on every worker (or on Ray).

A Ray task may run on another machine: it gets the policy and scenario as text,
writes its run folder in its own temporary folder and sends back only the
outputs. Whatever runs it, a simulation's outputs depend only on its inputs and
seed.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scorelab._errors import RunInterruptedError, RunRefusedError
from scorelab._owned import remove_owned
from scorelab.experiments._measures import measure, series
from scorelab.runner import SMALL_RUN, local_pool, ray_session, run

POLL_SECONDS = 0.2
Save = Callable[[int, dict[str, Any]], None]


@dataclass(frozen=True)
class Task:
    """One simulation to run: its number, input files (None: the embedded world) and seed."""

    number: int
    policy_file: str
    scenario_file: str | None
    seed: int


@dataclass(frozen=True)
class Settings:
    """What every simulation of an experiment shares."""

    citizens: int
    days: int
    outputs: tuple[str, ...]
    series: tuple[str, ...]
    runs_folder: str  # where run folders go: staging/runs (kept) or staging/scratch
    keep_runs: bool
    baseline: bool = False  # also simulate the world with no policy (deterrence outputs)


def simulate_one(task: Task, settings: Settings, *, workers: int = 1,
                 backend: str = "local", ray_address: str | None = None,
                 ) -> tuple[int, dict[str, Any]]:
    """Run one simulation; return its number with its outputs and daily series."""
    folder = Path(settings.runs_folder) / f"sim-{task.number:06d}"
    run(task.policy_file, task.scenario_file, citizens=settings.citizens, days=settings.days,
        seed=task.seed, out=folder, report=False, workers=workers, backend=backend,
        ray_address=ray_address, force=True, baseline=settings.baseline,
        # outputs read the daily aggregates only (they cover everyone at any sample):
        # a ledger is written only for a run folder that is kept
        ledger_sample=None if settings.keep_runs else 0.0)
    values = {"outputs": measure(folder, settings.outputs),
              "series": series(folder, settings.series)}
    if not settings.keep_runs:
        remove_owned(folder, "run")
    return task.number, values


def run_all(tasks: list[Task], settings: Settings, save: Save, *, workers: int, backend: str,
            ray_address: str | None) -> None:
    """Run ``tasks``, calling ``save`` with each result as it arrives (in any order)."""
    if settings.citizens > SMALL_RUN:  # chunked, as scorelab run does
        for task in tasks:
            save(*simulate_one(task, settings, workers=workers, backend=backend,
                               ray_address=ray_address))
    elif backend == "ray":
        _on_ray(tasks, settings, save, workers=workers, address=ray_address)
    elif workers == 1 or len(tasks) <= 1:
        for task in tasks:
            save(*simulate_one(task, settings))
    else:
        _in_pool(tasks, settings, save, workers=workers)


def _in_pool(tasks: list[Task], settings: Settings, save: Save, *, workers: int) -> None:
    """Run ``tasks`` on ``workers`` forked processes, at most two each in flight."""
    with local_pool(workers) as pool:
        pending: set[Future] = set()
        queue = list(reversed(tasks))
        while queue or pending:
            while queue and len(pending) < 2 * workers:
                pending.add(pool.submit(simulate_one, queue.pop(), settings))
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                save(*_result(future.result))


def _result(get: Callable[[], tuple[int, dict[str, Any]]]) -> tuple[int, dict[str, Any]]:
    """A worker's result; a lost or failed worker becomes a stop that ``--resume`` continues."""
    try:
        return get()
    except (RunRefusedError, RunInterruptedError):
        raise
    except Exception as exc:  # BrokenProcessPool, a Ray worker that died, ...
        raise RunInterruptedError(
            f"a worker failed ({type(exc).__name__}: {exc}); the simulations done are "
            "saved: continue with --resume") from None


def simulate_from_text(task: Task, policy_text: str, scenario_text: str | None,
                       settings: Settings) -> tuple[int, dict[str, Any]]:
    """Run one simulation from its inputs' text, in a temporary folder (a Ray task)."""
    with tempfile.TemporaryDirectory(prefix="scorelab-simulation-") as scratch:
        policy_file = Path(scratch) / "policy.toml"
        policy_file.write_text(policy_text, encoding="utf-8")
        scenario_file = None
        if scenario_text is not None:
            scenario_file = Path(scratch) / "scenario.toml"
            scenario_file.write_text(scenario_text, encoding="utf-8")
        here = Task(task.number, str(policy_file),
                    None if scenario_file is None else str(scenario_file), task.seed)
        local = Settings(settings.citizens, settings.days, settings.outputs, settings.series,
                         str(Path(scratch) / "runs"), keep_runs=False,
                         baseline=settings.baseline)
        return simulate_one(here, local)


def _on_ray(tasks: list[Task], settings: Settings, save: Save, *, workers: int,
            address: str | None) -> None:
    """Run ``tasks`` as Ray tasks, at most two per worker in flight; only outputs come back."""
    texts: dict[str, Any] = {}  # each input file's text in Ray's object store, once

    def text_of(path: str | None) -> Any:
        if path is None:
            return None
        if path not in texts:
            texts[path] = ray.put(Path(path).read_text(encoding="utf-8"))
        return texts[path]

    with ray_session(workers, address) as ray:
        remote = ray.remote(simulate_from_text)
        if address is not None:
            workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
        queue = list(reversed(tasks))
        pending: list[Any] = []
        try:
            while queue or pending:
                while queue and len(pending) < 2 * workers:
                    task = queue.pop()
                    pending.append(remote.remote(task, text_of(task.policy_file),
                                                 text_of(task.scenario_file), settings))
                finished, pending = ray.wait(pending, num_returns=1, timeout=POLL_SECONDS)
                for ref in finished:
                    save(*_result(lambda ref=ref: ray.get(ref)))
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)
