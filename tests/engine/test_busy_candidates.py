"""Visiting only the sources `busy_candidates` marks lists what visiting every source lists."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from scorelab import _random as rnd
from scorelab.engine._events import (
    B_KEY,
    BUSY_WIDTH,
    COUNT_COUNTER,
    NEVER,
    _poisson_count,
    _zero_level,
    busy_candidates,
    count_sources,
    source_means,
    source_slots,
)
from scorelab.engine._kernel import MAX_MEMBERS
from scorelab.engine._tables import to_kernel
from scorelab.policy import load_policy
from scorelab.runner._plan import plan_run
from scorelab.runner._request import RunRequest
from scorelab.world._population import generate
from scorelab.world._scenario import load_scenario

from ..conftest import POLICIES


@njit
def _count_of(mean, p0, x):
    """The count a source of this mean draws from the 53 bits ``x`` (p0 < 0: untabled)."""
    u = rnd.to_unit(np.uint64(x) << np.uint64(11))
    if p0 >= 0.0:  # tabled: the table's first term is p0, so the count is 0 iff u <= p0
        return 0 if u <= p0 else 1
    return _poisson_count(np.uint64(1), mean, p0, u)


@settings(max_examples=400, deadline=None)
@given(mean=st.floats(1e-12, 100.0), tabled=st.booleans(), step=st.integers(-4, 2**20),
       far=st.integers(0, 2**53 - 1))
def test_a_draw_at_or_below_the_zero_level_has_no_event(mean, tabled, step, far):
    p0 = math.exp(-mean) if tabled else -1.0
    level = _zero_level(mean, p0)
    for x in (level - step, far):  # near the level, and anywhere
        if 0 <= x <= level:
            assert _count_of(mean, p0, x) == 0


def test_zero_levels_at_the_edges():
    assert _zero_level(0.0, 1.0) == NEVER  # no mean: never an event
    assert _zero_level(150.0, -1.0) == -1  # too large to tell: always visited


@njit
def _listings(T, cid, hid, sex, age, region, urban, income):
    """Each household's busy rows, visiting the marked sources and visiting all of them."""
    means = source_means(T)
    slots = source_slots(T, means)
    slot = slots.slot
    area = region.astype(np.int64) * 2 + urban
    marked = np.zeros((cid.shape[0], (slot.shape[0] + 63) // 64), np.uint64)
    busy_candidates(slot, slots.zero, means.stream_keys, cid, sex, age, urban, area, income,
                    marked)
    every = np.full(marked.shape, np.uint64(0xFFFFFFFFFFFFFFFF))
    for word in range(every.shape[1]):
        if slot.shape[0] < 64 * (word + 1):
            every[:, word] = (np.uint64(1) << np.uint64(slot.shape[0] - 64 * word)) - np.uint64(1)
    rows = MAX_MEMBERS * slot.shape[0]
    busy_a = np.empty((rows, BUSY_WIDTH), np.int64)
    busy_b = np.empty((rows, BUSY_WIDTH), np.int64)
    same, listed, visited = True, 0, 0
    first = 0
    while first < cid.shape[0]:
        k = 1
        while first + k < cid.shape[0] and hid[first + k] == hid[first]:
            k += 1
        n_a, need_a = count_sources(T, means, slots, first, k, cid, sex, age, urban, area,
                                    income, busy_a, marked)
        n_b, need_b = count_sources(T, means, slots, first, k, cid, sex, age, urban, area,
                                    income, busy_b, every)
        same = same and n_a == n_b and need_a == need_b
        for r in range(min(n_a, n_b)):
            for c in range(B_KEY + 1):
                same = same and busy_a[r, c] == busy_b[r, c]
        listed += n_b
        first += k
    for i in range(marked.shape[0]):
        for word in range(marked.shape[1]):
            bits = marked[i, word]
            while bits != 0:
                visited += 1
                bits &= bits - np.uint64(1)
    return same, listed, visited


@pytest.mark.parametrize("policy", ["rongcheng", "court-list", "sesame-like"])
def test_marked_sources_list_exactly_what_every_source_lists(policy):
    citizens = 20_000
    loaded = load_policy(POLICIES / f"{policy}.toml")
    scenario = load_scenario(None, citizens=citizens, days=365, seed=11)
    request = RunRequest(citizens=citizens, days=365, seed=11, ledger_sample=0.0)
    job = plan_run(loaded, scenario, request).job
    people = generate(job.seed, 0, citizens, job.total, job.population)
    same, listed, visited = _listings(
        to_kernel(job.tables), people.citizen_id, people.household_id, people.sex, people.age,
        people.region, people.urban, people.income_decile)
    assert same
    assert listed > citizens  # the world is busy: several sources with events per citizen
    assert listed <= visited < 1.2 * listed  # and the marks are close to exact


def test_count_counter_is_the_draw_busy_candidates_tests():
    """The mark and the count read the same uniform: counter COUNT_COUNTER of the source."""
    key = rnd.subject_key(rnd.stream_key(7, rnd.ACT_TIME), 42)
    assert rnd.to_unit(rnd.draw_bits(key, COUNT_COUNTER)) == rnd.uniform_from(key, COUNT_COUNTER)
