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

from scorelab._echo import shorten
from scorelab._errors import InputFileError
from scorelab._input_limits import check_toml_text, read_input_text

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
    # TOML ends lines at "\n" only; str.splitlines would also split at "\x85",
    # "\u2028" and other characters a TOML string may hold, and miscount lines.
    lines = text.split("\n")
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
    """Read and parse a TOML file, raising ``error`` with file, line and column on failure.

    Every way a file can be unreadable becomes ``error``: missing, unreadable,
    past the limits of :mod:`scorelab._input_limits` (size, line length, key
    parts and length, nesting: checked before parsing, so that no file costs
    much), not UTF-8 (with the line of the first bad byte), not TOML (with
    tomllib's line, or the last line when the document ends too early), or an
    integer too long for Python to convert.
    """
    text = read_input_text(path, error)
    check_toml_text(text, path=path, error=error)
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        reason, line = _syntax_error(str(exc), text)
        raise error(reason, path=path, line=line) from None
    except ValueError as exc:  # tomllib lets int() refuse numbers over 4,300 digits
        line = _first_line(text, _LONG_NUMBER)
        raise error(f"not valid TOML: {exc}".split(";")[0], path=path, line=line) from None
    except RecursionError:  # a backstop: check_toml_text refuses deep nesting, with its line
        raise error("not valid TOML: arrays or inline tables nested too deeply",
                    path=path) from None


_LONG_NUMBER = re.compile(r"[0-9_]{4300}")


def _syntax_error(message: str, text: str) -> tuple[str, int | None]:
    r"""The reason and line of a tomllib error; "end of document" is the last line.

    >>> _syntax_error("Invalid value (at line 3, column 5)", "")
    ('not valid TOML: Invalid value (column 5)', 3)
    >>> _syntax_error("Invalid value (at end of document)", "a = 1\nb = ")
    ('not valid TOML: Invalid value (at the end of the file)', 2)
    """
    match = re.search(r"\(at line (\d+), column (\d+)\)", message)
    if match:
        reason = message[: match.start()].rstrip() + f" (column {match.group(2)})"
        return f"not valid TOML: {reason}", int(match.group(1))
    if message.endswith("(at end of document)"):
        reason = message.removesuffix("(at end of document)").rstrip()
        return f"not valid TOML: {reason} (at the end of the file)", text.count("\n") + 1
    return f"not valid TOML: {message}", None


def _first_line(text: str, pattern: re.Pattern[str]) -> int | None:
    """1-based line of the first match of ``pattern``, if any."""
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else None


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
    shown = shorten(repr(got)) if not isinstance(got, dict | list) else type(got).__name__
    return f"{message[0].lower()}{message[1:]}, got {shown}"
