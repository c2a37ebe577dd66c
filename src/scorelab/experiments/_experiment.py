"""``scorelab.experiment``: plan, run, resume and summarise many simulations.

Data flow::

    experiment.toml --load_experiment--> Experiment --simulations--> design points x replicates
    each point --set_numbers--> inputs/point-NNNN-{policy,scenario}.toml
    each simulation --scorelab.run (one worker, no report)--> run folder --measure--> outputs
        --> simulations/NNNNNN.json (the folder itself is removed unless keep_runs)
    all done --> design, results, summary, series and sensitivity .parquet,
                 report.html and differences.parquet (scorelab.reporting),
                 manifest.json last; the staging folder is renamed into place

Simulations run in a local pool whose workers persist (the engine loads once per
worker) and die with the experiment; each result is saved as it arrives, so a
stopped experiment resumes where it was. A simulation's bytes depend only on its
inputs and seed, so the worker count never changes a result.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from scorelab._errors import RunInterruptedError, RunRefusedError
from scorelab._owned import check_out, marker_kind, remove_owned, write_marker, writing
from scorelab._version import __version__
from scorelab.experiments._design import Simulation, simulations
from scorelab.experiments._execute import Settings, Task, run_all
from scorelab.experiments._file import Experiment, find_file, load_experiment
from scorelab.experiments._measures import needs_baseline
from scorelab.experiments._paths import base_documents, dumps, set_numbers
from scorelab.experiments._summary import sensitivity_table, series_table, summary_table
from scorelab.reporting import write_experiment_report
from scorelab.runner import estimate_run, refuse_many_runs

KIND = "experiment"
FILES = ("experiment.toml", "request.json", "design.parquet", "results.parquet",
         "summary.parquet", "series.parquet", "sensitivity.parquet", "differences.parquet",
         "report.html", "manifest.json", "inputs", "simulations", "runs", "scratch")


@dataclass(frozen=True)
class ExperimentProgress:
    """Simulations done out of all of them (``done`` counts those resumed too)."""

    done: int
    total: int


@dataclass(frozen=True)
class ExperimentResult:
    """A finished experiment folder and its tables (polars)."""

    folder: Path

    def table(self, name: str) -> pl.DataFrame:
        """A table: design, results, summary, series, sensitivity or differences."""
        return pl.read_parquet(self.folder / f"{name}.parquet")

    @property
    def results(self) -> pl.DataFrame:  # noqa: D102
        return self.table("results")

    @property
    def summary(self) -> pl.DataFrame:  # noqa: D102
        return self.table("summary")

    @property
    def sensitivity(self) -> pl.DataFrame:  # noqa: D102
        return self.table("sensitivity")


def experiment(
    path: str | Path | None = None,
    *,
    out: str | Path | None = None,
    resume: str | Path | None = None,
    citizens: int | None = None,
    days: int | None = None,
    replicates: int | None = None,
    samples: int | None = None,
    workers: int = 1,
    backend: str = "local",
    ray_address: str | None = None,
    keep_runs: bool = False,
    force: bool = False,
    progress: Callable[[ExperimentProgress], None] | None = None,
) -> ExperimentResult:
    """Run the experiment in ``path`` into the folder ``out`` (or continue one with ``resume``).

    Args:
        path: an experiment file (TOML; docs/experiments.md).
        out: the experiment folder; default ``runs/<experiment file name>``.
        resume: a stopped experiment's folder: its done simulations are kept.
        citizens: population size, overriding the file's.
        days: days to simulate, overriding the file's.
        replicates: seeds per design point, overriding the file's.
        samples: base samples of a sampled design, overriding the file's.
        workers: worker processes (local, or local Ray CPUs), each running one simulation at
            a time; a simulation above ``SMALL_RUN`` citizens runs on all of them in chunks.
        backend: ``local`` (a pool of forked processes) or ``ray`` (each simulation a Ray task;
            only its outputs travel back).
        ray_address: the Ray cluster to join (``ray`` backend); None starts a local Ray.
        keep_runs: keep every simulation's run folder under ``runs/``.
        force: replace an earlier experiment folder at ``out``.
        progress: called with an :class:`ExperimentProgress` after each simulation.

    Raises:
        ExperimentError: the file is invalid (file, line, key, what was expected).
        RunRefusedError: bad options, or ``out`` is not scorelab's to replace.
        RunInterruptedError: stopped (Ctrl-C, a lost worker); resume the folder.
    """
    if workers < 1:
        raise RunRefusedError(f"workers must be at least 1, got {workers}")
    if backend not in ("local", "ray"):
        raise RunRefusedError(f'backend must be "local" or "ray", got "{backend}"')
    overrides = {"citizens": citizens, "days": days, "replicates": replicates,
                 "samples": samples}
    if resume is not None:
        if path is not None or any(v is not None for v in overrides.values()):
            raise RunRefusedError("resume continues an experiment as it was asked: give "
                                  "only the folder (and workers, backend, ray_address)")
        final = Path(resume).resolve()
        staging = _staging(final)
        if not staging.is_dir():
            raise RunRefusedError(f"{final}: no stopped experiment to resume (nothing at "
                                  f"{staging})")
        request = json.loads((staging / "request.json").read_text())
        source = Path(request["source"])
        if not source.is_file() or _sha(source) != request["sha256"]:
            raise RunRefusedError(f"{source}: the experiment file changed (or went) since the "
                                  "experiment started; start it again with --force")
        loaded = load_experiment(source, **request["overrides"])
        keep_runs = request["keep_runs"]
    else:
        if path is None:
            raise RunRefusedError("give an experiment file, or resume= (--resume)")
        loaded = load_experiment(path, **overrides)
        final = Path(out if out is not None else Path("runs") / Path(path).stem).resolve()
    if keep_runs and backend == "ray":
        raise RunRefusedError("keep_runs needs the local backend: Ray tasks may run on other "
                              "machines, so only their outputs come back")
    sims = simulations(loaded)
    _refuse_if_too_big(loaded, len(sims), final, workers=workers, keep_runs=keep_runs)
    with writing(final):
        if resume is None:
            staging = _start(loaded, final, overrides, keep_runs=keep_runs, force=force)
        return _finish(loaded, sims, staging, final, workers=workers, backend=backend,
                       ray_address=ray_address, keep_runs=keep_runs, progress=progress)


def _refuse_if_too_big(loaded: Experiment, runs: int, final: Path, *, workers: int,
                       keep_runs: bool) -> None:
    """Refuse, with the numbers, an experiment this machine cannot hold or finish in a week."""
    meta = loaded.meta
    one = estimate_run(loaded.policy_path, loaded.scenario_path, citizens=meta.citizens,
                       days=meta.days, baseline=needs_baseline(tuple(meta.outputs)))
    refuse_many_runs(one, runs=runs, at_once=min(workers, runs),
                     kept=runs if keep_runs else 0, out=final)


def _staging(final: Path) -> Path:
    return final.parent / f".{final.name}.partial"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _start(loaded: Experiment, final: Path, overrides: dict[str, Any], *, keep_runs: bool,
           force: bool) -> Path:
    """A fresh staging folder with the exact input, the request and each point's input files."""
    check_out(final, KIND, FILES, force=force)
    staging = _staging(final)
    if staging.exists():
        if marker_kind(staging) != KIND:
            raise RunRefusedError(f"{staging}: exists and is not a scorelab experiment folder")
        if not force:
            raise RunRefusedError(f"{final}: a stopped experiment is there; continue it with "
                                  f"--resume {final}, or start again with --force")
        remove_owned(staging, KIND)
    staging.mkdir(parents=True)
    write_marker(staging, KIND)
    shutil.copyfile(loaded.path, staging / "experiment.toml")
    request = {"scorelab_version": __version__, "source": str(loaded.path.resolve()),
               "sha256": _sha(loaded.path), "keep_runs": keep_runs,
               "overrides": {k: v for k, v in overrides.items() if v is not None}}
    (staging / "request.json").write_text(json.dumps(request, indent=2) + "\n")
    (staging / "simulations").mkdir()
    return staging


