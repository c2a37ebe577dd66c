"""What a run was asked to do: the options ``request.json`` records, so a resume repeats them.

Data flow::

    run(...) options, defaults resolved --> RunRequest --to_json--> request.json
    request.json --from_json--> RunRequest --> plan_run (on resume)

``run`` resolves every option the user left out (the chunk size, the ledger
sample) before it builds the request, so the file says what the run did, not
what it was given: a resume on another machine repeats the same chunks.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from scorelab._version import __version__
from scorelab.runner._defaults import LARGEST_CHUNK

DEFAULT_CHECKPOINT_EVERY = 4


@dataclass(frozen=True, kw_only=True)
class RunRequest:
    """A run's size, seed and options, as ``request.json`` holds them (fields in its order).

    The defaults suit a test or a benchmark of one chunk:
    ``RunRequest(citizens=20_000, days=365, seed=11)`` keeps every citizen in
    the ledger and writes the audit and report. ``run`` fills in every field.
    """

    scorelab_version: str = __version__
    citizens: int
    days: int
    seed: int
    chunk_size: int = LARGEST_CHUNK  # citizens per chunk, before rounding to whole blocks
    ledger_sample: float = 1.0  # share of citizens whose rows are written
    baseline: bool = False  # also simulate the same world with no policy
    checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY  # chunks between checkpoints
    report: bool = True  # write audit.parquet and report.html
    policy_path: str | None = None  # where the policy was read from (the manifest says it)
    scenario_path: str | None = None

    def to_json(self) -> str:
        """The text of ``request.json``: every field, in order, indented by two."""
        return json.dumps(dataclasses.asdict(self), indent=2)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunRequest:
        """The request ``request.json`` held (as :meth:`to_json` wrote it).

        Raises:
            TypeError: ``data`` lacks a field or has one this scorelab does not know.
        """
        return cls(**data)
