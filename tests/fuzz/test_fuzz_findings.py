"""What fuzzing the loaders found, one regression test per finding.

Each input once escaped the loaders as a bare Python exception (ValueError,
OverflowError, RecursionError, TypeError), gave a wrong or missing line, or
was accepted and then crashed or overflowed the engine. Now each is a
``PolicyError`` or ``ScenarioError`` naming the file, the line and the key.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scorelab import PolicyError, ScenarioError
from scorelab.policy import load_policy
from scorelab.world import load_scenario

ROOT = Path(__file__).resolve().parents[2]
RONGCHENG = (ROOT / "policies" / "rongcheng.toml").read_text(encoding="utf-8")


def _write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "input.toml"
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def _rongcheng(old: str, new: str) -> str:
    assert RONGCHENG.count(old) >= 1, old
    return RONGCHENG.replace(old, new, 1)


def _line_of(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n") + 1


@pytest.mark.parametrize(("value", "reason"), [
    ("nan", "rules[0].points: expected a finite number, got nan"),
    ("inf", "rules[0].points: expected a finite number, got inf"),
    ('{ "2019-01-01" = -inf }', 'the value for "2019-01-01" must be a finite number, got -inf'),
])
def test_points_that_are_not_finite_are_refused(tmp_path, value, reason):
    # was: ValueError / OverflowError from int(value) in the points check
    text = _rongcheng("points = -10", f"points = {value}")
    with pytest.raises(PolicyError) as caught:
        load_policy(_write(tmp_path, text))
    assert f":{_line_of(text, f'points = {value}')}: " in str(caught.value)
    assert reason in str(caught.value)


@pytest.mark.parametrize(("old", "new", "key"), [
    ("start = 1000", "start = 10_000_000_000_000_000_000", "score.start"),
    ("expiry_days = 730", "expiry_days = 100_000_000_000_000_000_000", "rules[0].expiry_days"),
    ("value_yuan = 75", "value_yuan = inf", "rewards[0].value_yuan"),
    ("value_yuan = 75", "value_yuan = 1e300", "rewards[0].value_yuan"),
])
def test_numbers_beyond_the_engine_are_refused(tmp_path, old, new, key):
    # was: accepted, then OverflowError building the engine's int64 tables
    text = _rongcheng(old, new)
    with pytest.raises(PolicyError) as caught:
        load_policy(_write(tmp_path, text))
    assert f":{_line_of(text, new)}: {key}: " in str(caught.value)


def test_an_integer_too_long_to_convert_gets_its_line(tmp_path):
    # was: ValueError "Exceeds the limit (4300 digits)" out of tomllib; now such a number
    # cannot fit on a line (scorelab._input_limits.MAX_LINE_CHARS)
    text = _rongcheng("start = 1000", "start = " + "9" * 5000)
    with pytest.raises(PolicyError) as caught:
        load_policy(_write(tmp_path, text))
    assert f":{_line_of(text, 'start = 999')}: line too long: " in str(caught.value)


@pytest.mark.parametrize(("value", "line"), [("[" * 2000 + "]" * 2000, 2),
                                           ("{a=" * 1000 + "1" + "}" * 1000, 2),
                                           ("[\n" * 5000 + "]\n" * 5000, 2 + 16)])
def test_brackets_nested_too_deeply_get_a_line(tmp_path, value, line):
    # was: RecursionError out of tomllib; now refused before parsing, past 16 levels (the
    # 17th bracket's line)
    path = _write(tmp_path, f'name = "x"\nvalue = {value}\n')
    with pytest.raises(PolicyError, match=rf":{line}: arrays or inline tables nested too deeply"):
        load_policy(path)


def test_a_file_that_ends_too_early_gets_its_last_line(tmp_path):
    # was: "(at end of document)" and no line
    path = _write(tmp_path, "[score]\nstart = 1\nfloor = ")
    with pytest.raises(PolicyError, match=r":3: not valid TOML: .*at the end of the file"):
        load_policy(path)


def test_a_byte_that_is_not_utf8_gets_its_line(tmp_path):
    path = _write(tmp_path, b'[policy]\nid = "x"\nname = "\xff"\n')
    with pytest.raises(PolicyError, match=r":3: cannot read the file: not UTF-8 text"):
        load_policy(path)


def test_lines_are_counted_at_newlines_only(tmp_path):
    # was: a "\x85" (or "\u2028") in a quoted key counted as a line break by
    # str.splitlines, so the error named a line past the end of the file
    text = '"a\x85b" = 1\n"c\u2028d" = 2\n[policy]\nname = "x"\n'
    with pytest.raises(PolicyError) as caught:
        load_policy(_write(tmp_path, text))
    assert caught.value.line == 3
    assert caught.value.key == "policy.id"


@pytest.mark.parametrize("value", ["5", "'ab'", "[[1, 2]]"])
def test_a_scenario_table_that_is_not_a_table_is_an_error(tmp_path, value):
    # was: TypeError / ValueError from dict(merged["scenario"]) before validation
    path = _write(tmp_path, f"scenario = {value}\n")
    with pytest.raises(ScenarioError, match=r":1: scenario: input should be a valid dictionary"):
        load_scenario(path, citizens=10)


@pytest.mark.parametrize(("text", "key", "reason"), [
    ('[scenario]\nname = "x"\ncensus = "../.."\n', "scenario.census", 'unknown census "../.."'),
    ('[scenario]\nname = "x"\ncensus = ""\n', "scenario.census", 'unknown census ""'),
    ('[scenario]\nname = "x"\nstart_date = 9999-12-01\n', "scenario.start_date",
     "run past the last date"),
    ("[behaviours.jaywalking]\nrate_per_year = 365\nmale_multiplier = 1e300\n",
     "behaviours.jaywalking.rate_per_year", "the busiest citizen would act"),
    ("[deterrence]\npositive_max_boost = 1e12\n", "deterrence.positive_max_boost",
     "rewards could raise"),
    ("[cameras]\ncount = 1" + "0" * 400 + "\n", "cameras.count", "less than or equal"),
    ("[appeals]\ndelay_days = 100_000_000_000_000_000_000\n", "appeals.delay_days",
     "less than or equal"),
    ("[cameras]\nreach = inf\n", "cameras.reach", "finite number"),
])
def test_scenarios_the_engine_cannot_run_are_refused(tmp_path, text, key, reason):
    # was: accepted, then FileNotFoundError (census), OverflowError (calendar, int64,
    # float) or an endless stream of events (rates) once the run started
    with pytest.raises(ScenarioError) as caught:
        load_scenario(_write(tmp_path, text))
    message = str(caught.value)
    assert f": {key}" in message and reason in message, message
    assert caught.value.line is not None, message
