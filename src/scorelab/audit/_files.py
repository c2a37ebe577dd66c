"""Reading a run folder's tables for the audit, and writing its outputs atomically.

The audit reads the Parquet files directly and never the manifest, so it also
works on a run's staging folder before ``manifest.json`` exists (the runner
writes the audit and the report there, then publishes the folder). Public
entry points that take a finished run check the manifest first.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from scorelab._errors import RunFolderError

#: Citizen columns the audit reads (plus every ``listed_<L>``).
CITIZEN_COLUMNS = (
    "citizen_id", "sex", "age_band", "region", "urban", "income_decile", "occupation",
    "score", "grade", "records", "wrongful_records", "denials", "wrongful_denials",
    "shamed", "wrongful_shamed", "rewards_yuan",
)


@dataclass(frozen=True)
class RunTables:
    """The tables of one run folder, as polars frames; ``baseline`` is None without one."""

    daily: pl.DataFrame
    citizens: pl.DataFrame
    baseline: pl.DataFrame | None


def read_run_tables(folder: Path) -> RunTables:
    """Read ``daily``, ``citizens`` and (when present) ``baseline`` Parquet files of a run.

    Raises:
        RunFolderError: a required file is missing.
    """
    missing = [name for name in ("daily.parquet", "citizens.parquet")
               if not (folder / name).is_file()]
    if missing:
        raise RunFolderError(f"{folder}: no {missing[0]}: not a scorelab run folder")
    daily = pl.read_parquet(folder / "daily.parquet")
    schema = pl.read_parquet_schema(folder / "citizens.parquet")
    wanted = [*CITIZEN_COLUMNS, *[c for c in schema if c.startswith("listed_")]]
    citizens = pl.read_parquet(folder / "citizens.parquet", columns=wanted)
    path = folder / "baseline.parquet"
    baseline = pl.read_parquet(path) if path.is_file() else None
    return RunTables(daily, citizens, baseline)


def write_atomically(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(temporary path)`` then rename the result to ``path``.

    A reader sees the old file or the new one, never half of one; a failed
    write leaves no temporary file behind.
    """
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path
