"""Targets, free parameters and scenario rewriting: each misuse says what to do instead."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import scorelab
from scorelab.calibration import METRICS, TargetsError, load_targets
from scorelab.calibration._metrics import DailySeries
from scorelab.calibration._scenario_text import set_keys
from scorelab.world import load_scenario

from .conftest import tiny_scenario


def _targets(tmp_path, text):
    path = tmp_path / "targets.csv"
    path.write_text(text)
    return path


def test_shipped_targets_are_valid_and_cite_sources():
    rows = load_targets("data/targets/court-list-2014-2018.csv")
    assert len(rows) == 11
    assert all(r.source for r in rows)
    assert {r.metric for r in rows} <= set(METRICS)


@pytest.mark.parametrize(("row", "key", "message"), [
    ("2018-13-01,people_listed,5", "date", "is not a date"),
    ("2018-01-01,people_banned,5", "metric", "unknown metric"),
    ("2018-01-01,people_listed,-5", "value", "positive number"),
    ("2018-01-01,people_listed,5,maybe", "bound", "expected one of equal"),
])
def test_an_invalid_target_row_names_its_line_and_column(tmp_path, row, key, message):
    path = _targets(tmp_path, f"date,metric,value,bound\n2018-01-01,people_listed,5,\n{row}\n")
    with pytest.raises(TargetsError, match=message) as caught:
        load_targets(path)
    assert caught.value.line == 3
    assert caught.value.key == key


def test_targets_need_the_three_columns(tmp_path):
    with pytest.raises(TargetsError, match="date,metric,value"):
        load_targets(_targets(tmp_path, "day,metric,value\n"))


def test_a_target_after_the_last_simulated_day_is_refused(tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text(tiny_scenario(0.02, 2.0))
    targets = _targets(tmp_path, "date,metric,value\n2030-01-01,people_listed,5\n")
    with pytest.raises(TargetsError, match="after the scenario's last day"):
        scorelab.calibrate(scenario, targets=targets, out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_scenario_without_free_parameters_cannot_be_calibrated(tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text(tiny_scenario(0.02, 2.0, calibration=False))
    targets = _targets(tmp_path, "date,metric,value\n2018-06-01,people_listed,5\n")
    with pytest.raises(scorelab.ScenarioError, match=r"no \[calibration\] table"):
        scorelab.calibrate(scenario, targets=targets, out=tmp_path / "out")


@pytest.mark.parametrize(("key", "low", "high", "message"), [
    ("behaviours.judgment_default.min_age", 1, 5, "not a real-valued key"),
    ("behaviours.no_such_thing.rate_per_year", 0.1, 1, "not a real-valued key"),
    ("scenario.represents", 1, 5, "not a real-valued key"),
    ("compliance.rate_per_year", 2, 1, "low must be below high"),
    ("compliance.rate_per_year", 0, 1, "needs low > 0"),
])
def test_an_invalid_free_parameter_is_located(tmp_path, key, low, high, message):
    path = tmp_path / "s.toml"
    path.write_text('[scenario]\nname = "x"\n\n[[calibration.parameters]]\n'
                    f'key = "{key}"\nlow = {low}\nhigh = {high}\n')
    with pytest.raises(scorelab.ScenarioError, match=message) as caught:
        load_scenario(path)
    assert caught.value.line in (4, 5)


def test_set_keys_keeps_comments_and_adds_missing_keys():
    text = ('# head\n[compliance]\n# cited\nrate_per_year = 0.27  # facts 3\n'
            '[scenario]\nname = "x"\n')
    out = set_keys(text, {"compliance.rate_per_year": 0.5, "compliance.blocked_multiplier": 2.0,
                          "services.train.attempts_per_year": 1.25})
    assert "rate_per_year = 0.5  # facts 3" in out
    assert "[compliance]\nblocked_multiplier = 2.0\n" in out
    assert out.endswith("[services.train]\nattempts_per_year = 1.25\n")
    assert out.startswith("# head\n")


def test_set_keys_refuses_a_key_it_cannot_rewrite():
    with pytest.raises(ValueError, match="under its own table header"):
        set_keys("[services]\ntrain = { attempts_per_year = 2.4 }\n",
                 {"services.train.attempts_per_year": 1.0})


def test_metrics_are_zero_before_the_start_and_count_twelve_months_in_year():
    days = 800
    series = DailySeries(start=dt.date(2018, 1, 1), list_name="court", columns={
        "complied": np.ones(days, np.int64), "listed_court": np.arange(days)})
    assert series.value("complied_cumulative", dt.date(2017, 12, 31)) == 0
    assert series.value("complied_cumulative", dt.date(2018, 1, 1)) == 1
    assert series.value("complied_in_year", dt.date(2019, 12, 31)) == 365
    assert series.value("people_listed", dt.date(2018, 1, 3)) == 2
    with pytest.raises(ValueError, match="after the simulation's last day"):
        series.value("complied_cumulative", dt.date(2030, 1, 1))
