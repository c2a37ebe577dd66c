"""A seed fixes a run: same files for the same seed, whatever the chunk size or workers."""

from __future__ import annotations

import pytest

import scorelab
from scorelab.runner._folder import FILES

from ..conftest import POLICIES


def _bytes(run: scorelab.RunResult) -> dict[str, bytes]:
    return {name: (run.folder / name).read_bytes() for name in FILES}


@pytest.fixture(scope="module")
def reference(runs_dir):
    return scorelab.run(POLICIES / "rongcheng.toml", citizens=5000, days=120, seed=3,
                        out=runs_dir / "ref", chunk_size=1 << 18)


def test_same_seed_gives_identical_files(reference, runs_dir):
    again = scorelab.run(POLICIES / "rongcheng.toml", citizens=5000, days=120, seed=3,
                         out=runs_dir / "again")
    assert _bytes(again) == _bytes(reference)


def test_another_seed_gives_other_numbers(reference, runs_dir):
    other = scorelab.run(POLICIES / "rongcheng.toml", citizens=5000, days=120, seed=4,
                         out=runs_dir / "other")
    assert _bytes(other)["ledger.parquet"] != _bytes(reference)["ledger.parquet"]
    assert other.summary()["records"] != reference.summary()["records"]


@pytest.mark.parametrize("chunk_size", [1024, 3000])
def test_chunk_size_never_changes_results(reference, runs_dir, chunk_size):
    chunked = scorelab.run(POLICIES / "rongcheng.toml", citizens=5000, days=120, seed=3,
                           out=runs_dir / f"chunk{chunk_size}", chunk_size=chunk_size)
    assert _bytes(chunked) == _bytes(reference)


def test_worker_count_never_changes_results(reference, runs_dir):
    parallel = scorelab.run(POLICIES / "rongcheng.toml", citizens=5000, days=120, seed=3,
                            out=runs_dir / "workers2", chunk_size=1024, workers=2)
    assert _bytes(parallel) == _bytes(reference)


def test_generator_seed_is_accepted(runs_dir):
    import numpy as np

    run = scorelab.run(POLICIES / "rongcheng.toml", citizens=2000, days=30,
                       seed=np.random.default_rng(5), out=runs_dir / "rng")
    assert run.manifest["seed"] == int(np.random.default_rng(5).integers(0, 2**63 - 1))
