"""``scorelab compare A B --replicates R``: both runs' inputs again on R common seeds.

Small runs (2,000 citizens, 60 days, three seeds): the harsh camera policy, the
same policy on another seed, and a stricter one that lists at a score below 95
instead of 80. Replicate r of both runs is seed ``replicate_seed(A's seed, r)``.
"""

from __future__ import annotations

import html
import math
import os
import signal
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import scorelab
from scorelab._errors import RunInterruptedError, RunRefusedError
from scorelab._owned import write_marker
from scorelab._seeds import replicate_seed
from scorelab.audit import compare_runs, paired_difference
from scorelab.cli import app
from scorelab.reporting import ComparisonProgress
from scorelab.reporting._replicates import KIND, scratch_of

from ..audit.conftest import HARSH_POLICY, MANY_CAMERAS

CITIZENS, DAYS, SEEDS = 2_000, 60, 3
LISTED = "on the list 'blacklist' at the end"
runner = CliRunner()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Run folders: ``harsh`` (seed 1), ``harsh-again`` (seed 2), ``stricter`` (seed 1)."""
    folder = tmp_path_factory.mktemp("replicates")
    stricter = folder / "stricter.toml"
    stricter.write_text(HARSH_POLICY.read_text().replace("entry_when = 'score < 80'",
                                                        "entry_when = 'score < 95'"))
    made = {}
    for name, policy, seed in (("harsh", HARSH_POLICY, 1), ("harsh-again", HARSH_POLICY, 2),
                               ("stricter", stricter, 1)):
        made[name] = scorelab.run(policy, MANY_CAMERAS, citizens=CITIZENS, days=DAYS,
                                  seed=seed, out=folder / "runs" / name).folder
    return made


@pytest.fixture(scope="module")
def stricter(runs, tmp_path_factory) -> scorelab.Comparison:
    """The harsh policy (A) against the stricter one (B), over three seeds."""
    page = tmp_path_factory.mktemp("pages") / "stricter.html"
    return scorelab.compare(runs["harsh"], runs["stricter"], out=page, replicates=SEEDS)


def test_replicated_differences_are_the_paired_differences_of_each_seeds_runs(
        runs, stricter, tmp_path):
    seeds = tuple(replicate_seed(1, r) for r in range(SEEDS))
    assert stricter.seeds == seeds
    per_seed = []
    for r, seed in enumerate(seeds):  # the seeds run by hand, compared as two plain runs
        a = scorelab.run(HARSH_POLICY, MANY_CAMERAS, citizens=CITIZENS, days=DAYS, seed=seed,
                         out=tmp_path / f"a{r}", report=False)
        b = scorelab.run(runs["stricter"] / "policy.toml", MANY_CAMERAS, citizens=CITIZENS,
                         days=DAYS, seed=seed, out=tmp_path / f"b{r}", report=False)
        per_seed.append(compare_runs(a.folder, b.folder))
    for measure in (LISTED, "records", "mean score at the end", "people denied a service"):
        a_values = np.array([c.row(measure).a for c in per_seed])
        b_values = np.array([c.row(measure).b for c in per_seed])
        row = stricter.replicated_row(measure)
        assert row.a_values == tuple(a_values) and row.b_values == tuple(b_values), measure
        assert row.difference == paired_difference(a_values, b_values), measure
    assert {r.measure for r in stricter.replicated} >= {r.measure for r in per_seed[0].rows}


def test_identical_inputs_on_common_seeds_differ_by_exactly_zero(runs, tmp_path):
    comparison = scorelab.compare(runs["harsh"], runs["harsh-again"], out=tmp_path / "c.html",
                                  replicates=SEEDS)
    assert comparison.differences()  # the runs themselves differ: their seeds do
    assert comparison.replicated_differences() == []
    measured = [r for r in comparison.replicated if r.difference.n > 0]
    assert len(measured) > 30
    for row in measured:
        assert repr(row.a_values) == repr(row.b_values), row.measure  # nan where both are
        assert (row.difference.mean, row.difference.low, row.difference.high) == (0, 0, 0)
        assert row.difference.share_b_above == 0


def test_a_stricter_threshold_lists_more_people_beyond_seed_noise(stricter):
    listed = stricter.replicated_row(LISTED)
    assert listed.difference.n == SEEDS
    assert listed.difference.low > 0 and listed.difference.excludes_zero
    assert listed.difference.share_b_above == 1.0
    assert listed.b - listed.a == pytest.approx(listed.difference.mean)
    denied = stricter.replicated_row("people denied a service")
    assert denied.difference.low > 0  # the list bans trains and flights


def test_the_page_shows_the_seeds_table_and_the_chart_of_differences(stricter):
    page = stricter.out.read_text()
    seeds = page[page.index('<section id="seeds">'):page.index('<section id="charts">')]
    assert "<h2>Over 3 seeds</h2>" in seeds and "95% interval" in seeds
    # the list's row is marked: its interval excludes 0
    assert f'<tr class="flagged"><td>lists</td><td>{html.escape(LISTED)}</td>' in seeds
    assert 'id="plot-seeds-share"' in seeds and 'id="plot-seeds-per-100k"' in seeds


def test_the_command_prints_each_difference_with_its_interval(runs, tmp_path):
    page = tmp_path / "c.html"
    result = runner.invoke(app, ["compare", str(runs["harsh"]), str(runs["stricter"]),
                                 "--replicates", "2", "--out", str(page)],
                           env={"COLUMNS": "220"})
    assert result.exit_code == 0, result.output
    assert "measures that differ over 2 common seeds" in result.output
    assert "95% interval" in result.output
    listed = next(line for line in result.output.splitlines() if LISTED in line)
    assert " * " in listed  # its interval excludes 0
    assert page.is_file()


def test_workers_do_not_change_the_differences(runs, stricter, tmp_path):
    pooled = scorelab.compare(runs["harsh"], runs["stricter"], out=tmp_path / "c.html",
                              replicates=SEEDS, workers=2)
    assert repr(pooled.replicated) == repr(stricter.replicated)  # floats exactly; nan too


def test_one_replicate_is_refused_in_one_line(runs, tmp_path):
    page = tmp_path / "c.html"
    with pytest.raises(RunRefusedError, match="at least 2, got 1: a 95% interval needs two"):
        scorelab.compare(runs["harsh"], runs["stricter"], out=page, replicates=1)
    result = runner.invoke(app, ["compare", str(runs["harsh"]), str(runs["stricter"]),
                                 "--replicates", "1", "--out", str(page)])
    assert result.exit_code == 2
    assert result.output.startswith("error: --replicates must be at least 2, got 1")
    assert result.output.count("\n") == 1, result.output
    assert list(tmp_path.iterdir()) == []


def _entries(folder: Path) -> set[str]:
    return {entry.name for entry in folder.iterdir()}


def test_nothing_is_left_beside_the_page(runs, tmp_path):
    progress: list[ComparisonProgress] = []
    scorelab.compare(runs["harsh"], runs["stricter"], out=tmp_path / "c.html", replicates=2,
                     progress=progress.append)
    assert _entries(tmp_path) == {"c.html"}
    assert progress[-1] == ComparisonProgress(4, 4) and len(progress) == 4


@pytest.mark.parametrize("workers", [1, 2])
def test_an_interruption_leaves_nothing(runs, tmp_path, workers):
    def stop(event: ComparisonProgress) -> None:
        if event.done == 1:
            assert scratch_of(tmp_path / "c.html").is_dir()
            raise KeyboardInterrupt

    with pytest.raises(RunInterruptedError, match="1 of 6 simulations were done") as stopped:
        scorelab.compare(runs["harsh"], runs["stricter"], out=tmp_path / "c.html",
                         replicates=SEEDS, workers=workers, progress=stop)
    assert stopped.value.exit_code == 130
    assert _entries(tmp_path) == set()


def test_sigterm_stops_it_and_leaves_nothing(runs, tmp_path):
    def terminate(event: ComparisonProgress) -> None:
        if event.done == 2:
            os.kill(os.getpid(), signal.SIGTERM)  # as a scheduler's time limit does

    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(RunInterruptedError, match="stopped by SIGTERM: 2 of 4") as stopped:
        scorelab.compare(runs["harsh"], runs["stricter"], out=tmp_path / "c.html",
                         replicates=2, progress=terminate)
    assert stopped.value.exit_code == 143
    assert _entries(tmp_path) == set()
    assert signal.getsignal(signal.SIGTERM) is before  # put back


def test_a_scratch_folder_left_by_a_killed_comparison_is_replaced(runs, tmp_path):
    scratch = scratch_of(tmp_path / "c.html")
    (scratch / "a-000").mkdir(parents=True)
    write_marker(scratch, KIND)
    scorelab.compare(runs["harsh"], runs["stricter"], out=tmp_path / "c.html", replicates=2)
    assert _entries(tmp_path) == {"c.html"}


def test_a_folder_scorelab_did_not_make_is_never_used_as_scratch(runs, tmp_path):
    scratch = scratch_of(tmp_path / "c.html")
    scratch.mkdir()
    (scratch / "notes.txt").write_text("mine")
    with pytest.raises(RunRefusedError, match="scorelab did not make it for a comparison"):
        scorelab.compare(runs["harsh"], runs["stricter"], out=tmp_path / "c.html",
                         replicates=2)
    assert (scratch / "notes.txt").read_text() == "mine"
    assert not (tmp_path / "c.html").exists()


def test_runs_of_different_sizes_compare_per_100k(runs, tmp_path):
    bigger = scorelab.run(runs["harsh"] / "policy.toml", MANY_CAMERAS, citizens=3_000,
                          days=DAYS, seed=1, out=tmp_path / "bigger").folder
    comparison = scorelab.compare(runs["harsh"], bigger, out=tmp_path / "c.html", replicates=2)
    records = comparison.replicated_row("records")
    assert records.difference.n == 2 and not math.isnan(records.difference.mean)


def test_a_comparison_of_more_than_a_week_is_refused_before_it_starts(runs, tmp_path,
                                                                       monkeypatch):
    def a_day_each(*args, **kwargs) -> scorelab.runner.Estimate:
        return scorelab.runner.Estimate(memory=1, disk=1, ledger_rows=0, seconds=86_400.0)

    monkeypatch.setattr(scorelab.runner, "estimate_run", a_day_each)
    with pytest.raises(RunRefusedError, match="comparison would take about 480 h .*20 simul"):
        scorelab.compare(runs["harsh"], runs["stricter"], out=tmp_path / "c.html",
                         replicates=10)
    assert _entries(tmp_path) == set()
