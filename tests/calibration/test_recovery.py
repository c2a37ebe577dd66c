"""Calibrating a tiny world against its own figures recovers its true parameters."""

from __future__ import annotations

import csv
import tomllib

import pytest

import scorelab
from scorelab.calibration import FORECAST_METRICS

from .conftest import TARGET_DATES, TARGET_METRICS, TRUE


@pytest.fixture(scope="module")
def calibrated(tiny_case, tmp_path_factory):
    start, targets = tiny_case
    out = tmp_path_factory.mktemp("calibrated") / "fit"
    return scorelab.calibrate(start, targets=targets, out=out)


def test_calibration_recovers_the_true_parameters(calibrated):
    for key, true in TRUE.items():
        assert calibrated.parameters[key] == pytest.approx(true, rel=0.1), key
    assert calibrated.objective < 0.01 < calibrated.start_objective
    assert calibrated.evaluations <= 40


def test_fit_table_puts_each_target_beside_its_simulation(calibrated):
    rows = list(csv.DictReader((calibrated.folder / "fit.csv").read_text().splitlines()))
    assert len(rows) == len(TARGET_DATES) * len(TARGET_METRICS)
    for row in rows:
        assert float(row["ratio"]) == pytest.approx(1.0, abs=0.1)
        assert float(row["simulated"]) % 1000 == 0  # scaled by represents / citizens


def test_fitted_scenario_holds_the_fitted_values_and_keeps_comments(calibrated):
    text = calibrated.scenario.read_text()
    assert text.startswith("# Fitted by `scorelab calibrate`")
    assert "# a made-up rate" in text
    data = tomllib.loads(text)
    for key, value in calibrated.parameters.items():
        node = data
        for part in key.split("."):
            node = node[part]
        assert node == value


def test_forecast_has_every_month_end_of_every_metric(calibrated):
    rows = list(csv.DictReader((calibrated.folder / "forecast.csv").read_text().splitlines()))
    assert list(rows[0]) == ["date", "metric", "value", "lower", "upper"]
    assert all(int(r["lower"]) <= int(r["upper"]) for r in rows)
    assert {r["metric"] for r in rows} == set(FORECAST_METRICS)
    assert len(rows) == 24 * len(FORECAST_METRICS)
    cumulative = [float(r["value"]) for r in rows if r["metric"] == "people_listed_cumulative"]
    assert cumulative == sorted(cumulative)


def test_fit_page_is_self_contained(calibrated):
    page = (calibrated.folder / "fit.html").read_text()
    assert "plotly" in page and "<script src=" not in page.replace("<script src=\"data:", "")
    assert "flights_blocked_cumulative" in page
