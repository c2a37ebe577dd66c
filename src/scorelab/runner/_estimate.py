"""Refuse a run that would not fit, before it starts, with the option that fixes it.

Data flow::

    EngineTables (days, groups, layout, rates) + citizens, chunk size, workers, baseline, report
      --estimate--> Estimate: peak memory of each stage, disk, ledger rows, wall time
      --refuse_if_too_big--> the Estimate, or RunRefusedError with advice for the case

A run has two stages, one after the other, and its peak is the larger:

* the simulation: the day matrix ((days + 1) x columns x groups of int64) per
  worker and in the parent, each chunk's own arrays and its expected ledger
  entries (behaviour rates and detection chances of the compiled tables);
* the audit and report, which read the daily table (days x groups rows) into
  polars and lay its metrics out long: about 60 bytes per cell of the daily
  table, while the day matrix of the simulation is still held.

The constants were measured (docs/performance.md, "What a run is estimated to
need") and round up. The wall time uses the rates measured there; a run that
would take more than an hour is shown its estimate before it starts.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from scorelab._errors import RunRefusedError
from scorelab.engine import EngineTables, Layout
from scorelab.world import BEHAVIOUR_NAMES

GIB = 1024**3
MIB = 1024**2
BASE_MEMORY = 300 * MIB  # Python and the libraries loaded, the engine's code
BYTES_PER_CITIZEN_IN_CHUNK = 18 * 8 + 32 + 200  # counters, attributes, output table building
BYTES_PER_LEDGER_ROW = 72  # in memory; about 9 on disk after compression
LOG_BYTES = (1 << 20) * 16 * 2  # a chunk's household log
# the audit and report: measured 46 to 54 bytes per daily cell (rongcheng, court-list,
# jaywalking-shaming with a baseline), plus what polars and the report hold whatever the size
REPORT_BYTES_PER_DAILY_CELL = 60
REPORT_BYTES_PER_BASELINE_CELL = 16
REPORT_MEMORY = 256 * MIB
BYTES_PER_CITIZEN_ON_DISK = 40  # measured 6 to 20
BYTES_PER_LEDGER_ROW_ON_DISK = 12  # measured 8.6
BYTES_PER_DAILY_ROW_ON_DISK = 256  # daily and audit rows; measured 7 to 160
REPORT_FILE_BYTES, REPORT_FILE_BYTES_PER_DAY = 8 * MIB, 1024  # report.html: plotly inline
# wall time, measured (docs/performance.md): rongcheng's whole run on one worker, per
# citizen-year (the busiest shipped policy measured; sparse policies run faster)
SECONDS_PER_CITIZEN_YEAR = 1.55e-6
BASELINE_SHARE = 0.75  # the same world with no policy: 0.93 against 1.25 µs
SECOND_WORKER_GAIN = 0.84  # two workers ran 1.84x as fast as one (100 M citizens)
SECONDS_PER_DAILY_ROW = 20e-6  # day matrix, daily table, files: per day and group
SECONDS_PER_DAILY_ROW_REPORTED = 120e-6  # the audit and report too
FIXED_SECONDS = 5.0  # start-up, workers, summary
LONG_RUN_SECONDS = 3600.0  # beyond this, the CLI shows the estimate before starting


@dataclass(frozen=True)
class Estimate:
    """What a run is expected to need: bytes, rows and seconds."""

    memory: int  # peak resident memory of the run's processes, the larger stage
    disk: int
    ledger_rows: int
    seconds: float = 0.0  # wall time on this machine's cores
    simulate_memory: int = 0
    report_memory: int = 0  # 0 without the audit and report

    @property
    def long(self) -> bool:
        """Whether the run would take more than an hour."""
        return self.seconds > LONG_RUN_SECONDS

    def sentence(self) -> str:
        """The estimate in words: time, memory and disk."""
        return (f"about {duration_text(self.seconds)} at the measured rates "
                f"(docs/performance.md), with about {self.memory / GIB:.1f} GiB of memory and "
                f"{self.disk / GIB:.1f} GiB of disk")


def ledger_rows_per_citizen(tables: EngineTables) -> float:
    """Expected ledger entries per citizen over the run, before the ledger sample.

    Records that a rule scores count once, twice if they can expire.
    """
    scored = np.zeros(tables.beh_rate.shape[0])
    for rule in range(tables.rule_beh.shape[0]):
        scored[tables.rule_beh[rule]] += 2 if tables.rule_expiry[rule] else 1
    per_day = (tables.beh_rate * tables.beh_detect_any.max(axis=1) * scored).sum()
    return float(per_day * tables.days * 1.5)  # multipliers make some groups busier


def daily_columns(layout: Layout) -> int:
    """Columns of ``daily.parquet`` for a day matrix laid out as ``layout``.

    Day, date, dimension, group, population, the score's mean and 7 quantiles; a
    level per grade; three columns per list; each counter block before the
    lists' (``layout.list_entries`` columns); unseen acts per behaviour; and six
    more counters (shamed, wrongful_shamed, stigmatized, appeals, overturned,
    complied).
    """
    grades = layout.listed - layout.grades
    lists = layout.list_exits - layout.list_entries
    return 19 + grades + 3 * lists + layout.list_entries + len(BEHAVIOUR_NAMES)


def _matrix_bytes(tables: EngineTables) -> int:
    """Bytes of one day matrix: (days + 1) x groups x columns of int64."""
    return (tables.days + 1) * tables.n_groups * tables.layout.width * 8


def _effective_workers(workers: int) -> float:
    """How many workers' worth of speed ``workers`` give on this machine's cores."""
    cores = min(workers, os.cpu_count() or 1)
    return 1 + SECOND_WORKER_GAIN * (cores - 1)


def estimate(tables: EngineTables, *, citizens: int, chunk_size: int, workers: int,
             baseline: bool, report: bool = True) -> Estimate:
    """Memory, disk and wall time a run needs (bytes, bytes, seconds)."""
    matrices = _matrix_bytes(tables) * (2 if baseline else 1)
    chunk = min(chunk_size, citizens)
    rows = ledger_rows_per_citizen(tables) * tables.ledger_sample
    per_chunk = chunk * (BYTES_PER_CITIZEN_IN_CHUNK + rows * BYTES_PER_LEDGER_ROW) + LOG_BYTES
    in_flight = workers + 1 if workers > 1 else 1
    simulate = int(in_flight * (matrices + per_chunk) + matrices + BASE_MEMORY)
    daily_rows = tables.days * tables.n_groups
    cells = daily_rows * daily_columns(tables.layout)
    after = 0
    if report:  # the simulation's day matrices are still held
        after = int(BASE_MEMORY + matrices + REPORT_MEMORY + cells * REPORT_BYTES_PER_DAILY_CELL
                    + (cells * REPORT_BYTES_PER_BASELINE_CELL if baseline else 0))
    # parts and the final files coexist while the parts are merged: twice the rows
    disk = int(2 * citizens * (tables.ledger_sample * BYTES_PER_CITIZEN_ON_DISK
                               + rows * BYTES_PER_LEDGER_ROW_ON_DISK)
               + daily_rows * BYTES_PER_DAILY_ROW_ON_DISK * (2 if baseline else 1)
               + (REPORT_FILE_BYTES + tables.days * REPORT_FILE_BYTES_PER_DAY if report else 0))
    years = citizens * tables.days / 365
    per_row = SECONDS_PER_DAILY_ROW_REPORTED if report else SECONDS_PER_DAILY_ROW
    seconds = (FIXED_SECONDS
               + years * SECONDS_PER_CITIZEN_YEAR * (1 + BASELINE_SHARE * baseline)
               / _effective_workers(workers)
               + daily_rows * per_row * (1.5 if baseline else 1))
    return Estimate(memory=max(simulate, after), disk=disk, ledger_rows=int(rows * citizens),
                    seconds=seconds, simulate_memory=simulate, report_memory=after)


def duration_text(seconds: float) -> str:
    """A duration as people say it.

    >>> duration_text(50), duration_text(754), duration_text(7830)
    ('50 s', '13 min', '2 h 10 min')
    """
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


def available_memory() -> int | None:
    """Memory available to a new process (Linux), or None where it cannot be read."""
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def resident_memory() -> int:
    """This process's resident memory (Linux; 0 where it cannot be read).

    It is part of the estimate already and not of the memory still available.
    """
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _memory_advice(need: Estimate, tables: EngineTables, sizes: dict[str, Any], fits: float) -> str:
    """The options that would make the run fit in ``fits`` bytes, and only those.

    ``sizes`` are the run's keywords of :func:`estimate`.
    """
    def fits_with(**change: int) -> bool:
        return estimate(tables, **(sizes | change)).memory <= fits

    citizens, chunk_size, workers = sizes["citizens"], sizes["chunk_size"], sizes["workers"]
    days = (f"simulate fewer --days (the day matrix is {_matrix_bytes(tables) / GIB:.1f} GiB: "
            f"{tables.days:,} days x {tables.n_groups} groups x {tables.layout.width} columns)")
    if need.report_memory > fits:  # the chunk size and the workers do not change it
        if need.simulate_memory > fits:
            return days
        return (f"the audit and report need about {need.report_memory / GIB:.1f} GiB after "
                f"the simulation, for {tables.days * tables.n_groups:,} daily rows: simulate "
                f"fewer --days, or run with --no-report (the simulation alone needs "
                f"{need.simulate_memory / GIB:.1f} GiB)")
    options = []
    chunk = next((size for size in (1 << k for k in range(20, 9, -1))
                  if size < min(chunk_size, citizens) and fits_with(chunk_size=size)), None)
    if chunk is not None:
        options.append(f"--chunk-size {chunk:,} (now {chunk_size:,})")
    fewer = next((w for w in range(workers - 1, 0, -1) if fits_with(workers=w)), None)
    if fewer is not None:
        options.append(f"--workers {fewer} (now {workers}: each worker holds a day matrix)")
    return "use " + ", or ".join(options) if options else days


def _disk_advice(need: Estimate, tables: EngineTables, sizes: dict[str, Any], fits: float) -> str:
    """What would make the run fit on ``fits`` bytes of disk (``sizes`` as for the memory)."""
    if tables.ledger_sample > 0:
        for sample in (0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.001, 0.0001, 0.00001):
            if sample >= tables.ledger_sample:
                continue
            if estimate(tables._replace(ledger_sample=sample), **sizes).disk <= fits:
                return (f"keep a smaller sample of citizens and ledger with --ledger-sample "
                        f"{sample:g} (now {tables.ledger_sample:g}; about "
                        f"{need.ledger_rows:,} ledger rows expected), or write elsewhere "
                        "with --out")
    return (f"simulate fewer --days or fewer --citizens, or write elsewhere with --out "
            f"(the daily tables alone are {tables.days:,} days x {tables.n_groups} groups)")


def refuse_if_too_big(tables: EngineTables, *, citizens: int, chunk_size: int, workers: int,
                      baseline: bool, out: Path, report: bool = True) -> Estimate:
    """The run's :class:`Estimate`; :class:`RunRefusedError` when it would not fit.

    Memory is compared with what the machine has available (less this process,
    already counted); disk with the free space of the filesystem ``out`` will be
    written to (its nearest existing folder: the run is staged beside it).
    """
    sizes = {"citizens": citizens, "chunk_size": chunk_size, "workers": workers,
             "baseline": baseline, "report": report}
    need = estimate(tables, **sizes)
    memory = available_memory()
    if memory is not None:
        fits = 0.9 * memory + resident_memory()
        if need.memory > fits:
            raise RunRefusedError(
                f"this run needs about {need.memory / GIB:.1f} GiB of memory but "
                f"{memory / GIB:.1f} GiB are available: "
                f"{_memory_advice(need, tables, sizes, fits)}")
    parent = Path(out).resolve().parent
    while not parent.exists():
        parent = parent.parent
    free = shutil.disk_usage(parent).free
    if need.disk > 0.9 * free:
        raise RunRefusedError(
            f"this run needs about {need.disk / GIB:.1f} GiB of disk but {free / GIB:.1f} GiB "
            f"are free under {parent}: {_disk_advice(need, tables, sizes, 0.9 * free)}")
    return need


def refuse_many_runs(one: Estimate, *, runs: int, at_once: int, kept: int, out: Path,
                     what: str = "experiment", max_seconds: float = 7 * 86400.0) -> float:
    """Refuse many runs like ``one`` that would not fit here or take too long; return seconds.

    ``runs`` runs, ``at_once`` in parallel, ``kept`` folders kept; too long is
    more than ``max_seconds``. Memory: ``at_once`` runs side by side; disk: the
    ``kept`` folders plus those in flight; time: ``runs`` runs over ``at_once``
    workers at the measured rates.
    """
    seconds = one.seconds * runs / max(at_once, 1)
    memory = available_memory()
    if memory is not None and one.memory * at_once > 0.9 * memory:
        raise RunRefusedError(
            f"this {what} runs {at_once} simulations at once, each needing about "
            f"{one.memory / GIB:.2f} GiB of memory, but {memory / GIB:.1f} GiB are available: "
            "use fewer workers or fewer citizens")
    parent = Path(out).resolve().parent
    while not parent.exists():
        parent = parent.parent
    free = shutil.disk_usage(parent).free
    disk = one.disk * (kept + at_once)
    if disk > 0.9 * free:
        raise RunRefusedError(
            f"this {what} needs about {disk / GIB:.1f} GiB of disk ({kept + at_once} run "
            f"folders of {one.disk / GIB:.2f} GiB) but {free / GIB:.1f} GiB are free under "
            f"{parent}: keep fewer runs (no --keep-runs) or use fewer citizens")
    if seconds > max_seconds:
        raise RunRefusedError(
            f"this {what} would take about {duration_text(seconds)} ({runs:,} simulations of "
            f"about {duration_text(one.seconds)} on {at_once} workers) at the measured rates "
            "(docs/performance.md): use fewer replicates, samples or citizens")
    return seconds