def _point_inputs(loaded: Experiment, staging: Path, sims: list[Simulation]) -> dict[int, tuple]:
    """Each design point's policy and scenario files (written once, reused on resume)."""
    base = base_documents(loaded.policy_path, loaded.scenario_path)
    folder = staging / "inputs"
    folder.mkdir(exist_ok=True)
    inputs: dict[int, tuple] = {}
    for sim in sims:
        if sim.point in inputs:
            continue
        policy_file, scenario_file = loaded.policy_path, loaded.scenario_path
        numbers = {k: float(v) for k, v in sim.values.items() if not isinstance(v, str)}
        for factor in loaded.factors:
            if factor.categorical:
                level = find_file(factor.path, str(sim.values[factor.path]), loaded.path.parent)
                if factor.path == "policy":
                    policy_file = level
                else:
                    scenario_file = level
        if any(k.startswith("policy.") for k in numbers):
            policy_file = folder / f"point-{sim.point:04d}-policy.toml"
            if not policy_file.exists():
                document = set_numbers(base["policy"], numbers, "policy")
                policy_file.write_text(dumps(document))
        if any(k.startswith("scenario.") for k in numbers):
            scenario_file = folder / f"point-{sim.point:04d}-scenario.toml"
            if not scenario_file.exists():
                document = set_numbers(base["scenario"], numbers, "scenario",
                                       base["scenario merged"])
                scenario_file.write_text(dumps(document))
        inputs[sim.point] = (policy_file, scenario_file)
    return inputs


