"""Tests for the policy condition language (scorelab.policy._conditions)."""

from __future__ import annotations

import builtins
import itertools
import operator
import os
import pickle
import subprocess
import time
import tracemalloc
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scorelab.policy import _conditions as cond
from scorelab.policy._condition_vm import (
    OP_AND,
    OP_CONST,
    OP_SCORE,
    STACK_SIZE,
    disassemble,
    evaluate,
    evaluate_many,
)
from scorelab.policy._conditions import (
    MAX_INT,
    MAX_NESTING,
    MAX_TEXT_LENGTH,
    CompiledCondition,
    ConditionError,
    compile_condition,
)

GRADES = ["AAA", "AA", "A", "B", "C", "D"]
LISTS = ["court", "debtors", "watch"]
SETTINGS = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@dataclass(frozen=True)
class State:
    score: int
    grade: int
    age: int
    mask: int

    def on(self, name: str) -> bool:
        return bool(self.mask >> LISTS.index(name) & 1)


def compile_(text: str) -> CompiledCondition:
    return compile_condition(text, grades=GRADES, lists=LISTS)


def run(text: str, state: State) -> bool:
    code = compile_(text).code
    return bool(evaluate(code, state.score, state.grade, state.age, state.mask))


def error_of(text, grades=GRADES, lists=LISTS) -> ConditionError:
    with pytest.raises(ConditionError) as info:
        compile_condition(text, grades=grades, lists=lists)
    return info.value


STATES = [
    State(score, grade, age, mask)
    for score, grade, age, mask in itertools.product(
        [-50, 0, 599, 600, 601, 1000], range(len(GRADES)), [0, 17, 18, 65], [0, 1, 2, 5, 7]
    )
]

# --------------------------------------------------------------------------------------------
# Valid conditions: a table against Python truth
# --------------------------------------------------------------------------------------------

TABLE = [
    ("true", lambda s: True),
    ("false", lambda s: False),
    ('grade in ["C", "D"] or listed("court")', lambda s: s.grade in (4, 5) or s.on("court")),
    ("score < 600 and age >= 18", lambda s: s.score < 600 and s.age >= 18),
    ('not listed("court")', lambda s: not s.on("court")),
    ('grade == "AAA"', lambda s: s.grade == 0),
    ('grade != "B"', lambda s: s.grade != 3),
    ('grade not in ["AAA", "AA"]', lambda s: s.grade not in (0, 1)),
    ('grade in ["D", "D"]', lambda s: s.grade == 5),
    ("score == 600", lambda s: s.score == 600),
    ("score != 600", lambda s: s.score != 600),
    ("score <= 600", lambda s: s.score <= 600),
    ("score > 600", lambda s: s.score > 600),
    ("score >= -50", lambda s: s.score >= -50),
    ("18 <= age", lambda s: s.age >= 18),
    ("age > score", lambda s: s.age > s.score),
    ("3 < 4", lambda s: True),
    ("-1000000000000 < score", lambda s: True),
    ("score<600", lambda s: s.score < 600),
    ("true or false and false", lambda s: True),  # and binds tighter than or
    ("(true or false) and false", lambda s: False),
    ("not true or true", lambda s: True),  # not binds tighter than or
    ("not (true or true)", lambda s: False),
    ("not not true", lambda s: True),
    ("not score < 600", lambda s: not s.score < 600),
    (
        'listed("court") and listed("debtors") or listed("watch")',
        lambda s: s.on("court") and s.on("debtors") or s.on("watch"),
    ),
    (
        'listed("court") and (listed("debtors") or listed("watch"))',
        lambda s: s.on("court") and (s.on("debtors") or s.on("watch")),
    ),
    (
        'not grade in ["A"] and not listed("watch")',
        lambda s: s.grade != 2 and not s.on("watch"),
    ),
    ("\n  score   >=\t600\n  and age < 65 ", lambda s: s.score >= 600 and s.age < 65),
    ('((grade == "C"))', lambda s: s.grade == 4),
    ("true and true and true and false", lambda s: False),
    ("false or false or false or true", lambda s: True),
]


@pytest.mark.parametrize(("text", "truth"), TABLE, ids=[t for t, _ in TABLE])
def test_table_of_valid_conditions(text, truth):
    code = compile_(text).code
    for s in STATES:
        assert bool(evaluate(code, s.score, s.grade, s.age, s.mask)) is truth(s), s


