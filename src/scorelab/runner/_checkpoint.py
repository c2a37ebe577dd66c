"""Checkpoints: what a run has finished, saved so that ``--resume`` can continue it exactly.

While a run is in progress its staging folder holds::

    .scorelab-folder      the marker: a scorelab run folder (scorelab._owned)
    policy.toml, scenario.toml, request.json   the exact inputs and options
    checkpoint.json       the commit record: chunks done, the fingerprint of the inputs
                          and the code, the name and sha256 of the matrices file, and
                          the sha256 of every part file it counts
    checkpoint-000012.npz the summed day matrices after the first 12 chunks (used columns)
    parts/citizens-000011.parquet, parts/ledger-000011.parquet   one pair per chunk

``checkpoint.json`` is written when the run starts (no chunk done) and replaced
atomically after every ``checkpoint_every`` chunks; it is the only commit point.
A part or matrices file is written under a temporary name, renamed, and only
then counted by the next ``checkpoint.json``; the matrices file it replaced is
removed after. Parts stay until the run's outputs and manifest are complete, so
a run stopped while it merges them resumes by merging them again.

``load`` checks all of it before a resume simulates anything: the inputs and
the code must hash as they did (else the resumed chunks would mix two runs),
and the matrices and every counted part must be there with the same sha256.
Anything else is refused with one line naming the file and what to do.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from scorelab._errors import RunFolderError, RunRefusedError
from scorelab._fingerprint import code_sha256, file_sha256
from scorelab._run_folder import INPUTS
from scorelab.runner._columns import UsedColumns, dense, used_columns
from scorelab.runner._folder import RowGroupWriter
from scorelab.runner._request import RunRequest

PARTS = "parts"
CHECKPOINT = "checkpoint.json"
FORMAT = 2
_COLUMNS, _WIDTH = ".columns", ".width"  # suffixes of a matrix's companions in the npz
_PART_NAME = re.compile(r"(citizens|ledger)-(\d{6})\.parquet")
_MATRICES_NAME = re.compile(r"checkpoint-\d{6}\.npz")
START_AGAIN = "start the run again with --force"


@dataclass
class Progress:
    """What a run has finished: the state a checkpoint saves and a resume starts from."""

    chunks: int
    fingerprint: dict[str, str]  # of the inputs and the code, as the run started
    chunks_done: int = 0
    citizens_done: int = 0
    matrices: dict[str, np.ndarray] = field(default_factory=dict)
    parts: dict[str, str] = field(default_factory=dict)  # part name -> sha256


def part_path(staging: Path, kind: str, chunk: int) -> Path:
    """Where chunk ``chunk``'s rows of ``kind`` (citizens or ledger) are kept."""
    return staging / PARTS / f"{kind}-{chunk:06d}.parquet"


def fingerprint(staging: Path) -> dict[str, str]:
    """The sha256 of each input file and of scorelab's code."""
    return {**{name: file_sha256(staging / name) for name in INPUTS}, "code": code_sha256()}


def start(staging: Path, chunks: int) -> Progress:
    """Record a new run's fingerprint, with no chunk done; return its empty progress."""
    progress = Progress(chunks, fingerprint(staging))
    _write_record(staging, progress, matrices_file=None, matrices_sha=None)
    return progress


def write_part(staging: Path, kind: str, chunk: int, table: pa.Table) -> tuple[str, str]:
    """Write one chunk's rows atomically; return the part's name and sha256."""
    path = part_path(staging, kind, chunk)
    path.parent.mkdir(exist_ok=True)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    data = sink.getvalue().to_pybytes()
    _write_bytes(path, data)
    return path.name, hashlib.sha256(data).hexdigest()


def save(staging: Path, progress: Progress, used: dict[str, np.ndarray] | None = None) -> None:
    """Commit ``progress``: its matrices file, then ``checkpoint.json`` that counts it.

    Only used columns are saved (a long run's matrix is mostly zero); ``used``
    says which, per matrix, when the caller keeps track (else they are found).
    """
    arrays: dict[str, np.ndarray] = {"_chunks_done": np.int64(progress.chunks_done)}
    for name, matrix in progress.matrices.items():
        part = used_columns(matrix, None if used is None else used.get(name))
        arrays[name] = part.values
        arrays[f"{name}{_COLUMNS}"] = part.columns
        arrays[f"{name}{_WIDTH}"] = np.int64(matrix.shape[1])
    matrices_file = f"checkpoint-{progress.chunks_done:06d}.npz"
    tmp = staging / f".{matrices_file}.tmp.npz"
    np.savez(tmp, **arrays)
    os.replace(tmp, staging / matrices_file)
    _write_record(staging, progress, matrices_file=matrices_file,
                  matrices_sha=file_sha256(staging / matrices_file))
    for old in staging.iterdir():
        if _MATRICES_NAME.fullmatch(old.name) and old.name != matrices_file:
            old.unlink()


def _write_record(staging: Path, progress: Progress, *, matrices_file: str | None,
                  matrices_sha: str | None) -> None:
    record = {"format": FORMAT, "chunks_done": progress.chunks_done, "chunks": progress.chunks,
              "citizens_done": progress.citizens_done, "fingerprint": progress.fingerprint,
              "matrices": matrices_file, "matrices_sha256": matrices_sha,
              "parts": dict(sorted(progress.parts.items()))}
    _write_bytes(staging / CHECKPOINT, (json.dumps(record, indent=1) + "\n").encode())


