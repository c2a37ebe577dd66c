"""The kernel borrows its structs: buffers it regrows must come back to the caller."""

from __future__ import annotations

from scorelab.engine._cases import replay_case
from scorelab.policy import load_policy

from ..conftest import POLICIES

RONGCHENG = load_policy(POLICIES / "rongcheng.toml")


def test_a_long_history_outgrows_every_buffer_and_is_read_back_whole():
    """1,100 records and 300 attempts: past the ledger's 1,024 rows, the outcomes' 256."""
    records = [{"day": i // 4, "record": "traffic_violation", "sensor": "police"}
               for i in range(1100)]
    attempts = [{"day": 280 + i // 20, "attempt": "flight"} for i in range(300)]
    result = replay_case(RONGCHENG, members=[{"age": 40}], events=records + attempts, days=300)
    assert len(result.ledger) == 1100
    assert len(result.outcomes) == 300
    assert set(result.outcomes) <= {"allowed", "denied", "discounted", "wrongly_denied"}
    start = RONGCHENG.policy.score.start
    assert sum(row["delta"] for row in result.ledger) == result.members[0]["score"] - start
