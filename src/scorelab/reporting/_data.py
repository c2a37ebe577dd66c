"""What a report is made from: a run's tables, its audit table, its policy and a few stories.

Sections read numbers through :class:`ReportData` rather than from the files,
so every number in the report is one of the audit table's rows.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from scorelab._run_folder import RunFrames, read_run_policy
from scorelab.audit import CitizenStory


@dataclass(frozen=True)
class ReportData:
    """A run folder read for its report."""

    folder: Path
    manifest: dict[str, Any]
    tables: RunFrames
    audit: pl.DataFrame
    policy: dict[str, Any]
    stories: list[tuple[str, CitizenStory]] = field(default_factory=list)

    @property
    def whole_run(self) -> pl.DataFrame:
        """Audit rows that are not per day."""
        return self._whole_run

    @property
    def population(self) -> int:
        """Citizens in the run (from the daily aggregates, which count everyone)."""
        return self._population

    @property
    def sample_size(self) -> int:
        """Citizens in ``citizens.parquet``: everyone, or the run's seeded ledger sample."""
        return int(self.tables.citizens.height)

    @property
    def sampled(self) -> bool:
        """Whether per-person figures come from a sample of the citizens."""
        return self.sample_size < self.population

    @property
    def dates(self) -> list[dt.date]:
        """Simulated dates, first to last."""
        return self._dates

    @property
    def has_baseline(self) -> bool:
        """Whether the run has ``baseline.parquet`` (deterrence can be measured)."""
        return self.tables.baseline is not None

    @property
    def lists(self) -> list[str]:
        """The policy's list names."""
        return [c.removeprefix("listed_") for c in self.tables.citizens.columns
                if c.startswith("listed_")]

    def value(self, metric: str, dimension: str = "all", group: str = "all") -> float:
        """A whole-run value (NaN when the audit has no such row)."""
        rows = self.whole_run.filter((pl.col("metric") == metric)
                                     & (pl.col("dimension") == dimension)
                                     & (pl.col("group") == group))
        value = rows["value"][0] if rows.height else None
        return math.nan if value is None else float(value)

    def people(self, metric: str) -> float:
        """People with a ``share_*`` outcome among everyone: the share times the population.

        Exact when the citizen table holds everyone; an estimate from the seeded
        sample otherwise (NaN when the audit has no such row).
        """
        return self.value(metric) * self.population

    def metric_rows(self, metric: str, dimensions: tuple[str, ...]) -> pl.DataFrame:
        """Whole-run rows of one metric for the given dimensions, in dimension order."""
        rows = self.whole_run.filter(pl.col("metric") == metric)
        return pl.concat([rows.filter(pl.col("dimension") == d) for d in dimensions])

    def over_time(self, metric: str, dimension: str = "all", group: str = "all") -> list[float]:
        """Values of a per-day metric, one per simulated day."""
        rows = self.audit.filter((pl.col("metric") == metric) & (pl.col("dimension") == dimension)
                                 & (pl.col("group") == group) & pl.col("day").is_not_null())
        return rows.sort("day")["value"].to_list()

    def __post_init__(self) -> None:
        object.__setattr__(self, "_whole_run", self.audit.filter(pl.col("day").is_null()))
        everyone = self.tables.daily.filter(pl.col("dimension").cast(pl.String) == "all")
        object.__setattr__(self, "_dates", everyone.sort("day")["date"].to_list())
        object.__setattr__(self, "_population", int(everyone["population"][0]))


def read_policy(folder: Path) -> dict[str, Any]:
    """The run's policy file as a dictionary (empty when the folder has none).

    Raises:
        RunFolderError: the folder's policy.toml is not a valid policy.
    """
    return read_run_policy(folder) if (folder / "policy.toml").is_file() else {}


def cumulative(values: list[float]) -> list[float]:
    """Running totals.

    >>> cumulative([1.0, 0.0, 2.0])
    [1.0, 1.0, 3.0]
    """
    total, out = 0.0, []
    for value in values:
        total += value
        out.append(total)
    return out
