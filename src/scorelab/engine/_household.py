"""The scratch state of the household being replayed, as one numba struct.

Kernel functions take two references, the policy tables ``T`` and this
household struct ``H``, instead of dozens of arrays: every array passed between
non-inlined numba functions costs two atomic reference-count updates, which
dominated the run time before this struct existed. Buffers that can fill up
(the event log, the ledger, the heap, records and effects) grow in place
through the struct's setters.

Arrays, by field:
    state (2, M, N_FIELDS) int64: per track and member, score, grade, overrides, lists...
    listing (2, M, lists, 2) int64: per list, listing version and the record that caused it
    cap (2, M, rules, 2) int64: per rule, current cap window and points used in it
    comply (M, 5) int64: the member's compliance clock (see _state.C_*)
    exper (M, 2) float64: experience level and the time it was last set
    codes (M,) int64: packed group values; sampled (M,) bool: in the ledger sample
    rec_no (M,) int64: records so far; cids, ages: the members' ids and ages
    log_key, log_amt: the day-matrix log; cit (n, 17): per-citizen counters of the chunk
    heap_t, heap_seq, heap_data: scheduled events; rec (cap, 8), eff (cap, 5): records
    and the rule effects they caused; ledger (cap, 9); cnt (6,): fill levels;
    outcome (events,) int8: the outcome of each service attempt (policy cases);
    order (64,) int64: scratch for sorting a household's events by time;
    stack (64,) int64: the condition stack machine's stack, reused for every evaluation
"""

from __future__ import annotations

from numba import njit, types
from numba.experimental import structref

FIELDS = (
    "state", "listing", "cap", "comply", "exper", "codes", "sampled", "rec_no", "cids", "ages",
    "log_key", "log_amt", "cit", "heap_t", "heap_seq", "heap_data", "rec", "eff", "ledger",
    "cnt", "first", "size", "outcome", "order", "stack",
)


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
    def cnt(self):  # noqa: D102
        return _cnt(self)

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
def _cnt(h):
    return h.cnt


@njit(cache=True)
def _outcome(h):
    return h.outcome


structref.define_proxy(Household, HouseholdType, list(FIELDS))


@njit(cache=True)
def pack_household(*values):
    """A :class:`Household`, built by a cached function.

    The proxy's own constructor is compiled afresh in every process (0.8 s).
    """
    return Household(*values)
