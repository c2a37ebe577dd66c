"""Sizing a run before it starts, and the compact day matrices that travel from workers."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from scorelab.policy import load_policy
from scorelab.runner._columns import dense, take_columns, used_columns
from scorelab.runner._estimate import estimate
from scorelab.runner._runner import _plan
from scorelab.world import load_scenario

from ..conftest import POLICIES, ROOT


def _tables(ledger_sample: float):
    policy = load_policy(POLICIES / "court-list.toml")
    scenario = load_scenario(ROOT / "scenarios" / "china-court-list.toml")
    return _plan(policy, scenario, {"ledger_sample": ledger_sample, "baseline": False,
                                    "chunk_size": 1 << 20}).job.tables


def test_a_whole_country_run_without_citizen_rows_needs_little_disk():
    full = estimate(_tables(1.0), citizens=1_411_778_724, chunk_size=1 << 20, workers=2,
                    baseline=False)
    none = estimate(_tables(0.0), citizens=1_411_778_724, chunk_size=1 << 20, workers=2,
                    baseline=False)
    assert full.disk > 50 * 1024**3  # a row per citizen: tens of GiB
    assert none.disk < 2 * 1024**3  # the daily table only
    assert none.ledger_rows == 0


@given(arrays(np.int64, (3, 6, 2), elements=st.integers(-5, 5)))
def test_used_columns_carry_the_whole_matrix(matrix):
    touched = matrix.any(axis=(0, 2))
    work = matrix.copy()
    part = take_columns(work, touched)
    assert not work.any(), "the worker's matrix is zero again for the next chunk"
    np.testing.assert_array_equal(dense(part, matrix.shape[1]), matrix)
    np.testing.assert_array_equal(dense(used_columns(matrix), matrix.shape[1]), matrix)
    total = np.ones_like(matrix)
    part.add_to(total)
    np.testing.assert_array_equal(total, matrix + 1)
