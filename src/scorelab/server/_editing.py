"""A policy's text as the editor's controls, and control values written back into it in place.

Data flow::

    policy text --tomllib--> document --controls--> sections of items of controls, each with
        its key as the loader's errors name it (``rules[0].points``), its TOML path by id as
        experiments name factors (``policy.rules.overdue_bank_payment.points``), kind, value
        and line
    text + {key: value} --edit_text--> the same text with only those values' tokens changed
        (a missing optional key: a line at the end of its table; None: its line removed),
        read back with tomllib: the document must be the old one with exactly those values
        set, else the edit is refused (422) and the TOML text is where to make it
    shipped text, text --policy_diff--> a unified diff (difflib)

The text is the one source of truth: the controls are a view of it, and an edit
changes nothing but the value's own characters, so comments and layout stay and
the diff against the shipped file shows only what changed. (The experiments'
``set_numbers`` and ``tomli_w.dumps`` rewrite the whole document, dropping its
comments; docs/architecture.md says why the editor does not.) Validation is not
done here: the page sends the edited text to ``POST /api/validate``, the loader
``scorelab validate`` runs.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import json
import math
import re
import tomllib
from typing import Any

from scorelab.server._requests import RefusedError
from scorelab.world import BEHAVIOUR_NAMES, SENSOR_NAMES, SERVICE_NAMES

Loc = tuple[str | int, ...]
_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\- ]+?)\s*\]\]?\s*(#.*)?$")
_PART = re.compile(r"\.?([A-Za-z0-9_\-]+)|\[(\d+)\]")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

#: (name, kind, optional, hint) of the controls of each kind of item; kinds: integer,
#: number, boolean, choice (one name), choices (a set of names, a TOML array), text. A name
#: with a dot is a key of an inline table.
SCORE = (("start", "integer", False, "where everyone starts"),
         ("floor", "integer", False, "the lowest score"),
         ("ceiling", "integer", False, "the highest score"),
         ("decay.points", "integer", False, "points back toward the start per step"),
         ("decay.every_days", "integer", False, "days between decay steps"))
GRADE = (("min", "integer", False, "the lowest score of this grade"),)
RULE = (("behaviour", "choice", False, "the behaviour this rule scores"),
        ("sensors", "choices", False, "who can make a record of it"),
        ("points", "number", False, "points a record changes the score by"),
        ("expiry_days", "integer", True, "days until the points are undone (empty: never)"),
        ("cap.max_points", "integer", False, "at most this many points per window"),
        ("cap.period_days", "integer", False, "the cap's window in days"),
        ("sets_grade", "choice", True, "a record sets this grade (empty: none)"),
        ("grade_days", "integer", True, "days the set grade lasts"))
LIST = (("entry_behaviours", "choices", True, "a record of one of these puts a person on it"),
        ("entry_sensors", "choices", True, "only records from these (none ticked: any)"),
        ("entry_when", "text", True, "or whoever meets this condition"),
        ("duration_days", "integer", True, "days on the list (empty: until removed)"),
        ("removal_delay_days", "integer", True, "days from compliance to removal"),
        ("removed_on_compliance", "boolean", True, "taken off the list on compliance"))
SANCTION = (("service", "choice", False, "the service denied"),
            ("household", "boolean", True, "the whole household is denied it"),
            ("when", "text", False, "who is denied (a condition)"))
REWARD = (("service", "choice", False, "the service offered on better terms"),
          ("value_yuan", "number", True, "worth per use, in yuan"),
          ("when", "text", False, "who gets it (a condition)"))
SHAMING = (("behaviours", "choices", False, "records of these are shown on public screens"),
           ("sensors", "choices", False, "when they come from these sensors"))


def parse_key(key: str) -> Loc:
    """A key as the loader's errors name it, as a location.

    >>> parse_key("rules[0].cap.max_points"), parse_key("lists.court.duration_days")
    (('rules', 0, 'cap', 'max_points'), ('lists', 'court', 'duration_days'))
    """
    loc: list[str | int] = []
    position = 0
    for match in _PART.finditer(key):
        if match.start() != position:
            break
        loc.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
        position = match.end()
    if not key or position != len(key) or not isinstance(loc[0], str):
        raise RefusedError.one(422, f"{key[:80]!r} is not a key such as rules[0].points",
                               key=key[:80])
    return tuple(loc)


def key_of(loc: Loc) -> str:
    """A location as the loader's errors name it.

    >>> key_of(("rules", 2, "points"))
    'rules[2].points'
    """
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def read_document(text: str) -> dict[str, Any]:
    """The TOML document of ``text``, or a 422 with the line tomllib names."""
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError, RecursionError) as exc:
        match = re.search(r"\(at line (\d+)", str(exc))
        line = int(match.group(1)) if match else None
        raise RefusedError.one(422, f"not valid TOML: {str(exc).split(' (at ')[0]}: the "
                                    "controls follow the text once it is TOML again",
                               line=line) from None


# -- the controls --------------------------------------------------------------------------

def controls(text: str) -> list[dict[str, Any]]:
    """The editor's sections: score, grades, rules, lists, sanctions, rewards, shaming.

    Each section is ``{"title", "items": [{"key", "title", "about", "controls": [...]}]}``,
    each control ``{"key", "path", "name", "kind", "value", "line", "optional", "editable",
    "hint"}`` (and ``choices`` for a choice). ``line`` is 1-based, None for a key the text
    does not have.
    """
    document = read_document(text)
    lines = text.split("\n")
    headers = _headers(lines)
    grades = [g.get("name") for g in _list(document.get("grades")) if isinstance(g, dict)]
    behaviours, sensors = list(BEHAVIOUR_NAMES), list(SENSOR_NAMES)
    choices = {"sets_grade": [str(g) for g in grades], "service": list(SERVICE_NAMES),
               "behaviour": behaviours, "sensors": sensors, "behaviours": behaviours,
               "entry_behaviours": behaviours, "entry_sensors": sensors}

    def item(loc: Loc, node: Any, spec: tuple, title: str, about: str, path: str) -> dict:
        found = [_control(lines, headers, loc, node, name, kind, optional, hint, path,
                          choices.get(name)) for name, kind, optional, hint in spec]
        return {"key": key_of(loc), "title": title, "about": about,
                "controls": [c for c in found if c is not None]}

    score = document.get("score") if isinstance(document.get("score"), dict) else {}
    sections = [{"title": "Score", "items": [item(("score",), score, SCORE, "the scale",
                                                  "start, bounds and decay", "policy.score")]}]
    sections.append({"title": "Grades", "items": [
        item(("grades", i), g, GRADE, str(g.get("name", i)), "", f"policy.grades.{g.get('name')}")
        for i, g in _dicts(document.get("grades"))]})
    sections.append({"title": "Rules", "items": [
        item(("rules", i), r, RULE, str(r.get("id", i)),
             f"{r.get('behaviour', '?')} seen by {', '.join(map(str, _list(r.get('sensors'))))}",
             f"policy.rules.{r.get('id')}") for i, r in _dicts(document.get("rules"))]})
    lists = document.get("lists") if isinstance(document.get("lists"), dict) else {}
    sections.append({"title": "Lists", "items": [
        item(("lists", name), spec, LIST, name, str(spec.get("title", "")),
             f"policy.lists.{name}") for name, spec in lists.items() if isinstance(spec, dict)]})
    for title, kind, spec in (("Sanctions", "sanctions", SANCTION),
                              ("Rewards", "rewards", REWARD)):
        sections.append({"title": title, "items": [
            item((kind, i), s, spec, str(s.get("id", i)), str(s.get("effect", "")),
                 f"policy.{kind}.{s.get('id')}") for i, s in _dicts(document.get(kind))]})
    shaming = document.get("shaming")
    sections.append({"title": "Shaming", "items": [
        item(("shaming",), shaming, SHAMING, "public screens", "whose face is shown",
             "policy.shaming")] if isinstance(shaming, dict) else []})
    return sections


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dicts(value: Any) -> list[tuple[int, dict[str, Any]]]:
    return [(i, v) for i, v in enumerate(_list(value)) if isinstance(v, dict)]


def _control(lines: list[str], headers: list[tuple[int, Loc]], loc: Loc, node: dict,
             name: str, kind: str, optional: bool, hint: str, path: str,
             choices: list[str] | None) -> dict[str, Any] | None:
    """One control, or None for an inline table's key when the table is absent."""
    parts = tuple(name.split("."))
    value: Any = node
    for part in parts:
        value = value.get(part) if isinstance(value, dict) else None
    if len(parts) == 2 and not isinstance(node.get(parts[0]), dict):
        return None  # no cap, no decay: the text view adds one
    full = (*loc, *parts)
    where = _find(lines, headers, full)
    # a value is edited where it stands; a missing key of a table is added as a line; an
    # array only as a set of names, written on one line
    names = isinstance(value, list) and all(isinstance(v, str) for v in value)
    editable = not isinstance(value, dict) and (not isinstance(value, list) or (
        kind == "choices" and names)) and (
        where is not None if value is not None else len(parts) == 1)
    control = {"key": key_of(full), "path": f"{path}.{name}", "name": name, "kind": kind,
               "value": value.isoformat() if isinstance(value, dt.date) else value,
               "line": where[0] + 1 if where else None, "optional": optional,
               "editable": editable, "hint": hint if editable else
               "a dated value, a table or an array over several lines: edit it in the "
               "TOML text"}
    if choices is not None:
        control["choices"] = choices
    return control


