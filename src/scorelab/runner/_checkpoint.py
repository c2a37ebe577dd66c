"""Checkpoints: what a run has finished, saved so that ``--resume`` can continue it.

While a run is in progress its staging folder holds::

    request.json          what was asked (sizes, seed, options), to rebuild the run
    policy.toml, scenario.toml   the exact inputs
    parts/citizens-000012.parquet, parts/ledger-000012.parquet   one pair per finished chunk
    checkpoint.npz        the summed day matrices after the first ``chunks_done`` chunks
                          (their used columns), and the counts: one file, so matrices
                          and counts never disagree
    checkpoint.json       {"chunks_done": k, "chunks": n, "citizens_done": c}, for people

A run of one chunk writes no parts and no checkpoint: it has nothing to resume,
and its rows go straight to the final files.

Every file is written under a temporary name and renamed. The part files of a
chunk are written before the checkpoint that counts it, so after a crash the
checkpoint never claims work that is not on disk; parts beyond it are dropped
and recomputed. Chunks are deterministic, so a resumed run ends byte-identical
to an uninterrupted one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from scorelab.runner._columns import UsedColumns, dense, used_columns
from scorelab.runner._folder import RowGroupWriter

PARTS = "parts"
_COLUMNS, _WIDTH = ".columns", ".width"  # suffixes of a matrix's companions in the npz


def part_path(staging: Path, kind: str, chunk: int) -> Path:
    """Where chunk ``chunk``'s rows of ``kind`` (citizens or ledger) are kept."""
    return staging / PARTS / f"{kind}-{chunk:06d}.parquet"


def write_part(staging: Path, kind: str, chunk: int, table: pa.Table) -> None:
    """Write one chunk's rows atomically."""
    path = part_path(staging, kind, chunk)
    path.parent.mkdir(exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def save(staging: Path, chunks_done: int, chunks: int, citizens_done: int,
         matrices: dict[str, np.ndarray], used: dict[str, np.ndarray] | None = None) -> None:
    """Record that the first ``chunks_done`` chunks are finished, with their summed matrices.

    Only used columns are saved (a long run's matrix is mostly zero); ``used``
    says which, per matrix, when the caller keeps track (else they are found).
    """
    info = {"chunks_done": chunks_done, "chunks": chunks, "citizens_done": citizens_done}
    arrays: dict[str, np.ndarray] = {}
    for name, matrix in matrices.items():
        part = used_columns(matrix, None if used is None else used.get(name))
        arrays[name] = part.values
        arrays[f"{name}{_COLUMNS}"] = part.columns
        arrays[f"{name}{_WIDTH}"] = np.int64(matrix.shape[1])
    tmp = staging / ".checkpoint.tmp.npz"
    np.savez(tmp, **arrays, **{f"_{k}": np.int64(v) for k, v in info.items()})
    os.replace(tmp, staging / "checkpoint.npz")
    tmp_json = staging / ".checkpoint.json.tmp"
    tmp_json.write_text(json.dumps(info))
    os.replace(tmp_json, staging / "checkpoint.json")


def load(staging: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The last checkpoint (``chunks_done`` 0 and no matrices when there is none).

    Parts of chunks the checkpoint does not count are removed: they may be
    incomplete, and they will be recomputed.
    """
    info: dict[str, Any] = {"chunks_done": 0, "citizens_done": 0}
    matrices: dict[str, np.ndarray] = {}
    path = staging / "checkpoint.npz"
    if path.is_file():
        with np.load(path) as saved:
            names = [name for name in saved.files if not name.startswith("_") and "." not in name]
            matrices = {name: dense(UsedColumns(saved[f"{name}{_COLUMNS}"], saved[name]),
                                    int(saved[f"{name}{_WIDTH}"])) for name in names}
            info = {name[1:]: int(saved[name]) for name in saved.files if name.startswith("_")}
    parts = staging / PARTS
    if parts.is_dir():
        for part in parts.iterdir():
            chunk = int(part.stem.rsplit("-", 1)[1]) if part.stem[-6:].isdigit() else -1
            if chunk < 0 or chunk >= info["chunks_done"]:
                part.unlink()
    return info, matrices


def merge_parts(staging: Path, kind: str, chunks: int) -> None:
    """Join the parts of ``kind`` into ``<kind>.parquet`` in fixed row groups, then drop them."""
    write_final(staging, kind, (pq.read_table(part_path(staging, kind, chunk))
                                for chunk in range(chunks)))
    for chunk in range(chunks):
        part_path(staging, kind, chunk).unlink()


def write_final(staging: Path, kind: str, tables: Iterable[pa.Table]) -> None:
    """Write ``<kind>.parquet`` from ``tables`` in order, in fixed row groups, atomically.

    A run of one chunk passes its table straight here: with nothing to resume,
    it needs no part file.
    """
    writer = RowGroupWriter(staging / f".{kind}.parquet.tmp")
    for table in tables:
        writer.write(table)
    writer.close()
    os.replace(staging / f".{kind}.parquet.tmp", staging / f"{kind}.parquet")


def clear(staging: Path) -> None:
    """Remove checkpoint files once the run's outputs are complete."""
    for name in ("checkpoint.json", "checkpoint.npz"):
        (staging / name).unlink(missing_ok=True)
    parts = staging / PARTS
    if parts.is_dir() and not any(parts.iterdir()):
        parts.rmdir()