def _finish(loaded: Experiment, sims: list[Simulation], staging: Path, final: Path, *,
            workers: int, backend: str, ray_address: str | None, keep_runs: bool,
            progress: Callable[[ExperimentProgress], None] | None) -> ExperimentResult:
    """Run what is not done yet, then write the tables and publish the folder."""
    clock = time.perf_counter()
    meta = loaded.meta
    _clear_unfinished(staging)
    inputs = _point_inputs(loaded, staging, sims)
    saved = staging / "simulations"
    todo = [s for s in sims if not (saved / f"{s.number:06d}.json").exists()]
    done = len(sims) - len(todo)
    tasks = [Task(s.number, str(inputs[s.point][0]),
                  None if inputs[s.point][1] is None else str(inputs[s.point][1]), s.seed)
             for s in todo]
    settings = Settings(meta.citizens, meta.days, tuple(meta.outputs), tuple(meta.series),
                        str(staging / ("runs" if keep_runs else "scratch")), keep_runs,
                        baseline=needs_baseline(tuple(meta.outputs)))

    def save(number: int, outputs: dict[str, Any]) -> None:
        nonlocal done
        target = saved / f"{number:06d}.json"
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(outputs))
        os.replace(tmp, target)  # a stop never leaves half a result
        done += 1
        if progress is not None:
            progress(ExperimentProgress(done, len(sims)))

    try:
        run_all(tasks, settings, save, workers=workers, backend=backend, ray_address=ray_address)
    except KeyboardInterrupt:
        raise RunInterruptedError(
            f"stopped: {done} of {len(sims)} simulations are saved; continue with: "
            f"scorelab experiment --resume {final}", exit_code=130) from None
    _write_tables(loaded, staging, sims, time.perf_counter() - clock)
    scratch = staging / "scratch"
    if scratch.exists():
        shutil.rmtree(scratch)
    if final.exists():
        remove_owned(final, KIND)
    os.replace(staging, final)
    return ExperimentResult(final)


def _clear_unfinished(staging: Path) -> None:
    """Remove what simulations cut off by a stop or ``kill -9`` left in our staging folder.

    ``scratch/`` holds only simulations in progress; in ``runs/`` the hidden entries
    are the runner's staging folders and locks of unfinished ones (a kill can land
    before the runner marks its folder, so the runner itself would refuse to
    replace it). Both are inside the experiment's own staging folder.
    """
    scratch = staging / "scratch"
    if scratch.exists():
        shutil.rmtree(scratch)
    runs = staging / "runs"
    if runs.is_dir():
        for entry in runs.glob(".*"):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()


def _write_tables(loaded: Experiment, staging: Path, sims: list[Simulation],
                  seconds: float) -> None:
    """design, results, summary, series and sensitivity tables, the report, then the manifest."""
    outputs = list(loaded.meta.outputs)
    rows, daily = [], []
    for sim in sims:
        values = json.loads((staging / "simulations" / f"{sim.number:06d}.json").read_text())
        rows.append({"simulation": sim.number, "point": sim.point, "replicate": sim.replicate,
                     "seed": sim.seed, **{k: values["outputs"][k] for k in outputs}})
        for name, points in values["series"].items():
            daily.append({"point": sim.point, "replicate": sim.replicate, "series": name,
                          "value": points})
    design = pl.DataFrame([{"simulation": s.number, "point": s.point, "replicate": s.replicate,
                            "seed": s.seed, **{k: (v if isinstance(v, str) else float(v))
                                               for k, v in s.values.items()}} for s in sims])
    results = pl.DataFrame(rows)
    design.write_parquet(staging / "design.parquet")
    results.write_parquet(staging / "results.parquet")
    summary_table(results, outputs).write_parquet(staging / "summary.parquet")
    if daily:
        series_table(daily).write_parquet(staging / "series.parquet")
    sensitivity = sensitivity_table(loaded, sims, results, outputs)
    if sensitivity is not None:
        sensitivity.write_parquet(staging / "sensitivity.parquet")
    manifest = {"scorelab_version": __version__, "name": loaded.meta.name,
                "experiment": loaded.model.model_dump(mode="json"),
                "simulations": len(sims), "points": sims[-1].point + 1 if sims else 0,
                "seconds": round(seconds, 3)}
    write_experiment_report(staging, manifest)
    manifest["files"] = sorted(p.name for p in staging.iterdir()
                               if p.suffix in (".parquet", ".html"))
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n")