# -- where a key's value is in the text ----------------------------------------------------------

def _headers(lines: list[str]) -> list[tuple[int, Loc]]:
    """(line index, location) of each table header; an array table's element gets its index."""
    counts: dict[Loc, int] = {}
    found: list[tuple[int, Loc]] = []
    for i, line in enumerate(lines):
        match = _HEADER.match(line)
        if not match:
            continue
        parts = tuple(p.strip() for p in match.group(2).split("."))
        if match.group(1) == "[[":
            counts[parts] = counts.get(parts, -1) + 1
            found.append((i, (*parts, counts[parts])))
        else:
            found.append((i, parts))
    return found


def _block(lines: list[str], headers: list[tuple[int, Loc]], loc: Loc) -> tuple[int, int, Loc]:
    """The lines (start, end) of the deepest table whose location starts ``loc``, and the rest."""
    start, end, depth = 0, headers[0][0] if headers else len(lines), 0
    for n, (index, path) in enumerate(headers):
        if len(path) > depth and loc[:len(path)] == path and len(path) < len(loc):
            start, depth = index + 1, len(path)
            end = headers[n + 1][0] if n + 1 < len(headers) else len(lines)
    return start, end, loc[depth:]


def _key_line(lines: list[str], start: int, end: int, key: str) -> int | None:
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    return next((i for i in range(start, end) if pattern.match(lines[i])), None)


