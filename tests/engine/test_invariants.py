"""Invariants every run must keep, checked on small seeded runs."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc
import pytest

import scorelab
from scorelab.policy import load_policy

from ..conftest import POLICIES


def _ledger_sums(run: scorelab.RunResult) -> dict[int, int]:
    ledger = run.ledger.group_by("citizen_id").aggregate([("delta", "sum")])
    return dict(zip(ledger["citizen_id"].to_pylist(), ledger["delta_sum"].to_pylist(),
                    strict=True))


@pytest.mark.parametrize("run_name", ["rongcheng_run", "court_run"])
def test_start_plus_ledger_equals_final_score(run_name: str, request: pytest.FixtureRequest):
    run = request.getfixturevalue(run_name)
    start = load_policy(run.folder / "policy.toml").policy.score.start
    sums = _ledger_sums(run)
    citizens = run.citizens
    scores = dict(zip(citizens["citizen_id"].to_pylist(), citizens["score"].to_pylist(),
                      strict=True))
    assert all(start + sums.get(cid, 0) == score for cid, score in scores.items())


def test_scores_stay_within_floor_and_ceiling(rongcheng_run):
    policy = load_policy(POLICIES / "rongcheng.toml").policy
    scores = rongcheng_run.citizens["score"]
    assert pc.min(scores).as_py() >= policy.score.floor
    assert pc.max(scores).as_py() <= policy.score.ceiling


def test_grades_agree_with_bands_and_imposed_grades(rongcheng_run):
    policy = load_policy(POLICIES / "rongcheng.toml").policy
    ledger = rongcheng_run.ledger
    drunk = set(ledger.filter(pc.equal(ledger["rule"], "drunk_driving"))["citizen_id"]
                .to_pylist())
    overturned = set(ledger.filter(pc.and_(pc.equal(ledger["rule"], "drunk_driving"),
                                           pc.equal(ledger["kind"], "appeal")))["citizen_id"]
                     .to_pylist())
    grades = policy.grade_names
    checked = 0
    for row in rongcheng_run.citizens.select(["citizen_id", "score", "grade"]).to_pylist():
        band = policy.grade_of(row["score"])
        if row["citizen_id"] in drunk - overturned:
            # 730 imposed days outlast a two-year run: the worse of band and C
            expected = grades[max(grades.index(band), grades.index("C"))]
        else:
            expected = band
        assert row["grade"] == expected, row
        checked += 1
    assert checked == 6000


def test_daily_grade_counts_match_final_citizens(rongcheng_run):
    daily = rongcheng_run.daily
    last = daily.filter(pc.and_(pc.equal(daily["dimension"], "all"),
                                pc.equal(daily["day"], 729)))
    counts = rongcheng_run.citizens["grade"].value_counts().to_pylist()
    by_grade = {c["values"]: c["counts"] for c in counts}
    for grade in ("AAA", "AA", "A", "B", "C", "D"):
        assert last[f"grade_{grade}"][0].as_py() == by_grade.get(grade, 0)


def test_every_group_dimension_sums_to_the_population(rongcheng_run):
    daily = rongcheng_run.daily.filter(pc.equal(rongcheng_run.daily["day"], 100))
    totals = daily.group_by("dimension").aggregate([("population", "sum")])
    assert set(totals["population_sum"].to_pylist()) == {6000}


def test_expiry_reverses_exactly_what_the_record_applied(rongcheng_run):
    ledger = rongcheng_run.ledger.to_pylist()
    applied = {(e["record_id"], e["rule"]): e["delta"] for e in ledger if e["kind"] == "record"}
    expiries = [e for e in ledger if e["kind"] == "expiry"]
    assert expiries, "a two-year Rongcheng run has expiring traffic tickets"
    unclamped = 0
    for e in expiries:
        original = applied[(e["record_id"], e["rule"])]
        assert abs(e["delta"]) <= abs(original)
        unclamped += e["delta"] == -original
    assert unclamped >= 0.9 * len(expiries)


def test_expired_records_are_older_than_their_rule_allows(rongcheng_run):
    policy = load_policy(POLICIES / "rongcheng.toml").policy
    expiry = {r.id: r.expiry_days for r in policy.rules}
    ledger = rongcheng_run.ledger.to_pylist()
    recorded = {(e["record_id"], e["rule"]): e["day"] for e in ledger if e["kind"] == "record"}
    for e in ledger:
        if e["kind"] == "expiry":
            assert e["day"] - recorded[(e["record_id"], e["rule"])] == expiry[e["rule"]]


def test_listed_debtors_are_denied_flights_and_their_children_private_school(court_run):
    daily = court_run.daily.filter(pc.equal(court_run.daily["dimension"], "all"))
    assert pc.sum(daily["list_entries_court"]).as_py() > 50
    assert pc.sum(daily["denied_flight"]).as_py() > 0
    children = court_run.daily.filter(pc.equal(court_run.daily["group"], "0-17"))
    assert pc.sum(children["denied_private_school"]).as_py() > 0
    assert pc.sum(children["listed_court"]).as_py() == 0  # children are never listed


def test_compliance_takes_people_off_the_list(court_run):
    daily = court_run.daily.filter(pc.equal(court_run.daily["dimension"], "all"))
    assert pc.sum(daily["complied"]).as_py() > 0
    assert pc.sum(daily["list_exits_court"]).as_py() > 0
    entries = np.cumsum(daily["list_entries_court"].to_numpy())
    exits = np.cumsum(daily["list_exits_court"].to_numpy())
    assert (entries - exits == daily["listed_court"].to_numpy()).all()


def test_the_baseline_shares_the_policy_runs_random_numbers(runs_dir):
    run = scorelab.run(POLICIES / "rongcheng.toml", citizens=8000, days=200, seed=17,
                       baseline=True, out=runs_dir / "paired")
    import pyarrow.parquet as pq

    policy = run.daily  # both tables list days and groups in the same order
    baseline = pq.read_table(run.folder / "baseline.parquet")
    assert policy["group"].to_pylist() == baseline["group"].to_pylist()
    # a behaviour the policy ignores happens exactly as with no policy
    assert policy["acts_jaywalking"].equals(baseline["acts_jaywalking"])
    # a punished behaviour only loses acts to deterrence, day by day and group by group
    punished = policy["acts_overdue_payment"].to_numpy()
    unpunished = baseline["acts_overdue_payment"].to_numpy()
    assert (punished <= unpunished).all()
    assert punished.sum() < unpunished.sum()


@pytest.mark.parametrize("run_name", ["rongcheng_run", "court_run"])
def test_daily_counts_add_up_to_the_citizen_table(run_name: str, request: pytest.FixtureRequest):
    """Acts, records and wrongful records: by behaviour, by sensor and per citizen, the same totals.

    Counted events (most of them) reach the daily table through the day tallies
    and replayed ones through the household log; both must add up to the
    counters of every citizen (the ledger keeps everyone in these runs).
    """
    run = request.getfixturevalue(run_name)
    daily = run.daily
    everyone = daily.filter(pc.equal(daily["dimension"], daily["dimension"][0]))
    citizens = run.citizens

    def daily_total(prefix: str, exclude: str = "") -> int:
        columns = [name for name in everyone.column_names
                   if name.startswith(prefix) and not (exclude and name.startswith(exclude))]
        assert columns, prefix
        return sum(pc.sum(everyone[name]).as_py() or 0 for name in columns)

    acts = pc.sum(citizens["acts"]).as_py()
    records = pc.sum(citizens["records"]).as_py()
    wrongful = pc.sum(citizens["wrongful_records"]).as_py()
    assert records > 0
    assert daily_total("acts_") == acts
    assert daily_total("records_by_") == records
    assert daily_total("records_", exclude="records_by_") == records
    assert daily_total("wrongful_records_by_") == wrongful
    assert daily_total("wrongful_records_", exclude="wrongful_records_by_") == wrongful
