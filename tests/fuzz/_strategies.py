"""Hypothesis strategies for bad input files: random TOML documents and mutated shipped files.

Three kinds of input reach the loaders:

* random documents: dicts of TOML values under keys that are often real schema
  keys (so the schema is reached, not only its first "missing key" error),
  serialised with tomli-w;
* structured mutations of a shipped file: parse it, then delete keys, change
  types, put numbers out of range, add unknown keys, rename keys, duplicate
  array items, rewrite strings; serialise again;
* byte mutations of a shipped file: delete, insert, replace, duplicate and
  truncate bytes and lines, including invalid UTF-8 and TOML punctuation.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import pydantic
import tomli_w
from hypothesis import strategies as st

from scorelab.policy._schema import Policy
from scorelab.world._scenario import Scenario
from scorelab.world._vocabulary import BEHAVIOUR_NAMES, SENSOR_NAMES, SERVICE_NAMES

ROOT = Path(__file__).resolve().parents[2]
POLICY_FILES = sorted((ROOT / "policies").glob("*.toml"))
SCENARIO_FILES = sorted(
    [*(ROOT / "scenarios").glob("*.toml"), ROOT / "data" / "default-scenario.toml",
     ROOT / "data" / "world-defaults.toml", ROOT / "benchmarks" / "minimal-scenario.toml"])
SCENARIO_FILES = [p for p in SCENARIO_FILES if p.exists()]


def _field_names(model: type[pydantic.BaseModel], seen: set[str]) -> set[str]:
    """Every field name of a pydantic model and of the models it nests, recursively."""
    names: set[str] = set()
    for name, field in model.model_fields.items():
        names.add(name)
        for arg in _models_in(field.annotation):
            if arg.__name__ not in seen:
                seen.add(arg.__name__)
                names |= _field_names(arg, seen)
    return names


def _models_in(annotation: object) -> list[type[pydantic.BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) for m in _models_in(arg)]


KNOWN_KEYS = sorted(
    _field_names(Policy, set()) | _field_names(Scenario, set())
    | set(BEHAVIOUR_NAMES) | set(SENSOR_NAMES) | set(SERVICE_NAMES)
)

#: Numbers a schema should refuse or survive: bounds, signs, int64 edges, huge, not finite.
AWKWARD_NUMBERS = (
    0, -1, 1, -0.0, 0.5, -0.5, 1.5, 1e-300, 100, 366, 36_601, 1_000_001, -1_000_001,
    2**31, 2**53 + 1, 2**63 - 1, 2**63, -(2**63) - 1, 10**30, -(10**30), 10**400,
    1e308, -1e308, float("inf"), float("-inf"), float("nan"),
)

#: Strings that look like values of the schema: names, dates, grades, conditions, junk.
AWKWARD_STRINGS = (
    "", " ", "x" * 300, "A", "D", "AAA", "camera", "flight", "jaywalking", "Rongcheng",
    "2018-01-01", "2018-02-30", "0001-01-01", "9999-12-31", "china-2020", "..", "../..",
    'grade == "D"', "score < 600", "listed(court)", "not", "grade in []", "1 +", "é", "\x00",
    "__import__('os')", "score ** 99999999",
)

_keys = st.one_of(st.sampled_from(KNOWN_KEYS), st.text(max_size=12))
_scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.sampled_from(AWKWARD_NUMBERS),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(AWKWARD_STRINGS),
    st.dates(),
    st.datetimes(timezones=st.none() | st.just(dt.UTC)),
    st.times(),
)
toml_values = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(_keys, children, max_size=4),
    max_leaves=12,
)
toml_documents = st.dictionaries(_keys, toml_values, max_size=8)


def dumps(document: dict) -> bytes:
    """Serialise a document with tomli-w (every value the strategies draw is writable)."""
    return tomli_w.dumps(document).encode("utf-8")


def parsed(path: Path) -> dict:
    """A shipped file as a dict."""
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path inside a document, containers before their contents."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _parent(document: Any, path: tuple) -> Any:
    for part in path[:-1]:
        document = document[part]
    return document


def _rename(key: str) -> str:
    return key[:-1] if len(key) > 1 else key + "_"


@st.composite
def mutated_documents(draw: st.DrawFn, base: dict) -> dict:
    """``base`` with one to four structural mutations, each at a drawn key path."""
    document = tomllib.loads(tomli_w.dumps(base))  # a deep copy
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(document)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, last = _parent(document, path), path[-1]
        old = parent[last]
        operation = draw(st.sampled_from(
            ("delete", "retype", "number", "string", "unknown", "rename", "duplicate", "empty")))
        if operation == "delete":
            del parent[last]
        elif operation == "retype":
            parent[last] = draw(toml_values)
        elif operation == "number":
            parent[last] = draw(st.sampled_from(AWKWARD_NUMBERS) | st.integers() | st.floats())
        elif operation == "string":
            parent[last] = draw(st.sampled_from(AWKWARD_STRINGS) | st.text(max_size=40))
        elif operation == "unknown":
            target = old if isinstance(old, dict) else parent
            if isinstance(target, dict):
                target[draw(_keys)] = draw(toml_values)
        elif operation == "rename" and isinstance(parent, dict):
            parent[_rename(last)] = parent.pop(last)
        elif operation == "duplicate" and isinstance(parent, list):
            parent.append(tomllib.loads(tomli_w.dumps({"v": old}))["v"])
        elif operation == "empty":
            parent[last] = draw(st.sampled_from(({}, [], "", 0)))
    return document


_PUNCTUATION = [bytes([c]) for c in b"[]{}=\"'\n#.,:-+_ \t\\"] + [
    b"\xff", b"\xc3", b"\xe2\x82", b"\x00", b"\r", b"nan", b"inf", b"1e999", b"9" * 30,
    b"[[", b"]]", b'"""', b"'''", b"= =", b"\n[", b"\n[[rules]]\n", b"\n[scenario]\n",
]


@st.composite
def mutated_bytes(draw: st.DrawFn, base: bytes) -> bytes:
    """``base`` with one to four byte- or line-level mutations."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 4))):
        size = len(data)
        at = draw(st.integers(0, size))
        operation = draw(st.sampled_from(
            ("delete", "insert", "replace", "truncate", "duplicate_line", "swap_lines")))
        if operation == "delete" and size:
            data[at:at + draw(st.integers(1, 40))] = b""
        elif operation == "insert":
            data[at:at] = draw(st.sampled_from(_PUNCTUATION) | st.binary(min_size=1, max_size=8))
        elif operation == "replace" and at < size:
            data[at] = draw(st.integers(0, 255))
        elif operation == "truncate":
            del data[at:]
        elif operation in ("duplicate_line", "swap_lines"):
            lines = bytes(data).split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if operation == "duplicate_line":
                lines.insert(j, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            data = bytearray(b"\n".join(lines))
    return bytes(data)
