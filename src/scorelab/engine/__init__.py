"""The scoring engine: policy and world compiled to tables, the numba kernel, its outputs' layout.

``compile_tables`` turns a policy on a scenario into ``EngineTables`` (and the
group axis, ``Groups``); ``to_kernel`` packs them for the kernel; ``run_chunk``
simulates one chunk of households into a day matrix (columns laid out by
``Layout``), per-citizen counters (``CITIZEN_COUNTERS``) and ledger rows
(``LEDGER_COLUMNS``), on a ``new_household`` scratch struct a worker reuses
(``clear_household``).
"""

from __future__ import annotations

from scorelab.engine._citizen_counters import CITIZEN_COLUMNS, CITIZEN_COUNTERS
from scorelab.engine._kernel import clear_household, new_household, run_chunk
from scorelab.engine._tables import (
    LEDGER_COLUMNS,
    LEDGER_KINDS,
    EngineTables,
    Groups,
    Layout,
    compile_tables,
    make_layout,
    score_bins,
    to_kernel,
)
from scorelab.engine._warm import is_compiled, warm_up

__all__ = [
    "CITIZEN_COLUMNS",
    "CITIZEN_COUNTERS",
    "LEDGER_COLUMNS",
    "LEDGER_KINDS",
    "EngineTables",
    "Groups",
    "Layout",
    "clear_household",
    "compile_tables",
    "is_compiled",
    "make_layout",
    "new_household",
    "run_chunk",
    "score_bins",
    "to_kernel",
    "warm_up",
]
