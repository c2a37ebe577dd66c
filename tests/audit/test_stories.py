"""Stories are chosen from the citizen table and told as `scorelab.explain` tells them."""

from __future__ import annotations

import polars as pl

import scorelab
from scorelab.audit._stories import choose_story_citizens, story


def test_stories_show_a_wronged_a_listed_and_a_rewarded_citizen(harsh_run):
    citizens = pl.read_parquet(harsh_run.folder / "citizens.parquet")
    chosen = choose_story_citizens(citizens, harsh_run.manifest)
    reasons = [why for why, _ in chosen]
    assert reasons == ["denied a service only because of a false record",
                       "on a list at the end of the run", "rewarded the most"]
    ids = [citizen_id for _, citizen_id in chosen]
    assert len(set(ids)) == 3
    wronged = citizens.filter(pl.col("citizen_id") == ids[0])
    assert wronged["wrongful_denials"][0] == citizens["wrongful_denials"].max()


def test_a_story_is_the_same_as_explain(harsh_run):
    citizens = pl.read_parquet(harsh_run.folder / "citizens.parquet")
    for _, citizen_id in choose_story_citizens(citizens, harsh_run.manifest):
        ours = story(harsh_run.folder, citizen_id, harsh_run.manifest)
        theirs = scorelab.explain(harsh_run.folder, citizen_id)
        assert ours == theirs
        assert ours.reconciles


def test_a_run_where_nothing_happens_still_has_stories_to_choose_from(harsh_run):
    citizens = pl.read_parquet(harsh_run.folder / "citizens.parquet").with_columns(
        pl.lit(0).alias(name) for name in ("wrongful_denials", "wrongful_shamed",
                                           "wrongful_records"))
    chosen = choose_story_citizens(citizens.with_columns(rewards_yuan=pl.lit(0.0)),
                                   harsh_run.manifest)
    assert [why for why, _ in chosen] == ["on a list at the end of the run"]
