"""Bad input never crashes a loader: every failure is a located PolicyError or ScenarioError.

Properties, for random TOML documents and for structured and byte-level
mutations of the shipped policy and scenario files:

* ``load_policy`` / ``load_scenario`` either succeed or raise ``PolicyError`` /
  ``ScenarioError``; any other exception fails the test;
* the message starts with the file; a TOML syntax error or undecodable byte
  gives its line; any other error names its key path; a line, when given, lies
  inside the file;
* what a loader accepts, the engine can compile into its tables.

The normal suite runs a few dozen examples of each property; ``pytest -m fuzz``
runs ``SCORELAB_FUZZ_EXAMPLES`` (default 2,000) of each of the six, 12,000 in
all, and prints how many it ran.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scorelab import PolicyError, ScenarioError, ScorelabError
from scorelab._echo import printable, shorten
from scorelab.engine._tables import compile_tables
from scorelab.policy import load_policy
from scorelab.policy._schema import Policy
from scorelab.world import load_census, load_scenario
from scorelab.world._population import census_cdfs
from scorelab.world._scenario import Scenario

from ._strategies import (
    POLICY_FILES,
    ROOT,
    SCENARIO_FILES,
    dumps,
    mutated_bytes,
    mutated_documents,
    parsed,
    toml_documents,
)

NORMAL_EXAMPLES = 50
FUZZ_EXAMPLES = int(os.environ.get("SCORELAB_FUZZ_EXAMPLES", "2000"))
EXAMPLES = [
    pytest.param(NORMAL_EXAMPLES, id="normal"),
    pytest.param(FUZZ_EXAMPLES, id="fuzz", marks=pytest.mark.fuzz),
]
#: examples run per test id, printed at the end of the session by conftest.py
RUNS: Counter[str] = Counter()
OUTCOMES: Counter[str] = Counter()


def _settings(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


# -- the properties ------------------------------------------------------------------------------


#: reasons of scorelab._input_limits, which refuse a file at a line before parsing it
LIMITS = ("line too long", "key has more than", "key longer than",
          "arrays or inline tables nested too deeply")


def assert_located(exc: ScorelabError, path: Path, data: bytes) -> None:
    """The error names the file, and the line (syntax) or the key path (anything else)."""
    message = str(exc)
    assert exc.path == str(path), message
    assert message.startswith(str(path)), message
    assert exc.reason, message
    if exc.reason.startswith(("not valid TOML", "cannot read", *LIMITS)):
        assert exc.line is not None, f"TOML gave a line but the error has none: {message}"
    else:
        assert exc.key, f"no key path in: {message}"
        # the message shows the key escaped and shortened (scorelab._echo)
        assert f": {printable(shorten(exc.key, 120))}: " in message, message
    if exc.line is not None:
        lines = data.count(b"\n") + 1
        assert 1 <= exc.line <= lines, f"line {exc.line} outside a {lines}-line file: {message}"


@cache
def _census_tables(name: str) -> tuple:
    census = load_census(name)
    return census, census_cdfs(census).occupation_names


@cache
def _small_scenario() -> Scenario:
    return load_scenario(None, citizens=1000, days=40).scenario


@cache
def _minimal_policy() -> Policy:
    return load_policy(ROOT / "benchmarks" / "minimal-policy.toml").policy


def _compiles(policy: Policy, scenario: Scenario) -> None:
    """An accepted input must compile: the engine tables are built (calendar cut to 40 days)."""
    meta = scenario.scenario
    short = scenario.model_copy(update={"scenario": meta.model_copy(
        update={"days": min(meta.days, 40)})})
    compile_tables(policy, short, *_census_tables(meta.census))


def check_policy(path: Path, data: bytes, test: str) -> None:
    """Property for a policy file's bytes."""
    path.write_bytes(data)
    RUNS[test] += 1
    try:
        loaded = load_policy(path)
    except ScorelabError as exc:
        assert isinstance(exc, PolicyError), f"{type(exc).__name__} from load_policy: {exc}"
        assert_located(exc, path, data)
        OUTCOMES["policy error"] += 1
        return
    OUTCOMES["policy accepted"] += 1
    _compiles(loaded.policy, _small_scenario())


def check_scenario(path: Path, data: bytes, test: str) -> None:
    """Property for a scenario file's bytes."""
    path.write_bytes(data)
    RUNS[test] += 1
    try:
        loaded = load_scenario(path)
    except ScorelabError as exc:
        assert isinstance(exc, ScenarioError), f"{type(exc).__name__} from load_scenario: {exc}"
        assert_located(exc, path, data)
        OUTCOMES["scenario error"] += 1
        return
    OUTCOMES["scenario accepted"] += 1
    _compiles(_minimal_policy(), loaded.scenario)


# -- the tests: each property, a few dozen examples normally, thousands under -m fuzz ------------


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One file rewritten by every example (a fresh path per example would fill the disk)."""
    return tmp_path_factory.mktemp("fuzz") / "input.toml"


Check = Callable[[Path, bytes, str], None]
KINDS: list[tuple[str, Check, list[Path]]] = [
    ("policy", check_policy, POLICY_FILES),
    ("scenario", check_scenario, SCENARIO_FILES),
]


@pytest.mark.parametrize("examples", EXAMPLES)
@pytest.mark.parametrize(("kind", "check", "files"), KINDS, ids=[k[0] for k in KINDS])
def test_random_documents_get_located_errors(examples, kind, check, files, target, request):
    @_settings(examples)
    @given(toml_documents)
    def run(document: dict) -> None:
        check(target, dumps(document), request.node.name)

    run()


@pytest.mark.parametrize("examples", EXAMPLES)
@pytest.mark.parametrize(("kind", "check", "files"), KINDS, ids=[k[0] for k in KINDS])
def test_mutated_shipped_files_get_located_errors(examples, kind, check, files, target,
                                                   request):
    bases = [parsed(p) for p in files]

    @_settings(examples)
    @given(st.sampled_from(bases).flatmap(mutated_documents))
    def run(document: dict) -> None:
        check(target, dumps(document), request.node.name)

    run()


@pytest.mark.parametrize("examples", EXAMPLES)
@pytest.mark.parametrize(("kind", "check", "files"), KINDS, ids=[k[0] for k in KINDS])
def test_byte_mutations_of_shipped_files_get_located_errors(examples, kind, check, files,
                                                            target, request):
    bases = [p.read_bytes() for p in files]

    @_settings(examples)
    @given(st.sampled_from(bases).flatmap(mutated_bytes))
    def run(data: bytes) -> None:
        check(target, data, request.node.name)

    run()


def test_shipped_files_load_and_compile(target):
    for path in POLICY_FILES:
        check_policy(target, path.read_bytes(), "shipped")
    for path in SCENARIO_FILES:
        check_scenario(target, path.read_bytes(), "shipped")
