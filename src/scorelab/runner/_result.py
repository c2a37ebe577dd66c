"""A finished run, read back from its folder."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from scorelab._run_folder import read_manifest

#: daily columns summed over the run in the summary
TOTAL_PREFIXES = ("acts_", "unseen_acts_", "records_by_", "wrongful_records_by_", "denied_",
                  "wrongful_denied_", "reward_yuan_")
TOTAL_SINGLES = ("shamed", "wrongful_shamed", "appeals", "overturned", "complied")
#: the columns ``RunResult.everyone`` reads
COUNT_PREFIXES = (*TOTAL_PREFIXES, "grade_", "listed_")
SUMMARY_COLUMNS = ("day", "dimension", "population", "score_mean", "score_p50", *TOTAL_SINGLES)


@dataclass(frozen=True)
class RunResult:
    """A complete run folder: its manifest and its tables (pyarrow; ``.to_polars()`` etc.)."""

    folder: Path

    @cached_property
    def manifest(self) -> dict[str, Any]:
        """The run's manifest (policy, scenario, seed, timings)."""
        return read_manifest(self.folder)

    def table(self, name: str) -> pa.Table:
        """Read one of ``daily``, ``citizens``, ``ledger`` as a pyarrow Table."""
        self.manifest  # noqa: B018 (refuse incomplete folders before reading)
        return pq.read_table(self.folder / f"{name}.parquet")

    @property
    def daily(self) -> pa.Table:
        """Per day and group aggregates."""
        return self.table("daily")

    @property
    def citizens(self) -> pa.Table:
        """One row per citizen."""
        return self.table("citizens")

    @property
    def ledger(self) -> pa.Table:
        """One row per point change."""
        return self.table("ledger")

    @cached_property
    def everyone(self) -> pa.Table:
        """The whole population's daily counts (dimension ``all``), one row a day.

        Only the columns the summary reads: every count (acts, records, denials,
        rewards, shaming, appeals), grades, lists, the population and the score's
        mean and median; ``daily`` has the rest.
        """
        self.manifest  # noqa: B018 (refuse incomplete folders before reading)
        path = self.folder / "daily.parquet"
        names = pq.read_schema(path).names
        columns = [c for c in names if c.startswith(COUNT_PREFIXES) or c in SUMMARY_COLUMNS]
        return pq.read_table(path, columns=columns, filters=[("dimension", "=", "all")])

    def summary(self) -> dict[str, float]:
        """Headline numbers for the whole population on the last day and over the run."""
        daily = self.everyone
        last = daily.filter(pc.equal(daily["day"], pc.max(daily["day"])))
        totals = {name: pc.sum(daily[name]).as_py() for name in daily.column_names
                  if name.startswith(TOTAL_PREFIXES) or name in TOTAL_SINGLES}

        def total(prefix: str) -> float:
            return sum(v for k, v in totals.items() if k.startswith(prefix))

        out = {
            "citizens": last["population"][0].as_py(),
            "days": self.manifest["scenario"]["days"],
            "mean_score": last["score_mean"][0].as_py(),
            "median_score": last["score_p50"][0].as_py(),
            "acts": total("acts_"),
            "unseen_acts": total("unseen_acts_"),
            "records": total("records_by_"),
            "wrongful_records": total("wrongful_records_by_"),
            "denials": total("denied_"),
            "wrongful_denials": total("wrongful_denied_"),
            "rewards_yuan": total("reward_yuan_"),
            "shamed": totals["shamed"],
            "wrongful_shamed": totals["wrongful_shamed"],
            "appeals": totals["appeals"],
            "appeals_won": totals["overturned"],
        }
        for grade in self.manifest["policy"]["grades"]:
            out[f"grade_{grade}"] = last[f"grade_{grade}"][0].as_py()
        for name in self.manifest["policy"]["lists"]:
            out[f"listed_{name}"] = last[f"listed_{name}"][0].as_py()
        return out
