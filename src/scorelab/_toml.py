"""Reading TOML input files with errors that point at a line.

``tomllib`` reports syntax errors with a line and column but keeps no positions
for keys, and pydantic reports a key path (``rules.3.points``) but no line. This
module joins the two: it loads a file, validates it against a pydantic model,
and turns every failure into an :class:`~scorelab._errors.InputFileError`
naming the file, the line (found by scanning the table headers), the key path
and what was expected.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

import pydantic

from scorelab._errors import InputFileError

Model = TypeVar("Model", bound=pydantic.BaseModel)

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"'.]+)\s*=")


def key_path(loc: Sequence[str | int]) -> str:
    """Format a pydantic location as a dotted key path.

    >>> key_path(("rules", 2, "points"))
    'rules[2].points'
    >>> key_path(())
    '<top level>'
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "<top level>"


def _headers(lines: list[str]) -> list[tuple[int, tuple[str | int, ...]]]:
    """Return (line index, path) for every table header; array tables get their index."""
    counts: dict[tuple[str, ...], int] = {}
    found: list[tuple[int, tuple[str | int, ...]]] = []
    for i, line in enumerate(lines):
        match = _HEADER.match(line)
        if not match:
            continue
        parts = tuple(p.strip().strip('"').strip("'") for p in match.group(2).split("."))
        if match.group(1) == "[[":
            index = counts.get(parts, 0)
            counts[parts] = index + 1
            found.append((i, (*parts, index)))
        else:
            found.append((i, parts))
    return found


def locate(text: str, loc: Sequence[str | int]) -> int | None:
    r"""Find the 1-based line that a key path most likely refers to.

    >>> locate("[score]\nstart = 1\n[[rules]]\nid='a'\n[[rules]]\npoints = 3\n",
    ...        ("rules", 1, "points"))
    6
    >>> locate("name = 'x'\n", ("name",))
    1
    """
    lines = text.splitlines()
    loc = tuple(loc)
    best_start, best_len = 0, 0
    bounds = _headers(lines)
    for line_index, path in bounds:
        if len(path) > best_len and loc[: len(path)] == path:
            best_start, best_len = line_index + 1, len(path)
    if best_len:
        end = next((i for i, _ in bounds if i >= best_start), len(lines))
        section = range(best_start, end)
    else:
        section = range(0, bounds[0][0] if bounds else len(lines))
    remaining = loc[best_len:]
    wanted = [p for p in remaining if isinstance(p, str)]
    for key in wanted[:1] or []:
        for i in section:
            match = _KEY.match(lines[i])
            if match and match.group(1).strip("\"'").split(".")[0] == key:
                return i + 1
    if best_len:
        return best_start  # the header line itself
    return None


def load_toml(path: Path, error: type[InputFileError]) -> tuple[dict, str]:
    """Read and parse a TOML file, raising ``error`` with file, line and column on failure."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error("file not found", path=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read the file ({exc})", path=path) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        line = int(match.group(1)) if match else None
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        if match:
            reason += f" (column {match.group(2)})"
        raise error(f"not valid TOML: {reason}", path=path, line=line) from None


def validate(
    model: type[Model], data: dict, *, path: Path, text: str, error: type[InputFileError]
) -> Model:
    """Validate ``data`` against ``model``; the first problem becomes a located ``error``."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        loc = tuple(first["loc"])
        reason = _reason(first)
        raise error(reason, path=path, line=locate(text, loc), key=key_path(loc)) from None


def _reason(err: dict) -> str:
    """Turn one pydantic error into a sentence saying what was expected."""
    kind, message = err["type"], err["msg"]
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return "unknown key (check its spelling; see docs/policy-language.md)"
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    got = err.get("input")
    shown = repr(got) if not isinstance(got, dict | list) else type(got).__name__
    return f"{message[0].lower()}{message[1:]}, got {shown}"
