"""Sensors turn acts into records, with misses and false matches; shaming leaves a stigma."""

from __future__ import annotations

import pyarrow.compute as pc
import pytest

import scorelab

from ..conftest import POLICIES

SCENARIO = """
[scenario]
name = "cameras"
citizens = 20000
days = 180
seed = 5

[cameras]
count = 600_000_000
false_match_rate = {fpir}

[sensors.informant]
false_reports_per_year = {false_reports}

[sensors.platform]
false_reports_per_year = {false_reports}
"""


def _run(tmp_path, name, fpir, false_reports):
    scenario = tmp_path / f"{name}.toml"
    scenario.write_text(SCENARIO.format(fpir=fpir, false_reports=false_reports))
    return scorelab.run(POLICIES / "jaywalking-shaming.toml", scenario, out=tmp_path / name)


@pytest.fixture(scope="module")
def noisy(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("noisy"), "noisy", 0.05, 0.0)


def test_a_sensor_with_zero_false_match_rate_never_produces_a_wrongful_record(tmp_path):
    run = _run(tmp_path, "clean", 0.0, 0.0)
    assert pc.sum(run.citizens["wrongful_records"]).as_py() == 0
    assert pc.sum(run.citizens["records"]).as_py() > 0
    assert not pc.any(run.ledger["wrongful"]).as_py()


def test_false_matches_are_shamed_and_counted_as_wrongful(noisy):
    summary = noisy.summary()
    assert summary["wrongful_records"] > 0
    assert 0 < summary["wrongful_shamed"] < summary["shamed"]
    daily = noisy.daily.filter(pc.equal(noisy.daily["dimension"], "all"))
    assert pc.sum(daily["wrongful_records_by_camera"]).as_py() == summary["wrongful_records"]


def test_women_get_more_camera_false_matches_than_men(noisy):
    people = noisy.citizens
    rates = {}
    for sex in ("male", "female"):
        group = people.filter(pc.equal(people["sex"], sex))
        rates[sex] = pc.sum(group["wrongful_records"]).as_py() / group.num_rows
    assert rates["female"] > 1.5 * rates["male"]


def test_cameras_miss_acts(noisy):
    summary = noisy.summary()
    assert 0 < summary["unseen_acts"] < summary["acts"]


def test_shaming_leaves_people_stigmatized_for_a_while(noisy):
    daily = noisy.daily.filter(pc.equal(noisy.daily["dimension"], "all"))
    stigmatized = daily["stigmatized"].to_numpy()
    assert stigmatized.max() > 0
    assert stigmatized[-1] <= pc.sum(daily["shamed"]).as_py()
