"""``scorelab compare A B --replicates R``: both runs' inputs again, on R common seeds.

Data flow::

    run A, run B --their policy.toml and scenario.toml, and from the manifest the
        citizens, days, ledger sample and baseline--> the inputs of A and of B
    seed r = replicate_seed(A's seed, r) for r < R, the same for both (common random numbers)
    (inputs, seed r) --scorelab.run, no report--> a run folder in the scratch folder
        --MeasuredRun.read--> its whole-run values; the folder is deleted at once
    R pairs --replicated_rows--> every measure's paired difference B - A (Comparison.replicated)

The scratch folder is hidden beside the page (``.<page>.replicates``), carries
scorelab's marker, is written by one process at a time, and is removed when the
comparison ends, however it ends (an error, Ctrl-C, SIGTERM); one left by a
killed process (``kill -9``) is removed by the next comparison writing that
page. A stop leaves nothing: a comparison is short enough to start again, and
has no resume.

Simulations run as an experiment's do: one after another, or with ``workers``
on a local pool of forked workers, one simulation each; a simulation above
``SMALL_RUN`` citizens runs on all the workers in chunks. Workers only simulate,
and this process reads each run: polars, which reads them, deadlocks in a
forked child of a process that has used it (the comparison of A and B has,
and so may the caller). The runner writes
each run's report with this package, so it imports ``scorelab.reporting``: this
module imports the runner inside the functions that run simulations, never
when the package loads (tests/test_import_layers.py reads module-level imports,
and finds no cycle).
"""

from __future__ import annotations

import contextlib
import dataclasses
import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from scorelab._errors import RunFolderError, RunInterruptedError, RunRefusedError, ScorelabError
from scorelab._owned import marker_kind, remove_owned, write_marker, writing
from scorelab._seeds import replicate_seed
from scorelab.audit import Comparison, MeasuredRun, replicated_rows

KIND = "comparison-replicates"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass(frozen=True)
class ComparisonProgress:
    """Simulations done out of all of them (2 R: A's and B's inputs on each seed)."""

    done: int
    total: int


@dataclass(frozen=True)
class RunInputs:
    """What a finished run was given, to run again on other seeds."""

    policy: Path
    scenario: Path
    citizens: int
    days: int
    ledger_sample: float
    baseline: bool


@dataclass(frozen=True)
class Simulation:
    """One run to do: ``a-003`` is A's inputs on replicate 3's seed, written to ``folder``."""

    name: str
    inputs: RunInputs
    seed: int
    folder: Path
    workers: int  # the runner's workers for this one simulation (1 on a pool)


def scratch_of(page: Path) -> Path:
    """The hidden folder beside ``page`` where a comparison's replicates are run."""
    return page.parent / f".{page.name}.replicates"


def run_inputs(folder: Path, manifest: dict[str, Any]) -> RunInputs:
    """A run folder's own inputs: the files it copied, and its size and options.

    Raises:
        RunFolderError: the folder lacks a copy of an input (it is not a whole run).
    """
    for name in ("policy.toml", "scenario.toml"):
        if not (folder / name).is_file():
            raise RunFolderError(f"{folder}: no {name}: its inputs cannot be run again "
                                 "(compare it without --replicates)")
    scenario = manifest["scenario"]
    return RunInputs(folder / "policy.toml", folder / "scenario.toml", scenario["citizens"],
                     scenario["days"], float(manifest["ledger_sample"]),
                     bool(manifest.get("baseline", False)))


def replicate(comparison: Comparison, replicates: int, *, scratch: Path, workers: int,
              progress: Callable[[ComparisonProgress], None] | None = None) -> Comparison:
    """``comparison`` with every measure over ``replicates`` common seeds from A's seed.

    Raises:
        RunRefusedError: the 2 R simulations would not fit here or take more than a week,
            or the scratch folder is not scorelab's.
        RunInterruptedError: stopped (Ctrl-C, SIGTERM, a lost worker); nothing is left.
    """
    from scorelab.runner import SMALL_RUN  # noqa: PLC0415 (the runner imports reporting)

    inputs = (run_inputs(comparison.run_a, comparison.manifest_a),
              run_inputs(comparison.run_b, comparison.manifest_b))
    seeds = tuple(replicate_seed(comparison.manifest_a["seed"], r) for r in range(replicates))
    small = max(i.citizens for i in inputs) <= SMALL_RUN  # small: one simulation per worker
    sims = [Simulation(f"{side}-{r:03d}", inputs[i], seed, scratch / f"{side}-{r:03d}",
                       1 if small else workers)
            for r, seed in enumerate(seeds) for i, side in enumerate("ab")]
    _refuse_if_too_big(inputs, len(sims), scratch, at_once=min(workers, len(sims)))
    with writing(scratch):
        measured = _in_scratch(sims, scratch, workers=workers if small else 1,
                               progress=progress)
    pairs = [(measured[f"a-{r:03d}"], measured[f"b-{r:03d}"]) for r in range(replicates)]
    return dataclasses.replace(comparison, seeds=seeds, replicated=replicated_rows(pairs))


