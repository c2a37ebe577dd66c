"""Paired differences over common seeds: how sure is "B is above A"?

Two designs run on the same seeds (common random numbers) differ, seed by seed,
only by what the designs change; the seed-to-seed noise they share cancels. The
mean of the per-seed differences ``B - A`` gets a Student-t 95% interval over
the seeds (scipy), and the share of seeds in which B is above A says how often
the sign holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

#: The confidence of every interval scorelab prints for a paired difference.
CONFIDENCE = 0.95


@dataclass(frozen=True)
class PairedDifference:
    """``B - A`` over n common seeds: its mean, a 95% interval and the share of seeds B > A.

    ``low`` and ``high`` are NaN when fewer than two seeds have both values (an
    interval needs a spread); they equal ``mean`` when every seed gives the same
    difference.
    """

    mean: float
    low: float
    high: float
    share_b_above: float
    n: int

    @property
    def excludes_zero(self) -> bool:
        """The interval lies wholly above or below 0: the sign is not seed noise."""
        return bool(self.low > 0 or self.high < 0)


def paired_difference(a: np.ndarray, b: np.ndarray) -> PairedDifference:
    """The paired difference ``b - a`` of two float arrays indexed by seed (same length).

    Seeds where either value is NaN (a ratio with an empty group) are left out.

    >>> d = paired_difference(np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 4.0]))
    >>> round(d.mean, 3), round(d.low, 3), round(d.high, 3), d.share_b_above, d.n
    (1.333, -0.101, 2.768, 1.0, 3)
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"paired arrays need one value per seed each, got {a.shape} and "
                         f"{b.shape}")
    both = np.isfinite(a) & np.isfinite(b)
    differences = b[both] - a[both]
    n = int(differences.size)
    if n == 0:
        return PairedDifference(math.nan, math.nan, math.nan, math.nan, 0)
    mean = float(differences.mean())
    share = float((differences > 0).mean())
    if n < 2:
        return PairedDifference(mean, math.nan, math.nan, share, n)
    spread = float(differences.std(ddof=1))
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1)) * spread / math.sqrt(n)
    return PairedDifference(mean, mean - half, mean + half, share, n)
