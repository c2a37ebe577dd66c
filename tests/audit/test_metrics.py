"""Group metrics, checked against a second implementation and against the run's own tables.

Fairlearn's MetricFrame computes the same shares by group from the per-citizen
table: two implementations must give the same numbers. Disparities are checked
the same way, and the intervals against scipy's Wilson and Katz intervals.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from fairlearn.metrics import MetricFrame, count, selection_rate
from scipy.stats import binomtest
from scipy.stats.contingency import relative_risk

from scorelab._errors import ScorelabError
from scorelab.audit import audit_table
from scorelab.audit._metrics import citizen_outcomes, group_label
from scorelab.audit._rates import outside_fair_band, rate_ratio, wilson_interval

DIMENSIONS = ["sex", "age_band", "region", "urban", "income_decile", "occupation", "sex+age_band"]
OUTCOMES = ["listed_blacklist", "denied", "wrongfully_sanctioned", "wrongfully_recorded",
            "shamed", "rewarded"]


@pytest.fixture(scope="module")
def audit(harsh_run) -> pl.DataFrame:
    return audit_table(harsh_run.folder)


@pytest.fixture(scope="module")
def citizens(harsh_run) -> pl.DataFrame:
    return citizen_outcomes(pl.read_parquet(harsh_run.folder / "citizens.parquet"))


def whole_run(audit: pl.DataFrame, metric: str, dimension: str) -> pl.DataFrame:
    return audit.filter((pl.col("metric") == metric) & (pl.col("dimension") == dimension)
                        & pl.col("day").is_null())


@pytest.fixture(scope="module")
def fairlearn_by_group(citizens):
    """Fairlearn's share of each outcome and size of each group, per dimension (computed once).

    One MetricFrame per dimension: its y_true is the row index, so each metric sees
    the rows of one group and takes Fairlearn's selection rate of one outcome there.
    """
    outcomes = {o: citizens[o].cast(pl.Int8).to_numpy() for o in OUTCOMES}
    rows = np.arange(citizens.height)
    metrics = {o: (lambda index, _, y=y: selection_rate(y[index], y[index]))
               for o, y in outcomes.items()}
    cache = {}

    def by_group(dimension: str):
        if dimension not in cache:
            labels = citizens.select(group_label(dimension).alias("group"))["group"].to_pandas()
            frame = MetricFrame(metrics={**metrics, "count": count}, y_true=rows, y_pred=rows,
                                sensitive_features=labels.rename(dimension))
            cache[dimension] = frame.by_group
        return cache[dimension]

    return by_group


@pytest.mark.parametrize("dimension", DIMENSIONS)
def test_shares_by_group_match_fairlearn(audit, fairlearn_by_group, dimension):
    for outcome in OUTCOMES:
        expected = fairlearn_by_group(dimension)
        ours = whole_run(audit, f"share_{outcome}", dimension)
        assert ours.height == len(expected), outcome
        for group, value, population in ours.select("group", "value", "population").iter_rows():
            assert value == pytest.approx(expected.loc[group, outcome], abs=1e-12), (outcome, group)
            assert population == expected.loc[group, "count"]


@pytest.mark.parametrize("dimension", DIMENSIONS)
def test_disparities_match_fairlearn_against_the_largest_group(audit, fairlearn_by_group,
                                                               dimension):
    for outcome in ["listed_blacklist", "denied", "wrongfully_sanctioned", "wrongfully_recorded"]:
        frame = fairlearn_by_group(dimension)
        reference = frame["count"].idxmax()
        ours = whole_run(audit, f"disparity_{outcome}", dimension)
        assert set(ours["reference"]) == {reference}
        for group, value in ours.select("group", "value").iter_rows():
            expected = frame.loc[group, outcome] / frame.loc[reference, outcome]
            assert value == pytest.approx(expected, rel=1e-12, nan_ok=True), (outcome, group)


def test_every_audited_outcome_happened_in_the_fixture(audit):
    everyone = audit.filter((pl.col("dimension") == "all") & pl.col("day").is_null())
    counts = dict(zip(everyone["metric"], everyone["count"], strict=True))
    for outcome in OUTCOMES:
        assert counts[f"share_{outcome}"] > 0, outcome


def test_disparity_flags_follow_the_aequitas_band(audit):
    rows = audit.filter(pl.col("metric").str.starts_with("disparity_"))
    ratio = rows["value"].to_numpy()
    assert rows["flagged"].to_list() == outside_fair_band(ratio).tolist()
    has_ratio = rows.filter(pl.col("value").is_not_nan())
    assert (has_ratio["ci_low"] <= has_ratio["value"] + 1e-12).all()
    assert (has_ratio["value"] <= has_ratio["ci_high"] + 1e-12).all()
    own = has_ratio.filter(pl.col("group") == pl.col("reference"))
    assert own.height > 0
    assert (own["value"] == 1.0).all() and (own["ci_low"] == 1.0).all()


def test_wilson_interval_matches_scipy():
    counts, populations = np.array([0, 3, 50, 999]), np.array([40, 1000, 120, 1000])
    low, high = wilson_interval(counts, populations)
    for k, n, lo, hi in zip(counts, populations, low, high, strict=True):
        expected = binomtest(int(k), int(n)).proportion_ci(method="wilson")
        assert lo == pytest.approx(expected.low, abs=1e-9)
        assert hi == pytest.approx(expected.high, abs=1e-9)


def test_katz_interval_matches_scipy():
    ratio, low, high = rate_ratio(np.array([30, 7]), np.array([1000, 500]),
                                  np.array([20, 40]), np.array([900, 2000]))
    for i, (x1, n1, x2, n2) in enumerate([(30, 1000, 20, 900), (7, 500, 40, 2000)]):
        expected = relative_risk(x1, n1, x2, n2)
        interval = expected.confidence_interval(confidence_level=0.95)
        assert ratio[i] == pytest.approx(expected.relative_risk)
        assert low[i] == pytest.approx(interval.low, rel=1e-6)
        assert high[i] == pytest.approx(interval.high, rel=1e-6)


def test_no_ratio_when_the_reference_group_has_no_case():
    ratio, low, high = rate_ratio(np.array([3]), np.array([100]), np.array([0]), np.array([100]))
    assert math.isnan(ratio[0]) and math.isnan(low[0]) and math.isnan(high[0])
    assert not outside_fair_band(ratio)[0]


def test_daily_totals_agree_with_the_citizen_table(audit, citizens):
    """Two tables the engine writes agree: per group, events add up to people's counters."""
    for dimension in ["sex", "age_band", "income_decile"]:
        per_group = (citizens.group_by(group_label(dimension).alias("group"))
                     .agg(pl.col("denials").sum(), pl.col("wrongful_denials").sum(),
                          pl.col("wrongful_shamed").sum()))
        for group, denials, wrongful, wrong_shamed in per_group.iter_rows():
            rows = audit.filter((pl.col("dimension") == dimension) & (pl.col("group") == group)
                                & pl.col("day").is_null())
            values = dict(zip(rows["metric"], rows["value"], strict=True))
            assert sum(v for k, v in values.items() if k.startswith("denied_")) == denials
            assert sum(v for k, v in values.items()
                       if k.startswith("wrongful_denied_")) == wrongful
            assert values["wrongful_shamed"] == wrong_shamed


