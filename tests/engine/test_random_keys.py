"""The split hash used by hot loops draws exactly the numbers of the one-call hash."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from scorelab import _random as rnd

words = st.integers(min_value=0, max_value=2**62)


@njit
def _split_uniforms(seed, stream, subject, counters):
    """Draws from a subject key kept as int64 bits, as the kernel keeps it."""
    kept = np.int64(rnd.subject_key(rnd.stream_key(seed, stream), subject))
    return np.array([rnd.uniform_from(kept, c) for c in counters])


@settings(max_examples=300, deadline=None)
@given(seed=words, stream=st.integers(0, 2000), subject=words, counter=words)
def test_subject_key_gives_the_same_uniform_as_the_full_key(seed, stream, subject, counter):
    split = _split_uniforms(seed, stream, subject, np.array([counter], np.int64))[0]
    assert split == rnd.uniform(seed, stream, subject, counter)


def test_different_counters_of_one_subject_key_differ():
    draws = _split_uniforms(7, rnd.ACT_TIME, 12345, np.arange(1000, dtype=np.int64))
    assert len(set(draws.tolist())) == 1000
    assert ((draws > 0.0) & (draws < 1.0)).all()


@njit
def _choose(cdf, u):
    return rnd.choose(cdf, u)


@settings(max_examples=300, deadline=None)
@given(weights=st.lists(st.floats(0.0, 10.0), min_size=1, max_size=40),
       u=st.floats(0.0, 1.0, exclude_min=True, exclude_max=True))
def test_choose_is_the_first_cumulative_weight_at_or_above_the_draw(weights, u):
    total = sum(weights)
    cdf = np.cumsum(weights) / total if total > 0 else np.cumsum(weights)
    expected = min(int(np.searchsorted(cdf, u, side="left")), len(weights) - 1)
    assert _choose(cdf, u) == expected
