"""What a run folder holds, and reading it back checked: the format every package shares.

A finished run folder (docs/run-folders.md)::

    manifest.json                   written last: the run is complete
    daily.parquet, citizens.parquet, ledger.parquet   the run's tables (TABLES)
    baseline.parquet                with a baseline: the same world with no policy
    audit.parquet, report.html      the audit and the report
    policy.toml, scenario.toml, request.json          the exact inputs (INPUTS)

Until it is complete the run is written in a hidden sibling, ``.<name>.partial``
(:func:`staging_of`). The runner writes folders (``scorelab.runner``); the audit
and the report read them and add their files. This module sits below all three,
so that none of them reaches into another for a file's name or a reader.

A folder given to ``report``, ``explain`` or ``compare`` may be anything: a
hand-written manifest, a truncated or fake Parquet file, a policy.toml that is
not a policy. Every reader here turns what it cannot use into one
:class:`~scorelab._errors.RunFolderError` naming the folder or the file:

* :func:`read_manifest`: a complete folder's manifest (the runner's check);
  :func:`read_run_manifest`: the same, with every key the audit reads there, typed;
* :func:`read_run_frames`, :func:`read_frame` and :func:`read_arrow`: Parquet files,
  with the columns asked for. They never read the manifest, so the audit and the
  report also work on a staging folder before ``manifest.json`` exists;
* :func:`read_run_policy` and :func:`read_run_toml`: the run's policy (valid, as a
  dictionary) and scenario text, parsed within the input limits;
* :func:`reading_run`: around the work on the tables, a polars or pyarrow error
  (a column of another type) names the folder instead of reaching the user as a
  traceback.

Files are replaced atomically (:func:`write_atomically`): a reader sees the old
file or the new one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import tomllib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from scorelab._echo import shorten
from scorelab._errors import PolicyError, RunFolderError, ScenarioError
from scorelab._random import SEED_MAX
from scorelab._toml import load_toml
from scorelab.policy import load_policy

MANIFEST = "manifest.json"
#: The tables every complete run folder has.
TABLES = ("daily.parquet", "citizens.parquet", "ledger.parquet")
BASELINE_FILE = "baseline.parquet"
AUDIT_FILE = "audit.parquet"
REPORT_FILE = "report.html"
#: The run's inputs, copied into its folder as they were read.
INPUTS = ("policy.toml", "scenario.toml", "request.json")
#: What a run folder may hold: every file the runner and ``scorelab report`` write there.
RUN_FILES = (MANIFEST, *TABLES, BASELINE_FILE, AUDIT_FILE, REPORT_FILE, *INPUTS)


def staging_of(out: Path) -> Path:
    """The hidden folder where the run of ``out`` is written until it is complete."""
    out = Path(out).resolve()
    return out.parent / f".{out.name}.partial"


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """Read a run folder's manifest, refusing folders that are missing or incomplete."""
    folder = Path(folder)
    if not folder.is_dir():
        staging = staging_of(folder)
        if staging.is_dir():
            raise RunFolderError(f"{folder}: the run is incomplete ({progress_note(staging)}); "
                                 f"continue it with: scorelab run --resume {folder}")
        raise RunFolderError(f"{folder}: no such run folder")
    path = folder / MANIFEST
    if not path.is_file():
        raise RunFolderError(f"{folder}: not a complete scorelab run (no {MANIFEST}); "
                             "it may have been interrupted")
    try:
        manifest = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise RunFolderError(f"{path}: unreadable manifest ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("complete") is not True:
        raise RunFolderError(f"{folder}: the run is incomplete")
    missing = [name for name in TABLES if not (folder / name).is_file()]
    if missing:
        raise RunFolderError(f"{folder}: incomplete run, missing {', '.join(missing)}")
    return manifest


def progress_note(staging: Path) -> str:
    """How far an interrupted run got, from its checkpoint, for error messages."""
    path = staging / "checkpoint.json"
    if not path.is_file():
        return "no chunk finished yet"
    try:
        info = json.loads(path.read_text())
        return (f"{info['chunks_done']} of {info['chunks']} chunks done "
                f"({info['citizens_done']:,} citizens)")
    except (OSError, ValueError, KeyError, TypeError):
        return "its checkpoint is unreadable"


#: Citizen columns the audit reads (plus every ``listed_<L>``).
CITIZEN_COLUMNS = (
    "citizen_id", "sex", "age_band", "region", "urban", "income_decile", "occupation",
    "score", "grade", "records", "wrongful_records", "denials", "wrongful_denials",
    "shamed", "wrongful_shamed", "rewards_yuan",
)
#: Daily columns the audit cannot do without (the others it reads when present).
DAILY_COLUMNS = ("day", "date", "dimension", "group", "population", "score_mean")


@dataclass(frozen=True)
class RunFrames:
    """The tables of one run folder, as polars frames; ``baseline`` is None without one."""

    daily: pl.DataFrame
    citizens: pl.DataFrame
    baseline: pl.DataFrame | None


def read_run_frames(folder: Path) -> RunFrames:
    """Read ``daily``, ``citizens`` and (when present) ``baseline`` Parquet files of a run.

    Raises:
        RunFolderError: a required file is missing, unreadable, or lacks a column.
    """
    missing = [name for name in ("daily.parquet", "citizens.parquet")
               if not (folder / name).is_file()]
    if missing:
        raise RunFolderError(f"{folder}: no {missing[0]}: not a scorelab run folder")
    daily = read_frame(folder / "daily.parquet", required=DAILY_COLUMNS)
    if daily.filter(pl.col("dimension").cast(pl.String) == "all").is_empty():
        raise RunFolderError(f"{folder / 'daily.parquet'}: no rows for everyone (dimension "
                             "\"all\"): not a table that a scorelab run writes")
    citizens = read_frame(folder / "citizens.parquet", required=CITIZEN_COLUMNS,
                          select=lambda names: [*CITIZEN_COLUMNS,
                                                *[c for c in names if c.startswith("listed_")]])
    path = folder / BASELINE_FILE
    baseline = read_frame(path, required=DAILY_COLUMNS) if path.is_file() else None
    return RunFrames(daily, citizens, baseline)


def read_frame(path: Path, *, required: Sequence[str] = (),
               select: Callable[[list[str]], list[str]] | None = None) -> pl.DataFrame:
    """Read a run's Parquet file with polars: the columns ``select`` picks from its names, or all.

    Raises:
        RunFolderError: the file is unreadable as Parquet, or lacks a required column.
    """
    try:
        names = list(pl.read_parquet_schema(path))
        _check_columns(path, names, required)
        return pl.read_parquet(path, columns=None if select is None else select(names))
    except (OSError, pl.exceptions.PolarsError, pa.ArrowException) as exc:
        raise RunFolderError(f"{path}: cannot read it as Parquet ({_first_line(exc)})") from None


def read_arrow(path: Path, *, required: Sequence[str] = (),
               filters: list[tuple[str, str, Any]] | None = None) -> pa.Table:
    """Read a run's Parquet file with pyarrow (its rows matching ``filters``).

    Raises:
        RunFolderError: the file is missing, unreadable as Parquet, or lacks a required column.
    """
    if not path.is_file():
        raise RunFolderError(f"{path.parent}: no {path.name}: not a complete scorelab run")
    try:
        _check_columns(path, pq.read_schema(path).names, required)
        return pq.read_table(path, filters=filters)
    except (OSError, pa.ArrowException) as exc:
        raise RunFolderError(f"{path}: cannot read it as Parquet ({_first_line(exc)})") from None


def _check_columns(path: Path, names: Sequence[str], required: Sequence[str]) -> None:
    missing = [name for name in required if name not in names]
    if missing:
        raise RunFolderError(f"{path}: no column {', '.join(missing[:3])}"
                             f"{' and more' if len(missing) > 3 else ''}: not a table that a "
                             "scorelab run writes")


def _first_line(exc: BaseException) -> str:
    """The first line of a library's message, shortened (polars adds its query plan)."""
    lines = str(exc).strip().splitlines() or [type(exc).__name__]
    return shorten(lines[0], 200)


@contextlib.contextmanager
def reading_run(folder: Path) -> Iterator[None]:
    """Around work on a run folder's tables: a polars or pyarrow error names the folder.

    The readers check files, manifest keys and columns; a column of another type
    than a run writes still fails inside the libraries, and is reported here.
    """
    try:
        yield
    except (pl.exceptions.PolarsError, pa.ArrowException) as exc:
        raise RunFolderError(f"{folder}: not a scorelab run: its tables are not the ones a run "
                             f"writes ({_first_line(exc)})") from None


#: What the audit, the report and the comparison read from ``manifest.json``.
MANIFEST_KEYS: dict[str, tuple[type, ...]] = {
    "seed": (int,), "ledger_sample": (int, float),
    "scenario.name": (str,), "scenario.citizens": (int,), "scenario.days": (int,),
    "scenario.start_date": (str,),
    "policy.id": (str,), "policy.name": (str,), "policy.sha256": (str,),
}


def read_run_manifest(folder: str | Path) -> dict[str, Any]:
    """Read a finished run's manifest, refusing one that lacks what the audit reads.

    Raises:
        RunFolderError: the folder is missing or incomplete, or its manifest is not a
            scorelab manifest (a key missing or of another type, named).
    """
    folder = Path(folder)
    path = folder / MANIFEST
    try:
        manifest = read_manifest(folder)
    except (ValueError, RecursionError, AttributeError, TypeError):  # not a JSON object
        raise RunFolderError(f"{path}: not a scorelab manifest (not a JSON object of "
                             "its keys)") from None
    for key, kinds in MANIFEST_KEYS.items():
        value = _manifest_value(manifest, key)
        if value is None:
            raise RunFolderError(f"{path}: not a scorelab manifest: no {key}")
        if isinstance(value, bool) or not isinstance(value, kinds):
            raise RunFolderError(f"{path}: not a scorelab manifest: {key} must be "
                                 f"{' or '.join(k.__name__ for k in kinds)}, got "
                                 f"{shorten(repr(value))}")
    _check_manifest_values(path, manifest)
    return manifest


def _check_manifest_values(path: Path, manifest: dict[str, Any]) -> None:
    """The manifest's numbers and date must be ones a run can have."""
    scenario = manifest["scenario"]
    problems = {
        "seed": not 0 <= manifest["seed"] <= SEED_MAX,
        "ledger_sample": not 0 <= manifest["ledger_sample"] <= 1,
        "scenario.citizens": scenario["citizens"] < 1,
        "scenario.days": scenario["days"] < 1,
    }
    try:
        dt.date.fromisoformat(scenario["start_date"])
    except ValueError:
        problems["scenario.start_date"] = True
    for key, wrong in problems.items():
        if wrong:
            raise RunFolderError(f"{path}: not a scorelab manifest: {key} cannot be "
                                 f"{shorten(repr(_manifest_value(manifest, key)))}")


def _manifest_value(manifest: dict[str, Any], key: str) -> Any:
    """The value at a dotted key (``scenario.citizens``), or None where there is none.

    >>> _manifest_value({"scenario": {"days": 30}}, "scenario.days")
    30
    >>> _manifest_value({"scenario": 7}, "scenario.days") is None
    True
    """
    value: Any = manifest
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def read_run_policy(folder: Path) -> dict[str, Any]:
    """The run's ``policy.toml`` as a dictionary, after checking it is a valid policy.

    Raises:
        RunFolderError: the folder has no policy.toml, or it is not a valid policy.
    """
    path = folder / "policy.toml"
    if not path.is_file():
        raise RunFolderError(f"{folder}: no policy.toml: not a complete scorelab run")
    try:
        return tomllib.loads(load_policy(path).text)
    except PolicyError as exc:
        raise RunFolderError(f"{folder}: not a scorelab run: its policy is invalid: "
                             f"{exc}") from None


def read_run_toml(path: Path) -> dict[str, Any]:
    """A TOML file of a run folder (``scenario.toml``), read within the input limits.

    Raises:
        RunFolderError: the file is unreadable, past the limits, or not TOML.
    """
    try:
        return load_toml(path, ScenarioError)[0]
    except ScenarioError as exc:
        raise RunFolderError(f"{path.parent}: not a scorelab run: {exc}") from None


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
