"""The day matrix's counts: logged or tallied per event, added up by day (numba).

Every count the kernel makes lands in the chunk's day matrix ``(days + 1,
columns, groups)``: once in the "all" group and once in each of the six
groups of the member (sex, age band, region, urban, income decile, occupation).
Two ways in, both sequential writes, both added up day by day so that one day's
slab of the matrix stays in cache:

* the **log** (:func:`count`): a key (``_packing.log_key``) and an amount per
  count, for state changes replayed in time order; :func:`flush` sorts it by
  day (a counting sort) and adds it;
* the **day tallies** (:func:`tally`, :func:`tally_act`): events counted while
  drawing (most events) go straight into a row per day, holding the column and
  the member's packed group cells; :func:`flush_tally` adds them as they lie.
  A full row sends the event to the log instead.

``touched`` marks the columns written, so that only those travel back from a worker.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from scorelab.engine._household import FILL_LOG, grow
from scorelab.engine._packing import (
    log_code,
    log_column,
    log_day,
    log_key,
    tally_column,
    tally_entry,
)


class DayTallies(NamedTuple):
    """The day tallies of counted events (numba: a tuple of two arrays)."""

    entries: np.ndarray  # (days + 1, capacity) int64 tally entries, a row per day
    fill: np.ndarray  # (days + 2,) int64: entries in each row, then their sum


@njit(cache=True)
def reserve_log(H, entries):
    """Make room for ``entries`` more log entries."""
    need = H.fill[FILL_LOG] + entries
    if need > H.log_key.shape[0]:
        H.log_key = grow(H.log_key, need)
        H.log_amount = grow(H.log_amount, need)


@njit(cache=True, inline="always")
def count(H, day, member, column, amount):
    """Log ``amount`` for ``column`` of the day matrix, for ``member``'s groups."""
    at = H.fill[FILL_LOG]
    if at == H.log_key.shape[0]:
        reserve_log(H, 1)
    H.log_key[at] = log_key(day, column, H.codes[member])
    H.log_amount[at] = amount
    H.fill[FILL_LOG] = at + 1


@njit(cache=True)
def flush(H, matrix, touched, offsets, sorted_key, sorted_amount, per_day):
    """Add the logged entries to ``matrix``, sorted by day first, and empty the log.

    ``sorted_key``, ``sorted_amount`` (at least as long as the log) and
    ``per_day`` (days + 2) are scratch.
    """
    n = H.fill[FILL_LOG]
    keys, amounts = H.log_key, H.log_amount
    per_day[:] = 0
    for i in range(n):  # a counting sort: how many entries per day, then where each day starts
        per_day[log_day(keys[i]) + 1] += 1
    for day in range(1, per_day.shape[0]):
        per_day[day] += per_day[day - 1]
    for i in range(n):
        key = keys[i]
        day = log_day(key)
        at = per_day[day]
        sorted_key[at] = key
        sorted_amount[at] = amounts[i]
        per_day[day] = at + 1
        touched[log_column(key)] = True
    for j in range(n):
        key = sorted_key[j]
        add_to_groups(matrix[log_day(key), log_column(key)], offsets, log_code(key),
                      sorted_amount[j])
    H.fill[FILL_LOG] = 0


@njit(cache=True, inline="always")
def add_to_groups(row, offsets, code, amount):
    """Add ``amount`` to every group of ``row`` that a group code (its low 20 bits) belongs to."""
    row[0] += amount
    row[offsets[1] + (code & 1)] += amount
    row[offsets[2] + ((code >> 1) & 7)] += amount
    row[offsets[3] + ((code >> 4) & 63)] += amount
    row[offsets[4] + ((code >> 10) & 1)] += amount
    row[offsets[5] + ((code >> 11) & 15)] += amount
    row[offsets[6] + ((code >> 15) & 31)] += amount


@njit(cache=True, inline="always")
def tally(tallies, day, column, code, cells, log_keys, log_amounts, logged):
    """Count one event on ``day`` in ``column`` for a member; return the log's new fill level.

    ``tallies`` is a :class:`DayTallies` (or the same pair as a tuple); each
    entry a :func:`~scorelab.engine._packing.tally_entry` of the column and the
    member's group ``cells``. A full row sends the event to the log (entry
    ``logged``, with the group ``code``).
    """
    entries, fill = tallies
    at = fill[day]
    if at < entries.shape[1]:
        entries[day, at] = tally_entry(column, cells)
        fill[day] = at + 1
        fill[-1] += 1
        return logged
    log_keys[logged] = log_key(day, column, code)
    log_amounts[logged] = 1
    return logged + 1


@njit(cache=True, inline="always")
def tally_act(tallies, day, layout, behaviour, seen_by, code, cells, log_keys, log_amounts,
              logged):
    """Tally a counted act and, if sensor ``seen_by`` saw it (not -1), its record.

    Act and record go in as one block of three entries, the record's two kept
    only if seen: no branch on whether it was. Near a full row, one by one.
    """
    entries, fill = tallies
    seen = 1 if seen_by >= 0 else 0
    at = fill[day]
    if at + 3 <= entries.shape[1]:
        entries[day, at] = tally_entry(layout.acts + behaviour, cells)
        entries[day, at + 1] = tally_entry(layout.records_by_behaviour + behaviour, cells)
        entries[day, at + 2] = tally_entry(layout.records_by_sensor + max(seen_by, 0), cells)
        fill[day] = at + 1 + 2 * seen
        fill[-1] += 1 + 2 * seen
        return logged
    logged = tally(tallies, day, layout.acts + behaviour, code, cells, log_keys, log_amounts,
                   logged)
    if seen:
        logged = tally(tallies, day, layout.records_by_behaviour + behaviour, code, cells,
                       log_keys, log_amounts, logged)
        logged = tally(tallies, day, layout.records_by_sensor + seen_by, code, cells, log_keys,
                       log_amounts, logged)
    return logged


@njit(cache=True)
def flush_tally(tallies, matrix, touched):
    """Add the day tallies to ``matrix``, and empty them.

    Each row is one day's events in arrival order, already apart from the other
    days: added as they lie, a day's slab of the matrix stays in cache.
    """
    entries, fill = tallies
    for day in range(entries.shape[0]):
        slab = matrix[day]
        for at in range(fill[day]):
            entry = entries[day, at]
            column = tally_column(entry)
            row = slab[column]
            row[0] += 1
            row[entry & 127] += 1
            row[(entry >> 7) & 127] += 1
            row[(entry >> 14) & 127] += 1
            row[(entry >> 21) & 127] += 1
            row[(entry >> 28) & 127] += 1
            row[(entry >> 35) & 127] += 1
            touched[column] = True
    fill[:] = 0
