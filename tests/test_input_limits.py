"""Every input file is held to limits before it is parsed, and fails fast with its own error.

The files under tests/policies/invalid/ (``limit-*``) hold each limit for policies;
here: the files too large to keep as fixtures, scenarios and targets, the guard
reused for a new kind of file, and the issue's files run through the command
line under a memory limit, which the quadratic parser blew through (24 GB).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import scorelab
from scorelab import PolicyError, ScenarioError
from scorelab._errors import InputFileError, TargetsError
from scorelab._input_limits import (
    MAX_FILE_BYTES,
    MAX_KEY_PARTS,
    MAX_NESTING,
    check_toml_text,
    read_input_text,
)
from scorelab.calibration import load_targets
from scorelab.cli import app
from scorelab.world import load_scenario

from .conftest import POLICIES, ROOT

MEMORY_LIMIT = 2 << 30  # the interpreter and scorelab's imports need about 1.5 GiB of addresses

#: The issue's files and their kin: (name, text, the error they must give).
PATHOLOGICAL = {
    "one-dotted-key-of-100000-parts": ("[policy]\na" + ".a" * 100_000 + " = 1\n",
                                       ":2: line too long: it has 200,005 characters"),
    "brackets-a-megabyte-deep": ("a = " + "[" * 500_000 + "]" * 500_000 + "\n",
                                 ":1: line too long"),
    "brackets-deep-on-many-lines": ("a = [\n" + "[\n" * 200_000 + "]\n" * 200_001,
                                    f":{MAX_NESTING + 1}: arrays or inline tables nested too "
                                    "deeply"),
    "inline-tables-deep-on-many-lines": ("a = [\n" + "{b = [\n" * 100_000,
                                         f":{MAX_NESTING // 2 + 1}: arrays or inline tables "
                                         "nested too deeply"),
    "a-line-of-10-kb": ('[policy]\nname = "' + "x" * 10_240 + '"\n', ":2: line too long"),
    "five-megabytes": ("# a comment\n" * ((5 << 20) // 12 + 1),
                       ": file too large: it holds 5,242,884 bytes, and an input file may hold "
                       "at most 1 MiB (1,048,576 bytes)"),
    "many-short-dotted-keys": ("".join(f"k{i}" + ".a" * 200 + " = 1\n" for i in range(2000)),
                               f":1: key has more than {MAX_KEY_PARTS} dotted parts"),
}


@pytest.fixture(scope="module")
def pathological(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pathological")
    paths = {}
    for name, (text, _) in PATHOLOGICAL.items():
        paths[name] = folder / f"{name}.toml"
        paths[name].write_text(text)
    return paths


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_a_pathological_policy_gets_one_line_under_a_memory_limit(pathological, name):
    path = pathological[name]
    result = subprocess.run([sys.executable, "-m", "scorelab", "validate", str(path)],
                            capture_output=True, text=True, timeout=300, preexec_fn=_limited)
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr[-2000:]
    assert result.stderr.startswith(f"error: {path}")
    assert PATHOLOGICAL[name][1] in result.stderr


def test_pathological_files_are_refused_within_seconds_under_a_memory_limit(pathological):
    # one child times every file after its imports (which alone take seconds on a busy machine)
    script = (
        "import json, sys, time\nimport scorelab\nout = {}\n"
        "for path in sys.argv[1:]:\n"
        "    start = time.perf_counter()\n"
        "    try:\n        scorelab.validate(path)\n    except scorelab.PolicyError:\n"
        "        pass\n"
        "    out[path] = time.perf_counter() - start\n"
        "print(json.dumps(out))\n")
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", script, *map(str, pathological.values())],
                            capture_output=True, text=True, timeout=300, preexec_fn=_limited)
    assert result.returncode == 0, result.stderr[-2000:]
    seconds = json.loads(result.stdout)
    print(f"child {time.perf_counter() - started:.1f} s; each file: "
          + ", ".join(f"{Path(p).stem} {s * 1000:.0f} ms" for p, s in seconds.items()))
    assert max(seconds.values()) < 10.0, seconds  # generous: each takes milliseconds


def test_a_pathological_scenario_gets_its_own_error(tmp_path):
    path = tmp_path / "scenario.toml"
    path.write_text("[scenario]\n" + "citizens" + ".x" * MAX_KEY_PARTS + " = 1\n")
    with pytest.raises(ScenarioError, match=rf"^{path}:2: key has more than 16 dotted parts"):
        load_scenario(path)
    result = CliRunner().invoke(app, ["run", "rongcheng", "--scenario", str(path), "--out",
                                      str(tmp_path / "run")])
    assert result.exit_code == 2
    assert f"error: {path}:2: key has more than 16" in result.output


def test_an_input_file_is_read_no_further_than_its_limit(tmp_path):
    path = tmp_path / "big.toml"
    comments = (b"#" * 1023 + b"\n") * (MAX_FILE_BYTES // 1024)  # a valid file
    path.write_bytes(comments + b"\n")
    with pytest.raises(PolicyError, match=r": file too large: it holds 1,048,577 bytes, and"):
        scorelab.validate(path)
    path.write_bytes(comments)  # at the limit: read and parsed
    with pytest.raises(PolicyError, match="required key is missing"):
        scorelab.validate(path)


def test_a_device_that_never_ends_is_refused_at_the_size_limit():
    with pytest.raises(PolicyError, match="^/dev/zero: file too large: it holds more than "
                                          "1,048,576 bytes"):
        scorelab.validate("/dev/zero")


def test_a_targets_file_is_held_to_the_size_and_line_limits(tmp_path):
    path = tmp_path / "targets.csv"
    path.write_text("date,metric,value\n" + "2018-01-01,x,1\n" * 100_000)
    with pytest.raises(TargetsError, match=r"targets.csv: file too large"):
        load_targets(path)
    path.write_text("date,metric,value\n2018-01-01,flights_blocked_cumulative," + "9" * 5000)
    with pytest.raises(TargetsError, match=r"targets.csv:2: line too long: it has 5,038"):
        load_targets(path)


def test_a_targets_cell_past_the_csv_reader_limit_gets_its_line(tmp_path):
    path = tmp_path / "targets.csv"
    cell = "\n".join(["x" * 4000] * 40)  # 160,000 characters on short lines, quoted
    path.write_text(f'date,metric,value,note\n2018-01-01,denied_flights,1,"{cell}"\n')
    with pytest.raises(TargetsError, match=r"targets.csv:\d+: not a CSV file the reader "
                                           r"accepts \(field larger than field limit"):
        load_targets(path)


def test_a_long_targets_value_is_shortened_in_the_error(tmp_path):
    path = tmp_path / "targets.csv"
    path.write_text("date,metric,value\n2018-01-01," + "m" * 3000 + ",1\n")
    with pytest.raises(TargetsError) as caught:
        load_targets(path)
    assert f'unknown metric "{"m" * 80}… (3,000 characters)"' in str(caught.value)
    assert len(str(caught.value)) < 1000


class ExperimentError(InputFileError):
    """A file kind scorelab does not have yet."""


def test_the_guard_serves_a_new_kind_of_file(tmp_path):
    path = tmp_path / "experiment.toml"
    path.write_text("[experiment]\nruns = " + "[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1))
    text = read_input_text(path, ExperimentError)
    with pytest.raises(ExperimentError, match=rf"^{path}:2: arrays or inline tables nested"):
        check_toml_text(text, path=path, error=ExperimentError)


def test_every_shipped_and_test_file_passes_the_guard():
    files = [*POLICIES.glob("*.toml"), *(ROOT / "scenarios").glob("*.toml"),
             *(ROOT / "data").glob("*.toml"), *(ROOT / "benchmarks").glob("*.toml"),
             *(ROOT / "tests" / "policies" / "cases").glob("*.toml")]
    assert len(files) >= 10
    for path in files:
        check_toml_text(path.read_text(), path=path, error=InputFileError)


@pytest.mark.parametrize("text", [
    'a = "' + "x." * 100 + '"\n',  # dots in a string are not key parts
    "a = '''\n" + "[" * 100 + "\n'''\n",  # nor brackets in a multi-line string
    "a = 1  # " + "[" * 100 + "\n",  # nor in a comment
    "a = [\n" + "  [1, 2],\n" * 1000 + "]\n",  # many arrays, none deep
    '"quoted.key".b.c = 1\n[t."x.y"]\nz = {a.b = 1, c = {d = 2}}\n',
])
def test_the_guard_reads_strings_comments_and_tables_as_toml_does(text):
    check_toml_text(text, path=Path("f.toml"), error=InputFileError)


def test_an_error_after_a_multi_line_string_names_the_right_line():
    text = 'a = """\none\ntwo\n"""\nb = ' + "[" * (MAX_NESTING + 1) + "\n"
    with pytest.raises(InputFileError, match=r"^f.toml:5: arrays"):
        check_toml_text(text, path=Path("f.toml"), error=InputFileError)


def test_control_characters_in_a_valid_policy_never_reach_the_terminal(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text((POLICIES / "rongcheng.toml").read_text().replace(
        'version = "', 'version = "\\u001b[2J\\u001b]0;owned\\u0007', 1))
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\\x1b[2J\\x1b]0;owned\\x07" in result.output