def test_compiled_condition_fields():
    compiled = compile_("score < 600 and true")
    assert compiled.text == "score < 600 and true"
    assert compiled.code.dtype == np.int64
    assert compiled.code.shape == (5, 2)
    assert compiled.code[0].tolist() == [OP_SCORE, 0]
    assert compiled.code[1].tolist() == [OP_CONST, 600]
    assert compiled.code[-1].tolist() == [OP_AND, 0]
    assert not compiled.code.flags.writeable
    assert compiled.uses_score
    assert not compile_('age > 3 or grade == "A" or listed("court")').uses_score
    with pytest.raises(AttributeError):
        compiled.text = "false"  # type: ignore[misc]


def test_disassemble():
    code = compile_('grade in ["C", "D"] or not listed("watch")').code
    assert disassemble(code) == ["GRADE_IN 0b110000", "LISTED 2", "NOT", "OR"]
    assert disassemble(compile_('grade != "A"').code) == ["GRADE_EQ 2", "NOT"]


def test_evaluate_many_matches_evaluate():
    code = compile_('score < 600 and age >= 18 or grade in ["C"] or listed("debtors")').code
    scores = np.array([s.score for s in STATES], dtype=np.int64)
    grades = np.array([s.grade for s in STATES], dtype=np.int64)
    ages = np.array([s.age for s in STATES], dtype=np.int64)
    masks = np.array([s.mask for s in STATES], dtype=np.int64)
    out = evaluate_many(code, scores, grades, ages, masks)
    assert out.dtype == np.bool_
    assert out.tolist() == [bool(evaluate(code, s.score, s.grade, s.age, s.mask)) for s in STATES]


def test_sixty_four_grades_and_sixty_three_lists():
    grades = [f"G{i}" for i in range(64)]
    lists = [f"L{i}" for i in range(63)]
    code = compile_condition('grade in ["G63", "G0"]', grades=grades, lists=lists).code
    assert [bool(evaluate(code, 0, g, 0, 0)) for g in (0, 1, 62, 63)] == [
        True,
        False,
        False,
        True,
    ]
    code = compile_condition('listed("L62") and not listed("L0")', grades=grades, lists=lists)
    assert evaluate(code.code, 0, 0, 0, 1 << 62)
    assert not evaluate(code.code, 0, 0, 0, (1 << 62) | 1)
    with pytest.raises(ValueError, match="at most 64"):
        compile_condition("true", grades=grades + ["G64"], lists=[])
    with pytest.raises(ValueError, match="at most 63"):
        compile_condition("true", grades=[], lists=lists + ["L63"])


def test_out_of_range_grade_index_is_no_grade():
    code = compile_('grade in ["AAA", "AA", "A", "B", "C", "D"] or grade == "AAA"').code
    for grade in (-1, 6, 64, 1000):
        assert not evaluate(code, 0, grade, 0, 0)


def test_invalid_policy_names():
    with pytest.raises(TypeError, match="sequence of names"):
        compile_condition("true", grades="ABC", lists=[])
    with pytest.raises(TypeError, match="strings"):
        compile_condition("true", grades=["A", 1], lists=[])
    with pytest.raises(ValueError, match='duplicate lists: "x"'):
        compile_condition("true", grades=["A"], lists=["x", "y", "x"])


def test_evaluator_rejects_malformed_code():
    for rows in ([[0, 0]], [[OP_AND, 0]], [[OP_CONST, 1], [OP_CONST, 1]], [[99, 0]]):
        with pytest.raises(ValueError):
            evaluate(np.array(rows, dtype=np.int64), 0, 0, 0, 0)
    with pytest.raises(ValueError, match="overflows"):
        evaluate(np.array([[OP_CONST, 1]] * (STACK_SIZE + 1), dtype=np.int64), 0, 0, 0, 0)


# --------------------------------------------------------------------------------------------
# Property: random conditions from the grammar against a Python reference
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    text: str
    fn: object  # State -> bool
    prec: int  # 1 or, 2 and, 3 not, 4 atom


COMPARISONS = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
SPACE = st.sampled_from([" ", "  ", "\t", "\n "])


@st.composite
def numbers(draw):
    kind = draw(st.sampled_from(["score", "age", "int", "big"]))
    if kind == "score":
        return "score", lambda s: s.score
    if kind == "age":
        return "age", lambda s: s.age
    value = draw(st.integers(-MAX_INT, MAX_INT) if kind == "big" else st.integers(-30, 30))
    return str(value), lambda s: value