def _find(lines: list[str], headers: list[tuple[int, Loc]], loc: Loc) -> tuple[int, int,
                                                                                int] | None:
    """(line index, start, end) of the value of ``loc`` on its line, or None."""
    start, end, rest = _block(lines, headers, loc)
    if not rest or not all(isinstance(p, str) for p in rest) or len(rest) > 2:
        return None
    index = _key_line(lines, start, end, str(rest[0]))
    if index is None:
        return None
    line = lines[index]
    begin = line.index("=") + 1
    if len(rest) == 2:  # a key of an inline table on this line
        brace = line.find("{", begin)
        if brace < 0 or line[begin:brace].strip():
            return None
        match = re.compile(rf"[{{,]\s*{re.escape(str(rest[1]))}\s*=").search(line, brace)
        if match is None:
            return None
        begin = match.end()
    span = _token(line, begin, inline=len(rest) == 2)
    return None if span is None else (index, *span)


def _token(line: str, begin: int, *, inline: bool) -> tuple[int, int] | None:
    """The span of the scalar value starting at ``begin`` (after spaces), or None."""
    i = begin
    while i < len(line) and line[i] in " \t":
        i += 1
    if line[i:i + 1] == "[":
        return _array(line, i)
    if line.startswith(('"""', "'''"), i) or line[i:i + 1] in ("{", ""):
        return None  # a multi-line string, a table: the text view edits those
    if line[i] in "\"'":
        quote, j = line[i], i + 1
        while j < len(line) and line[j] != quote:
            j += 2 if quote == '"' and line[j] == "\\" else 1
        return (i, j + 1) if j < len(line) else None
    stops = ",}#" if inline else "#"
    j = i
    while j < len(line) and line[j] not in stops:
        j += 1
    while j > i and line[j - 1] in " \t":
        j -= 1
    return (i, j) if j > i else None


def _array(line: str, begin: int) -> tuple[int, int] | None:
    """The span of the array of strings opening at ``begin`` and closing on the same line."""
    j = begin + 1
    while j < len(line) and line[j] != "]":
        if line[j] in "\"'":
            quote, j = line[j], j + 1
            while j < len(line) and line[j] != quote:
                j += 2 if quote == '"' and line[j] == "\\" else 1
        elif line[j] in "[{#":
            return None  # nested, or a comment inside: the text view edits it
        j += 1
    return (begin, j + 1) if j < len(line) else None


# -- writing values ---------------------------------------------------------------------------