def _write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def load(staging: Path, out: Path) -> tuple[Progress, RunRequest]:
    """An interrupted run's progress and request, checked so that it continues exactly.

    Parts the checkpoint does not count are removed (they will be recomputed).

    Raises:
        RunFolderError: a file of the run's state is missing or damaged.
        RunRefusedError: an input or scorelab's code changed since the run started.
    """
    data, record = _read_record(staging / CHECKPOINT)
    now = fingerprint(staging)
    changed = [name for name, sha in now.items() if record["fingerprint"].get(name) != sha]
    if changed:
        what = " and ".join("scorelab's code" if name == "code" else name for name in changed)
        raise RunRefusedError(f"{out}: {what} changed since the run started: resuming would mix "
                              f"chunks of two different runs; {START_AGAIN}")
    try:
        request = RunRequest.from_json(data)
    except TypeError:  # unchanged since the start, so a request of another scorelab
        raise RunFolderError(f"{staging / 'request.json'}: not a request of this scorelab: "
                             f"{START_AGAIN}") from None
    progress = Progress(record["chunks"], now, record["chunks_done"], record["citizens_done"],
                        parts=dict(record["parts"]))
    if record["matrices"] is not None:
        progress.matrices = _read_matrices(staging, record)
    for name, sha in progress.parts.items():
        path = staging / PARTS / name
        if not path.is_file():
            raise RunFolderError(f"{path}: missing part of the run: {START_AGAIN}")
        if file_sha256(path) != sha:
            raise RunFolderError(f"{path}: damaged or replaced (sha256 differs from the "
                                 f"checkpoint's): {START_AGAIN}")
    parts = staging / PARTS
    if parts.is_dir():
        for part in parts.iterdir():
            if _PART_NAME.fullmatch(part.name) and part.name not in progress.parts:
                part.unlink()
    return progress, request


def _read_record(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The run's request and its checkpoint record, both checked to be readable."""
    for name in INPUTS:
        if not (path.parent / name).is_file():
            raise RunFolderError(f"{path.parent / name}: missing input of the run: "
                                 f"{START_AGAIN}")
    request = _read_json(path.parent / "request.json")
    record = _read_json(path)
    try:
        valid = (record["format"] == FORMAT and isinstance(record["fingerprint"], dict)
                 and isinstance(record["parts"], dict)
                 and len(record["parts"]) == 2 * record["chunks_done"]
                 and all(isinstance(record[key], int)
                         for key in ("chunks_done", "chunks", "citizens_done")))
    except (KeyError, TypeError):
        valid = False
    if not valid:
        raise RunFolderError(f"{path}: not a checkpoint of this scorelab: {START_AGAIN}")
    return request, record


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise RunFolderError(f"{path}: missing: {START_AGAIN}") from None
    except (OSError, ValueError):
        raise RunFolderError(f"{path}: unreadable or not JSON: {START_AGAIN}") from None


def _read_matrices(staging: Path, record: dict[str, Any]) -> dict[str, np.ndarray]:
    path = staging / str(record["matrices"])
    if not _MATRICES_NAME.fullmatch(path.name) or not path.is_file():
        raise RunFolderError(f"{path}: missing: {START_AGAIN}")
    if file_sha256(path) != record["matrices_sha256"]:
        raise RunFolderError(f"{path}: damaged (sha256 differs from {CHECKPOINT}'s): "
                             f"{START_AGAIN}")
    try:
        with np.load(path) as saved:
            if int(saved["_chunks_done"]) != record["chunks_done"]:
                raise ValueError("chunk count")
            names = [name for name in saved.files if not name.startswith("_") and "." not in name]
            return {name: dense(UsedColumns(saved[f"{name}{_COLUMNS}"], saved[name]),
                                int(saved[f"{name}{_WIDTH}"])) for name in names}
    except (OSError, ValueError, KeyError, EOFError) as exc:
        raise RunFolderError(f"{path}: unreadable ({exc}): {START_AGAIN}") from None


def merge_parts(staging: Path, kind: str, chunks: int) -> None:
    """Join the parts of ``kind`` into ``<kind>.parquet`` in fixed row groups, atomically.

    The parts stay until the run's manifest is written (:func:`clear`).
    """
    writer = RowGroupWriter(staging / f".{kind}.parquet.tmp")
    for chunk in range(chunks):
        writer.write(pq.read_table(part_path(staging, kind, chunk)))
    writer.close()
    os.replace(staging / f".{kind}.parquet.tmp", staging / f"{kind}.parquet")


def clear(staging: Path) -> None:
    """Remove the checkpoint and the parts once the run's outputs and manifest are complete."""
    parts = staging / PARTS
    if parts.is_dir():
        for part in parts.iterdir():
            if _PART_NAME.fullmatch(part.name):
                part.unlink()
        if not any(parts.iterdir()):
            parts.rmdir()
    for entry in staging.iterdir():
        if entry.name == CHECKPOINT or _MATRICES_NAME.fullmatch(entry.name):
            entry.unlink()
