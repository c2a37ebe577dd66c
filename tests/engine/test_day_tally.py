"""Counted events tallied by day, overflowing to the log when a day is full, add up exactly."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from scorelab.engine._daily_counts import add_to_groups, flush_tally, tally
from scorelab.engine._packing import group_cells, group_code, log_code, log_column, log_day

OFFSETS = np.array([0, 1, 3, 9, 40, 42, 52])  # the default world's seven group dimensions:
# all, sex (2), age band (6), region (31), urban (2), income decile (10), occupation (9)
DAYS, WIDTH, GROUPS = 5, 6, 61


@njit
def _tally_all(days, columns, codes, capacity, offsets):
    """Tally every event, flush the tallies, add the log's overflow; and the direct sum."""
    tallied = np.zeros((DAYS + 1, WIDTH, GROUPS), np.int64)
    direct = np.zeros((DAYS + 1, WIDTH, GROUPS), np.int64)
    tallies = (np.empty((DAYS + 1, capacity), np.int64), np.zeros(DAYS + 2, np.int64))
    log_key = np.empty(days.shape[0], np.int64)
    log_amt = np.empty(days.shape[0], np.int64)
    touched = np.zeros(WIDTH, np.bool_)
    logged = 0
    for e in range(days.shape[0]):
        logged = tally(tallies, days[e], columns[e], codes[e], group_cells(offsets, codes[e]),
                       log_key, log_amt, logged)
        add_to_groups(direct[days[e], columns[e]], offsets, codes[e], 1)
    in_tally = tallies[1][-1]
    flush_tally(tallies, tallied, touched)
    for i in range(logged):
        key = log_key[i]
        add_to_groups(tallied[log_day(key), log_column(key)], offsets, log_code(key), log_amt[i])
    return tallied, direct, touched, in_tally, logged, tallies[1].sum()


codes = st.builds(group_code, st.integers(0, 1), st.integers(0, 5), st.integers(0, 30),
                  st.integers(0, 1), st.integers(0, 9), st.integers(0, 8))
events = st.lists(st.tuples(st.integers(0, DAYS), st.integers(0, WIDTH - 1), codes), max_size=200)


@settings(max_examples=200, deadline=None)
@given(events=events, capacity=st.integers(1, 40))
def test_tallies_and_their_overflow_add_up_to_every_event(events, capacity):
    days = np.array([e[0] for e in events], np.int64)
    columns = np.array([e[1] for e in events], np.int64)
    group_codes = np.array([e[2] for e in events], np.int64)
    tallied, direct, touched, in_tally, logged, left = _tally_all(days, columns, group_codes,
                                                                   capacity, OFFSETS)
    assert np.array_equal(tallied, direct)
    assert in_tally + logged == len(events)
    assert left == 0  # flushing empties the tallies
    per_day = np.bincount(days, minlength=DAYS + 1)
    assert logged == np.maximum(per_day - capacity, 0).sum()  # only a full day overflows
    assert set(np.flatnonzero(touched)) <= set(columns.tolist())
