"""Resume continues only what it can continue exactly, from a stop at any phase."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import scorelab
from scorelab._run_folder import TABLES
from scorelab.runner import PHASES
from scorelab.runner import _checkpoint as checkpoint

from ..conftest import POLICIES

HOOK = Path(__file__).with_name("_hooked_run.py")
OPTIONS = {"citizens": 6144, "days": 40, "seed": 11, "chunk_size": 1024, "checkpoint_every": 1,
           "report": True}
CLI_OPTIONS = ["--citizens", "6144", "--days", "40", "--seed", "11", "--chunk-size", "1024",
               "--checkpoint-every", "1"]
ALL_FILES = (*TABLES, "audit.parquet", "report.html")


def _bytes(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in ALL_FILES}


@pytest.fixture(scope="module")
def whole(tmp_path_factory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("whole") / "run"
    scorelab.run(POLICIES / "rongcheng.toml", out=out, **OPTIONS)
    return _bytes(out)


def _stop_at(phase: str, min_done: int = 0):
    """A progress callback that sends this process SIGINT when ``phase`` starts."""
    fired = []

    def progress(event: scorelab.RunProgress) -> None:
        if not fired and event.phase == phase and event.done >= min_done:
            fired.append(event)
            os.kill(os.getpid(), signal.SIGINT)

    return progress


def _interrupted(out: Path, after_citizens: int = 3072) -> Path:
    with pytest.raises(scorelab.RunInterruptedError, match="SIGINT.*--resume") as caught:
        scorelab.run(POLICIES / "rongcheng.toml", out=out,
                     progress=_stop_at("simulate", after_citizens), **OPTIONS)
    assert caught.value.exit_code == 130
    return out.parent / f".{out.name}.partial"


@pytest.mark.parametrize("phase", PHASES)
def test_sigint_at_any_phase_resumes_to_the_same_bytes(whole, tmp_path, phase):
    out = tmp_path / "run"
    min_done = 3072 if phase == "simulate" else 0
    try:
        scorelab.run(POLICIES / "rongcheng.toml", out=out, progress=_stop_at(phase, min_done),
                     **OPTIONS)
        finished = True
    except scorelab.RunInterruptedError as stopped:
        assert stopped.exit_code == 130
        finished = False
    # a stop asked for as publishing starts has nothing left to stop; every other one stops
    assert finished == (phase == "publish")
    if not finished:
        scorelab.run(resume=out)
    assert _bytes(out) == whole
    assert not (tmp_path / ".run.partial").exists()
    assert b".run.partial" not in (out / "report.html").read_bytes()


@pytest.mark.parametrize("phase", PHASES)
def test_sigkill_at_any_phase_resumes_to_the_same_bytes(whole, tmp_path, phase):
    out = tmp_path / "run"
    min_done = 3072 if phase == "simulate" else 0
    killed = subprocess.run(
        [sys.executable, str(HOOK), "kill", phase, str(min_done), "--", "run",
         str(POLICIES / "rongcheng.toml"), *CLI_OPTIONS, "--out", str(out)],
        capture_output=True, text=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not (out / "manifest.json").exists()
    scorelab.run(resume=out)
    assert _bytes(out) == whole


def test_a_one_chunk_run_killed_midway_resumes(tmp_path):
    options = {**OPTIONS, "chunk_size": 8192}
    reference = tmp_path / "reference" / "run"  # the report names its folder: the same name
    scorelab.run(POLICIES / "rongcheng.toml", out=reference, **options)
    out = tmp_path / "run"
    with pytest.raises(scorelab.RunInterruptedError):
        scorelab.run(POLICIES / "rongcheng.toml", out=out, progress=_stop_at("citizens"),
                     **options)
    scorelab.run(resume=out)
    assert _bytes(out) == _bytes(reference)


@pytest.mark.parametrize("name", ["policy.toml", "scenario.toml", "request.json"])
def test_an_edited_input_is_refused_on_resume(tmp_path, name):
    staging = _interrupted(tmp_path / "run")
    path = staging / name
    text = path.read_text()
    if name == "request.json":
        request = json.loads(text)
        request["chunk_size"] = 2048
        path.write_text(json.dumps(request))
    else:
        path.write_text(text + "\n# edited\n")
    with pytest.raises(scorelab.RunRefusedError, match=f"{name} changed.*--force"):
        scorelab.run(resume=tmp_path / "run")


def test_changed_code_is_refused_on_resume(tmp_path, monkeypatch):
    staging = _interrupted(tmp_path / "run")
    assert staging.is_dir()
    monkeypatch.setattr(checkpoint, "code_sha256", lambda: "0" * 64)
    with pytest.raises(scorelab.RunRefusedError, match="scorelab's code changed"):
        scorelab.run(resume=tmp_path / "run")


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _matrices(staging: Path) -> Path:
    return next(staging.glob("checkpoint-*.npz"))


DAMAGE = {
    "matrices truncated": (_matrices, _truncate, "checkpoint-.*damaged"),
    "matrices empty": (_matrices, lambda p: p.write_bytes(b""), "checkpoint-.*damaged"),
    "matrices random": (_matrices, lambda p: p.write_bytes(os.urandom(4096)),
                        "checkpoint-.*damaged"),
    "matrices one byte flipped": (_matrices, _flip_a_byte, "checkpoint-.*damaged"),
    "matrices deleted": (_matrices, Path.unlink, "checkpoint-.*missing"),
    "checkpoint.json not JSON": (lambda s: s / "checkpoint.json",
                                 lambda p: p.write_text("{oops"), "checkpoint.json: .*not JSON"),
    "request.json not JSON": (lambda s: s / "request.json", lambda p: p.write_text("[1,"),
                              "request.json: .*not JSON"),
    "part truncated": (lambda s: s / "parts" / "ledger-000001.parquet", _truncate,
                       "ledger-000001.parquet: damaged or replaced"),
    "part deleted": (lambda s: s / "parts" / "citizens-000000.parquet", Path.unlink,
                     "citizens-000000.parquet: missing"),
    "part swapped": (lambda s: s / "parts" / "citizens-000001.parquet",
                     lambda p: shutil.copyfile(p.with_name("citizens-000000.parquet"), p),
                     "citizens-000001.parquet: damaged or replaced"),
}


@pytest.mark.parametrize("case", DAMAGE)
def test_damaged_state_is_refused_before_anything_is_simulated(tmp_path, case):
    staging = _interrupted(tmp_path / "run")
    find, damage, message = DAMAGE[case]
    damage(find(staging))
    events = []
    with pytest.raises((scorelab.RunFolderError, scorelab.RunRefusedError),
                       match=message) as caught:
        scorelab.run(resume=tmp_path / "run", progress=events.append)
    assert "--force" in str(caught.value) and "\n" not in str(caught.value)
    assert events == [], "nothing was simulated again"


@pytest.mark.parametrize(("option", "value", "shown"), [
    ("citizens", 10, "--citizens"), ("seed", 3, "--seed"), ("policy", "rongcheng", "POLICY"),
    ("out", "elsewhere", "--out"), ("force", True, "--force"), ("chunk_size", 2048,
                                                                "--chunk-size"),
])
def test_options_given_with_resume_are_refused(tmp_path, option, value, shown):
    _interrupted(tmp_path / "run")
    with pytest.raises(scorelab.RunRefusedError, match=f"{shown} cannot be given"):
        scorelab.run(resume=tmp_path / "run", **{option: value})


def test_the_cli_refuses_options_with_resume(tmp_path):
    from typer.testing import CliRunner

    from scorelab.cli import app

    _interrupted(tmp_path / "run")
    result = CliRunner().invoke(app, ["run", "--resume", str(tmp_path / "run"), "--seed", "3"])
    assert result.exit_code == 2
    assert "--seed cannot be given" in result.output