def _refuse_if_too_big(inputs: tuple[RunInputs, RunInputs], runs: int, scratch: Path, *,
                       at_once: int) -> None:
    """Refuse, with the numbers, 2 R simulations this machine cannot hold or finish in a week."""
    from scorelab.runner import Estimate, estimate_run, refuse_many_runs  # noqa: PLC0415

    a, b = (estimate_run(i.policy, i.scenario, citizens=i.citizens, days=i.days,
                         baseline=i.baseline) for i in inputs)
    # half the runs are A's, half B's: the mean time, and room for the larger of the two
    one = Estimate(memory=max(a.memory, b.memory), disk=max(a.disk, b.disk),
                   ledger_rows=max(a.ledger_rows, b.ledger_rows),
                   seconds=(a.seconds + b.seconds) / 2)
    refuse_many_runs(one, runs=runs, at_once=at_once, kept=0, out=scratch, what="comparison")


def _in_scratch(sims: list[Simulation], scratch: Path, *, workers: int,
                progress: Callable[[ComparisonProgress], None] | None) -> dict[str, MeasuredRun]:
    """Run ``sims`` in a fresh scratch folder and read each; the folder is gone after."""
    _fresh(scratch)
    measured: dict[str, MeasuredRun] = {}
    results = _simulations(sims, workers)
    try:
        with _signals_stop():
            for sim in results:
                measured[sim.name] = MeasuredRun.read(sim.folder, keep_days=False)
                remove_owned(sim.folder, "run")
                if progress is not None:
                    progress(ComparisonProgress(len(measured), len(sims)))
    except (KeyboardInterrupt, RunInterruptedError, _WorkerFailedError) as exc:
        raise RunInterruptedError(
            f"{_cause(exc)}: {len(measured)} of {len(sims)} simulations were done and nothing "
            "of the comparison is kept (its scratch folder is removed): run it again",
            exit_code=getattr(exc, "exit_code", 130 if isinstance(exc, KeyboardInterrupt) else 2)
        ) from None
    finally:
        results.close()  # a pool's workers end before their folders are removed
        if scratch.exists():
            remove_owned(scratch, KIND)
    return measured


@contextlib.contextmanager
def _signals_stop() -> Iterator[None]:
    """SIGINT and SIGTERM stop the comparison here, so that its scratch folder is removed.

    As the runner does for a run (whose own handlers take over while it runs):
    also when the shell started this process with SIGINT ignored (``&`` in a
    script), and for SIGTERM, which would otherwise end the process at once.
    Installed only in the main thread, and put back after.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.signal(number, _stop) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _stop(number: int, frame: FrameType | None) -> None:
    raise RunInterruptedError(f"stopped by {signal.Signals(number).name}",
                              exit_code=128 + number)


def _worker_signals() -> None:
    """In a pool's worker: SIGTERM ends it, as the pool expects (not :func:`_stop`)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _cause(exc: BaseException) -> str:
    """Why the simulations stopped, without the runner's advice to resume a scratch run.

    >>> _cause(RunInterruptedError("stopped by SIGINT: 0 of 1 chunks are saved; continue"))
    'stopped by SIGINT'
    """
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    return str(exc) if isinstance(exc, _WorkerFailedError) else str(exc).split(":")[0]


def _fresh(scratch: Path) -> None:
    """Make the scratch folder, replacing one a killed comparison left (never another)."""
    if scratch.exists():
        if marker_kind(scratch) != KIND:
            raise RunRefusedError(f"{scratch}: exists and scorelab did not make it for a "
                                  "comparison: move it away, or write the page elsewhere (--out)")
        remove_owned(scratch, KIND)
    try:
        scratch.mkdir()
    except OSError as exc:
        raise RunRefusedError(f"cannot create {scratch}: {exc.strerror or exc}") from None
    write_marker(scratch, KIND)


def _simulations(sims: list[Simulation], workers: int) -> Iterator[Simulation]:
    """Run each simulation; yield it as it finishes (on a pool: in any order)."""
    if workers == 1:
        for sim in sims:
            simulate(sim)
            yield sim
        return
    from scorelab.engine import warm_up  # noqa: PLC0415 (loaded once, inherited by the forks)
    from scorelab.runner import local_pool  # noqa: PLC0415 (the runner imports reporting)

    warm_up()
    with local_pool(workers, initializer=_worker_signals) as pool:
        pending: set[Future] = set()
        asked: dict[str, Simulation] = {}
        queue = list(reversed(sims))
        while queue or pending:
            while queue and len(pending) < 2 * workers:
                sim = queue.pop()
                pending.add(pool.submit(simulate, sim))
                asked[sim.name] = sim
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                yield asked.pop(_result(future))


class _WorkerFailedError(Exception):
    """A worker of the pool was lost or failed outside scorelab's own errors."""


def _result(future: Future) -> str:
    """A worker's result; a lost or failed worker stops the comparison."""
    try:
        return future.result()
    except ScorelabError:
        raise
    except Exception as exc:  # BrokenProcessPool, ...
        raise _WorkerFailedError(f"a worker failed ({type(exc).__name__}, {exc})") from None


def simulate(sim: Simulation) -> str:
    """Run one simulation into its folder (no audit, no report); return its name."""
    from scorelab.runner import run  # noqa: PLC0415 (the runner imports reporting)

    inputs = sim.inputs
    run(inputs.policy, inputs.scenario, citizens=inputs.citizens, days=inputs.days,
        seed=sim.seed, out=sim.folder, workers=sim.workers, ledger_sample=inputs.ledger_sample,
        baseline=inputs.baseline, report=False)
    return sim.name
