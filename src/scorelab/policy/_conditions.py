"""The policy condition language: parse, check and compile conditions to a numba stack machine.

Policies guard their rules with small boolean conditions such as
``grade in ["C", "D"] or listed("court")`` or ``score < 600 and age >= 18``. This module turns
such a text into a flat postfix bytecode that a numba ``@njit`` stack machine evaluates inside
the simulation's hot loop, with no Python object touched at evaluation time.

Data flow::

    text --(type, length and nesting checks)--> text
         --(lark LALR parser, grammar _GRAMMAR)--> parse tree
         --(_Compiler: names resolved against the policy's grades and lists)--> [opcode, arg] rows
         --(stack depth check)--> CompiledCondition(text, code, uses_score)
    evaluate(code, score, grade, age, listed_mask) --(njit stack machine, _condition_vm)--> bool

The language, and nothing more:

* literals: integers within ``+-MAX_INT`` (optionally negative), ``true``, ``false``, grade names
  in double quotes (only as grades), lists of grade names (only after ``in`` / ``not in``);
* variables: ``score`` and ``age`` (integers) and ``grade`` (the citizen's current grade);
* ``listed("NAME")``: whether the citizen is currently on list NAME;
* comparisons ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=`` between ``score``, ``age`` and
  integers; ``grade == "X"``, ``grade != "X"``, ``grade in [...]``, ``grade not in [...]``;
* ``not``, ``and``, ``or`` (in decreasing precedence) and parentheses.

Nothing in the text is ever evaluated by Python: it is only parsed. Text longer than
``MAX_TEXT_LENGTH`` characters or nested deeper than ``MAX_NESTING`` levels of parentheses and
``not`` is refused before the parser sees it, so hostile input costs bounded time and memory.
Columns in error messages count characters from the start of the text, starting at 1.

Bytecode: ``code`` is an ``int64`` array of shape ``(n_ops, 2)`` holding ``[opcode, argument]``
rows in postfix order. Push opcodes (``OP_CONST``, ``OP_SCORE``, ``OP_AGE``, ``OP_GRADE_EQ``,
``OP_GRADE_IN``, ``OP_LISTED``) push one integer; ``OP_NOT`` replaces the top of the stack; the
comparison and boolean opcodes pop two values and push one. Booleans are 0 and 1.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from lark import Lark, Token, Tree, UnexpectedInput, UnexpectedToken

from scorelab.policy._condition_vm import (
    OP_AGE,
    OP_AND,
    OP_CONST,
    OP_EQ,
    OP_GE,
    OP_GRADE_EQ,
    OP_GRADE_IN,
    OP_GT,
    OP_LE,
    OP_LISTED,
    OP_LT,
    OP_NE,
    OP_NOT,
    OP_OR,
    OP_SCORE,
    OPCODE_NAMES,
    STACK_SIZE,
    disassemble,
    evaluate,
    evaluate_many,
    execute,
)

__all__ = [
    "MAX_GRADES",
    "MAX_INT",
    "MAX_LISTS",
    "MAX_NESTING",
    "MAX_STRING_LENGTH",
    "MAX_TEXT_LENGTH",
    "OPCODE_NAMES",
    "OP_AGE",
    "OP_AND",
    "OP_CONST",
    "OP_EQ",
    "OP_GE",
    "OP_GRADE_EQ",
    "OP_GRADE_IN",
    "OP_GT",
    "OP_LE",
    "OP_LISTED",
    "OP_LT",
    "OP_NE",
    "OP_NOT",
    "OP_OR",
    "OP_SCORE",
    "STACK_SIZE",
    "CompiledCondition",
    "ConditionError",
    "compile_condition",
    "disassemble",
    "evaluate",
    "evaluate_many",
    "execute",
]

# --------------------------------------------------------------------------------------------
# Limits
# --------------------------------------------------------------------------------------------

MAX_TEXT_LENGTH = 2_000
"""Longest condition text accepted, in characters."""

MAX_NESTING = 32
"""Deepest nesting of parentheses and ``not`` accepted."""

MAX_STRING_LENGTH = 64
"""Longest string literal (grade or list name) accepted, in characters."""

MAX_INT = 10**12
"""Largest magnitude of an integer literal."""

MAX_GRADES = 64
"""Most grades a policy may define (a grade set is a bitmask in one int64)."""

MAX_LISTS = 63
"""Most lists a policy may define (membership is a bitmask in one non-negative int64)."""


_COMPARISON_OPCODES = {
    "==": OP_EQ,
    "!=": OP_NE,
    "<": OP_LT,
    "<=": OP_LE,
    ">": OP_GT,
    ">=": OP_GE,
}

_VOCABULARY = 'a condition uses score, age, grade, listed("NAME"), comparisons, and, or, not'

# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


def _quote(value: str, limit: int = 40) -> str:
    """Quote a piece of user text for a message: double quotes, escapes, shortened if long."""
    if len(value) > limit:
        value = f"{value[:limit]}... ({len(value)} characters)"
    return json.dumps(value, ensure_ascii=False)


def _locate(reason: str, column: int | None) -> str:
    """Insert ``at column N`` before the first ``": "`` that is not inside a quoted string."""
    if column is None:
        return reason
    in_quote = False
    escaped = False
    for i, char in enumerate(reason):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            in_quote = not in_quote
        elif char == ":" and not in_quote and reason.startswith(": ", i):
            return f"{reason[:i]} at column {column}{reason[i:]}"
    return f"{reason} at column {column}"


class ConditionError(ValueError):
    """Raised for an invalid condition: the message names the text, column and what was expected.

    Attributes:
        text: The condition text (or a description of a non-string value).
        column: 1-based character position of the problem in ``text``, or None.
        reason: The message without location, e.g. ``unknown list "foo": the policy defines
            lists "court"``.
    """

    def __init__(self, message: str, *, text: str, column: int | None = None):
        self.text = text
        self.column = column
        self.reason = message
        shown = text if len(text) <= 100 else text[:100] + "..."
        super().__init__(f"{_locate(message, column)} (in condition {shown!r})")

    def __reduce__(self):
        """Pickle with the keyword arguments (exceptions cross process boundaries)."""
        return (_rebuild_error, (type(self), self.reason, self.text, self.column))


def _rebuild_error(
    cls: type[ConditionError], reason: str, text: str, column: int | None
) -> ConditionError:
    """Unpickle a :class:`ConditionError`."""
    return cls(reason, text=text, column=column)


# --------------------------------------------------------------------------------------------
# Grammar and parser
# --------------------------------------------------------------------------------------------

_GRAMMAR = r"""
?start: or_expr

