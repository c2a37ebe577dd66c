"""The stack machine that evaluates compiled conditions inside numba code.

Bytecode comes from :func:`scorelab.policy._conditions.compile_condition`: an
``int64`` array of ``[opcode, argument]`` rows in postfix order. Push opcodes
(``OP_CONST``, ``OP_SCORE``, ``OP_AGE``, ``OP_GRADE_EQ``, ``OP_GRADE_IN``,
``OP_LISTED``) push one integer; ``OP_NOT`` replaces the top of the stack; the
comparison and boolean opcodes pop two values and push one. Booleans are 0 and 1.
"""

from __future__ import annotations

import numpy as np
from numba import njit

STACK_SIZE = 64
"""Size of the evaluator's value stack; the compiler refuses code that would need more."""

# --------------------------------------------------------------------------------------------
# Opcodes (0 is deliberately invalid, so that a zero-filled array is caught)
# --------------------------------------------------------------------------------------------

OP_CONST = 1  # push arg
OP_SCORE = 2  # push score
OP_AGE = 3  # push age
OP_GRADE_EQ = 4  # push grade == arg
OP_GRADE_IN = 5  # push bit `grade` of the mask arg
OP_LISTED = 6  # push bit arg of listed_mask
OP_EQ = 7  # pop b, a; push a == b
OP_NE = 8  # pop b, a; push a != b
OP_LT = 9  # pop b, a; push a < b
OP_LE = 10  # pop b, a; push a <= b
OP_GT = 11  # pop b, a; push a > b
OP_GE = 12  # pop b, a; push a >= b
OP_AND = 13  # pop b, a; push a and b
OP_OR = 14  # pop b, a; push a or b
OP_NOT = 15  # replace the top a by not a

OPCODE_NAMES: dict[int, str] = {
    OP_CONST: "CONST",
    OP_SCORE: "SCORE",
    OP_AGE: "AGE",
    OP_GRADE_EQ: "GRADE_EQ",
    OP_GRADE_IN: "GRADE_IN",
    OP_LISTED: "LISTED",
    OP_EQ: "EQ",
    OP_NE: "NE",
    OP_LT: "LT",
    OP_LE: "LE",
    OP_GT: "GT",
    OP_GE: "GE",
    OP_AND: "AND",
    OP_OR: "OR",
    OP_NOT: "NOT",
}
"""Opcode number to mnemonic, for :func:`disassemble` and debugging."""


def disassemble(code: np.ndarray) -> list[str]:
    """Render bytecode as mnemonics, e.g. ``['SCORE', 'CONST 600', 'LT']``.

    Args:
        code: An ``(n_ops, 2)`` bytecode array.

    Returns:
        One string per instruction; the argument is shown for the push opcodes that use it
        (``GRADE_IN`` masks in binary).
    """
    lines = []
    for opcode, argument in np.asarray(code).tolist():
        name = OPCODE_NAMES.get(opcode, f"?{opcode}")
        if opcode == OP_GRADE_IN:
            lines.append(f"{name} 0b{argument & ((1 << 64) - 1):b}")
        elif opcode in (OP_CONST, OP_GRADE_EQ, OP_LISTED):
            lines.append(f"{name} {argument}")
        else:
            lines.append(name)
    return lines


# --------------------------------------------------------------------------------------------
# Evaluator (numba)
# --------------------------------------------------------------------------------------------


