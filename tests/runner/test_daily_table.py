"""The daily table reads only the day matrix's used columns, and that changes nothing."""

from __future__ import annotations

import datetime as dt

import numpy as np

from scorelab.engine._kernel import new_household, run_chunk
from scorelab.engine._tables import make_layout, score_bins, to_kernel
from scorelab.policy import load_policy
from scorelab.runner._columns import used_columns
from scorelab.runner._outputs import QUANTILES, daily_table
from scorelab.runner._plan import plan_run
from scorelab.runner._request import RunRequest
from scorelab.runner._worker import empty_matrix
from scorelab.world import load_scenario
from scorelab.world._population import generate

from ..conftest import POLICIES


def _rongcheng_matrix(citizens: int = 3000, days: int = 60):
    policy = load_policy(POLICIES / "rongcheng.toml")
    scenario = load_scenario(None, citizens=citizens, days=days, seed=3)
    plan = plan_run(policy, scenario, RunRequest(citizens=citizens, days=days, seed=3,
                                                 ledger_sample=0.0))
    job = plan.job
    people = generate(job.seed, 0, citizens, job.total, job.population)
    matrix = empty_matrix(job.tables)
    run_chunk(to_kernel(job.tables), new_household(job.tables, citizens), matrix,
              people.citizen_id, people.household_id, people.sex, people.age, people.region,
              people.urban, people.income_decile, people.occupation)
    p = policy.policy
    return matrix, plan.groups, p, make_layout(len(p.list_names), len(p.grades),
                                               job.tables.hist_bins)


def _table(matrix, groups, policy, layout, used):
    bin_low = score_bins(policy.score.floor, policy.score.ceiling, policy.score.start)[1]
    return daily_table(used_columns(matrix, used), layout, groups, start=dt.date(2018, 1, 1),
                       grades=policy.grade_names, lists=policy.list_names, bin_low=bin_low,
                       ceiling=policy.score.ceiling)


def test_skipping_unused_columns_gives_the_table_of_every_column():
    matrix, groups, policy, layout = _rongcheng_matrix()
    used = matrix.any(axis=(0, 2))
    assert not used.all(), "a day matrix has unused columns (score bins nobody reached)"
    every = _table(matrix, groups, policy, layout, np.ones(matrix.shape[1], np.bool_))
    assert _table(matrix, groups, policy, layout, used).equals(every)
    assert _table(matrix, groups, policy, layout, None).equals(every)


def test_levels_are_the_running_sums_of_the_changes():
    matrix, groups, policy, layout = _rongcheng_matrix()
    table = _table(matrix, groups, policy, layout, None)
    n_groups = matrix.shape[2]
    population = matrix[:-1, layout.hist:layout.grades, :].sum(axis=1).cumsum(axis=0)
    np.testing.assert_array_equal(table["population"].to_numpy(), population.reshape(-1))
    grade_a = matrix[:-1, layout.grades, :].cumsum(axis=0).reshape(-1)
    np.testing.assert_array_equal(table[f"grade_{policy.grade_names[0]}"].to_numpy(), grade_a)
    assert table.num_rows == (matrix.shape[0] - 1) * n_groups
    medians = table[f"score_p{round(QUANTILES[3] * 100):02d}"].to_numpy()
    assert np.all(np.isfinite(medians[population.reshape(-1) > 0]))
