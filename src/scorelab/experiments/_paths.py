"""Dotted paths into a policy or scenario, and the files a design point runs on.

A path such as ``policy.rules.fraud.points`` walks the TOML document: tables by
key, arrays of tables by the ``id`` (or ``name``) of an element. Scenario paths
are checked against the scenario merged over the world defaults (a key the file
leaves to the defaults can be a factor too) and set in the file's own document,
which the loader merges over the defaults again.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from scorelab._resources import data_path
from scorelab.world import deep_merge

Document = dict[str, Any]


def base_documents(policy: Path, scenario: Path | None) -> dict[str, Document]:
    """The base policy, the scenario's own file, and the scenario over the world defaults."""
    scenario_file = scenario if scenario is not None else data_path("default-scenario.toml")
    own = tomllib.loads(scenario_file.read_text(encoding="utf-8"))
    defaults = tomllib.loads(data_path("world-defaults.toml").read_text(encoding="utf-8"))
    return {"policy": tomllib.loads(policy.read_text(encoding="utf-8")),
            "scenario": own, "scenario merged": deep_merge(defaults, own)}


def _step(node: Any, part: str) -> Any:
    """The child ``part`` of a table, or the element of an array of tables with that id/name."""
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list):
        for item in node:
            if isinstance(item, dict) and part in (item.get("id"), item.get("name")):
                return item
    return None


def number_at(documents: dict[str, Document], path: str) -> str:
    """Why ``path`` does not name a number in the base documents; "" when it does."""
    root, _, rest = path.partition(".")
    if root not in ("policy", "scenario") or not rest:
        return (f'a factor path starts with "policy." or "scenario." and names a key, '
                f'got "{path}"')
    node: Any = documents["scenario merged" if root == "scenario" else "policy"]
    walked = root
    for part in rest.split("."):
        child = _step(node, part)
        if child is None:
            return f'"{walked}" has no "{part}": {_choices(node)}'
        node, walked = child, f"{walked}.{part}"
    if isinstance(node, bool) or not isinstance(node, int | float):
        kind = type(node).__name__ if not isinstance(node, dict) else "table"
        return f'"{path}" is a {kind}, not a number: a factor moves a numeric key'
    return ""


def _choices(node: Any) -> str:
    """What a path could go on with from ``node``."""
    if isinstance(node, dict):
        names = sorted(str(k) for k in node)
    elif isinstance(node, list):
        names = [str(i.get("id", i.get("name"))) for i in node if isinstance(i, dict)]
    else:
        return "it is a value, not a table"
    return "expected one of " + ", ".join(f'"{n}"' for n in names[:20])


def set_numbers(document: Document, values: dict[str, float], root: str,
                reference: Document | None = None) -> Document:
    """A copy of ``document`` with each path under ``root`` set.

    A key that holds an integer in ``reference`` (default: ``document``; for a
    scenario, the one merged over the world defaults) gets the value rounded.
    """
    out = _copy(document)
    for path, value in values.items():
        head, _, rest = path.partition(".")
        if head != root:
            continue
        parts = rest.split(".")
        node: Any = out
        for part in parts[:-1]:
            child = _step(node, part)
            if child is None:  # a scenario key only the defaults have: create its tables
                child = node.setdefault(part, {})
            node = child
        last = parts[-1]
        old = _lookup(reference if reference is not None else document, parts)
        node[last] = round(value) if isinstance(old, int) and not isinstance(old, bool) else (
            float(value))
    return out


def _lookup(document: Document, parts: list[str]) -> Any:
    node: Any = document
    for part in parts:
        node = _step(node, part)
        if node is None:
            return None
    return node


def _copy(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _copy(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_copy(v) for v in node]
    return node


def dumps(document: Document) -> str:
    """The document as TOML text."""
    return tomli_w.dumps(document)
