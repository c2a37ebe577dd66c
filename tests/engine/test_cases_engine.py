"""The engine on scripted households: sanctions, household reach, false matches."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from scorelab.engine._cases import replay_case
from scorelab.policy import load_policy
from scorelab.world import BEHAVIOURS, SENSORS

from ..conftest import POLICIES

RONGCHENG = load_policy(POLICIES / "rongcheng.toml")
COURT = load_policy(POLICIES / "court-list.toml")


def test_listed_citizen_is_never_allowed_a_banned_service():
    events = [{"day": 1, "record": "judgment_default", "sensor": "court"}]
    banned = [s.service for s in COURT.policy.sanctions if not s.household]
    events += [{"day": 2 + i, "attempt": service} for i, service in enumerate(banned)]
    result = replay_case(COURT, members=[{"age": 40}], events=events)
    assert result.outcomes == ["denied"] * len(banned)


def test_household_sanction_reaches_the_children():
    result = replay_case(COURT, members=[{"age": 40}, {"age": 9}], events=[
        {"day": 1, "record": "judgment_default", "sensor": "court", "member": 0},
        {"day": 2, "attempt": "private_school", "member": 1},
        {"day": 3, "attempt": "flight", "member": 1},
    ])
    assert result.outcomes == ["denied", "allowed"]
    assert result.members[1]["listed"] == []


def test_false_match_counts_as_wrongful():
    result = replay_case(COURT, members=[{"age": 40}], events=[
        {"day": 1, "record": "judgment_default", "sensor": "court", "wrongful": True},
        {"day": 2, "attempt": "flight"},
    ])
    assert result.outcomes == ["wrongly_denied"]
    assert result.members[0]["listed"] == ["court"]


def test_drunk_driving_drops_a_person_straight_to_grade_c():
    result = replay_case(RONGCHENG, members=[{"age": 40}], events=[
        {"day": 3, "record": "drunk_driving", "sensor": "police"},
        {"day": 4, "attempt": "property"},
    ])
    assert result.members[0]["grade"] == "C"
    assert result.members[0]["score"] == 1000
    assert result.outcomes == ["denied"]


def test_expiry_restores_points():
    events = [{"day": 0, "record": "traffic_violation", "sensor": "police"}]
    before = replay_case(RONGCHENG, members=[{}], events=events, days=365)
    after = replay_case(RONGCHENG, members=[{}], events=events, days=367)
    assert before.members[0]["score"] == 995
    assert after.members[0]["score"] == 1000
    assert [e["kind"] for e in after.ledger] == ["record", "expiry"]


def test_cap_limits_points_per_period():
    events = [{"day": d, "record": "overdue_payment", "sensor": "bank"} for d in range(20)]
    result = replay_case(RONGCHENG, members=[{}], events=events)
    assert result.members[0]["score"] == 1000 - 120  # cap: 120 points a year


def test_a_sensor_the_rule_does_not_accept_changes_nothing():
    result = replay_case(RONGCHENG, members=[{}], events=[
        {"day": 1, "record": "overdue_payment", "sensor": "informant"}])
    assert result.members[0]["score"] == 1000
    assert result.ledger == []


record_events = st.lists(
    st.fixed_dictionaries({
        "day": st.integers(0, 29),
        "record": st.sampled_from(sorted(BEHAVIOURS)),
        "sensor": st.sampled_from(sorted(SENSORS)),
        "wrongful": st.booleans(),
    }),
    max_size=25,
)


@settings(max_examples=40, deadline=None)
@given(record_events)
def test_scores_stay_in_bounds_and_reconcile_with_the_ledger(events):
    result = replay_case(RONGCHENG, members=[{}], events=events, days=30)
    score = result.members[0]["score"]
    assert RONGCHENG.policy.score.floor <= score <= RONGCHENG.policy.score.ceiling
    assert 1000 + sum(e["delta"] for e in result.ledger) == score


@settings(max_examples=40, deadline=None)
@given(record_events)
def test_counterfactual_score_ignores_wrongful_records(events):
    result = replay_case(RONGCHENG, members=[{}], events=events, days=30)
    honest = replay_case(RONGCHENG, members=[{}], days=30,
                         events=[e for e in events if not e["wrongful"]])
    assert result.members[0]["counterfactual_score"] == honest.members[0]["score"]