@st.composite
def atoms(draw):
    kind = draw(st.sampled_from(["bool", "listed", "num", "grade", "in"]))
    if kind == "bool":
        value = draw(st.booleans())
        return Node("true" if value else "false", lambda s: value, 4)
    if kind == "listed":
        name = draw(st.sampled_from(LISTS))
        return Node(f'listed("{name}")', lambda s: s.on(name), 4)
    if kind == "num":
        (lt, lf), (rt, rf) = draw(numbers()), draw(numbers())
        op = draw(st.sampled_from(sorted(COMPARISONS)))
        fn = COMPARISONS[op]
        sp = draw(SPACE)
        return Node(f"{lt}{sp}{op}{sp}{rt}", lambda s: fn(lf(s), rf(s)), 4)
    if kind == "grade":
        index = draw(st.integers(0, len(GRADES) - 1))
        if draw(st.booleans()):
            return Node(f'grade == "{GRADES[index]}"', lambda s: s.grade == index, 4)
        return Node(f'grade != "{GRADES[index]}"', lambda s: s.grade != index, 4)
    chosen = draw(st.lists(st.integers(0, len(GRADES) - 1), min_size=1, max_size=8))
    names = ", ".join(f'"{GRADES[i]}"' for i in chosen)
    members = frozenset(chosen)
    if draw(st.booleans()):
        return Node(f"grade in [{names}]", lambda s: s.grade in members, 4)
    return Node(f"grade not in [{names}]", lambda s: s.grade not in members, 4)


def wrap(node: Node, minimum: int, force: bool = False) -> str:
    return f"({node.text})" if force or node.prec < minimum else node.text


@st.composite
def conditions(draw, depth: int = 4):
    if depth == 0 or draw(st.integers(0, 2)) == 0:
        return draw(atoms())
    kind = draw(st.sampled_from(["not", "and", "or", "paren"]))
    if kind == "paren":
        inner = draw(conditions(depth - 1))
        return Node(f"({inner.text})", inner.fn, 4)
    if kind == "not":
        inner = draw(conditions(depth - 1))
        return Node(f"not {wrap(inner, 3)}", lambda s: not inner.fn(s), 3)
    left, right = draw(conditions(depth - 1)), draw(conditions(depth - 1))
    sp = draw(SPACE)
    if kind == "and":
        text = f"{wrap(left, 2)}{sp}and{sp}{wrap(right, 2)}"
        return Node(text, lambda s: left.fn(s) and right.fn(s), 2)
    text = f"{wrap(left, 1)}{sp}or{sp}{wrap(right, 1)}"
    return Node(text, lambda s: left.fn(s) or right.fn(s), 1)


states = st.builds(
    State,
    score=st.integers(-30, 30) | st.integers(-(2**40), 2**40),
    grade=st.integers(0, len(GRADES) - 1),
    age=st.integers(-30, 30) | st.integers(0, 120),
    mask=st.integers(0, 2 ** len(LISTS) - 1),
)


@SETTINGS
@given(node=conditions(), sample=st.lists(states, min_size=1, max_size=6))
def test_random_conditions_match_reference(node, sample):
    compiled = compile_(node.text)
    assert compiled.uses_score == ("score" in node.text)
    for s in sample:
        got = evaluate(compiled.code, s.score, s.grade, s.age, s.mask)
        assert bool(got) is bool(node.fn(s)), (node.text, s)


@SETTINGS
@given(
    text=st.text(
        alphabet=st.sampled_from(list("scoreagdlitnufb()[]<>=!\"., -0123456789\n_*'")),
        max_size=60,
    )
    | st.text(max_size=60)
)
def test_arbitrary_text_is_compiled_or_refused_cleanly(text):
    try:
        compiled = compile_(text)
    except ConditionError as error:
        assert error.text == text
        assert error.column is None or 1 <= error.column <= len(text) + 1
        assert error.column is None or f" at column {error.column}" in str(error)
    else:
        evaluate(compiled.code, 1, 2, 3, 4)


@SETTINGS
@given(node=conditions(depth=3), data=st.data())
def test_mutated_conditions_are_compiled_or_refused_cleanly(node, data):
    text = node.text
    position = data.draw(st.integers(0, len(text)))
    insert = data.draw(st.sampled_from(["", "(", ")", '"', "not ", "and", "[", "x", "-", "=="]))
    cut = data.draw(st.integers(0, 3))
    mutated = text[:position] + insert + text[position + cut :]
    try:
        compiled = compile_(mutated)
    except ConditionError:
        return
    evaluate(compiled.code, 1, 2, 3, 4)


# --------------------------------------------------------------------------------------------
# Attacks
# --------------------------------------------------------------------------------------------

