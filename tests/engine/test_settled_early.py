"""Events settled while drawing (never replayed) leave every output as a full replay gives it.

An act nobody sees, or one that does not happen, changes no one's state; the
engine counts it while drawing events instead of replaying it, and a member
whose state never changes has their plainly allowed attempts counted too. The
tables' reference mode (``replay_all``) replays all of those: the outputs must
be the same bytes.
"""

from __future__ import annotations

import numpy as np
import pytest

from scorelab.engine._citizen_counters import CIT_ACTS
from scorelab.engine._kernel import new_household, run_chunk
from scorelab.engine._tables import to_kernel
from scorelab.policy import load_policy
from scorelab.runner._plan import plan_run
from scorelab.runner._request import RunRequest
from scorelab.runner._worker import empty_matrix
from scorelab.world._population import generate
from scorelab.world._scenario import load_scenario

from ..conftest import POLICIES, ROOT

CITIZENS = 20_000
WORLDS = [
    (POLICIES / "rongcheng.toml", None),  # deterrence on: unseen deterred acts wait for the replay
    (POLICIES / "sesame-like.toml", None),
    (POLICIES / "jaywalking-shaming.toml", None),
    (POLICIES / "court-list.toml", None),  # a sanction that reaches the household
    (POLICIES / "speech-penalty.toml", None),  # lists entered on conditions
    (ROOT / "benchmarks" / "minimal-policy.toml", ROOT / "benchmarks" / "minimal-scenario.toml"),
]


def _outputs(tables, people):
    columns = (people.citizen_id, people.household_id, people.sex, people.age, people.region,
               people.urban, people.income_decile, people.occupation)
    matrix = empty_matrix(tables)
    matrix.fill(0)
    _, cit, ledger = run_chunk(to_kernel(tables), new_household(tables, CITIZENS), matrix,
                               *columns)
    return matrix, cit, ledger


@pytest.mark.parametrize(("policy_path", "scenario_path"), WORLDS,
                         ids=[p.stem for p, _ in WORLDS])
def test_settling_events_early_changes_no_output(policy_path, scenario_path):
    policy = load_policy(policy_path)
    scenario = load_scenario(scenario_path,
                             citizens=CITIZENS, days=365, seed=11)
    job = plan_run(policy, scenario, RunRequest(citizens=CITIZENS, days=365, seed=11)).job
    people = generate(job.seed, 0, CITIZENS, job.total, job.population)
    early = _outputs(job.tables, people)
    replayed = _outputs(job.tables._replace(replay_all=True), people)
    for got, expected in zip(early, replayed, strict=True):
        np.testing.assert_array_equal(got, expected)
    assert early[1][:, CIT_ACTS].sum() > 0  # acts happened
