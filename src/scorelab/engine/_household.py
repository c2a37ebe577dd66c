"""The scratch state of the household being replayed, as one numba struct.

Kernel functions take two references, the policy tables ``T`` and this
household struct ``H``, instead of dozens of arrays: every array passed between
non-inlined numba functions costs two atomic reference-count updates. Buffers
that can fill up (the event log, the ledger, the heap, records and effects)
grow in place through the struct's setters; ``fill`` holds how full each is.

Arrays, by field (M members at most, see ``_kernel.MAX_MEMBERS``):
    state (2, M, N_FIELDS) int64: per track and member, score, grade, overrides,
        lists (columns in ``_state``)
    listing (2, M, lists, 2) int64: per list, listing version and the record that caused it
    cap (2, M, rules, 2) int64: per rule, current cap window and points used in it
    comply (M, 5) int64: the member's compliance clock (columns ``_state.C_*``)
    experience (M, 2) float64: experience level and the time it was last set
    codes (M,) int64: packed group values (``_packing.group_code``)
    sampled (M,) bool: in the ledger sample
    records_made (M,) int64: records so far, which number the member's records
    cids, ages: the members' ids and ages (views of the chunk's columns)
    log_key, log_amount: the day-matrix log (``_daily_counts``)
    cit (n, N_CIT) int64: per-citizen counters of the chunk (``_citizen_counters``)
    heap_t, heap_seq, heap_data: scheduled events (``_heap``)
    records (cap, 8) and effects (cap, 5) int64: the household's records and the
        rule effects they caused (columns ``R_*`` and ``E_*`` below)
    ledger (cap, 9) int64: point changes (columns ``_state.L_*``)
    fill (6,) int64: fill levels, indexed by ``FILL_*`` below
    first, size: the household's first row in the chunk and its member count
    outcome (events,) int8: the outcome of each service attempt (policy cases)
    order (64,) int64: scratch for sorting a household's events by time
    stack (64,) int64: the condition stack machine's stack, reused for every evaluation
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.experimental import structref

FIELDS = (
    "state", "listing", "cap", "comply", "experience", "codes", "sampled", "records_made",
    "cids", "ages", "log_key", "log_amount", "cit", "heap_t", "heap_seq", "heap_data",
    "records", "effects", "ledger", "fill", "first", "size", "outcome", "order", "stack",
)

# what ``fill`` counts: heap entries, the heap's sequence number, ledger rows,
# the household's records and effects, log entries
FILL_HEAP, FILL_SEQUENCE, FILL_LEDGER, FILL_RECORDS, FILL_EFFECTS, FILL_LOG = range(6)
N_FILLS = 6

# columns of a record row: member, behaviour, sensor, wrongful (0/1), day, record
# id (``_packing.record_id``), its first effect row and how many effects it has
(R_MEMBER, R_BEHAVIOUR, R_SENSOR, R_WRONGFUL, R_DAY, R_ID, R_FIRST_EFFECT,
 R_EFFECTS) = range(8)
RECORD_WIDTH = 8
# columns of an effect row: its record row, the rule, the points it moved in
# track 0 (``E_CHANGE``) and track 1 (``E_CHANGE + 1``), and a bit per track
# where it is still live (an expiry or a won appeal undoes only live effects)
E_RECORD, E_RULE, E_CHANGE, E_LIVE = 0, 1, 2, 4
EFFECT_WIDTH = 5


@structref.register
class HouseholdType(types.StructRef):
    """Numba type of :class:`Household`."""

    def preprocess_fields(self, fields):
        return tuple((name, types.unliteral(typ)) for name, typ in fields)


class Household(structref.StructRefProxy):
    """Scratch state of one household (see module docstring).

    From Python, the arrays a caller reads after a replay are properties.
    """

    @property
    def state(self):  # noqa: D102
        return _state(self)

    @property
    def cit(self):  # noqa: D102
        return _cit(self)

    @property
    def ledger(self):  # noqa: D102
        return _ledger(self)

    @property
    def fill(self):  # noqa: D102
        return _fill(self)

    @property
    def outcome(self):  # noqa: D102
        return _outcome(self)


@njit(cache=True)
def _state(h):
    return h.state


@njit(cache=True)
def _cit(h):
    return h.cit


@njit(cache=True)
def _ledger(h):
    return h.ledger


@njit(cache=True)
def _fill(h):
    return h.fill


@njit(cache=True)
def _outcome(h):
    return h.outcome


structref.define_proxy(Household, HouseholdType, list(FIELDS))


@njit(cache=True)
def pack_household(*values):
    """A :class:`Household`, built by a cached function.

    The proxy's own constructor is compiled afresh in every process.
    """
    return Household(*values)


@njit(cache=True)
def grow_rows(a, need):
    """``a`` with at least ``need`` rows, doubling (2-D arrays)."""
    if need <= a.shape[0]:
        return a
    grown = np.empty((max(need, 2 * a.shape[0]), a.shape[1]), a.dtype)
    grown[: a.shape[0]] = a
    return grown


@njit(cache=True)
def grow(a, need):
    """``a`` with at least ``need`` items, doubling (1-D arrays)."""
    if need <= a.shape[0]:
        return a
    grown = np.empty(max(need, 2 * a.shape[0]), a.dtype)
    grown[: a.shape[0]] = a
    return grown