ATTACKS = [
    "__import__('os').system('echo hi')",
    '__import__("os").system("echo hi")',
    "().__class__.__bases__",
    "score.__class__",
    "[x for x in ()]",
    "grade[0]",
    "2**99999999",
    "9**9**9",
    "(lambda: 1)()",
    "exec('1')",
    'eval("1")',
    'listed("court").__class__',
    "open('/etc/passwd').read()",
    "score if true else age",
    "{}",
    "score < 600; import os",
    "1 + 1 == 2",
    "-score < 0",
    "f'{score}'",
    "\\x00",
    "\x00",
    "score < 1e999",
    "score < 0x10",
    "score < 1_000",
    'grade == "A" == "A"',
    "\u0073core < 5 and \uff53core < 5",
]


@pytest.fixture
def tripwires(monkeypatch):
    calls = []

    def trip(name):
        def tripped(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"{name} was called")

        return tripped

    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, trip(name))
    real_import = builtins.__import__

    def guarded_import(name, *args, **kwargs):
        if name.split(".")[0] in ("os", "subprocess", "sys", "posix", "shutil", "importlib"):
            calls.append(f"import {name}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", guarded_import)
    monkeypatch.setattr(os, "system", trip("os.system"))
    monkeypatch.setattr(subprocess, "Popen", trip("subprocess.Popen"))
    return calls


@pytest.mark.parametrize("text", ATTACKS)
def test_attacks_are_refused_quickly_and_run_nothing(text, tripwires):
    start = time.perf_counter()
    with pytest.raises(ConditionError) as info:
        compile_(text)
    assert time.perf_counter() - start < 0.5
    assert tripwires == []
    assert info.value.column is not None


