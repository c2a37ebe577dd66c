"""A binary min-heap of scheduled events, on arrays, for numba.

Scheduled events (an expiry, an appeal decision, the end of a listing) are
created while a household's history is replayed; they are ordered by time,
then by a sequence number so that equal times keep a fixed, seed-independent
order. Each event carries five integers: kind, member, two arguments and a
version (a stale version means the event was superseded and is skipped).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _less(times, seqs, i, j):
    return times[i] < times[j] or (times[i] == times[j] and seqs[i] < seqs[j])


@njit(cache=True)
def _swap(times, seqs, data, i, j):
    times[i], times[j] = times[j], times[i]
    seqs[i], seqs[j] = seqs[j], seqs[i]
    for k in range(data.shape[1]):
        data[i, k], data[j, k] = data[j, k], data[i, k]


@njit(cache=True)
def push(times, seqs, data, size, seq, time, kind, member, a, b, version):
    """Add an event; returns the new size. The caller keeps capacity sufficient."""
    i = size
    times[i] = time
    seqs[i] = seq
    data[i, 0] = kind
    data[i, 1] = member
    data[i, 2] = a
    data[i, 3] = b
    data[i, 4] = version
    while i > 0:
        parent = (i - 1) // 2
        if _less(times, seqs, i, parent):
            _swap(times, seqs, data, i, parent)
            i = parent
        else:
            break
    return size + 1


@njit(cache=True)
def pop(times, seqs, data, size, out):
    """Remove the earliest event, copying its five integers into ``out``; returns (time, size)."""
    time = times[0]
    for k in range(5):
        out[k] = data[0, k]
    size -= 1
    if size > 0:
        _swap(times, seqs, data, 0, size)
        i = 0
        while True:
            left, right, smallest = 2 * i + 1, 2 * i + 2, i
            if left < size and _less(times, seqs, left, smallest):
                smallest = left
            if right < size and _less(times, seqs, right, smallest):
                smallest = right
            if smallest == i:
                break
            _swap(times, seqs, data, i, smallest)
            i = smallest
    return time, size


def new_heap(capacity: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Empty heap arrays of the given capacity."""
    return np.empty(capacity), np.empty(capacity, np.int64), np.empty((capacity, 5), np.int64)
