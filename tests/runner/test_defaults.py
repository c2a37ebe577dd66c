"""Options left out are chosen from the population: small runs as before, large ones fast."""

from __future__ import annotations

import json
import os

from hypothesis import given
from hypothesis import strategies as st

import scorelab
from scorelab.runner._defaults import (
    LARGEST_CHUNK,
    SAMPLED_CITIZENS,
    SMALL_RUN,
    SMALLEST_CHUNK,
    default_chunk_size,
    default_ledger_sample,
    default_workers,
)

from ..conftest import POLICIES


def test_small_runs_keep_one_process_and_everyone():
    assert default_workers(SMALL_RUN) == 1
    assert default_ledger_sample(SMALL_RUN) == 1.0
    assert default_chunk_size(100_000, 1) == SMALLEST_CHUNK


def test_large_runs_use_every_core_and_large_chunks():
    assert default_workers(SMALL_RUN + 1) == (os.cpu_count() or 1)
    assert default_chunk_size(1_411_778_724, 2) == LARGEST_CHUNK
    assert default_chunk_size(10_000_000, 2) == LARGEST_CHUNK
    assert default_chunk_size(2_000_000, 2) == SMALLEST_CHUNK


@given(citizens=st.integers(SMALL_RUN + 1, 10**11))
def test_a_default_sample_keeps_100_000_to_250_000_citizens_with_a_round_share(citizens):
    share = default_ledger_sample(citizens)
    assert 0.4 * SAMPLED_CITIZENS <= share * citizens <= SAMPLED_CITIZENS * (1 + 1e-12)
    mantissa = float(f"{share:e}".split("e")[0])
    assert mantissa in (1.0, 2.0, 5.0)


@given(citizens=st.integers(1, 10**11), workers=st.integers(1, 64))
def test_chunks_stay_within_bounds(citizens, workers):
    assert SMALLEST_CHUNK <= default_chunk_size(citizens, workers) <= LARGEST_CHUNK


def test_a_large_run_left_to_its_defaults_records_what_was_chosen(tmp_path):
    """1.2 million citizens, two days: sampled ledger, chunks, workers, all written down."""
    result = scorelab.run(POLICIES / "rongcheng.toml", citizens=1_200_000, days=2, seed=3,
                          out=tmp_path / "run", report=False)
    request = json.loads((result.folder / "request.json").read_text())
    assert request["ledger_sample"] == 0.2
    assert request["chunk_size"] == default_chunk_size(1_200_000, os.cpu_count() or 1)
    manifest = json.loads((result.folder / "manifest.json").read_text())
    assert manifest["workers"] == (os.cpu_count() or 1)
    assert 200_000 < result.citizens.num_rows < 280_000
