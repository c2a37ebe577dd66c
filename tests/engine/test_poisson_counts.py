"""Counts read off the tabled Poisson CDF are the counts the full inversion gives."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from scorelab.engine._events import COUNT_TABLE, _cdf_terms, _poisson_count, _table_count


@njit
def _both(mean, u):
    p0 = np.exp(-np.minimum(np.array([mean]), 100.0))[0]
    terms = np.empty(COUNT_TABLE)
    _cdf_terms(mean, p0, terms)
    return _table_count(terms, u), _poisson_count(np.int64(12345), mean, p0, u)


@settings(max_examples=500, deadline=None)
@given(mean=st.floats(1e-6, 100.0), u=st.floats(1e-12, 1.0 - 1e-12))
def test_table_count_is_the_inversion_count_or_says_it_ran_out(mean, u):
    tabled, full = _both(mean, u)
    if tabled < COUNT_TABLE:
        assert tabled == full
    else:
        assert full >= COUNT_TABLE


def test_counts_as_the_kernel_reads_them_have_the_poisson_mean():
    """Over an even grid of uniforms the counts average to the mean (mean 3 and 30)."""
    for mean in (3.0, 30.0):
        counts = []
        for u in (np.arange(4000) + 0.5) / 4000:
            tabled, full = _both(mean, u)
            counts.append(tabled if tabled < COUNT_TABLE else full)
        assert math.isclose(np.mean(counts), mean, rel_tol=0.01)