def test_end_of_run_listing_matches_the_last_day(audit):
    last = audit.filter((pl.col("metric") == "share_listed_blacklist")
                        & (pl.col("day") == pl.col("day").max()))
    end = audit.filter((pl.col("metric") == "share_listed_blacklist") & pl.col("day").is_null()
                       & ~pl.col("dimension").str.contains(r"\+"))
    joined = end.join(last, on=["dimension", "group"], suffix="_last")
    assert joined.height == end.height
    assert (joined["value"] - joined["value_last"]).abs().max() < 1e-12


def test_deterrence_compares_acts_with_the_baseline(harsh_run, audit):
    everyone = audit.filter((pl.col("dimension") == "all") & pl.col("day").is_null())
    values = dict(zip(everyone["metric"], everyone["value"], strict=True))
    baseline = pl.read_parquet(harsh_run.folder / "baseline.parquet").filter(
        pl.col("dimension") == "all")
    assert values["baseline_acts_jaywalking"] == baseline["acts_jaywalking"].sum()
    assert values["act_change_jaywalking"] == pytest.approx(
        values["acts_jaywalking"] / values["baseline_acts_jaywalking"] - 1)
    assert values["act_change_critical_speech"] < 0  # a -25 rule on speech deters it


def test_no_deterrence_rows_without_a_baseline(harsh_run_fewer_cameras):
    audit = audit_table(harsh_run_fewer_cameras.folder)
    assert not audit["metric"].str.starts_with("act_change").any()
    assert not audit["metric"].str.starts_with("baseline_acts").any()


def test_audit_rows_are_unique_and_typed(audit):
    keys = audit.select("dimension", "group", "metric", "day")
    assert keys.n_unique() == audit.height
    assert audit.schema["day"] == pl.Int32 and audit.schema["value"] == pl.Float64
    series = audit.filter(pl.col("metric") == "score_mean", pl.col("dimension") == "all")
    assert series.height == 180 and series["day"].to_list() == list(range(180))


def test_combinations_are_groups_of_their_own(audit):
    rows = whole_run(audit, "share_denied", "sex+age_band")
    assert "female & 60-74" in rows["group"].to_list()
    assert rows["population"].sum() == 20_000


def test_an_unknown_dimension_is_a_clear_error(harsh_run):
    with pytest.raises(ScorelabError, match="unknown group dimension 'colour'"):
        audit_table(harsh_run.folder, by=["sex+colour"])