?or_expr: and_expr (_OR and_expr)*
?and_expr: not_expr (_AND not_expr)*
?not_expr: _NOT not_expr -> negation
         | atom

?atom: "(" or_expr ")"
     | true
     | false
     | listed
     | num_cmp
     | grade_cmp
     | grade_in
     | grade_not_in

true: _TRUE
false: _FALSE
listed: _LISTED "(" STRING ")"
num_cmp: num CMP num
grade_cmp: _GRADE CMP STRING
grade_in: _GRADE _IN grade_list
grade_not_in: _GRADE _NOT _IN grade_list
grade_list: "[" STRING ("," STRING)* "]"
?num: SCORE | AGE | INT

_OR: /or\b/
_AND: /and\b/
_NOT: /not\b/
_IN: /in\b/
_TRUE: /true\b/
_FALSE: /false\b/
_LISTED: /listed\b/
_GRADE: /grade\b/
SCORE: /score\b/
AGE: /age\b/
INT: /-?[0-9]+/
STRING: /"[^"\n]*"/
CMP: "==" | "!=" | "<=" | ">=" | "<" | ">"

%ignore /[ \t\r\n]+/
"""

_PARSER = Lark(_GRAMMAR, parser="lalr", lexer="contextual")

_KEYWORDS = frozenset(
    {"and", "or", "not", "in", "true", "false", "score", "age", "grade", "listed"}
)

# Display order and wording of the terminals the parser may expect.
_EXPECTED_WORDING: dict[str, str] = {
    "SCORE": '"score"',
    "AGE": '"age"',
    "_GRADE": '"grade"',
    "INT": "an integer",
    "_LISTED": '"listed(...)"',
    "_TRUE": '"true"',
    "_FALSE": '"false"',
    "_NOT": '"not"',
    "LPAR": '"("',
    "CMP": "a comparison (==, !=, <, <=, >, >=)",
    "_IN": '"in"',
    "STRING": "a name in double quotes",
    "LSQB": '"["',
    "COMMA": '","',
    "RSQB": '"]"',
    "_AND": '"and"',
    "_OR": '"or"',
    "RPAR": '")"',
    "$END": "the end of the condition",
}

# One lexical item of the text, for error messages and the nesting pre-scan.
_ITEM = re.compile(r'"[^"\n]*"?|[^\W\d]\w*|\d\w*|==|!=|<=|>=|\*\*|&&|\|\||\S')
_IDENTIFIER = re.compile(r"[^\W\d]\w*")

_HINTS = {
    "=": 'use "==" to compare',
    "'": "names are written in double quotes",
    "**": "arithmetic is not supported",
    "*": "arithmetic is not supported",
    "+": "arithmetic is not supported",
    "-": "arithmetic is not supported",
    "/": "arithmetic is not supported",
    "%": "arithmetic is not supported",
    "!": "use not",
    "&&": "use and",
    "&": "use and",
    "||": "use or",
    "|": "use or",
    ".": "there is no attribute access",
}


def _pre_check(text: object) -> str:
    """Check type, length and nesting depth of a condition before it is parsed.

    Args:
        text: The candidate condition.

    Returns:
        The text as a plain ``str``.

    Raises:
        ConditionError: If the text is not a string, is empty, too long or nested too deeply.
    """
    if not isinstance(text, str):
        raise ConditionError(
            f"a condition must be a str, not {type(text).__name__}",
            text=f"<{type(text).__name__}>",
        )
    text = str.__str__(text)  # a plain str, whatever subclass came in
    if len(text) > MAX_TEXT_LENGTH:
        raise ConditionError(
            f"condition too long ({len(text):,} characters): "
            f"a condition has at most {MAX_TEXT_LENGTH:,} characters",
            text=text,
        )
    if not text.strip():
        raise ConditionError(
            'empty condition: write e.g. true, score < 600 or grade in ["C", "D"]', text=text
        )
    # Nesting = open parentheses + active `not`s. A `not` stays active until the `and`/`or`
    # that ends its operand at the same parenthesis level, or the `)` that closes the level.
    not_counts = [0]
    active_nots = 0
    previous = ""
    for match in _ITEM.finditer(text):
        item = match.group()
        if item == "not":
            not_counts[-1] += 1
            active_nots += 1
        elif item == "in" and previous == "not":  # `grade not in`: a negated test, not a level
            not_counts[-1] -= 1
            active_nots -= 1
        elif item == "(":
            not_counts.append(0)
        elif item == ")":
            if len(not_counts) > 1:
                active_nots -= not_counts.pop()
        elif item in ("and", "or"):
            active_nots -= not_counts[-1]
            not_counts[-1] = 0
        previous = item
        if len(not_counts) - 1 + active_nots > MAX_NESTING:
            raise ConditionError(
                f"condition nested too deeply: at most {MAX_NESTING} levels of parentheses "
                "and not are allowed",
                text=text,
                column=match.start() + 1,
            )
    return text


def _parse_error(text: str, error: UnexpectedInput) -> ConditionError:
    """Translate a lark parse error into a :class:`ConditionError` with column and expectations."""
    if isinstance(error, UnexpectedToken) and error.token.type == "$END":
        position = len(text.rstrip())
        expected = error.expected
        found = None
    else:
        if isinstance(error, UnexpectedToken):
            position = error.token.start_pos
            expected = error.expected
        else:
            position = error.pos_in_stream
            expected = getattr(error, "allowed", None) or set()
        if position is None:  # pragma: no cover - lark always sets it for LALR
            position = 0
        item = _ITEM.match(text, position)
        found = item.group() if item else text[position : position + 1]
    column = position + 1
    prefix = text[:position]

    names = set(expected)
    if found is None:
        what = "unexpected end of condition"
    elif found.startswith('"') and (len(found) == 1 or not found.endswith('"')):
        return ConditionError(
            "unterminated string: close it with a double quote on the same line",
            text=text,
            column=column,
        )
    elif found.startswith('"'):
        what = f"unexpected string {_quote(found[1:-1])}"
    else:
        what = f"unexpected {_quote(found)}"

    if found is not None and _IDENTIFIER.fullmatch(found) and found not in _KEYWORDS:
        if names == {"STRING"}:
            return ConditionError(
                f"{what}: names are written in double quotes, e.g. {_quote(found)}",
                text=text,
                column=column,
            )
        close = difflib.get_close_matches(found.lower(), sorted(_KEYWORDS), n=1)
        hint = f' (did you mean "{close[0]}"?)' if close else ""
        return ConditionError(f"{what}: {_VOCABULARY}{hint}", text=text, column=column)
    if re.search(r"\bgrade\s*(<=|>=|<|>)\s*$", prefix):
        return ConditionError(
            "grades are not ordered: compare grades with ==, != or in [...]",
            text=text,
            column=column,
        )
    if found is not None and found.startswith('"'):
        hint = " (only grade is compared with names in double quotes)"
    else:
        hint = f" ({_HINTS[found]})" if found in _HINTS else ""
    if _unclosed_parentheses(prefix) == 0:
        names.discard("RPAR")  # LALR lookahead may offer ")" where no "(" is open
    wording = [_EXPECTED_WORDING[n] for n in _EXPECTED_WORDING if n in names]
    wording += sorted(n for n in names if n not in _EXPECTED_WORDING)
    if not wording:  # pragma: no cover - lark always reports something
        return ConditionError(f"{what}: {_VOCABULARY}{hint}", text=text, column=column)
    if len(wording) == 1:
        expects = wording[0]
    else:
        expects = "one of " + ", ".join(wording[:-1]) + " or " + wording[-1]
    return ConditionError(f"{what}: expected {expects}{hint}", text=text, column=column)


def _unclosed_parentheses(prefix: str) -> int:
    """Count the parentheses opened and not closed in ``prefix`` (string literals skipped)."""
    depth = 0
    for match in _ITEM.finditer(prefix):
        if match.group() == "(":
            depth += 1
        elif match.group() == ")":
            depth -= 1
    return depth


# --------------------------------------------------------------------------------------------
# Compiler
# --------------------------------------------------------------------------------------------


class _Compiler:
    """Turn a parse tree into postfix ``[opcode, arg]`` rows, resolving grade and list names.

    The tree's depth is bounded by the nesting check (and/or chains are flat n-ary nodes), so
    the recursion here stays shallow.
    """

    def __init__(self, text: str, grades: tuple[str, ...], lists: tuple[str, ...]):
        self.text = text
        self.grades = grades
        self.lists = lists
        self.grade_index = {name: i for i, name in enumerate(grades)}
        self.list_index = {name: i for i, name in enumerate(lists)}
        self.code: list[tuple[int, int]] = []

    def error(self, message: str, token: Token | None) -> ConditionError:
        """Build a :class:`ConditionError` located at ``token``."""
        column = None if token is None or token.start_pos is None else token.start_pos + 1
        return ConditionError(message, text=self.text, column=column)

    def emit(self, node: Tree | Token) -> None:
        """Append the code of ``node`` (postfix)."""
        if isinstance(node, Token):  # pragma: no cover - the grammar never yields a bare token
            raise self.error(f"unexpected {_quote(str(node))}: {_VOCABULARY}", node)
        kind = node.data
        if kind in ("or_expr", "and_expr"):
            opcode = OP_OR if kind == "or_expr" else OP_AND
            self.emit(node.children[0])
            for child in node.children[1:]:
                self.emit(child)
                self.code.append((opcode, 0))
        elif kind == "negation":
            self.emit(node.children[0])
            self.code.append((OP_NOT, 0))
        elif kind == "true":
            self.code.append((OP_CONST, 1))
        elif kind == "false":
            self.code.append((OP_CONST, 0))
        elif kind == "listed":
            (name_token,) = node.children
            self.code.append((OP_LISTED, self.list_position(name_token)))
        elif kind == "num_cmp":
            left, operator, right = node.children
            self.emit_number(left)
            self.emit_number(right)
            self.code.append((_COMPARISON_OPCODES[str(operator)], 0))
        elif kind == "grade_cmp":
            operator, name_token = node.children
            if str(operator) not in ("==", "!="):
                raise self.error(
                    f"grades are not ordered ({_quote(str(operator))}): "
                    "compare grades with ==, != or in [...]",
                    operator,
                )
            self.code.append((OP_GRADE_EQ, self.grade_position(name_token)))
            if str(operator) == "!=":
                self.code.append((OP_NOT, 0))
        elif kind in ("grade_in", "grade_not_in"):
            (grade_list,) = node.children
            mask = 0
            for name_token in grade_list.children:
                mask |= 1 << self.grade_position(name_token)
            if mask >= 1 << 63:  # bit 63 as a two's complement int64
                mask -= 1 << 64
            self.code.append((OP_GRADE_IN, mask))
            if kind == "grade_not_in":
                self.code.append((OP_NOT, 0))
        else:  # pragma: no cover - every grammar rule is handled above
            raise self.error(f"unsupported construct {kind!r}: {_VOCABULARY}", None)

    def emit_number(self, token: Token) -> None:
        """Append the code pushing ``score``, ``age`` or an integer literal."""
        if token.type == "SCORE":
            self.code.append((OP_SCORE, 0))
        elif token.type == "AGE":
            self.code.append((OP_AGE, 0))
        else:
            digits = str(token).lstrip("-")
            if len(digits.lstrip("0")) > len(str(MAX_INT)):  # never build a huge int
                raise self.error(
                    f"integer {_quote(str(token))} out of range: "
                    f"integers lie between {-MAX_INT} and {MAX_INT}",
                    token,
                )
            value = int(str(token))
            if abs(value) > MAX_INT:
                raise self.error(
                    f"integer {value} out of range: integers lie between {-MAX_INT} and {MAX_INT}",
                    token,
                )
            self.code.append((OP_CONST, value))

    def string_value(self, token: Token) -> str:
        """Return the contents of a string literal, refusing over-long ones."""
        value = str(token)[1:-1]
        if len(value) > MAX_STRING_LENGTH:
            raise self.error(
                f"string {_quote(value)} too long: names have at most "
                f"{MAX_STRING_LENGTH} characters",
                token,
            )
        return value

    def grade_position(self, token: Token) -> int:
        """Return the index of the grade named by a string literal."""
        name = self.string_value(token)
        if name not in self.grade_index:
            known = ", ".join(_quote(g) for g in self.grades)
            raise self.error(f"unknown grade {_quote(name)}: expected one of {known}", token)
        return self.grade_index[name]

    def list_position(self, token: Token) -> int:
        """Return the index (bit) of the list named by a string literal."""
        name = self.string_value(token)
        if name not in self.list_index:
            if self.lists:
                known = "the policy defines lists " + ", ".join(_quote(n) for n in self.lists)
            else:
                known = "the policy defines no lists"
            close = difflib.get_close_matches(name, self.lists, n=1)
            hint = f" (did you mean {_quote(close[0])}?)" if close else ""
            raise self.error(f"unknown list {_quote(name)}: {known}{hint}", token)
        return self.list_index[name]


def _stack_depth(code: np.ndarray) -> int:
    """Return the largest stack depth the postfix ``code`` reaches."""
    depth = deepest = 0
    for opcode in code[:, 0]:
        if opcode <= OP_LISTED:
            depth += 1
        elif opcode != OP_NOT:
            depth -= 1
        deepest = max(deepest, depth)
    return deepest


def _names(values: Sequence[str], what: str, limit: int) -> tuple[str, ...]:
    """Validate the policy's grade or list names."""
    if isinstance(values, str | bytes):
        raise TypeError(f"{what} must be a sequence of names, not a single {type(values).__name__}")
    names = tuple(values)
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"{what} must be strings, got {type(name).__name__}: {name!r}")
    if len(names) > limit:
        raise ValueError(f"too many {what}: {len(names)}, at most {limit}")
    if len(set(names)) != len(names):
        duplicates = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"duplicate {what}: {', '.join(_quote(n) for n in duplicates)}")
    return names


