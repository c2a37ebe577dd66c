"""The command line, through typer's runner: each command calls the API and sets the exit code."""

from __future__ import annotations

import io
import json
import sys

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

import scorelab.engine
from scorelab.cli import app
from scorelab.cli._long_run import confirm_long_run
from scorelab.cli._render import render_summary
from scorelab.runner import RunResult
from scorelab.runner._estimate import Estimate

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


@pytest.mark.parametrize("compiled", [False, True])
def test_run_says_when_it_compiles_the_engine_first(tmp_path, monkeypatch, compiled):
    monkeypatch.setattr(scorelab.engine, "is_compiled", lambda: compiled)
    result = runner.invoke(app, ["run", "rongcheng", "--citizens", "1000", "--days", "5",
                                 "--no-report", "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    assert ("compiling the engine for this machine" in result.output) is not compiled


def test_the_summary_says_how_long_compiling_took(tmp_path):
    out = tmp_path / "run"
    assert runner.invoke(app, ["run", "rongcheng", "--citizens", "1000", "--days", "5",
                               "--no-report", "--out", str(out)]).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    console = Console(file=io.StringIO(), width=200)
    console.print(render_summary(RunResult(out)))
    assert "compiling the engine" not in console.file.getvalue()
    manifest["timings"] |= {"compile_s": 61.7, "total_s": 64.0}
    (out / "manifest.json").write_text(json.dumps(manifest))
    console.print(render_summary(RunResult(out)))
    assert "(64.0 s, of which 62 s compiling the engine" in console.file.getvalue()


class _Terminal(io.StringIO):
    """A stdin that is a terminal, with the answer already typed."""

    def isatty(self) -> bool:
        return True


def _long(hours: float) -> Estimate:
    return Estimate(memory=2 * 1024**3, disk=1024**3, ledger_rows=0, seconds=hours * 3600)


def test_a_long_run_shows_its_estimate_and_goes_on_without_a_terminal(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    console = Console(file=io.StringIO(), force_terminal=True, width=200)
    confirm_long_run(_long(2.5), console)  # no question to answer: it goes on
    assert "would take about 2 h 30 min" in console.file.getvalue()
    quiet = Console(file=io.StringIO(), force_terminal=True)
    confirm_long_run(_long(0.5), quiet)
    assert quiet.file.getvalue() == ""  # under an hour: nothing said


@pytest.mark.parametrize(("answer", "starts"), [("y\n", True), ("n\n", False), ("\n", False)])
def test_a_long_run_asks_in_a_terminal(monkeypatch, capsys, answer, starts):
    monkeypatch.setattr(sys, "stdin", _Terminal(answer))
    console = Console(file=io.StringIO(), force_terminal=True, width=200)
    if starts:
        confirm_long_run(_long(3), console)
    else:
        with pytest.raises(typer.Abort):
            confirm_long_run(_long(3), console)
    assert "start it?" in capsys.readouterr().err


def test_run_help_shows_the_defaults_computed_from_the_population():
    # written as [default: ...] like typer's own: rich must not take them for markup
    result = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    for default in ("[default: about 4 chunks per worker", "[default: one per core",
                    "[default: everyone up to 1,000,000 citizens"):
        assert default in result.output
