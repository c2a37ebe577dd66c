"""Two runs compared measure by measure; counts per 100,000 citizens."""

from __future__ import annotations

import pytest

from scorelab.audit import compare_runs


def test_a_run_compared_with_itself_has_no_differences(harsh_run):
    comparison = compare_runs(harsh_run.folder, harsh_run.folder)
    assert comparison.rows
    assert comparison.differences() == []
    assert all(a == b for _, a, b in comparison.inputs)


def test_more_cameras_give_more_camera_records_and_false_matches(harsh_run,
                                                                 harsh_run_fewer_cameras):
    comparison = compare_runs(harsh_run_fewer_cameras.folder, harsh_run.folder)
    inputs = {key: (a, b) for key, a, b in comparison.inputs}
    assert inputs["cameras.count"] == ("150000000", "600000000")
    assert comparison.row("records: jaywalking").relative_change > 0.5
    assert comparison.row("wrongful records: camera").b > comparison.row(
        "wrongful records: camera").a
    assert comparison.row("shown on public screens").difference > 0


def test_counts_are_per_100k_citizens(harsh_run):
    comparison = compare_runs(harsh_run.folder, harsh_run.folder)
    summary = harsh_run.summary()
    row = comparison.row("wrongful records")
    assert row.unit == "per 100k"
    assert row.a == pytest.approx(summary["wrongful_records"] * 100_000 / 20_000)
    assert comparison.row("people denied a service").unit == "share"


def test_an_unknown_measure_names_where_to_look(harsh_run):
    comparison = compare_runs(harsh_run.folder, harsh_run.folder)
    with pytest.raises(KeyError, match="Comparison.rows"):
        comparison.row("happiness")
