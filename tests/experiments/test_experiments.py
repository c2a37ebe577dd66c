"""Experiments: located errors, paired seeds, the numbers of a plain run, resume and workers."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import scorelab
from scorelab.cli import app
from scorelab.experiments import load_experiment
from scorelab.experiments._measures import measure

INVALID = sorted((Path(__file__).parent / "invalid").glob("*.toml"))
ROOT = Path(__file__).resolve().parents[2]

GRID = """
[experiment]
name = "grid"
policy = "jaywalking-shaming"
scenario = "cameras-2018"
citizens = 3000
days = 60
replicates = 2
seed = 5
design = "grid"
outputs = ["shamed", "wrongful_shamed", "records", "share_grade_none",
           "ratio:shamed:sex:male/female"]
series = ["shamed", "mean_score"]

[[factor]]
path = "scenario.cameras.count"
values = [176_000_000, 600_000_000]
"""

SOBOL = """
[experiment]
name = "sobol"
policy = "jaywalking-shaming"
citizens = 2000
days = 60
replicates = 1
seed = 9
design = "sobol"
samples = 8
outputs = ["shamed"]

[[factor]]
path = "scenario.cameras.count"
range = [50_000_000, 600_000_000]

[[factor]]
path = "scenario.behaviours.fraud.rate_per_year"
range = [0.001, 0.05]
"""


def _write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _expected(path: Path) -> str:
    line, rest = path.read_text().splitlines()[0].removeprefix("# error: line ").split(": ", 1)
    return f"{path}:{line}: {rest}"


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_a_bad_experiment_file_gets_its_located_error(path):
    with pytest.raises(scorelab.ExperimentError) as caught:
        load_experiment(path)
    assert _expected(path) in str(caught.value)


def test_the_cli_prints_the_error_on_one_line(tmp_path):
    result = CliRunner().invoke(app, ["experiment", str(INVALID[0]), "--out",
                                      str(tmp_path / "e")])
    assert result.exit_code == 2
    assert _expected(INVALID[0]) in result.output
    assert "Traceback" not in result.output


def test_a_grid_point_gives_the_numbers_of_the_same_plain_run(tmp_path):
    found = scorelab.experiment(_write(tmp_path, GRID), out=tmp_path / "exp")
    results = found.results
    assert results.height == 4  # 2 points x 2 replicates
    seeds = results.group_by("replicate").agg(pl.col("seed").n_unique())["seed"].to_list()
    assert seeds == [1, 1]  # common random numbers: a replicate's seed at every point
    design = found.table("design")
    row = results.filter((pl.col("point") == 1) & (pl.col("replicate") == 1)).row(0, named=True)
    scenario = tmp_path / "cameras-600m.toml"
    text = (ROOT / "scenarios" / "cameras-2018.toml").read_text()
    scenario.write_text(text.replace("count = 176_000_000", "count = 600_000_000"))
    assert design.filter(pl.col("point") == 1)["scenario.cameras.count"][0] == 600_000_000
    plain = scorelab.run("jaywalking-shaming", scenario, citizens=3000, days=60,
                         seed=row["seed"], out=tmp_path / "plain", report=False)
    outputs = load_experiment(_write(tmp_path, GRID)).meta.outputs
    expected = measure(plain.folder, outputs)
    for name in outputs:
        assert row[name] == expected[name] or (math.isnan(row[name])
                                               and math.isnan(expected[name])), name
    summary = found.summary.filter((pl.col("point") == 1) & (pl.col("output") == "shamed"))
    values = results.filter(pl.col("point") == 1)["shamed"].to_numpy()
    assert summary["mean"][0] == pytest.approx(values.mean())
    assert summary["n"][0] == 2


def test_daily_bands_end_where_the_totals_do(tmp_path):
    found = scorelab.experiment(_write(tmp_path, GRID), out=tmp_path / "exp")
    bands = found.table("series")
    assert set(bands["series"]) == {"shamed", "mean_score"}
    assert bands.filter(pl.col("point") == 0)["day"].n_unique() == 60
    assert (bands["p05"] <= bands["p50"]).all() and (bands["p50"] <= bands["p95"]).all()
    last = bands.filter((pl.col("series") == "shamed") & (pl.col("day") == 59))
    totals = found.results.group_by("point").agg(pl.col("shamed").median()).sort("point")
    assert last.sort("point")["p50"].to_list() == totals["shamed"].to_list()


def test_a_factor_no_rule_reads_has_no_effect_and_the_driver_ranks_first(tmp_path):
    found = scorelab.experiment(_write(tmp_path, SOBOL), out=tmp_path / "exp")
    indices = found.sensitivity.filter(pl.col("output") == "shamed")
    by_factor = {row["factor"]: row for row in indices.iter_rows(named=True)}
    fraud = by_factor["scenario.behaviours.fraud.rate_per_year"]
    cameras = by_factor["scenario.cameras.count"]
    # fraud is neither shamed nor shares a draw with jaywalking: exactly no effect
    assert abs(fraud["ST"]) <= fraud["ST_conf"] + 1e-12
    assert cameras["ST"] > fraud["ST"]
    assert found.results.height == 8 * (2 + 2)


def test_worker_count_and_a_stop_change_no_result(tmp_path):
    path = _write(tmp_path, GRID)
    one = scorelab.experiment(path, out=tmp_path / "one").results
    two = scorelab.experiment(path, out=tmp_path / "two", workers=2).results

    def stop_after_two(event):
        if event.done == 2:
            raise KeyboardInterrupt

    with pytest.raises(scorelab.RunInterruptedError) as caught:
        scorelab.experiment(path, out=tmp_path / "stopped", progress=stop_after_two)
    assert "--resume" in str(caught.value)
    assert not (tmp_path / "stopped").exists()  # nothing half-published
    resumed = scorelab.experiment(resume=tmp_path / "stopped").results
    for other in (two, resumed):
        assert other.equals(one)


def test_an_edited_experiment_file_is_refused_on_resume(tmp_path):
    path = _write(tmp_path, GRID)

    def stop(event):
        raise KeyboardInterrupt

    with pytest.raises(scorelab.RunInterruptedError):
        scorelab.experiment(path, out=tmp_path / "e", progress=stop)
    path.write_text(GRID.replace("replicates = 2", "replicates = 3"))
    with pytest.raises(scorelab.RunRefusedError, match="changed"):
        scorelab.experiment(resume=tmp_path / "e")


SHIPPED = sorted((ROOT / "experiments").glob("*.toml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_a_shipped_experiment_runs_small_and_cites_its_sources(path, tmp_path):
    loaded = load_experiment(path)
    assert loaded.meta.sources, "a shipped experiment cites its sources"
    found = scorelab.experiment(path, out=tmp_path / path.stem, citizens=1500, days=30,
                                replicates=1, samples=2)
    assert found.results.height == 2 * (len(loaded.factors) + 2)
    assert set(found.sensitivity["factor"]) == {f.path for f in loaded.factors}
    assert np.isfinite(found.summary["mean"].drop_nans().to_numpy()).all()
    assert (found.folder / "report.html").is_file()


def test_the_three_shipped_experiments_are_there():
    assert [p.stem for p in SHIPPED] == ["cameras-false-match", "court-list-flights",
                                         "rongcheng-points"]


def test_share_below_a_grade_and_scaled_counts_read_the_run(tmp_path):
    run = scorelab.run("court-list", "china-court-list", citizens=5000, days=400, seed=3,
                       out=tmp_path / "run", report=False)
    summary = run.summary()
    found = measure(run.folder, ("scaled:denials_flight", "denials_flight", "share_below_none",
                                 "scaled:listed_court", "listed_court"))
    weight = 1_411_778_724 / 5000  # [scenario] represents over the citizens simulated
    assert found["scaled:denials_flight"] == pytest.approx(found["denials_flight"] * weight)
    assert found["scaled:listed_court"] == pytest.approx(summary["listed_court"] * weight)
    assert found["share_below_none"] == 0.0  # the only grade: nobody below it
    rongcheng = scorelab.run("rongcheng", citizens=3000, days=365, seed=4,
                             out=tmp_path / "rc", report=False)
    totals = rongcheng.summary()
    below = measure(rongcheng.folder, ("share_below_A", "share_below_AAA", "scaled:records"))
    assert below["share_below_A"] == pytest.approx(
        sum(totals[f"grade_{g}"] for g in "BCD") / 3000)
    assert below["share_below_AAA"] == pytest.approx(1 - totals["grade_AAA"] / 3000)
    assert below["scaled:records"] == totals["records"]  # no represents: weight 1


def test_list_outputs_prints_the_catalogue():
    result = CliRunner().invoke(app, ["experiment", "--list-outputs"])
    assert result.exit_code == 0
    assert "wrongful_shamed" in result.output and "ratio:" in result.output


def test_an_experiment_too_long_for_this_machine_is_refused_with_its_numbers(tmp_path):
    text = GRID.replace("citizens = 3000", "citizens = 10_000_000").replace(
        "days = 60", "days = 3650").replace("replicates = 2", "replicates = 10_000")
    with pytest.raises(scorelab.RunRefusedError, match=r"20,000 simulations"):
        scorelab.experiment(_write(tmp_path, text), out=tmp_path / "big")
    assert not any(tmp_path.glob(".big*"))  # refused before anything was written


POISSON_WORLD = """
[scenario]
name = "one behaviour, the same for everyone"
citizens = 2000
days = 120
seed = 1
[behaviours.jaywalking]
rate_per_year = 1.5
min_age = 0
urban_multiplier = 1.0
elderly_multiplier = 1.0
elasticity = 0.0
observed_by = { camera = 1.0 }
"""


def test_a_poisson_count_varies_over_replicates_as_much_as_its_mean(tmp_path):
    # everyone jaywalks at one rate and nothing deters them: a replicate's total is
    # Poisson, so its variance over replicates is its mean, within sampling error
    (tmp_path / "world.toml").write_text(POISSON_WORLD)
    text = GRID.replace('scenario = "cameras-2018"', 'scenario = "world.toml"').replace(
        "replicates = 2", "replicates = 60").replace('policy = "jaywalking-shaming"',
                                                    'policy = "rewards-only"').replace(
        "values = [176_000_000, 600_000_000]", "values = [176_000_000]")
    old_outputs = ('outputs = ["shamed", "wrongful_shamed", "records", "share_grade_none",\n'
                   '           "ratio:shamed:sex:male/female"]')
    text = text.replace(old_outputs, 'outputs = ["acts_jaywalking"]')
    text = text.replace('series = ["shamed", "mean_score"]\n', "")
    counts = scorelab.experiment(_write(tmp_path, text), out=tmp_path / "e").results[
        "acts_jaywalking"].to_numpy()
    assert counts.size == 60
    dispersion = counts.var(ddof=1) / counts.mean()
    assert 0.55 < dispersion < 1.6  # about 2.5 standard errors (sqrt(2 / 59) = 0.18) either way


def test_deterrence_compares_acts_with_the_world_under_no_policy(tmp_path):
    text = GRID.replace('outputs = ["shamed", "wrongful_shamed", "records", "share_grade_none",\n'
                        '           "ratio:shamed:sex:male/female"]',
                        'outputs = ["deterrence", "deterrence_jaywalking", "acts_jaywalking"]')
    assert "deterrence_jaywalking" in text
    found = scorelab.experiment(_write(tmp_path, text), out=tmp_path / "exp")
    row = found.results.filter((pl.col("point") == 0) & (pl.col("replicate") == 0)).row(
        0, named=True)
    plain = scorelab.run("jaywalking-shaming", "cameras-2018", citizens=3000, days=60,
                         seed=row["seed"], out=tmp_path / "plain", report=False, baseline=True)
    everyone = pl.read_parquet(plain.folder / "daily.parquet").filter(
        pl.col("dimension") == "all")
    without = pl.read_parquet(plain.folder / "baseline.parquet").filter(
        pl.col("dimension") == "all")
    acts = [c for c in everyone.columns if c.startswith("acts_")]
    assert row["acts_jaywalking"] == everyone["acts_jaywalking"].sum()
    assert row["deterrence_jaywalking"] == 1 - (everyone["acts_jaywalking"].sum()
                                                / without["acts_jaywalking"].sum())
    assert row["deterrence"] == pytest.approx(
        1 - everyone.select(acts).sum().sum_horizontal()[0]
        / without.select(acts).sum().sum_horizontal()[0])
    assert row["deterrence_jaywalking"] > 0  # shaming jaywalkers deters some jaywalking


def test_a_resume_clears_a_simulation_cut_off_before_the_runner_marked_its_folder(tmp_path):
    path = _write(tmp_path, GRID)

    def stop_after_one(event):
        if event.done == 1:
            raise KeyboardInterrupt

    with pytest.raises(scorelab.RunInterruptedError):
        scorelab.experiment(path, out=tmp_path / "e", progress=stop_after_one)
    staging = tmp_path / ".e.partial"
    # what kill -9 can leave: the runner's staging folder, made but not yet marked as its
    (staging / "scratch" / ".sim-000003.partial").mkdir(parents=True)
    (staging / "scratch" / ".sim-000003.partial" / "daily.parquet.tmp").write_bytes(b"half")
    resumed = scorelab.experiment(resume=tmp_path / "e").results
    assert resumed.equals(scorelab.experiment(path, out=tmp_path / "whole").results)