def toml_value(value: Any, old: Any, quote: str = "") -> str:
    r"""A value as TOML, a string in the quotes its old token had (``quote``) where it can be.

    A string that was a date (or looks like one where there was none) is a date.

    >>> toml_value(-20, -10), toml_value(1.5, None), toml_value(True, False)
    ('-20', '1.5', 'true')
    >>> toml_value('grade == "D"', "x"), toml_value("C", "D", '"'), toml_value("C", "D", "'")
    ('\'grade == "D"\'', '"C"', "'C'")
    >>> toml_value("2019-01-01", dt.date(2018, 1, 1)), toml_value(["bank", "court"], ["bank"])
    ('2019-01-01', '["bank", "court"]')
    """
    if isinstance(value, list):
        return f"[{', '.join(toml_value(item, '') for item in value)}]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ("nan" if math.isnan(value) else
                                                         ("inf" if value > 0 else "-inf"))
    if isinstance(value, str):
        if _DATE.fullmatch(value) and (old is None or isinstance(old, dt.date)):
            return value
        literal = "'" not in value and not any(ord(c) < 32 or ord(c) == 127 for c in value)
        if literal and (quote == "'" or (not quote and '"' in value)):
            return f"'{value}'"  # a literal string, as conditions are written
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    raise RefusedError.one(422, f"a value must be a number, true/false, text, a list of "
                                f"names or null, got "
                                f"{type(value).__name__}")


def _get(document: Any, loc: Loc) -> Any:
    node = document
    for part in loc:
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and part < len(node) else None
        else:
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return None
    return node


def _set(document: dict[str, Any], loc: Loc, value: Any) -> None:
    parent = _get(document, loc[:-1]) if len(loc) > 1 else document
    if not isinstance(parent, dict):
        raise KeyError(loc)
    if value is None:
        parent.pop(str(loc[-1]), None)
    else:
        parent[str(loc[-1])] = value


def edit_text(text: str, values: dict[str, Any]) -> str:
    """``text`` with each key's value written in place; None removes an optional key's line.

    Raises:
        RefusedError: 422 for text that is not TOML, a key the text has no table for, or a
            value that cannot be written in place (an array, a multi-line string, an inline
            table's missing key): the TOML text is where to make that change.
    """
    document = read_document(text)
    expected = copy.deepcopy(document)
    for key, value in values.items():
        loc = parse_key(key)
        old = _get(document, loc)
        if value is None and old is None:
            continue  # nothing to remove
        lines = text.split("\n")
        where = _find(lines, _headers(lines), loc)
        if value is None:
            text = _removed(lines, where, key, old)
        elif where is not None:
            index, begin, end = where
            token = toml_value(value, old, lines[index][begin] if lines[index][begin] in "\"'"
                               else "")
            lines[index] = lines[index][:begin] + token + lines[index][end:]
            text = "\n".join(lines)
        else:
            text = _inserted(lines, loc, key, toml_value(value, old))
        try:
            _set(expected, loc, None if value is None else tomllib.loads(
                f"v = {toml_value(value, old)}")["v"])
        except KeyError:
            raise RefusedError.one(422, f"{key}: the policy has no table for this key: add it "
                                        "in the TOML text", key=key) from None
    try:
        written = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        written = None
    if written != expected:
        raise RefusedError.one(422, "these values cannot be written in place: make the change "
                                    "in the TOML text", key=next(iter(values), None))
    return text


def _removed(lines: list[str], where: tuple[int, int, int] | None, key: str, old: Any) -> str:
    if where is None or "{" in lines[where[0]][:where[1]]:
        raise RefusedError.one(422, f"{key}: cannot be removed in place: edit the TOML text",
                               key=key)
    return "\n".join(lines[:where[0]] + lines[where[0] + 1:])


def _inserted(lines: list[str], loc: Loc, key: str, token: str) -> str:
    """The text with ``key = token`` after the last key line of its table."""
    headers = _headers(lines)
    start, end, rest = _block(lines, headers, loc)
    table = len(loc) == 1 or any(path == loc[:-1] for _, path in headers)
    if len(rest) != 1 or not isinstance(rest[0], str) or not table:
        raise RefusedError.one(422, f"{key}: the text has no such key to change, nor a table to "
                                    "add it to: edit the TOML text", key=key)
    last = start - 1
    for i in range(start, end):
        if re.match(r"^\s*[A-Za-z0-9_\-\"']+\s*=", lines[i]):
            last = i
    return "\n".join([*lines[:last + 1], f"{rest[0]} = {token}", *lines[last + 1:]])


def policy_diff(shipped: str, text: str, name: str) -> str:
    r"""The unified diff of ``text`` against a shipped policy's (empty when they are equal).

    >>> print(policy_diff("a = 1\nb = 2\n", "a = 1\nb = 3\n", "p"), end="")
    --- p.toml (shipped)
    +++ your policy
    @@ -1,2 +1,2 @@
     a = 1
    -b = 2
    +b = 3
    """
    return "".join(difflib.unified_diff(shipped.splitlines(keepends=True),
                                        text.splitlines(keepends=True),
                                        fromfile=f"{name}.toml (shipped)", tofile="your policy",
                                        n=2))
