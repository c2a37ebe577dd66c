"""The synthetic population reproduces the census marginals it is drawn from."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scorelab.world import generate, load_census
from scorelab.world._population import BLOCK, census_cdfs

CENSUS = load_census("china-2020")
TABLES = census_cdfs(CENSUS)


@pytest.fixture(scope="module")
def people():
    return generate(1, 0, 200 * BLOCK, 200 * BLOCK, TABLES)


def test_shares_match_the_census(people):
    assert people.urban.mean() == pytest.approx(CENSUS.urban_share, abs=0.01)
    assert (people.age < 15).mean() == pytest.approx(0.1795, abs=0.01)
    assert (people.age >= 60).mean() == pytest.approx(0.187, abs=0.01)
    assert (people.sex == 0).mean() == pytest.approx(0.5124, abs=0.01)
    regions = np.bincount(people.region, minlength=len(CENSUS.region_names)) / len(people)
    expected = CENSUS.region_population / CENSUS.region_population.sum()
    assert np.abs(regions - expected).max() < 0.01


def test_households_have_the_census_mean_size(people):
    sizes = np.bincount(np.unique(people.household_id, return_counts=True)[1])
    mean = (np.arange(len(sizes)) * sizes).sum() / sizes.sum()
    assert mean == pytest.approx(2.62, abs=0.05)


def test_every_household_has_an_adult_head_and_children_live_with_adults(people):
    heads = people.citizen_id == people.household_id
    assert (people.age[heads] >= 18).all()
    assert (people.age < 18).any()


def test_income_deciles_are_national_deciles(people):
    shares = np.bincount(people.income_decile, minlength=10) / len(people)
    assert np.abs(shares - 0.1).max() < 0.01


@settings(max_examples=25, deadline=None)
@given(total_blocks=st.integers(2, 12), cut=st.integers(1, 11), seed=st.integers(0, 2**32))
def test_any_chunking_gives_the_same_people(total_blocks, cut, seed):
    cut = min(cut, total_blocks - 1)
    total = total_blocks * BLOCK - 17  # a partial last block
    whole = generate(seed, 0, total, total, TABLES)
    head = generate(seed, 0, cut * BLOCK, total, TABLES)
    tail = generate(seed, cut * BLOCK, total - cut * BLOCK, total, TABLES)
    for name in ("household_id", "sex", "age", "region", "urban", "income_decile", "occupation"):
        joined = np.concatenate([getattr(head, name), getattr(tail, name)])
        assert (joined == getattr(whole, name)).all(), name


def test_a_chunk_must_start_on_a_block():
    with pytest.raises(ValueError, match="block boundary"):
        generate(1, 5, BLOCK, 10 * BLOCK, TABLES)
