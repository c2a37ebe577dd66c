"""Policy cases are data: every ``[[case]]`` under tests/policies/cases is replayed.

A case file names a policy and lists cases, each with a sentence ``name``, a
start ``date``, the household ``members``, dated ``events``, and what to
``expect`` of the first member (score, grade, listed) and of every attempt
(outcomes, in order).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from scorelab.engine._cases import replay_case

CASES = Path(__file__).parents[1] / "policies" / "cases"


def _cases():
    for path in sorted(CASES.glob("*.toml")):
        data = tomllib.loads(path.read_text())
        for case in data["case"]:
            yield pytest.param(data["policy"], case, id=f"{path.stem}: {case['name']}")


@pytest.mark.parametrize(("policy", "case"), list(_cases()))
def test_policy_case(policy: str, case: dict):
    if "/" in policy:
        policy = str(Path(__file__).parents[2] / policy)
    result = replay_case(policy, members=case["members"], events=case["events"],
                         start_date=case["date"], days=case.get("days"))
    expect = dict(case["expect"])
    outcomes = expect.pop("outcomes", None)
    if outcomes is not None:
        assert result.outcomes == outcomes
    first = result.members[0]
    for key, value in expect.items():
        assert first[key] == value, f"{key}: expected {value}, got {first[key]}"
