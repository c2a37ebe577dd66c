"""One citizen's story, replayed from a run folder's ledger.

The ledger holds every point change with the record, rule and sensor behind it,
so a score is explained by adding the changes to the start value. ``explain``
checks that the sum reconciles with the final score in the citizen table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq

from scorelab._errors import RunFolderError
from scorelab._random import LEDGER_SAMPLE, uniform
from scorelab._run_folder import read_arrow, read_run_manifest, read_run_policy, reading_run

#: who a citizen is: the attributes a story opens with
ATTRIBUTES = ("household_id", "sex", "age", "age_band", "region", "urban", "income_decile",
              "occupation")
#: the citizen columns a story reads (the terminal's and the report's)
STORY_COLUMNS = (*ATTRIBUTES, "score", "grade", "records", "wrongful_records", "unseen_acts",
                 "denials", "denied_services", "wrongful_denials", "shamed", "wrongful_shamed",
                 "appeals", "appeals_won", "rewards_yuan")
#: the ledger columns a story reads
LEDGER_COLUMNS = ("citizen_id", "day", "date", "kind", "rule", "behaviour", "sensor", "delta",
                  "wrongful")


@dataclass(frozen=True)
class CitizenStory:
    """What happened to one citizen in a run, entry by entry."""

    citizen_id: int
    attributes: dict[str, Any]
    start_score: int
    final_score: int
    grade: str
    entries: list[dict[str, Any]] = field(default_factory=list)
    in_ledger_sample: bool = True

    @property
    def reconciles(self) -> bool:
        """Whether start + every ledger change equals the final score (False outside the sample)."""
        total = self.start_score + sum(e["delta"] for e in self.entries)
        return self.in_ledger_sample and total == self.final_score


def in_ledger_sample(manifest: dict[str, Any], citizen_id: int) -> bool:
    """Whether a citizen is in the run's seeded sample (rows and ledger kept)."""
    sample = float(manifest["ledger_sample"])
    return sample >= 1.0 or uniform(int(manifest["seed"]), LEDGER_SAMPLE, citizen_id, 0) < sample


def explain(folder: str | Path, citizen_id: int, *,
            manifest: dict[str, Any] | None = None) -> CitizenStory:
    """Tell one citizen's story from a run folder.

    Args:
        folder: a complete run folder.
        citizen_id: the citizen.
        manifest: the run's manifest, for a folder still being written (the report is
            written before ``manifest.json``); None reads and checks ``manifest.json``.

    Raises:
        RunFolderError: the folder is not a complete run (a file missing, unreadable or
            not what a run writes), or has no such citizen (an id below 0 or past the
            population included).
    """
    folder = Path(folder)
    manifest = read_run_manifest(folder) if manifest is None else manifest
    citizen_id = int(citizen_id)
    total = manifest["scenario"]["citizens"]
    sample = manifest["ledger_sample"]
    if not 0 <= citizen_id < total:  # before any read: an id past int64 cannot be filtered on
        raise RunFolderError(f"{folder}: no citizen {citizen_id} (ids run from 0 to {total - 1})")
    with reading_run(folder):
        people = read_arrow(folder / "citizens.parquet", required=("citizen_id", *STORY_COLUMNS),
                            filters=[("citizen_id", "=", citizen_id)])
        if people.num_rows == 0:
            raise RunFolderError(
                f"{folder}: citizen {citizen_id} is outside the run's seeded sample "
                f"(--ledger-sample {sample}: {sample:.2%} of citizens have rows and a ledger); "
                "the daily aggregates still count everyone")
        row = {name: people[name][0].as_py() for name in people.column_names}
        ledger = read_arrow(folder / "ledger.parquet", required=LEDGER_COLUMNS,
                            filters=[("citizen_id", "=", citizen_id)])
        ledger = ledger.sort_by([("day", "ascending")])
    start = read_run_policy(folder)["score"]["start"]
    in_sample = in_ledger_sample(manifest, citizen_id)
    entries, score = [], start
    for entry in ledger.to_pylist():
        score += entry["delta"]
        entry["score_after"] = score
        entries.append(entry)
    outcome = {k: v for k, v in row.items() if k not in ATTRIBUTES and k != "citizen_id"}
    return CitizenStory(
        citizen_id=citizen_id,
        attributes={**{k: row[k] for k in ATTRIBUTES}, **outcome},
        start_score=start,
        final_score=row["score"],
        grade=row["grade"],
        entries=entries,
        in_ledger_sample=bool(in_sample),
    )


def household_of(folder: str | Path, household_id: int) -> list[int]:
    """Citizen ids of a household (for stories that involve the family)."""
    table = pq.read_table(Path(folder) / "citizens.parquet", columns=["citizen_id",
                                                                      "household_id"])
    mask = pc.equal(table["household_id"], household_id)
    return table.filter(mask)["citizen_id"].to_pylist()
