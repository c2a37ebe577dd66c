"""Two runs' inputs over R common seeds: each measure seed by seed, and B - A paired.

Data flow::

    R pairs (seed r's run of A's inputs, of B's), each run a MeasuredRun
        --measures_of (all 2 R runs)--> the measures of scorelab.audit._comparison
        --read in each run--> a_values[r], b_values[r]
        --paired_difference--> ReplicatedRow(section, measure, unit, ..., difference)

``scorelab.compare(..., replicates=R)`` runs the seeds (scorelab.reporting) and
keeps these rows in ``Comparison.replicated``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scorelab.audit._comparison import (
    MeasuredRun,
    differ,
    format_delta,
    format_interval,
    format_value,
    measures_of,
)
from scorelab.audit._paired import PairedDifference, paired_difference


@dataclass(frozen=True)
class ReplicatedRow:
    """One measure over R common seeds: A's and B's inputs seed by seed, and B - A paired.

    ``a_values[r]`` and ``b_values[r]`` are the measure in the runs of A's and B's
    inputs on seed r (``Comparison.seeds[r]``); ``difference`` is their
    :func:`~scorelab.audit.paired_difference` (seeds where either is NaN left out).
    """

    section: str
    measure: str
    unit: str
    a_values: tuple[float, ...]
    b_values: tuple[float, ...]
    difference: PairedDifference

    def _counted(self) -> tuple[np.ndarray, np.ndarray]:
        """A's and B's values on the seeds the difference counts; with none, each its own."""
        a, b = np.array(self.a_values, dtype=float), np.array(self.b_values, dtype=float)
        both = np.isfinite(a) & np.isfinite(b)
        if both.any():
            return a[both], b[both]
        return a[np.isfinite(a)], b[np.isfinite(b)]  # a list only B's policy has, say

    @property
    def a(self) -> float:
        """A's mean over the seeds the difference counts, so that ``b - a`` is its mean.

        With no seed to pair (a list only B's policy has), the mean of A's values;
        NaN when it has none.
        """
        a, _ = self._counted()
        return float(a.mean()) if a.size else math.nan

    @property
    def b(self) -> float:
        """B's mean, over the same seeds as :attr:`a`."""
        _, b = self._counted()
        return float(b.mean()) if b.size else math.nan

    @property
    def differs(self) -> bool:
        """Whether A and B differ on any seed (on common seeds equal inputs never do)."""
        return any(differ(a, b) for a, b in zip(self.a_values, self.b_values, strict=True))

    def cells(self) -> tuple[str, str, str, str, str]:
        """A's mean, B's mean, the mean of B - A, its 95% interval and the share of seeds B > A.

        >>> d = PairedDifference(0.002, 0.001, 0.003, 1.0, 3)
        >>> ReplicatedRow("s", "m", "share", (0.01,) * 3, (0.012,) * 3, d).cells()
        ('1.000%', '1.200%', '+0.200 pp', '+0.100 to +0.300 pp', '100%')
        """
        d = self.difference
        share = "–" if math.isnan(d.share_b_above) else f"{d.share_b_above:.0%}"
        return (format_value(self.a, self.unit), format_value(self.b, self.unit),
                format_delta(d.mean, self.unit), format_interval(d.low, d.high, self.unit),
                share)


def replicated_rows(pairs: Sequence[tuple[MeasuredRun, MeasuredRun]]) -> tuple[ReplicatedRow, ...]:
    """Every measure over common seeds: pair r is seed r's run of A's inputs and of B's.

    The measures and their reading are :func:`compare_runs`'s, chosen over all the
    runs, so that every seed has a value of each (a count of events no run had
    is left out, as it is from one comparison).
    """
    runs = [run for pair in pairs for run in pair]
    rows = []
    for m in measures_of(runs):
        a = np.array([float(m.read(run)) for run, _ in pairs])
        b = np.array([float(m.read(run)) for _, run in pairs])
        rows.append(ReplicatedRow(m.section, m.name, m.unit, tuple(a.tolist()),
                                  tuple(b.tolist()), paired_difference(a, b)))
    return tuple(rows)