@dataclass(frozen=True, eq=False)
class CompiledCondition:
    """A condition compiled for :func:`evaluate`.

    Attributes:
        text: The source text.
        code: Read-only ``int64`` array of shape ``(n_ops, 2)``: ``[opcode, arg]`` rows in
            postfix order.
        uses_score: Whether the condition reads ``score`` (its value can change when only the
            score changes); False means it may be cached across score updates.
    """

    text: str
    code: np.ndarray
    uses_score: bool


def compile_condition(
    text: str, *, grades: Sequence[str], lists: Sequence[str]
) -> CompiledCondition:
    """Parse, check and compile a condition.

    Args:
        text: The condition, e.g. ``'grade in ["C", "D"] or listed("court")'``.
        grades: Grade names best first (index 0 = best), at most ``MAX_GRADES``.
        lists: List names; list ``i`` is bit ``i`` of the listed mask. At most ``MAX_LISTS``.

    Returns:
        The compiled condition.

    Raises:
        ConditionError: If the text is not a valid condition for these grades and lists.
        TypeError: If ``grades`` or ``lists`` are not sequences of strings.
        ValueError: If ``grades`` or ``lists`` hold duplicates or too many names.

    Example:
        >>> c = compile_condition('score < 600 or listed("court")', grades=["A", "B"],
        ...                       lists=["court"])
        >>> disassemble(c.code)
        ['SCORE', 'CONST 600', 'LT', 'LISTED 0', 'OR']
        >>> bool(evaluate(c.code, 650, 0, 30, 0b1)), bool(evaluate(c.code, 650, 0, 30, 0))
        (True, False)
    """
    grade_names = _names(grades, "grades", MAX_GRADES)
    list_names = _names(lists, "lists", MAX_LISTS)
    text = _pre_check(text)
    try:
        tree = _PARSER.parse(text)
    except UnexpectedInput as error:
        raise _parse_error(text, error) from None
    compiler = _Compiler(text, grade_names, list_names)
    compiler.emit(tree)
    code = np.array(compiler.code, dtype=np.int64).reshape(-1, 2)
    if _stack_depth(code) > STACK_SIZE:
        raise ConditionError(
            f"condition too complex: evaluating it needs more than {STACK_SIZE} stack slots",
            text=text,
        )
    code.flags.writeable = False
    return CompiledCondition(text=text, code=code, uses_score=bool((code[:, 0] == OP_SCORE).any()))

