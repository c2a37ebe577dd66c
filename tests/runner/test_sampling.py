"""Large runs keep a seeded sample of citizens (rows and ledger); daily aggregates count all."""

from __future__ import annotations

import pyarrow.compute as pc
import pytest

import scorelab

from ..conftest import POLICIES


@pytest.fixture(scope="module")
def sampled(tmp_path_factory):
    return scorelab.run(POLICIES / "rongcheng.toml", citizens=20000, days=200, seed=21,
                        ledger_sample=0.1, out=tmp_path_factory.mktemp("s") / "run")


def test_citizen_rows_and_ledger_cover_the_same_sample(sampled):
    ids = set(sampled.citizens["citizen_id"].to_pylist())
    assert 1500 < len(ids) < 2500
    assert set(sampled.ledger["citizen_id"].to_pylist()) <= ids


def test_daily_aggregates_count_everyone(sampled):
    daily = sampled.daily
    everyone = daily.filter(pc.and_(pc.equal(daily["dimension"], "all"),
                                    pc.equal(daily["day"], 0)))
    assert everyone["population"][0].as_py() == 20000


def test_sampled_citizens_reconcile_and_others_are_explained_as_outside(sampled):
    ids = sorted(sampled.citizens["citizen_id"].to_pylist())
    assert scorelab.explain(sampled.folder, ids[0]).reconciles
    outside = next(i for i in range(20000) if i not in set(ids))
    with pytest.raises(scorelab.RunFolderError, match="outside the run's seeded sample"):
        scorelab.explain(sampled.folder, outside)
