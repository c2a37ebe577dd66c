"""`scorelab calibrate` through typer's runner, and the shipped national scenario."""

from __future__ import annotations

import polars as pl
from typer.testing import CliRunner

import scorelab
from scorelab.cli import app
from scorelab.world import load_scenario

from ..conftest import ROOT

runner = CliRunner()
SHIPPED = ROOT / "scenarios" / "china-court-list.toml"


def test_calibrate_command_prints_the_fit_table(tiny_case, tmp_path):
    start, targets = tiny_case
    result = runner.invoke(app, ["calibrate", str(start), "--targets", str(targets),
                                 "--out", str(tmp_path / "fit"), "--max-evaluations", "3",
                                 "--replicates", "2"])
    assert result.exit_code == 0, result.output
    assert "3 simulations" in result.output
    # after the search: one step per parameter, then the band, each named in progress
    assert "curvature simulation 2/2" in result.output
    assert "band simulation 2/2" in result.output
    assert "90% band" in result.output
    assert "flights_blocked_cumulative" in result.output
    assert (tmp_path / "fit" / "forecast.csv").is_file()


def test_calibrate_command_refuses_a_non_empty_folder(tiny_case, tmp_path):
    start, targets = tiny_case
    (tmp_path / "keep.txt").write_text("mine")
    result = runner.invoke(app, ["calibrate", str(start), "--targets", str(targets),
                                 "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "--force" in result.output
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_shipped_scenario_stands_for_the_2020_census_from_the_list_launch():
    scenario = load_scenario(SHIPPED).scenario
    assert scenario.scenario.represents == 1_411_778_724
    assert scenario.scenario.start_date.isoformat() == "2013-10-01"
    assert scenario.calibration is not None
    assert scenario.calibration.policy == "court-list"
    keys = [p.key for p in scenario.calibration.parameters]
    assert len(keys) == 8
    # the list's launch, the 2016 joint sanctions and 2018 are steps of a dated rate
    assert [k for k in keys if "judgment_default" in k] == [
        f"behaviours.judgment_default.rate_per_year.{d}"
        for d in ("2013-10-01", "2016-01-01", "2018-01-01")]
    steps = scenario.behaviours["judgment_default"].rate_per_year
    assert sorted(d.isoformat() for d in steps) == ["2013-10-01", "2016-01-01", "2018-01-01"]


def test_shipped_scenario_smoke_run(tmp_path):
    targets = tmp_path / "targets.csv"
    targets.write_text("date,metric,value\n2018-12-31,people_listed_cumulative,13000000\n")
    result = scorelab.calibrate("china-court-list", targets=targets, out=tmp_path / "fit",
                                citizens=3000, seed=3, max_evaluations=1, replicates=2)
    forecast = pl.read_csv(tmp_path / "fit" / "forecast.csv", try_parse_dates=True)
    assert forecast["date"].min().isoformat() == "2013-01-31"
    assert forecast["date"].max().isoformat() == "2020-12-31"
    before_launch = forecast.filter(pl.col("date") < pl.date(2013, 10, 1))
    assert (before_launch.select("value", "lower", "upper") == 0).to_numpy().all()
    assert result.fit[0].simulated > 0


def test_public_function_mirrors_the_command():
    import inspect

    keywords = set(inspect.signature(scorelab.calibrate).parameters)
    assert {"scenario", "targets", "out", "policy", "citizens", "seed", "max_evaluations",
            "replicates", "workers", "force"} <= keywords
