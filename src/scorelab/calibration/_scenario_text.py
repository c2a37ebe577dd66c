"""Writing fitted values into a scenario file while keeping its comments and citations.

Data flow::

    scenario text + {dotted key: value} --(line edits under each table header)--> new text
    new text --tomllib--> check that every key now holds its value --> new text

A key ``behaviours.judgment_default.rate_per_year`` is written as
``rate_per_year = VALUE`` under the header ``[behaviours.judgment_default]``: an
existing line keeps its trailing comment, a missing key goes right under its header,
and a missing table is appended at the end. A key written any other way (inline
table, dotted key) cannot be rewritten safely and raises ``ValueError``.
"""

from __future__ import annotations

import re
import tomllib

_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_ANY_HEADER = re.compile(r"^\s*\[")


def format_value(value: float) -> str:
    """A float as TOML, with six significant digits.

    >>> format_value(0.0031234567), format_value(2.0), format_value(1.5e-7)
    ('0.00312346', '2.0', '1.5e-07')
    """
    text = f"{value:.6g}"
    return text if any(c in text for c in ".en") else text + ".0"


def set_keys(text: str, values: dict[str, float]) -> str:
    r"""Return ``text`` with each dotted key set to its value.

    >>> print(set_keys("[a]\nx = 1.0  # cited\n", {"a.x": 2.5, "b.c.y": 0.1}), end="")
    [a]
    x = 2.5  # cited
    <BLANKLINE>
    [b.c]
    y = 0.1

    A dated rate's step is a key under the rate's own table:

    >>> print(set_keys("[s.rate]\n2016-01-01 = 1.0\n", {"s.rate.2016-01-01": 2.0}), end="")
    [s.rate]
    2016-01-01 = 2.0
    """
    lines = text.splitlines()
    for key, value in values.items():
        table, _, name = key.rpartition(".")
        lines = _set_one(lines, table, name, format_value(value))
    out = "\n".join(lines) + "\n"
    _check(out, values)
    return out


def _set_one(lines: list[str], table: str, name: str, value: str) -> list[str]:
    """Set ``name`` under ``[table]`` in ``lines`` (a new list)."""
    header = next((i for i, line in enumerate(lines)
                   if (m := _HEADER.match(line)) and _normal(m.group(1)) == table), None)
    if header is None:
        return [*lines, "", f"[{table}]", f"{name} = {value}"]
    key = re.compile(rf"^(\s*{re.escape(name)}\s*=\s*)([^#]*?)(\s*#.*)?$")
    for i in range(header + 1, len(lines)):
        if _ANY_HEADER.match(lines[i]):
            break
        match = key.match(lines[i])
        if match:
            return [*lines[:i], f"{match.group(1)}{value}{match.group(3) or ''}",
                    *lines[i + 1:]]
    return [*lines[:header + 1], f"{name} = {value}", *lines[header + 1:]]


def _normal(header: str) -> str:
    """A table header without spaces or quotes around its parts."""
    return ".".join(part.strip().strip('"').strip("'") for part in header.split("."))


def _check(text: str, values: dict[str, float]) -> None:
    """Every key must now parse to its value; otherwise the file was written another way."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        data = {}
    for key, value in values.items():
        node: object = data
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, float) or abs(node - value) > 1e-5 * abs(value):
            raise ValueError(f"could not write {key} into the scenario: write it as "
                             f"'{key.rpartition('.')[2]} = ...' under its own table header")
