"""A few citizens whose stories show what the policy does: chosen, then explained.

Data flow::

    citizens.parquet --choose_story_citizens--> (why chosen, citizen id), at most one per kind:
        wrongly sanctioned (a denial only because of a false record, else shamed for a
        false match, else a false record), listed (or the lowest score), rewarded
    ledger.parquet + policy.toml --story--> CitizenStory, as ``scorelab.explain`` tells it

``story`` is ``scorelab.explain`` with the manifest passed in rather than read,
so the report can be written in a run's staging folder before ``manifest.json``
exists.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from scorelab.audit._explain import CitizenStory, explain, in_ledger_sample

#: Candidates looked at per kind of story before giving up (only matters with a ledger sample).
CANDIDATES = 50


def _kinds(citizens: pl.DataFrame) -> Iterator[tuple[str, pl.DataFrame]]:
    """(why chosen, candidates best first) for each kind of story, most telling first."""
    listed = [c for c in citizens.columns if c.startswith("listed_")]
    wrongly = [
        ("denied a service only because of a false record",
         citizens.filter(pl.col("wrongful_denials") > 0).sort("wrongful_denials",
                                                               descending=True)),
        ("shown on a public screen for a false match",
         citizens.filter(pl.col("wrongful_shamed") > 0).sort("wrongful_shamed",
                                                              descending=True)),
        ("recorded for an act they did not commit",
         citizens.filter(pl.col("wrongful_records") > 0).sort("wrongful_records",
                                                               descending=True)),
    ]
    yield next(((why, frame) for why, frame in wrongly if frame.height), wrongly[-1])
    if listed:
        on_a_list = citizens.filter(pl.any_horizontal(listed))
        yield "on a list at the end of the run", on_a_list.sort("denials", descending=True)
    else:
        yield "the lowest score at the end of the run", citizens.sort("score").head(1)
    yield ("rewarded the most", citizens.filter(pl.col("rewards_yuan") > 0)
           .sort("rewards_yuan", descending=True))


def choose_story_citizens(citizens: pl.DataFrame,
                          manifest: dict[str, Any]) -> list[tuple[str, int]]:
    """Pick up to three citizens to explain, each with why they were chosen.

    Only citizens in the run's ledger sample are chosen (their stories reconcile),
    and no citizen twice. Ties go to the lowest id, so the choice is reproducible.

    Args:
        citizens: the citizen table (with ``score``, counters and ``listed_<L>``).
        manifest: the run's manifest (``seed`` and ``ledger_sample`` are read).

    Returns:
        (why chosen, citizen id) pairs; empty kinds are skipped.
    """
    chosen: list[tuple[str, int]] = []
    taken: set[int] = set()
    for why, frame in _kinds(citizens.sort("citizen_id")):
        for citizen_id in frame["citizen_id"].head(CANDIDATES).to_list():
            if citizen_id not in taken and in_ledger_sample(manifest, citizen_id):
                chosen.append((why, int(citizen_id)))
                taken.add(int(citizen_id))
                break
    return chosen


def story(folder: Path, citizen_id: int, manifest: dict[str, Any]) -> CitizenStory:
    """Tell one citizen's story: ``scorelab.explain`` with the manifest passed in.

    The report is written before ``manifest.json`` exists, so the manifest comes
    from the runner rather than the folder.

    Raises:
        RunFolderError: no such citizen in ``citizens.parquet``.
    """
    return explain(folder, citizen_id, manifest=manifest)