@pytest.mark.parametrize(
    "text",
    [
        "(" * 10_000 + "true" + ")" * 10_000,
        "not " * 10_000 + "true",
        "[" * 10_000,
        "x" * 1_000_000,
    ],
    ids=["parens", "nots", "brackets", "megabyte"],
)
def test_huge_inputs_are_refused_in_bounded_time_and_memory(text):
    tracemalloc.start()
    start = time.perf_counter()
    try:
        error = error_of(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 0.5
    assert peak < 1_000_000
    assert f"at most {MAX_TEXT_LENGTH:,} characters" in str(error)
    assert error.column is None


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("(" * 40 + "true" + ")" * 40, MAX_NESTING + 1),
        ("not " * 40 + "true", 4 * MAX_NESTING + 1),
        ("not (" * 20 + "true" + ")" * 20, 5 * (MAX_NESTING // 2) + 1),
        ("true and (" * 33 + "true" + ")" * 33, 10 * MAX_NESTING + 10),
        ("[" * 500, None),
    ],
)
def test_deep_nesting_within_length_is_refused(text, column):
    assert len(text) <= MAX_TEXT_LENGTH
    error = error_of(text)
    if column is not None:
        assert f"at most {MAX_NESTING} levels" in str(error)
        assert error.column == column


@pytest.mark.parametrize(
    "text",
    [
        "(" * MAX_NESTING + "true" + ")" * MAX_NESTING,
        "not " * MAX_NESTING + "true",
        "not (" * (MAX_NESTING // 2) + "false" + ")" * (MAX_NESTING // 2),
        " and ".join(["not not true"] * 100),  # long flat chains are not nesting
        " or ".join(['grade not in ["A"]'] * 90),
    ],
)
def test_nesting_up_to_the_limit_is_accepted(text):
    assert len(text) <= MAX_TEXT_LENGTH
    code = compile_(text).code
    evaluate(code, 0, 2, 0, 0)


def test_stack_limit_is_enforced(monkeypatch):
    monkeypatch.setattr(cond, "MAX_NESTING", 200)
    text = "true and (" * 70 + "true" + ")" * 70
    error = error_of(text)
    assert f"more than {STACK_SIZE} stack slots" in str(error)


def test_long_strings_and_identifiers():
    error = error_of('grade == "' + "A" * 500 + '"')
    assert "at most 64 characters" in str(error)
    assert error.column == 10
    error = error_of('listed("' + "c" * 65 + '")')
    assert "at most 64 characters" in str(error)
    error = error_of("a" * 1_500 + " < 5")
    assert "(1500 characters)" in str(error)
    assert len(str(error)) < 400
    assert "a condition uses score, age, grade" in str(error)


@pytest.mark.parametrize(
    "literal", ["1000000000001", "-1000000000001", "9223372036854775808", "9" * 1_000]
)
def test_integers_out_of_range(literal):
    error = error_of(f"score < {literal}")
    assert "out of range" in str(error)
    assert "between -1000000000000 and 1000000000000" in str(error)
    assert error.column == 9


def test_integer_limits_are_inclusive():
    assert run(f"score < {MAX_INT}", State(0, 0, 0, 0))
    assert run(f"score > -{MAX_INT}", State(0, 0, 0, 0))
    assert run("score == 0000000000000000042", State(42, 0, 0, 0))


@pytest.mark.parametrize("value", [None, b"true", 1, ["true"], True])
def test_non_string_input(value):
    with pytest.raises(ConditionError, match=f"must be a str, not {type(value).__name__}"):
        compile_(value)


def test_str_subclass_is_accepted():
    class Sneaky(str):
        def __str__(self):
            return "__import__('os')"

    compiled = compile_(Sneaky("true"))
    assert type(compiled.text) is str
    assert compiled.text == "true"


# --------------------------------------------------------------------------------------------
# Error messages
# --------------------------------------------------------------------------------------------


def test_unknown_grade_names_column_and_grades():
    error = error_of('score < 5 or grade == "Z"')
    assert str(error).startswith(
        'unknown grade "Z" at column 23: expected one of "AAA", "AA", "A", "B", "C", "D"'
    )
    assert error.column == 23
    assert error.reason == 'unknown grade "Z": expected one of "AAA", "AA", "A", "B", "C", "D"'
    assert error.text == 'score < 5 or grade == "Z"'
    assert 'grade == "Z"' in str(error)
    assert error_of('grade in ["C", "Q"]').column == 16


def test_unknown_list():
    error = error_of('listed("foo")', lists=["court"])
    assert error.reason == 'unknown list "foo": the policy defines lists "court"'
    assert error.column == 8
    assert "no lists" in str(error_of('listed("court")', lists=[]))
    assert 'did you mean "court"' in str(error_of('listed("cuort")', lists=["court"]))


def test_unknown_name():
    error = error_of("__import__('os').system('echo hi')")
    assert str(error).startswith(
        'unexpected "__import__" at column 1: a condition uses score, age, grade, '
        'listed("NAME"), comparisons, and, or, not'
    )
    assert 'did you mean "score"' in str(error_of("scroe < 5"))
    assert 'did you mean "true"' in str(error_of("True"))
    assert error_of("score < 5 and scoreboard > 2").column == 15
    assert error_of('notlisted("court")').column == 1


def test_grade_ordering_is_refused():
    for text, column in [('grade < "A"', 7), ('grade >= "C"', 7), ("grade > 3", 9)]:
        error = error_of(text)
        assert "compare grades with ==, != or in [...]" in str(error)
        assert error.column == column


def test_syntax_errors_name_what_was_expected():
    error = error_of("score <")
    assert (
        error.reason == 'unexpected end of condition: expected one of "score", "age" or an integer'
    )
    assert error.column == 8
    error = error_of("(true")
    assert error.reason == 'unexpected end of condition: expected ")"'
    error = error_of("true)")
    assert error.reason == 'unexpected ")": expected the end of the condition'
    assert error.column == 5
    error = error_of("score = 5")
    assert 'use "==" to compare' in str(error)
    assert error.column == 7
    assert '")"' not in error.reason  # no ")" offered where none is open
    error = error_of('score == "A"')
    assert "only grade is compared with names" in str(error)
    error = error_of("listed(court)")
    assert 'names are written in double quotes, e.g. "court"' in str(error)
    error = error_of('"abc')
    assert error.reason.startswith("unterminated string")
    assert error.column == 1
    error = error_of("grade in []")
    assert "expected a name in double quotes" in str(error)
    assert error.column == 11
    error = error_of("   ")
    assert error.reason.startswith("empty condition")
    error = error_of("age in [1]")
    assert error.column == 5
    assert "a comparison (==, !=, <, <=, >, >=)" in str(error)
    error = error_of("score < 5 < 6")
    assert error.column == 11


def test_error_pickles():
    error = error_of('grade == "Z"')
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is ConditionError
    assert (clone.reason, clone.text, clone.column, str(clone)) == (
        error.reason,
        error.text,
        error.column,
        str(error),
    )


def test_error_constructor_places_column():
    error = ConditionError('odd "a: b" thing: detail', text="x", column=3)
    assert str(error).startswith('odd "a: b" thing at column 3: detail')
    assert str(ConditionError("plain", text="x", column=2)).startswith("plain at column 2")
    assert str(ConditionError("plain", text="x")).startswith("plain (in condition")
    assert isinstance(error, ValueError)
