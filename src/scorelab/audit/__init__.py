"""Reading runs back: citizens' stories, group metrics and disparities, and comparisons.

The report (``scorelab.reporting``) is drawn from what this package computes: the
audit table (``audit_tables``, written by ``write_audit``), the citizens it tells
the story of (``choose_story_citizens``, ``story``), the comparison of two runs
(``compare_runs``, per ``PER_CITIZENS``), a paired difference over common
seeds (``paired_difference``, a ``CONFIDENCE`` interval) and the fair band of a rate ratio
(``FAIR_LOW`` to ``FAIR_HIGH``, the four-fifths rule).
"""

from __future__ import annotations

from scorelab.audit._audit import DEFAULT_COMBINATIONS, audit_table, audit_tables, write_audit
from scorelab.audit._comparison import (
    PER_CITIZENS,
    Comparison,
    ComparisonRow,
    MeasuredRun,
    compare_runs,
)
from scorelab.audit._explain import CitizenStory, explain
from scorelab.audit._paired import CONFIDENCE, PairedDifference, paired_difference
from scorelab.audit._rates import FAIR_HIGH, FAIR_LOW
from scorelab.audit._replicated import ReplicatedRow, replicated_rows
from scorelab.audit._stories import choose_story_citizens, story

__all__ = [
    "CONFIDENCE",
    "DEFAULT_COMBINATIONS",
    "FAIR_HIGH",
    "FAIR_LOW",
    "PER_CITIZENS",
    "CitizenStory",
    "Comparison",
    "ComparisonRow",
    "MeasuredRun",
    "PairedDifference",
    "ReplicatedRow",
    "audit_table",
    "audit_tables",
    "choose_story_citizens",
    "compare_runs",
    "explain",
    "paired_difference",
    "replicated_rows",
    "story",
    "write_audit",
]
