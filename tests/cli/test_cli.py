"""The command line, through typer's runner: each command calls the API and sets the exit code."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from scorelab.cli import app

from ..conftest import POLICIES

runner = CliRunner()


def test_policies_lists_every_shipped_policy():
    result = runner.invoke(app, ["policies"])
    assert result.exit_code == 0
    for path in POLICIES.glob("*.toml"):
        assert path.stem.replace("-", "_") in result.output.replace("-", "_")


@pytest.mark.parametrize("path", sorted(POLICIES.glob("*.toml")), ids=lambda p: p.stem)
def test_every_shipped_policy_validates(path):
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "valid policy" in result.output


def test_run_then_explain(tmp_path):
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", str(POLICIES / "rongcheng.toml"), "--citizens", "3000",
                                 "--days", "90", "--seed", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "grade A" in result.output
    assert (out / "manifest.json").is_file()
    story = runner.invoke(app, ["explain", str(out), "7"])
    assert story.exit_code == 0, story.output
    assert "citizen 7" in story.output
    assert "reconciles" in story.output


def test_run_refuses_a_non_empty_folder_without_force(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    result = runner.invoke(app, ["run", "rongcheng", "--citizens", "1000", "--days", "5",
                                 "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "--force" in result.output
    assert (tmp_path / "keep.txt").read_text() == "mine"


@pytest.mark.parametrize(("option", "value"), [("--citizens", "-5"), ("--days", "0"),
                                               ("--workers", "0")])
def test_invalid_numbers_get_one_clear_line(tmp_path, option, value):
    result = runner.invoke(app, ["run", "rongcheng", option, value, "--out",
                                 str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "error:" in result.output


def test_unknown_policy_is_a_clear_error(tmp_path):
    result = runner.invoke(app, ["run", "nonexistent", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "file not found" in result.output


def test_explain_refuses_an_incomplete_folder(tmp_path):
    (tmp_path / "daily.parquet").write_bytes(b"")
    result = runner.invoke(app, ["explain", str(tmp_path), "1"])
    assert result.exit_code == 2
    assert "not a complete scorelab run" in result.output


@pytest.mark.parametrize("name", ["court_list", "court-list"])
def test_a_shipped_policy_runs_by_id_or_file_name(tmp_path, name):
    result = runner.invoke(app, ["run", name, "--citizens", "1000", "--days", "5", "--out",
                                 str(tmp_path / name)])
    assert result.exit_code == 0, result.output


def test_an_output_folder_that_cannot_be_created_is_one_clear_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = runner.invoke(app, ["run", "rongcheng", "--citizens", "1000", "--days", "5",
                                 "--out", str(blocker / "run")])
    assert result.exit_code == 2
    assert "cannot create" in result.output
