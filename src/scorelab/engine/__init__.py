"""The scoring engine: policy tables, the numba kernel, the ledger layout."""

from __future__ import annotations

from scorelab.engine._citizen_counters import CITIZEN_COLUMNS
from scorelab.engine._tables import LEDGER_COLUMNS, LEDGER_KINDS, build_tables
from scorelab.engine._warm import is_compiled, warm_up

__all__ = ["CITIZEN_COLUMNS", "LEDGER_COLUMNS", "LEDGER_KINDS", "build_tables", "is_compiled",
           "warm_up"]
