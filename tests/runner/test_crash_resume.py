"""Runs survive kill -9: resumed from their last checkpoint, they end byte-identical."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import scorelab
from scorelab.runner._folder import FILES

from ..conftest import POLICIES

ARGS = ["--citizens", "24576", "--days", "200", "--seed", "9", "--chunk-size", "1024",
        "--checkpoint-every", "1"]


def _scorelab(*args: str) -> list[str]:
    return [sys.executable, "-m", "scorelab", *args]


def _bytes(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in FILES}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("whole") / "run"
    subprocess.run(_scorelab("run", str(POLICIES / "rongcheng.toml"), *ARGS, "--out", str(out)),
                   check=True, capture_output=True)
    return out


@pytest.mark.parametrize("attempt", range(3))
def test_killed_run_resumes_to_identical_files(uninterrupted, tmp_path, attempt):
    out = tmp_path / "run"
    staging = tmp_path / ".run.partial"
    rng = random.Random(attempt)
    process = subprocess.Popen(
        _scorelab("run", str(POLICIES / "rongcheng.toml"), *ARGS, "--out", str(out)),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # wait until some chunks are done, then kill at a random moment
    deadline = time.monotonic() + 120
    while not (staging / "checkpoint.json").exists() and time.monotonic() < deadline:
        if process.poll() is not None:
            break
        time.sleep(0.01)
    time.sleep(rng.uniform(0.0, 0.6))
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait()
    if out.exists() and (out / "manifest.json").exists():
        pytest.skip("the run finished before it could be killed")
    with pytest.raises(scorelab.RunFolderError, match="incomplete"):
        scorelab.runner.read_manifest(out)
    resumed = subprocess.run(_scorelab("run", "--resume", str(out)), capture_output=True,
                             text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert _bytes(out) == _bytes(uninterrupted)
    assert not staging.exists()


def test_resume_of_a_complete_run_is_refused(uninterrupted):
    with pytest.raises(scorelab.RunRefusedError, match="already complete"):
        scorelab.run(resume=uninterrupted)


def test_an_interrupted_run_blocks_a_new_one_without_force(tmp_path):
    staging = tmp_path / ".run.partial"
    staging.mkdir()
    with pytest.raises(scorelab.RunRefusedError, match="--resume"):
        scorelab.run(POLICIES / "rongcheng.toml", citizens=1000, days=5, out=tmp_path / "run")


def test_a_run_that_would_not_fit_in_memory_is_refused(tmp_path):
    with pytest.raises(scorelab.RunRefusedError, match="--chunk-size"):
        scorelab.run(POLICIES / "rongcheng.toml", citizens=100_000, days=36_000,
                     chunk_size=100_000, workers=64, out=tmp_path / "huge")
    assert not any(tmp_path.iterdir()), "nothing is written when a run is refused"
