"""Sizing a run before it starts, and the compact day matrices that travel from workers."""

from __future__ import annotations

import re
from collections import namedtuple

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import scorelab
from scorelab.engine._tables import score_bins
from scorelab.policy import load_policy
from scorelab.runner import _estimate, _runner
from scorelab.runner._columns import UsedColumns, dense, take_columns, used_columns
from scorelab.runner._estimate import GIB, daily_columns, estimate, refuse_if_too_big
from scorelab.runner._outputs import daily_table
from scorelab.runner._plan import plan_run
from scorelab.runner._request import RunRequest
from scorelab.world import load_scenario

from ..conftest import POLICIES, ROOT

#: Peak memory of `scorelab run rongcheng --citizens 1000 --days D` (report included),
#: measured under /usr/bin/time -v (docs/performance.md, "What a run is estimated to need").
MEASURED_PEAK_GIB = {3000: 2.55, 6000: 4.56, 9000: 6.60}
Usage = namedtuple("Usage", "total used free")


def _plan_of(policy: str = "court-list", scenario: str | None = "china-court-list", *,
             ledger_sample: float = 1.0, **sizes):
    loaded = load_policy(POLICIES / f"{policy}.toml")
    world = load_scenario(ROOT / "scenarios" / f"{scenario}.toml" if scenario else None,
                          **sizes)
    meta = world.scenario.scenario
    return plan_run(loaded, world, RunRequest(citizens=meta.citizens, days=meta.days,
                                              seed=meta.seed, ledger_sample=ledger_sample))


def _tables(ledger_sample: float = 1.0, **plan):
    return _plan_of(ledger_sample=ledger_sample, **plan).job.tables


def _gib(message: str) -> float:
    return float(re.search(r"needs about ([\d.]+) GiB", message).group(1))


@pytest.fixture
def machine(monkeypatch):
    """This machine as the estimate sees it, set by each test: memory, this process, disk."""
    def set_machine(*, memory_gib: float = 22.0, resident_gib: float = 0.0,
                    free_gib: float = 100.0) -> None:
        monkeypatch.setattr(_estimate, "available_memory", lambda: int(memory_gib * GIB))
        monkeypatch.setattr(_estimate, "resident_memory", lambda: int(resident_gib * GIB))
        monkeypatch.setattr(_estimate.shutil, "disk_usage",
                            lambda path: Usage(0, 0, int(free_gib * GIB)))
        monkeypatch.setattr(_estimate.os, "cpu_count", lambda: 2)

    return set_machine


def test_a_whole_country_run_without_citizen_rows_needs_little_disk():
    full = estimate(_tables(1.0), citizens=1_411_778_724, chunk_size=1 << 20, workers=2,
                    baseline=False)
    none = estimate(_tables(0.0), citizens=1_411_778_724, chunk_size=1 << 20, workers=2,
                    baseline=False)
    assert full.disk > 50 * 1024**3  # a row per citizen: tens of GiB
    assert none.disk < 2 * 1024**3  # the daily table only
    assert none.ledger_rows == 0


def test_a_century_of_days_is_refused_up_front_for_its_audit_and_report(machine, tmp_path,
                                                                       monkeypatch):
    # the run: estimated 13.1 GiB (the simulation only), then stopped in the audit
    # at 14.6 GB; measured at 3,000-9,000 days its peak grows 0.68 GiB per 1,000 days,
    # which makes 25.3 GiB at 36,600
    machine(memory_gib=22.0)

    def started(*args, **kwargs):
        raise AssertionError("the run was not refused: it would need 25 GiB")

    monkeypatch.setattr(_runner, "prepare_output", started)  # never let this one run
    out = tmp_path / "century"
    with pytest.raises(scorelab.RunRefusedError) as refused:
        scorelab.run("rongcheng", citizens=1000, days=36_600, out=out)
    message = str(refused.value)
    assert 25.0 <= _gib(message) <= 28.0, message
    assert "--no-report" in message and "--days" in message
    assert "--chunk-size" not in message and "--workers" not in message  # would not help
    assert not out.exists() and not list(tmp_path.iterdir())  # refused before any work


