"""An experiment's report.html and differences.parquet: paired, complete, drawn in Chromium."""

from __future__ import annotations

import json
import math

import polars as pl
import pytest
from typer.testing import CliRunner

import scorelab
from scorelab.audit import paired_difference
from scorelab.cli import app
from scorelab.reporting import write_experiment_report

from ..reporting.test_browser import browser, is_png, look_at  # noqa: F401

SOBOL = """
[experiment]
name = "report"
description = "a small Sobol experiment for the report tests"
policy = "jaywalking-shaming"
scenario = "cameras-2018"
citizens = 1500
days = 40
replicates = 2
seed = 3
design = "sobol"
samples = 2
outputs = ["shamed", "records", "ratio:shamed:sex:male/female"]
series = ["shamed", "mean_score"]
sources = ["a test"]

[[factor]]
path = "scenario.cameras.count"
range = [100_000_000, 600_000_000]

[[factor]]
path = "scenario.behaviours.jaywalking.rate_per_year"
range = [1.0, 6.0]
"""


@pytest.fixture(scope="module")
def sobol_experiment(tmp_path_factory) -> scorelab.ExperimentResult:
    folder = tmp_path_factory.mktemp("experiment-report")
    path = folder / "report.toml"
    path.write_text(SOBOL)
    return scorelab.experiment(path, out=folder / "exp")


def test_the_differences_are_each_point_against_point_0_on_common_seeds(sobol_experiment):
    results = sobol_experiment.results
    differences = sobol_experiment.table("differences")
    points = results["point"].n_unique()
    assert differences.height == (points - 1) * 3
    row = differences.filter((pl.col("output") == "shamed") & (pl.col("point") == 3)).row(
        0, named=True)
    a = results.filter(pl.col("point") == 0).sort("replicate")["shamed"].to_numpy()
    b = results.filter(pl.col("point") == 3).sort("replicate")["shamed"].to_numpy()
    expected = paired_difference(a, b)
    assert (row["mean"], row["low"], row["high"], row["share_above"], row["n"]) == (
        expected.mean, expected.low, expected.high, expected.share_b_above, expected.n)


def test_the_report_is_listed_in_the_manifest_and_names_the_drivers(sobol_experiment):
    manifest = (sobol_experiment.folder / "manifest.json").read_text()
    assert '"report.html"' in manifest and '"differences.parquet"' in manifest
    html = (sobol_experiment.folder / "report.html").read_text()
    for heading in ("What drives each output", "Each output against each factor", "Over time",
                    "Paired differences against point 0"):
        assert heading in html
    assert "scenario.cameras.count" in html and "a test" in html
    assert "https://" not in html.split("<main>")[1]  # nothing fetched: offline


def test_scorelab_report_writes_an_experiment_report_again(sobol_experiment):
    page = sobol_experiment.folder / "report.html"
    before = page.read_bytes()
    page.unlink()
    result = CliRunner().invoke(app, ["report", str(sobol_experiment.folder)])
    assert result.exit_code == 0, result.output
    assert page.read_bytes() == before


def test_the_experiment_report_opens_with_every_plot_drawn(browser, sobol_experiment,  # noqa: F811
                                                           tmp_path):
    shot = tmp_path / "experiment.png"
    problems, drawn = look_at(browser, sobol_experiment.folder / "report.html", shot)
    assert problems == []
    # 3 outputs: drivers 3, against 2 factors 6, bands 2, differences 3
    assert len(drawn) == 14 and all(drawn), drawn
    assert is_png(shot)


def test_one_replicate_writes_differences_without_intervals(tmp_path):
    path = tmp_path / "one.toml"
    path.write_text(SOBOL.replace("replicates = 2", "replicates = 1"))
    found = scorelab.experiment(path, out=tmp_path / "exp")
    differences = found.table("differences")
    assert differences["n"].unique().to_list() == [1]
    assert all(math.isnan(v) for v in differences["low"])
    assert "no interval" in (found.folder / "report.html").read_text()


def test_the_report_needs_no_file_beyond_the_folder(sobol_experiment, tmp_path):
    moved = tmp_path / "moved"
    moved.mkdir()
    for name in ("design", "results", "summary", "series", "sensitivity"):
        (moved / f"{name}.parquet").write_bytes(
            (sobol_experiment.folder / f"{name}.parquet").read_bytes())
    manifest = json.loads((sobol_experiment.folder / "manifest.json").read_text())
    write_experiment_report(moved, manifest)
    assert (moved / "report.html").read_bytes() == (
        sobol_experiment.folder / "report.html").read_bytes()
