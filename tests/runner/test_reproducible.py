"""A seed fixes a run: same files for the same seed, whatever the chunk size or workers."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import scorelab
from scorelab._run_folder import TABLES
from scorelab.runner._folder import RowGroupWriter

from ..conftest import POLICIES


def _bytes(run: scorelab.RunResult) -> dict[str, bytes]:
    return {name: (run.folder / name).read_bytes() for name in TABLES}


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


def test_parts_larger_than_a_read_batch_give_the_same_files(runs_dir):
    # 300,000 citizens in chunks of 262,144: the first chunk's part file is read back
    # in two batches of 131,072 rows, where the unique citizen ids pass Parquet's
    # dictionary limit (the small runs above never reach it)
    common = {"citizens": 300_000, "days": 5, "seed": 3, "report": False}
    whole = scorelab.run(POLICIES / "rongcheng.toml", out=runs_dir / "big-one-chunk",
                         chunk_size=1 << 20, **common)
    chunked = scorelab.run(POLICIES / "rongcheng.toml", out=runs_dir / "big-chunks",
                           chunk_size=1 << 18, workers=2, **common)
    assert chunked.manifest["chunks"] == 2
    assert _bytes(chunked) == _bytes(whole)


def _written(path, tables) -> bytes:
    writer = RowGroupWriter(path)
    for table in tables:
        writer.write(table)
    writer.close()
    return path.read_bytes()


def test_a_row_group_is_the_same_bytes_however_its_rows_arrive(tmp_path):
    rows = pa.table({"citizen_id": np.arange(300_000, dtype=np.int64) * 7 + 3,
                     "score": np.arange(300_000, dtype=np.int64) % 1000})
    one = _written(tmp_path / "one.parquet", [rows])
    pq.write_table(rows, tmp_path / "part.parquet", compression="zstd")
    read_back = pq.read_table(tmp_path / "part.parquet")  # batches of 131,072 rows
    assert read_back["citizen_id"].num_chunks > 1
    for name, tables in (("read-back", [read_back]),
                         ("slices", [rows.slice(i, 65_536) for i in range(0, 300_000, 65_536)]),
                         ("odd slices", [rows.slice(i, 131_071)
                                         for i in range(0, 300_000, 131_071)])):
        assert _written(tmp_path / f"{name}.parquet", tables) == one, name


def test_generator_seed_is_accepted(runs_dir):
    run = scorelab.run(POLICIES / "rongcheng.toml", citizens=2000, days=30,
                       seed=np.random.default_rng(5), out=runs_dir / "rng")
    assert run.manifest["seed"] == int(np.random.default_rng(5).integers(0, 2**63 - 1))
