"""Counter-based random numbers: every draw is a pure function of its key.

A draw is keyed by (seed, stream, subject, counter): the stream names what is
drawn (a household's size, a behaviour's next act...), the subject is usually a
citizen id, the counter numbers successive draws. Nothing depends on the order in
which citizens are processed, so results are identical whatever the chunk size,
worker count or backend. The mixer is SplitMix64's finaliser (Steele, Lea and
Flood 2014), applied once per key word, which passes BigCrush when chained this way.
"""

from __future__ import annotations

import numpy as np
from numba import njit, uint64

from scorelab._echo import shorten
from scorelab._errors import RunRefusedError

#: the largest seed: seeds are 63-bit (0 to 2**63 - 1), so that every one fits an int64
SEED_MAX = 2**63 - 1

_GOLDEN = uint64(0x9E3779B97F4A7C15)
_M1 = uint64(0xBF58476D1CE4E5B9)
_M2 = uint64(0x94D049BB133111EB)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53

# Streams: one per kind of draw. Values are arbitrary but fixed forever, since
# changing one changes every result that uses it.
HOUSEHOLD_SIZE = 1
REGION = 2
URBAN = 3
INCOME = 4
SEX = 5
AGE = 6
ROLE = 7
OCCUPATION = 8
ACT_TIME = 100  # + behaviour index
ACT_ACCEPT = 200  # + behaviour index
DETECT = 300  # + behaviour index
FALSE_TIME = 400  # + behaviour * 16 + sensor
ATTEMPT_TIME = 800  # + service index
APPEAL = 900
COMPLIANCE = 901
LEDGER_SAMPLE = 902


@njit(inline="always")
def _mix(x: uint64) -> uint64:
    x = (x ^ (x >> uint64(30))) * _M1
    x = (x ^ (x >> uint64(27))) * _M2
    return x ^ (x >> uint64(31))


@njit(inline="always")
def stream_key(seed: int, stream: int) -> uint64:
    """The first third of :func:`key64`, fixed by (seed, stream).

    A hot loop that draws many keys of few streams keeps a table of these, and a
    source that draws many counters of one (stream, subject) keeps its
    :func:`subject_key`: each draw then costs one mix instead of three, with the
    same bits.
    """
    return _mix(uint64(seed) + _GOLDEN * uint64(stream + 1))


@njit(inline="always")
def subject_key(stream_hash: uint64, subject: int) -> uint64:
    """The first two thirds of :func:`key64`, from :func:`stream_key`."""
    return _mix(uint64(stream_hash) ^ uint64(subject))


@njit(inline="always")
def uniform_from(subject_hash: uint64, counter: int) -> float:
    """:func:`uniform` from a :func:`subject_key`: the same float, a third of the work."""
    return to_unit(draw_bits(subject_hash, counter))


@njit(inline="always")
def draw_bits(subject_hash: uint64, counter: int) -> uint64:
    """The 64 bits behind :func:`uniform_from` (a loop of only these vectorises)."""
    return _mix(uint64(subject_hash) ^ (uint64(counter) * _GOLDEN + _M2))


@njit(inline="always")
def to_unit(bits: uint64) -> float:
    """64 random bits as :func:`uniform` makes them a float in (0, 1)."""
    return (float(bits >> uint64(11)) + 0.5) * _TO_UNIT


@njit(inline="always")
def key64(seed: int, stream: int, subject: int, counter: int) -> uint64:
    """Hash a key to 64 random bits."""
    h = subject_key(stream_key(seed, stream), subject)
    return _mix(h ^ (uint64(counter) * _GOLDEN + _M2))


@njit(inline="always")
def uniform(seed: int, stream: int, subject: int, counter: int) -> float:
    """A float in the open interval (0, 1), keyed as :func:`key64`."""
    return (float(key64(seed, stream, subject, counter) >> uint64(11)) + 0.5) * _TO_UNIT


@njit(inline="always")
def exponential(seed: int, stream: int, subject: int, counter: int, rate: float) -> float:
    """An exponential waiting time with the given rate (events per day)."""
    return -np.log(uniform(seed, stream, subject, counter)) / rate


@njit(inline="always")
def choose(cdf: np.ndarray, u: float) -> int:
    """Index of the first cumulative weight at or above ``u`` (inverse-CDF draw); the last if none.

    Counts the weights below ``u`` instead of searching: no branch on the draw
    (which a branch predicts badly), and the tables are short (at most a few
    dozen entries).
    """
    k = 0
    for t in range(cdf.shape[0] - 1):
        k += cdf[t] < u
    return k


def seed_to_int(seed: int | np.random.Generator) -> int:
    """Accept a seed from 0 to :data:`SEED_MAX` (2**63 - 1), or a numpy Generator (Mesa's ``rng``).

    A Generator gives a seed drawn from that range. Any other value is refused,
    never wrapped around (``2**64`` once became seed 0, the same run as seed 0).

    >>> seed_to_int(7), seed_to_int(SEED_MAX) == 2**63 - 1
    (7, True)
    >>> seed_to_int(2**64)
    Traceback (most recent call last):
    scorelab._errors.RunRefusedError: --seed: must be an integer from 0 to ... got 18,446,744,...

    Raises:
        RunRefusedError: the seed is not an integer, or is outside the range.
    """
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, SEED_MAX))
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise RunRefusedError(f"--seed: must be an integer from 0 to {SEED_MAX:,} (2**63 - 1) "
                              f"or a numpy Generator, got {shorten(repr(seed))}")
    if not 0 <= seed <= SEED_MAX:
        raise RunRefusedError(f"--seed: must be an integer from 0 to {SEED_MAX:,} (2**63 - 1), "
                              f"got {int(seed):,}")
    return int(seed)
