"""World rates that change with the calendar: events follow the rate in force each day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pytest
from hypothesis import given
from hypothesis import strategies as st

import scorelab
from scorelab._errors import ScenarioError
from scorelab.engine._timeline import build_timeline, event_time, pieces
from scorelab.world import load_scenario

from ..conftest import POLICIES

SCENARIO = """
[scenario]
name = "dated rates"
citizens = 20000
days = 400
start_date = 2018-01-01
seed = 5

[behaviours.judgment_default]
rate_per_year = 0.0

[services.flight.attempts_per_year]
2018-07-01 = 4.0
2018-10-01 = 1.0
"""


def _totals(run: scorelab.RunResult, column: str) -> np.ndarray:
    daily = run.daily.filter(pc.equal(run.daily["dimension"], "all"))
    return np.asarray(daily[column].to_numpy(), dtype=float)


@pytest.fixture(scope="module")
def dated_run(tmp_path_factory: pytest.TempPathFactory) -> scorelab.RunResult:
    folder = tmp_path_factory.mktemp("dated")
    scenario = folder / "scenario.toml"
    scenario.write_text(SCENARIO)
    return scorelab.run(POLICIES / "court-list.toml", scenario, out=folder / "run",
                        ledger_sample=0.0, report=False)


def test_no_event_before_the_first_date_and_each_rate_holds_in_its_piece(dated_run):
    attempts = _totals(dated_run, "attempts_flight")
    adults = _totals(dated_run, "population")[0] * 0.8  # flights are for 18+ (about 80%)
    july, october = (dt.date(2018, 7, 1) - dt.date(2018, 1, 1)).days, (
        dt.date(2018, 10, 1) - dt.date(2018, 1, 1)).days
    assert attempts[1:july].sum() == 0  # day 0 holds the start levels only
    summer = attempts[july:october].mean() / adults * 365
    autumn = attempts[october:].mean() / adults * 365
    assert summer == pytest.approx(4.0, rel=0.1)
    assert autumn == pytest.approx(1.0, rel=0.1)


def test_a_dated_rate_is_named_by_its_date_in_calibration(tmp_path: Path):
    path = tmp_path / "scenario.toml"
    path.write_text(SCENARIO
                    + "[calibration]\n[[calibration.parameters]]\n"
                    'key = "services.flight.attempts_per_year.2018-07-01"\nlow = 1.0\nhigh = 8.0\n')
    assert load_scenario(path).scenario.calibration.parameters[0].key.endswith("2018-07-01")
    path.write_text(path.read_text().replace("2018-07-01\"", "2018-08-01\""))
    with pytest.raises(ScenarioError, match="services.flight.attempts_per_year.2018-08-01"):
        load_scenario(path)


def test_a_rate_over_365_a_year_is_refused_with_its_date(tmp_path: Path):
    path = tmp_path / "scenario.toml"
    path.write_text(SCENARIO
                    .replace("2018-10-01 = 1.0", "2018-10-01 = 400.0"))
    with pytest.raises(ScenarioError, match="2018-10-01"):
        load_scenario(path)


def test_pieces_start_at_zero_and_follow_the_dates():
    start = dt.date(2020, 1, 1)
    assert pieces({dt.date(2019, 1, 1): 2.0, dt.date(2020, 3, 1): 1.0}, start, 100) == [
        (0, 2.0), (60, 1.0)]
    assert pieces({dt.date(2021, 1, 1): 2.0}, start, 100) == [(0, 0.0)]


@given(rates=st.lists(st.floats(0.0, 50.0), min_size=1, max_size=5),
       gaps=st.lists(st.integers(1, 200), min_size=5, max_size=5),
       u=st.floats(1e-12, 1 - 1e-12))
def test_event_times_fall_inside_the_run_and_never_where_the_rate_is_zero(rates, gaps, u):
    start = dt.date(2020, 1, 1)
    dates, day = {}, 0
    for rate, gap in zip(rates, gaps, strict=False):
        dates[start + dt.timedelta(days=day)] = rate
        day += gap
    days = day + 10
    timeline = build_timeline([dates], start, days)
    time = event_time(timeline.start, timeline.share, timeline.pieces, 0, u, float(days))
    assert 0.0 <= time < days
    if timeline.mean_per_day[0] > 0:
        cut = pieces(dates, start, days)
        k = max(i for i, (first, _) in enumerate(cut) if first <= int(time))
        assert cut[k][1] > 0  # an event never falls in a piece with rate 0
