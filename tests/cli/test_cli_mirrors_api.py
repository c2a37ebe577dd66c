"""The command line mirrors the API (style.md): each command is the public function of its name.

``scorelab run --days 30 --seed 7`` is ``scorelab.run(days=30, seed=7)``: a
command's parameters carry the function's keyword names and defaults, read here
from the click command typer builds (what the CLI really parses) and from
``inspect.signature`` of the function. A required CLI parameter stands for a
keyword with no default.
"""

from __future__ import annotations

import inspect
import os

import pytest
import typer
from typer.testing import CliRunner

import scorelab
from scorelab.cli import app

from ..conftest import POLICIES

COMMANDS = typer.main.get_command(app).commands  # type: ignore[attr-defined]
NO_DEFAULT = inspect.Parameter.empty

#: Keywords only the API has, each with the reason a command line has no use for it.
API_ONLY = {
    ("run", "progress"): "a callback: the command draws its own progress bar with it",
    ("run", "on_estimate"): "a callback: the command shows the estimate and asks with it",
    ("calibrate", "progress"): "a callback: the command prints one line per simulation with it",
    ("explain", "manifest"): "the runner's manifest for a folder it is still writing",
    ("experiment", "progress"): "a callback: the command draws its own progress bar with it",
    ("compare", "progress"): "a callback: the command draws its own progress bar with it",
}
#: Options only the command has, each with the API function that answers the same question.
CLI_ONLY = {
    ("experiment", "list_outputs"): "scorelab.experiments.catalogue() lists the outputs",
}


def _cli_defaults(name: str) -> dict[str, object]:
    """The command's parameters by Python name: its default, or NO_DEFAULT when required."""
    return {param.name: NO_DEFAULT if param.required else param.default
            for param in COMMANDS[name].params if (name, param.name) not in CLI_ONLY}


def _api_defaults(name: str) -> dict[str, object]:
    """The public function's keywords and defaults, less the API-only ones."""
    function = getattr(scorelab, name)
    return {keyword: param.default
            for keyword, param in inspect.signature(function).parameters.items()
            if (name, keyword) not in API_ONLY}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_is_a_public_function_of_its_name(name):
    assert name in scorelab.__all__, f"`scorelab {name}` has no public function scorelab.{name}"
    assert callable(getattr(scorelab, name))


def test_every_public_function_is_a_command():
    functions = {name for name in scorelab.__all__
                 if name[0].islower() and inspect.isfunction(getattr(scorelab, name))}
    assert functions == set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_command_takes_its_functions_keywords_with_the_same_defaults(name):
    assert _cli_defaults(name) == _api_defaults(name)


def test_every_api_only_keyword_exists():
    for name, keyword in API_ONLY:
        assert keyword in inspect.signature(getattr(scorelab, name)).parameters, (name, keyword)
    for name, option in CLI_ONLY:
        assert option in {param.name for param in COMMANDS[name].params}, (name, option)


def test_run_without_out_writes_the_same_folder_from_the_api_and_the_cli(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    options = {"citizens": 1000, "days": 5, "report": False}
    api = scorelab.run(POLICIES / "rongcheng.toml", **options)
    assert api.folder == tmp_path / "runs" / "rongcheng"
    os.rename(api.folder, tmp_path / "from-api")
    result = CliRunner().invoke(app, ["run", str(POLICIES / "rongcheng.toml"), "--citizens",
                                      "1000", "--days", "5", "--no-report"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "runs" / "rongcheng" / "manifest.json").is_file()
