"""Calibration targets: published figures as ``date,metric,value`` rows of a CSV file.

Data flow::

    targets CSV --csv.DictReader--> rows --(checks: date, known metric, value, bound)-->
    tuple[Target, ...] --> the objective (scorelab.calibration._fit) and fit.csv

Required columns: ``date`` (ISO, the day the figure refers to, end of day), ``metric``
(one of :data:`scorelab.calibration._metrics.METRICS`) and ``value`` (people or
purchases in the real population). Optional columns: ``bound`` (``equal``, or
``lower``/``upper`` for a figure reported as "more than" / "less than"), ``weight``
(a relative weight in the objective, default 1), ``source`` and ``note``. Any other
column is kept for the reader and ignored.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

from scorelab._echo import shorten
from scorelab._errors import TargetsError
from scorelab._input_limits import check_lines, read_input_text
from scorelab.calibration._metrics import METRICS

BOUNDS = ("equal", "lower", "upper")
REQUIRED = ("date", "metric", "value")


@dataclass(frozen=True)
class Target:
    """One published figure the simulation should reproduce.

    Attributes:
        date: the day the figure refers to (counted to the end of that day).
        metric: a name from ``METRICS``, e.g. ``flights_blocked_cumulative``.
        value: the figure for the real population (people or purchases).
        bound: ``equal``, ``lower`` (the truth is at least ``value``) or ``upper``.
        weight: relative weight of this row in the objective.
        source: where the figure was published.
        note: anything a reader should know (what the source counts).
        line: the row's line in the file, for messages.
    """

    date: dt.date
    metric: str
    value: float
    bound: str = "equal"
    weight: float = 1.0
    source: str = ""
    note: str = ""
    line: int = 0


def load_targets(path: str | Path) -> tuple[Target, ...]:
    """Read and check a targets CSV file.

    Args:
        path: a CSV file with at least the columns ``date,metric,value``.

    Returns:
        The targets in file order.

    Raises:
        TargetsError: the file is missing, empty, or a row is invalid (with its line).
    """
    path = Path(path)
    text = read_input_text(path, TargetsError)  # at most 1 MiB, UTF-8
    check_lines(text, path=path, error=TargetsError)
    reader = csv.DictReader(text.splitlines())
    try:
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or ())]
        if missing:
            raise TargetsError(f"missing column(s) {', '.join(missing)}: the header must name "
                               "date,metric,value", path=path, line=1)
        targets = [_target(row, reader.line_num, path) for row in reader]
    except csv.Error as exc:  # a quoted cell past csv's field size limit, a NUL byte
        raise TargetsError(f"not a CSV file the reader accepts ({exc})", path=path,
                           line=reader.line_num) from None
    if not targets:
        raise TargetsError("no target rows: add at least one date,metric,value row", path=path)
    return tuple(targets)


def _target(row: dict[str, str | None], line: int, path: Path) -> Target:
    """Check one CSV row (``line`` is its 1-based line) and make it a :class:`Target`."""

    def fail(key: str, reason: str) -> TargetsError:
        return TargetsError(reason, path=path, line=line, key=key)

    cell = {k: (v or "").strip() for k, v in row.items() if k is not None}
    try:
        date = dt.date.fromisoformat(cell["date"])
    except ValueError:
        raise fail("date", f'"{shorten(cell["date"])}" is not a date: '
                           "expected YYYY-MM-DD") from None
    if cell["metric"] not in METRICS:
        raise fail("metric", f'unknown metric "{shorten(cell["metric"])}": expected one of '
                             + ", ".join(METRICS))
    value = _number(cell["value"])
    if value is None or value <= 0:
        raise fail("value", f'expected a positive number, got "{shorten(cell["value"])}"')
    bound = cell.get("bound") or "equal"
    if bound not in BOUNDS:
        raise fail("bound", f'expected one of {", ".join(BOUNDS)}, got "{shorten(bound)}"')
    weight = _number(cell.get("weight") or "1")
    if weight is None or weight < 0:
        raise fail("weight", f'expected a number >= 0, got "{shorten(cell.get("weight") or "")}"')
    return Target(date=date, metric=cell["metric"], value=value, bound=bound, weight=weight,
                  source=cell.get("source", ""), note=cell.get("note", ""), line=line)


def _number(text: str) -> float | None:
    """A finite number from a CSV cell (``_`` and ``,`` grouping allowed), else None.

    >>> _number("13,000,000"), _number("1e6"), _number("many"), _number("nan")
    (13000000.0, 1000000.0, None, None)
    """
    try:
        value = float(text.replace("_", "").replace(",", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None
