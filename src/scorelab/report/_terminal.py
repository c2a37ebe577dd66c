"""Terminal renderings of a comparison (rich), kept apart from the command that prints them."""

from __future__ import annotations

import math

from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from scorelab._echo import printable
from scorelab.audit._comparison import Comparison, ComparisonRow


def format_value(value: float, unit: str) -> str:
    """A value in its unit: shares as percentages, counts with separators.

    >>> format_value(0.01234, "share"), format_value(1234.56, "per 100k")
    ('1.234%', '1,234.6')
    >>> format_value(-0.2, "change"), format_value(1.5, "ratio")
    ('-20.0%', '1.50')
    """
    if math.isnan(value):
        return "–"
    if unit == "share":
        return f"{value:.3%}"
    if unit == "change":
        return f"{value:+.1%}" if value else "0.0%"
    if unit == "ratio":
        return f"{value:.2f}"
    return f"{value:,.1f}"


def format_difference(row: ComparisonRow) -> str:
    """B minus A in the row's unit (percentage points for shares).

    >>> format_difference(ComparisonRow("s", "m", "share", 0.01, 0.015))
    '+0.500 pp'
    """
    diff = row.difference
    if math.isnan(diff):
        return "–"
    if row.unit in ("share", "change"):
        return f"{diff * 100:+.3f} pp"
    if row.unit == "ratio":
        return f"{diff:+.2f}"
    return f"{diff:+,.1f}"


def format_change(row: ComparisonRow) -> str:
    """Relative change from A to B, for counts and levels only."""
    change = row.relative_change
    if row.unit in ("share", "change", "ratio") or math.isnan(change):
        return ""
    return f"{change:+.1%}"


def label(folder_name: str, manifest: dict) -> str:
    """A short name for a run: its folder, policy and scenario."""
    return f"{folder_name} ({manifest['policy']['id']}, {manifest['scenario']['name']})"


def _shown(text: str) -> str:
    r"""Text from a run's files for a rich table: no markup, no control characters.

    >>> print(_shown("[/b] \x1b[2J"))
    \[/b] \x1b[2J
    """
    return escape(printable(text))


def render_comparison(comparison: Comparison) -> Group:
    """What differs in the inputs, then every measure that differs, section by section."""
    name_a = label(comparison.run_a.name, comparison.manifest_a)
    name_b = label(comparison.run_b.name, comparison.manifest_b)
    inputs = Table("input", "A", "B", title=_shown("A: " + name_a) + "\n" + _shown("B: " + name_b),
                   title_justify="left", box=None)
    for key, a, b in comparison.inputs:
        style = "bold" if a != b else "dim"
        inputs.add_row(_shown(key), _shown(a), _shown(b), style=style)
    table = Table(box=None, title="measures that differ (B minus A)", title_justify="left")
    for name in ("section", "measure", "unit", "A", "B", "B - A", "change"):
        table.add_column(name, justify="right" if name in ("A", "B", "B - A", "change")
                         else "left")
    differences = comparison.differences()
    for row in differences:
        table.add_row(row.section, row.measure, row.unit, format_value(row.a, row.unit),
                      format_value(row.b, row.unit), format_difference(row), format_change(row))
    parts: list[object] = [inputs, Text(""), table]
    if not differences:
        parts.append(Text("no measure differs", style="green"))
    if comparison.out is not None:
        parts.append(Text(f"comparison page: {comparison.out}", style="dim"))
    return Group(*parts)