@pytest.mark.parametrize("days", sorted(MEASURED_PEAK_GIB))
def test_the_memory_estimate_covers_the_measured_peak_with_little_to_spare(days):
    need = estimate(_tables(scenario=None, policy="rongcheng", citizens=1000, days=days),
                    citizens=1000, chunk_size=1 << 20, workers=1, baseline=False)
    assert MEASURED_PEAK_GIB[days] <= need.memory / GIB <= 1.15 * MEASURED_PEAK_GIB[days]
    assert need.report_memory > need.simulate_memory  # the audit and report are the peak
    alone = estimate(_tables(scenario=None, policy="rongcheng", citizens=1000, days=days),
                     citizens=1000, chunk_size=1 << 20, workers=1, baseline=False,
                     report=False)
    assert alone.memory == alone.simulate_memory == need.simulate_memory


def test_a_small_run_fits_a_small_disk(machine, tmp_path):
    # 1,000 citizens over the court list's 2,649 days: 0.5 GB of day matrix in memory,
    # under 20 MB of files (the disk estimate used to count the matrix, and refused this)
    machine(free_gib=0.1)
    need = refuse_if_too_big(_tables(citizens=1000), citizens=1000, chunk_size=1 << 20,
                             workers=1, baseline=False, out=tmp_path / "run")
    assert need.disk < 0.05 * GIB


def test_disk_advice_suggests_a_ledger_sample_that_fits(machine, tmp_path):
    machine(free_gib=2.0)
    with pytest.raises(scorelab.RunRefusedError) as refused:
        refuse_if_too_big(_tables(1.0), citizens=100_000_000, chunk_size=1 << 20, workers=2,
                          baseline=False, out=tmp_path / "run")
    suggested = float(re.search(r"--ledger-sample ([\d.e-]+)", str(refused.value)).group(1))
    smaller = estimate(_tables(suggested), citizens=100_000_000, chunk_size=1 << 20,
                       workers=2, baseline=False)
    assert smaller.disk <= 0.9 * 2.0 * GIB, "the advice fits the disk"
    assert str(tmp_path) in str(refused.value)  # the filesystem that was checked


def test_disk_advice_without_a_ledger_names_days_and_out(machine, tmp_path):
    machine(free_gib=0.001)
    with pytest.raises(scorelab.RunRefusedError) as refused:
        refuse_if_too_big(_tables(0.0), citizens=1_000_000, chunk_size=1 << 20, workers=1,
                          baseline=False, out=tmp_path / "a" / "b" / "run")
    message = str(refused.value)
    assert "--ledger-sample" not in message, "the ledger is already off"
    assert "--days" in message and "--out" in message
    assert f"under {tmp_path}:" in message  # the nearest folder that exists


def test_memory_advice_names_only_the_options_that_help(machine, tmp_path):
    tables = _tables(1.0)  # 2,649 days: 0.5 GB of day matrix per worker
    need = estimate(tables, citizens=10_000_000, chunk_size=1 << 20, workers=2,
                    baseline=False, report=False)
    one_worker = estimate(tables, citizens=10_000_000, chunk_size=1 << 20, workers=1,
                          baseline=False, report=False)
    machine(memory_gib=(need.memory + one_worker.memory) / 2 / 0.9 / GIB)
    with pytest.raises(scorelab.RunRefusedError) as refused:
        refuse_if_too_big(tables, citizens=10_000_000, chunk_size=1 << 20, workers=2,
                          baseline=False, out=tmp_path / "run", report=False)
    message = str(refused.value)
    assert "--chunk-size" in message or "--workers 1" in message
    assert "--no-report" not in message
    for option in re.findall(r"--chunk-size ([\d,]+)", message):
        smaller = estimate(tables, citizens=10_000_000, chunk_size=int(option.replace(",", "")),
                           workers=2, baseline=False, report=False)
        assert smaller.memory <= 0.9 * (need.memory + one_worker.memory) / 2 / 0.9

    machine(memory_gib=one_worker.memory / 4 / GIB)  # nothing but fewer days helps
    with pytest.raises(scorelab.RunRefusedError) as refused:
        refuse_if_too_big(tables, citizens=10_000_000, chunk_size=4096, workers=1,
                          baseline=False, out=tmp_path / "run", report=False)
    assert "--days" in str(refused.value)
    assert "--workers" not in str(refused.value) and "--chunk-size" not in str(refused.value)


