"""A citizen's counters are declared once: kernel indices, citizens.parquet and docs follow."""

from __future__ import annotations

import pyarrow.parquet as pq

from scorelab.engine import _citizen_counters as counters
from scorelab.engine._citizen_counters import CITIZEN_COUNTERS, citizen_columns_doc

from ..conftest import ROOT

# the form a few counters take in citizens.parquet (see CitizenCounter.written)
WRITTEN_NAMES = {"listed_mask": "listed", "rewards_fen": "rewards_yuan"}


def test_every_counter_has_the_kernel_index_of_its_place():
    constants = {name: value for name, value in vars(counters).items()
                 if name.startswith("CIT_")}
    assert constants == {f"CIT_{c.name.upper()}": i for i, c in enumerate(CITIZEN_COUNTERS)}
    assert len(CITIZEN_COUNTERS) == counters.N_CIT


def test_citizens_parquet_writes_the_counters_in_their_declared_order(rongcheng_run):
    names = pq.read_schema(rongcheng_run.folder / "citizens.parquet").names
    expected = [WRITTEN_NAMES.get(c.name, c.name) for c in CITIZEN_COUNTERS]
    written = [name for name in names if name in expected]
    assert written == expected
    tail = names[names.index("score"):]
    lists = [name for name in tail if name.startswith("listed_")]
    assert [name for name in tail if name not in lists] == expected  # nothing else among them


def test_the_docs_list_the_counters_as_declared():
    text = (ROOT / "docs" / "run-folders.md").read_text(encoding="utf-8")
    assert citizen_columns_doc() in text
