"""The audit table of a run: every metric, per group, tidy, in one Parquet file.

Data flow::

    citizens.parquet --_metrics--> shares of people per group (+ combinations), disparities
    daily.parquet    --_series---> day rows per group; whole-run totals per group
    baseline.parquet --_series---> deterrence: acts with and without the policy
          all rows --> audit.parquet (dimension, group, metric, day, value, count,
                       population, ci_low, ci_high, reference, flagged)

``day`` is null for whole-run rows. The table is long on purpose, so that DuckDB
or polars can filter it without knowing the policy's lists, grades or services::

    SELECT "group", value, ci_low, ci_high, flagged FROM 'run/audit.parquet'
    WHERE dimension = 'sex' AND metric = 'disparity_wrongfully_sanctioned'
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from scorelab._run_folder import AUDIT_FILE, RunFrames, read_run_frames, write_atomically
from scorelab.audit._metrics import (
    DIMENSIONS,
    citizen_outcomes,
    disparities,
    group_label,
    group_shares,
)
from scorelab.audit._series import deterrence, group_populations, run_totals, series

#: Combinations audited by default: NIST found false matches differ by sex and by age.
DEFAULT_COMBINATIONS = ("sex+age_band",)


def audit_table(folder: str | Path, *, by: Sequence[str] = DEFAULT_COMBINATIONS) -> pl.DataFrame:
    """Compute the audit table of a run folder from its Parquet files.

    The manifest is not read, so this also works on a run that is being written.

    Args:
        folder: a run folder (or its staging folder).
        by: combinations of dimensions to audit besides the single ones, each
            dimension names joined by ``+`` (``"sex+age_band"``).

    Returns:
        One row per (dimension, group, metric[, day]); see the module docstring
        and docs/audit.md for every metric.

    Raises:
        RunFolderError: ``daily.parquet`` or ``citizens.parquet`` is missing.
        ScorelabError: a combination names an unknown dimension.
    """
    return audit_tables(read_run_frames(Path(folder)), by=by)


def audit_tables(tables: RunFrames, *, by: Sequence[str] = DEFAULT_COMBINATIONS) -> pl.DataFrame:
    """The audit table from tables already read (see :func:`audit_table`)."""
    for combination in by:
        group_label(combination)  # refuse unknown dimensions before any work
    order = {str(dimension): part["group"].to_list() for (dimension,), part in
             group_populations(tables.daily).group_by("dimension", maintain_order=True)}
    dimensions = [*DIMENSIONS, *[c for c in by if c not in DIMENSIONS]]
    shares = group_shares(citizen_outcomes(tables.citizens), dimensions, order)
    parts = [shares, disparities(shares), run_totals(tables.daily)]
    if tables.baseline is not None:
        parts.append(deterrence(tables.daily, tables.baseline))
    parts.append(series(tables.daily, tables.baseline))
    return pl.concat(parts)


def write_audit(folder: Path, table: pl.DataFrame) -> Path:
    """Write ``audit.parquet`` in ``folder`` atomically; return its path."""
    return write_atomically(folder / AUDIT_FILE,
                            lambda path: table.write_parquet(path, compression="zstd"))