def test_what_this_process_holds_is_not_counted_twice(machine, tmp_path):
    tables = _tables(1.0, citizens=1000)
    need = estimate(tables, citizens=1000, chunk_size=1 << 20, workers=1, baseline=False)
    # the machine has less available than the whole estimate, but this process (already
    # loaded, part of the estimate) makes up the difference: a small machine runs small runs
    machine(memory_gib=need.memory * 0.8 / GIB, resident_gib=need.memory * 0.3 / GIB)
    refuse_if_too_big(tables, citizens=1000, chunk_size=1 << 20, workers=1, baseline=False,
                      out=tmp_path / "run")
    machine(memory_gib=need.memory * 0.8 / GIB, resident_gib=0.0)
    with pytest.raises(scorelab.RunRefusedError):
        refuse_if_too_big(tables, citizens=1000, chunk_size=1 << 20, workers=1,
                          baseline=False, out=tmp_path / "run")


def test_the_time_estimate_follows_the_measured_rates(machine):
    machine()
    country = _tables(0.0001, policy="rongcheng", scenario=None, citizens=1_411_778_724)
    year = estimate(country, citizens=1_411_778_724, chunk_size=1 << 20, workers=2,
                    baseline=False)
    assert 1030 <= year.seconds <= 1.25 * 1060  # measured 1,030.6 to 1,060.8 s
    assert not year.long
    five = estimate(_tables(0.0001, policy="rongcheng", scenario=None,
                            citizens=1_411_778_724, days=1825),
                    citizens=1_411_778_724, chunk_size=1 << 20, workers=2, baseline=False)
    assert five.long and five.seconds > 4.5 * year.seconds


def test_the_daily_column_count_is_the_daily_tables(machine):
    for policy, scenario in (("court-list", "china-court-list"), ("rongcheng", None),
                             ("jaywalking-shaming", None)):
        plan = _plan_of(policy, scenario, citizens=1000, days=3)
        tables, rules = plan.job.tables, plan.policy.policy
        nothing = UsedColumns(np.zeros(0, np.int64), np.zeros((4, 0, tables.n_groups), np.int64))
        bin_low = score_bins(rules.score.floor, rules.score.ceiling, rules.score.start)[1]
        table = daily_table(nothing, tables.layout, plan.groups, start=plan.scenario.scenario
                            .scenario.start_date, grades=rules.grade_names,
                            lists=rules.list_names, bin_low=bin_low, ceiling=rules.score.ceiling)
        assert daily_columns(tables.layout) == table.num_columns, policy


@given(arrays(np.int64, (3, 6, 2), elements=st.integers(-5, 5)))
def test_used_columns_carry_the_whole_matrix(matrix):
    touched = matrix.any(axis=(0, 2))
    work = matrix.copy()
    part = take_columns(work, touched)
    assert not work.any(), "the worker's matrix is zero again for the next chunk"
    np.testing.assert_array_equal(dense(part, matrix.shape[1]), matrix)
    np.testing.assert_array_equal(dense(used_columns(matrix), matrix.shape[1]), matrix)
    total = np.ones_like(matrix)
    part.add_to(total)
    np.testing.assert_array_equal(total, matrix + 1)


def test_a_planners_estimate_counts_a_baseline():
    alone = scorelab.runner.estimate_run("rongcheng", citizens=10_000_000, days=365)
    both = scorelab.runner.estimate_run("rongcheng", citizens=10_000_000, days=365,
                                        baseline=True)
    assert both.seconds > alone.seconds + 10  # 15.5 s of simulation, and 0.75 of it again
    assert both.memory > alone.memory