@njit(cache=True)
def execute(
    code: np.ndarray, stack: np.ndarray, score: int, grade: int, age: int, listed_mask: int
) -> bool:  # pragma: no cover - compiled by numba
    """Run bytecode on one citizen's state with a caller-provided stack.

    For njit callers that evaluate many times: allocate ``stack`` once
    (``np.empty(STACK_SIZE, np.int64)``) and reuse it.

    Args:
        code: ``(n_ops, 2)`` int64 bytecode from :func:`compile_condition`.
        stack: int64 scratch array of at least the code's stack depth.
        score: The citizen's current points.
        grade: Index of the citizen's grade in the policy's grades (0 = best).
        age: The citizen's age in years.
        listed_mask: Bit ``i`` set when the citizen is on list ``i``.

    Returns:
        The condition's value.

    Raises:
        ValueError: If the bytecode is malformed (unknown opcode, stack under- or overflow).
    """
    capacity = stack.shape[0]
    top = 0
    for i in range(code.shape[0]):
        opcode = code[i, 0]
        argument = code[i, 1]
        if opcode >= OP_CONST and opcode <= OP_LISTED:
            if top >= capacity:
                raise ValueError("condition bytecode overflows the evaluation stack")
            value = 0
            if opcode == OP_CONST:
                value = argument
            elif opcode == OP_SCORE:
                value = score
            elif opcode == OP_AGE:
                value = age
            elif opcode == OP_GRADE_EQ:
                value = 1 if grade == argument else 0
            elif opcode == OP_GRADE_IN:
                if grade >= 0 and grade < 64:
                    value = (argument >> grade) & 1
            elif argument >= 0 and argument < 64:  # OP_LISTED
                value = (listed_mask >> argument) & 1
            stack[top] = value
            top += 1
        elif opcode == OP_NOT:
            if top < 1:
                raise ValueError("condition bytecode underflows the evaluation stack")
            stack[top - 1] = 1 if stack[top - 1] == 0 else 0
        elif opcode >= OP_EQ and opcode <= OP_OR:
            if top < 2:
                raise ValueError("condition bytecode underflows the evaluation stack")
            right = stack[top - 1]
            left = stack[top - 2]
            top -= 1
            result = False
            if opcode == OP_EQ:
                result = left == right
            elif opcode == OP_NE:
                result = left != right
            elif opcode == OP_LT:
                result = left < right
            elif opcode == OP_LE:
                result = left <= right
            elif opcode == OP_GT:
                result = left > right
            elif opcode == OP_GE:
                result = left >= right
            elif opcode == OP_AND:
                result = left != 0 and right != 0
            else:  # OP_OR
                result = left != 0 or right != 0
            stack[top - 1] = 1 if result else 0
        else:
            raise ValueError("unknown opcode in condition bytecode")
    if top != 1:
        raise ValueError("condition bytecode must leave exactly one value on the stack")
    return stack[0] != 0


@njit(cache=True)
def evaluate(
    code: np.ndarray, score: int, grade: int, age: int, listed_mask: int
) -> bool:  # pragma: no cover - compiled by numba
    """Evaluate compiled condition bytecode for one citizen.

    Args:
        code: ``CompiledCondition.code``.
        score: The citizen's current points.
        grade: Index into the policy's ``grades`` (0 = best).
        age: The citizen's age in years.
        listed_mask: Bit ``i`` set when the citizen is on ``lists[i]``.

    Returns:
        The condition's value.
    """
    stack = np.empty(STACK_SIZE, np.int64)
    return execute(code, stack, score, grade, age, listed_mask)


@njit(cache=True)
def evaluate_many(
    code: np.ndarray,
    scores: np.ndarray,
    grades: np.ndarray,
    ages: np.ndarray,
    listed_masks: np.ndarray,
) -> np.ndarray:  # pragma: no cover - compiled by numba
    """Evaluate compiled condition bytecode for a whole population.

    Args:
        code: ``CompiledCondition.code``.
        scores: Points per citizen.
        grades: Grade index per citizen.
        ages: Age per citizen.
        listed_masks: Listed bitmask per citizen.

    Returns:
        A boolean array, one value per citizen.
    """
    n = scores.shape[0]
    out = np.empty(n, np.bool_)
    stack = np.empty(STACK_SIZE, np.int64)
    for i in range(n):
        out[i] = execute(code, stack, scores[i], grades[i], ages[i], listed_masks[i])
    return out
