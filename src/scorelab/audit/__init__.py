"""Reading runs back: citizens' stories, group metrics and disparities, and comparisons."""

from __future__ import annotations

from scorelab.audit._audit import audit_table
from scorelab.audit._comparison import Comparison, ComparisonRow, compare_runs
from scorelab.audit._explain import CitizenStory, explain

__all__ = ["CitizenStory", "Comparison", "ComparisonRow", "audit_table", "compare_runs", "explain"]
