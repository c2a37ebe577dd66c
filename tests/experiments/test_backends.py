"""An experiment's results do not depend on where its simulations ran, nor on a kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

import scorelab
import scorelab.experiments._execute as execute

from .test_experiments import GRID, _write


def test_the_ray_backend_gives_the_local_results(tmp_path):
    pytest.importorskip("ray", reason="installed by .ci/run through the ray extra")
    path = _write(tmp_path, GRID)
    local = scorelab.experiment(path, out=tmp_path / "local").results
    on_ray = scorelab.experiment(path, out=tmp_path / "ray", backend="ray", workers=2).results
    assert on_ray.equals(local)


def test_keeping_runs_on_ray_is_refused_before_anything_is_written(tmp_path):
    path = _write(tmp_path, GRID)
    with pytest.raises(scorelab.RunRefusedError, match="keep_runs needs the local backend"):
        scorelab.experiment(path, out=tmp_path / "e", backend="ray", keep_runs=True)
    assert list(tmp_path.iterdir()) == [path]


def test_simulations_above_one_process_run_in_chunks_with_the_same_results(tmp_path,
                                                                           monkeypatch):
    path = _write(tmp_path, GRID)
    small = scorelab.experiment(path, out=tmp_path / "small", workers=2).results
    monkeypatch.setattr(execute, "SMALL_RUN", 1000)  # 3,000 citizens now count as large
    calls = []
    real = execute.simulate_one
    monkeypatch.setattr(execute, "simulate_one",
                        lambda task, settings, **options: calls.append(options)
                        or real(task, settings, **options))
    large = scorelab.experiment(path, out=tmp_path / "large", workers=2).results
    assert large.equals(small)
    assert calls and all(options["workers"] == 2 for options in calls)


KILLED = """
import sys, scorelab
scorelab.experiment(sys.argv[1], out=sys.argv[2], workers=2)
"""


def test_an_experiment_killed_with_sigkill_resumes_to_the_same_results(tmp_path):
    path = _write(tmp_path, GRID.replace("replicates = 2", "replicates = 6"))
    whole = scorelab.experiment(path, out=tmp_path / "whole").results
    out = tmp_path / "killed"
    saved = tmp_path / ".killed.partial" / "simulations"
    child = subprocess.Popen([sys.executable, "-c", KILLED, str(path), str(out)],
                             start_new_session=True)
    deadline = time.monotonic() + 120
    while len(list(saved.glob("*.json"))) < 3:  # killed mid-way: some saved, some not
        assert child.poll() is None, "the experiment ended before it could be killed"
        assert time.monotonic() < deadline, "no simulation saved in two minutes"
        time.sleep(0.05)
    workers = psutil.Process(child.pid).children(recursive=True)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    psutil.wait_procs(workers, timeout=10)
    assert not [w for w in workers if w.is_running() and w.status() != psutil.STATUS_ZOMBIE]
    assert len(list(saved.glob("*.json"))) < 12
    resumed = scorelab.experiment(resume=out, workers=2).results
    assert resumed.equals(whole)
    assert not (tmp_path / ".killed.partial").exists()
