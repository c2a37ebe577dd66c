"""Each broken policy under tests/policies/invalid names its file, line, key and the problem.

The first line of each file is ``# error: line N: key: reason`` (or
``line None`` where TOML gives no line); the error must contain
``FILE:N: key: reason`` (or ``FILE: key: reason``).

``limit-*`` files pass a limit every input file is held to before parsing
(scorelab._input_limits); ``echo-*`` files quote a value an error must show
short and with its control characters escaped (scorelab._echo): their headers
hold the escaped, shortened text.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import scorelab
from scorelab.cli import app

INVALID = sorted((Path(__file__).parents[1] / "policies" / "invalid").glob("*.toml"))


def _expected(path: Path) -> str:
    header = path.read_text().splitlines()[0]
    assert header.startswith("# error: line "), f"{path.name} needs an '# error:' header"
    line, rest = header.removeprefix("# error: line ").split(": ", 1)
    if rest == "not valid TOML":
        return f"{path}:{line}: not valid TOML"
    return f"{path}:{line}: {rest}" if line != "None" else f"{path}: {rest}"


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_policy_error_names_file_line_and_key(path: Path):
    with pytest.raises(scorelab.PolicyError) as caught:
        scorelab.validate(path)
    assert _expected(path) in str(caught.value)


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_an_invalid_policy_error_is_one_printable_line(path: Path):
    with pytest.raises(scorelab.PolicyError) as caught:
        scorelab.validate(path)
    assert str(caught.value).isprintable(), repr(str(caught.value))


ECHOES = [p for p in INVALID if p.stem.startswith("echo-")]


@pytest.mark.parametrize("path", [*INVALID[:3], *ECHOES], ids=lambda p: p.stem)
def test_validate_command_exits_2_with_one_line(path: Path):
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "error:" in result.output
    assert path.name in result.output
    assert result.output.count("\n") == 1, result.output
    assert result.output.rstrip("\n").isprintable(), repr(result.output)


def test_catalogue_is_not_empty():
    assert len(INVALID) >= 30
    assert {p.stem.split("-")[0] for p in INVALID} >= {"limit", "echo"}
