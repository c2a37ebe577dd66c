"""However a run ends, no worker outlives it; a stop says one line; one writer per folder."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

import scorelab
from scorelab.runner import _checkpoint as checkpoint

from ..conftest import POLICIES

HOOK = Path(__file__).with_name("_hooked_run.py")
ARGS = ["run", str(POLICIES / "rongcheng.toml"), "--citizens", "16384", "--days", "30",
        "--seed", "5", "--chunk-size", "1024", "--checkpoint-every", "1"]


class PausedRun:
    """The scorelab command in a subprocess, paused by its progress hook after 4 chunks."""

    def __init__(self, tmp_path: Path, *extra: str) -> None:
        self.go = tmp_path / "go"
        self.out = tmp_path / "run"
        env = {**os.environ, "SCORELAB_TEST_GO": str(self.go)}
        self.process = subprocess.Popen(
            [sys.executable, str(HOOK), "pause", "simulate", "4096", "--", *ARGS,
             "--out", str(self.out), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        line = self.process.stdout.readline()
        assert line.strip() == "READY", self.process.stderr.read()

    def workers(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children(recursive=True)

    def resume(self) -> None:
        self.go.touch()

    def finish(self, timeout: float = 120) -> tuple[int, str]:
        _, stderr = self.process.communicate(timeout=timeout)
        return self.process.returncode, stderr


def _all_gone(processes: list[psutil.Process], seconds: float = 10) -> bool:
    _, alive = psutil.wait_procs(processes, timeout=seconds)
    return not alive


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_their_run(tmp_path, how):
    run = PausedRun(tmp_path, "--workers", "2")
    workers = run.workers()
    assert len(workers) >= 2, "the pool's workers are running"
    run.process.send_signal(how)
    run.resume()
    code, stderr = run.finish()
    assert code == (-signal.SIGKILL if how == signal.SIGKILL else 143), stderr
    assert _all_gone(workers), [p.pid for p in workers if p.is_running()]
    if how == signal.SIGTERM:
        assert stderr.strip().count("\n") == 0, stderr
        assert "stopped by SIGTERM" in stderr and "--resume" in stderr
    scorelab.run(resume=run.out)
    assert (run.out / "manifest.json").is_file()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_ctrl_c_prints_one_line_and_exits_130(tmp_path, workers):
    run = PausedRun(tmp_path, "--workers", workers)
    children = run.workers()
    run.process.send_signal(signal.SIGINT)
    run.resume()
    code, stderr = run.finish()
    assert code == 130
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "stopped by SIGINT" in lines[0] and f"--resume {run.out}" in lines[0]
    assert _all_gone(children)


def test_a_second_writer_is_refused_with_the_live_runs_pid(tmp_path):
    run = PausedRun(tmp_path)
    try:
        with pytest.raises(scorelab.RunRefusedError, match=f"PID {run.process.pid}"):
            scorelab.run(POLICIES / "rongcheng.toml", citizens=2000, days=5, out=run.out,
                         force=True)
        with pytest.raises(scorelab.RunRefusedError, match=f"PID {run.process.pid}"):
            scorelab.run(resume=run.out)
    finally:
        run.resume()
    code, stderr = run.finish()
    assert code == 0, stderr
    assert (run.out / "manifest.json").is_file()


def test_a_crashed_writer_leaves_no_stale_lock(tmp_path):
    run = PausedRun(tmp_path)
    run.process.kill()
    run.finish()
    scorelab.run(resume=run.out)
    assert (run.out / "manifest.json").is_file()
    assert not (tmp_path / ".run.lock").exists()


def test_a_full_disk_stops_with_one_line_and_resumes(tmp_path, monkeypatch):
    real_write_part = checkpoint.write_part
    calls = []

    def write_part(staging, kind, chunk, table):
        calls.append(chunk)
        if chunk == 3:
            raise OSError(errno.ENOSPC, "No space left on device", str(staging / "parts"))
        return real_write_part(staging, kind, chunk, table)

    monkeypatch.setattr(checkpoint, "write_part", write_part)
    out = tmp_path / "run"
    options = {"citizens": 8192, "days": 20, "seed": 2, "chunk_size": 1024,
               "checkpoint_every": 1}
    with pytest.raises(scorelab.RunInterruptedError, match="disk is full.*--resume") as caught:
        scorelab.run(POLICIES / "rongcheng.toml", out=out, **options)
    assert caught.value.exit_code == 2
    monkeypatch.setattr(checkpoint, "write_part", real_write_part)
    scorelab.run(resume=out)
    reference = tmp_path / "whole"
    scorelab.run(POLICIES / "rongcheng.toml", out=reference, **options)
    for name in ("daily.parquet", "citizens.parquet", "ledger.parquet"):
        assert (out / name).read_bytes() == (reference / name).read_bytes()


def test_the_lock_is_released_when_the_run_ends(tmp_path):
    out = tmp_path / "run"
    scorelab.run(POLICIES / "rongcheng.toml", citizens=2000, days=5, out=out)
    assert not (tmp_path / ".run.lock").exists()
    scorelab.run(POLICIES / "rongcheng.toml", citizens=2000, days=5, out=out, force=True)
    assert (out / "manifest.json").is_file()


def test_a_worker_killed_from_outside_ends_the_run_with_one_line_and_no_survivors(tmp_path):
    run = PausedRun(tmp_path, "--workers", "2")
    workers = run.workers()
    workers[0].kill()  # as the OOM killer would
    run.resume()
    code, stderr = run.finish()
    assert code == 2, stderr
    assert stderr.strip().count("\n") == 0, stderr
    assert "a worker process died" in stderr and "--resume" in stderr
    assert _all_gone(workers)
    scorelab.run(resume=run.out)
    assert (run.out / "manifest.json").is_file()
