"""--force replaces only what scorelab wrote: never the user's folders or files."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import scorelab
from scorelab.cli import app

from ..conftest import POLICIES, ROOT

SMALL = {"citizens": 2000, "days": 5, "seed": 1}


def _run(out: Path, **options) -> scorelab.RunResult:
    return scorelab.run(POLICIES / "rongcheng.toml", out=out, **SMALL, **options)


def _notes(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    notes = folder / "notes.txt"
    notes.write_text("my notes")
    return notes


def test_out_dot_with_force_is_refused_and_deletes_nothing(tmp_path, monkeypatch):
    notes = _notes(tmp_path / "work")
    monkeypatch.chdir(tmp_path / "work")
    result = CliRunner().invoke(app, ["run", str(POLICIES / "rongcheng.toml"), "--citizens",
                                      "2000", "--days", "5", "--out", ".", "--force"])
    assert result.exit_code == 2
    assert "it is the current folder" in result.output
    assert notes.read_text() == "my notes"


def test_a_parent_of_the_current_folder_is_refused(tmp_path, monkeypatch):
    (tmp_path / "a" / "b").mkdir(parents=True)
    notes = _notes(tmp_path / "a")
    monkeypatch.chdir(tmp_path / "a" / "b")
    with pytest.raises(scorelab.RunRefusedError, match="holds the current folder"):
        _run(tmp_path / "a", force=True)
    assert notes.exists()


def test_the_home_folder_is_refused(tmp_path, monkeypatch):
    home = tmp_path / "home"
    notes = _notes(home)
    monkeypatch.setenv("HOME", str(home))
    with pytest.raises(scorelab.RunRefusedError, match="home folder"):
        _run(home, force=True)
    assert notes.exists()


def test_a_folder_scorelab_did_not_write_is_refused(tmp_path):
    notes = _notes(tmp_path / "mine")
    with pytest.raises(scorelab.RunRefusedError, match="not a scorelab run folder"):
        _run(tmp_path / "mine", force=True)
    assert notes.exists()


def test_a_run_folder_holding_the_users_files_is_refused(tmp_path):
    out = tmp_path / "run"
    _run(out)
    notes = _notes(out)
    with pytest.raises(scorelab.RunRefusedError, match=r"files scorelab did not write \(notes"):
        _run(out, force=True)
    assert notes.exists() and (out / "manifest.json").is_file()


def test_a_scorelab_run_folder_is_replaced_with_force(tmp_path):
    out = tmp_path / "run"
    first = _run(out).manifest["created"]
    assert _run(out, force=True, ledger_sample=0.5).manifest["ledger_sample"] == 0.5
    assert first


def test_a_staging_folder_without_the_marker_is_left_alone(tmp_path):
    staging = tmp_path / ".run.partial"
    notes = _notes(staging)
    with pytest.raises(scorelab.RunRefusedError, match="not a scorelab run folder"):
        _run(tmp_path / "run", force=True)
    assert notes.exists()


def test_a_mount_point_is_refused_before_the_run(tmp_path, monkeypatch):
    out = tmp_path / "disk"
    out.mkdir()
    monkeypatch.setattr("scorelab.runner._folder.os.path.ismount", lambda path: path == out)
    with pytest.raises(scorelab.RunRefusedError, match=f"mount point.*--out {out / 'run'}"):
        _run(out)
    assert not any(tmp_path.glob(".disk*"))


def test_calibrate_force_replaces_only_a_calibration_folder(tmp_path):
    notes = _notes(tmp_path / "fit")
    with pytest.raises(scorelab.RunRefusedError, match="not a scorelab calibration folder"):
        scorelab.calibrate("china-court-list",
                           targets=ROOT / "data" / "targets" / "court-list-2014-2018.csv",
                           out=tmp_path / "fit", force=True, max_evaluations=1)
    assert notes.exists()


def test_compare_out_never_overwrites_a_file_scorelab_did_not_write(tmp_path):
    a = _run(tmp_path / "a")
    b = scorelab.run(POLICIES / "rongcheng.toml", out=tmp_path / "b", citizens=2000, days=5,
                     seed=2)
    manifest = (a.folder / "manifest.json").read_bytes()
    with pytest.raises(scorelab.RunRefusedError, match="scorelab did not write it"):
        scorelab.compare(a.folder, b.folder, out=a.folder / "manifest.json")
    assert (a.folder / "manifest.json").read_bytes() == manifest
    page = tmp_path / "compare.html"
    scorelab.compare(a.folder, b.folder, out=page)
    scorelab.compare(a.folder, b.folder, out=page)  # its own page it replaces
    assert page.stat().st_size > 0
