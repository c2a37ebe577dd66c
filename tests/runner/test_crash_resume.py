"""What resume and a new run do with a folder that is complete or interrupted.

Stops at every phase, by SIGINT and SIGKILL, are in test_resume_exact.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import scorelab

from ..conftest import POLICIES


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("whole") / "run"
    scorelab.run(POLICIES / "rongcheng.toml", citizens=4096, days=20, seed=9, out=out)
    return out


def test_resume_of_a_complete_run_is_refused(uninterrupted):
    with pytest.raises(scorelab.RunRefusedError, match="already complete"):
        scorelab.run(resume=uninterrupted)


def test_an_interrupted_run_blocks_a_new_one_without_force(tmp_path):
    staging = tmp_path / ".run.partial"
    staging.mkdir()
    with pytest.raises(scorelab.RunRefusedError, match="--resume"):
        scorelab.run(POLICIES / "rongcheng.toml", citizens=1000, days=5, out=tmp_path / "run")


def test_a_run_that_would_not_fit_in_memory_is_refused(tmp_path):
    with pytest.raises(scorelab.RunRefusedError, match="GiB of memory.*fewer --days"):
        scorelab.run(POLICIES / "rongcheng.toml", citizens=100_000, days=36_000,
                     chunk_size=100_000, workers=64, out=tmp_path / "huge")
    assert not any(tmp_path.iterdir()), "nothing is written when a run is refused"
