"""Writing run folders atomically (their format and readers: ``scorelab._run_folder``).

A run is written into a hidden sibling folder; ``manifest.json`` is written
last, then the folder is renamed into place. A reader therefore sees either no
folder, or a complete one.

Parquet files are written in row groups of a fixed number of rows, whatever
the chunk size of the run, so the same seed gives byte-identical files.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from scorelab._errors import RunRefusedError
from scorelab._owned import check_out, check_replaceable, remove_owned, write_marker
from scorelab._run_folder import MANIFEST, RUN_FILES, staging_of

ROWS_PER_GROUP = 1 << 20


class RowGroupWriter:
    """Write a Parquet file in row groups of exactly ``rows_per_group`` rows (the last shorter).

    Each row group is handed to Parquet as one contiguous array per column.
    The writer decides where a column falls back from dictionary to plain
    encoding (a column of unique ids passes the 1 MiB dictionary limit at
    131,072 values) at the boundaries of the arrays it is given; so a row group
    assembled from a run's chunks, or from part files read back in batches of
    131,072 rows, was other bytes than the same rows written in one piece.
    """

    def __init__(self, path: Path, rows_per_group: int = ROWS_PER_GROUP) -> None:
        self.path = path
        self.rows_per_group = rows_per_group
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._writer: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None

    def write(self, table: pa.Table) -> None:
        """Buffer ``table``; write every full row group."""
        self._schema = self._schema or table.schema
        self._pending.append(table)
        self._pending_rows += table.num_rows
        while self._pending_rows >= self.rows_per_group:
            self._emit(self.rows_per_group)

    def _emit(self, rows: int) -> None:
        combined = pa.concat_tables(self._pending)
        # one chunk per column: the bytes depend on the rows only (see the class)
        head, tail = combined.slice(0, rows).combine_chunks(), combined.slice(rows)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, self._schema, compression="zstd")
        self._writer.write_table(head, row_group_size=rows)
        self._pending = [tail] if tail.num_rows else []
        self._pending_rows = tail.num_rows

    def close(self) -> None:
        """Write what is left and close the file (an empty file keeps the schema)."""
        if self._pending_rows:
            self._emit(self._pending_rows)
        if self._writer is None and self._schema is not None:
            pq.write_table(self._schema.empty_table(), self.path, compression="zstd")
        if self._writer is not None:
            self._writer.close()


def prepare_output(out: Path, *, force: bool) -> Path:
    """Check ``out`` can receive a run; return the new hidden folder to write it in.

    The caller holds :func:`scorelab._owned.writing` on ``out``. ``force``
    replaces only a scorelab run folder (and its interrupted staging folder).
    """
    out = out.resolve()
    check_out(out, "run", RUN_FILES, force=force)
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunRefusedError(f"cannot create {parent}: {exc.strerror}") from None
    if not os.access(parent, os.W_OK):
        raise RunRefusedError(f"{parent} is not writable: choose another --out")
    staging = staging_of(out)
    if staging.exists():
        if not force:
            raise RunRefusedError(f"{out} has an interrupted run: continue it with --resume "
                                  f"{out}, or pass --force to start again")
        remove_owned(staging, "run")
    staging.mkdir()
    write_marker(staging, "run")
    return staging


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """Write ``manifest.json`` atomically (temporary name, then rename)."""
    tmp = folder / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n")
    os.replace(tmp, folder / MANIFEST)


def publish(staging: Path, out: Path) -> None:
    """Move a finished run from its hidden folder to ``out``, replacing an old run there."""
    out = out.resolve()
    old = out.parent / f".{out.name}.old"
    if old.exists():  # left by a publish that was stopped halfway
        remove_owned(old, "run")
    if out.exists():
        if any(out.iterdir()):
            check_replaceable(out, "run", RUN_FILES)
        os.replace(out, old)
    os.replace(staging, out)
    if old.exists():
        shutil.rmtree(old)
