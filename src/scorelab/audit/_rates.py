"""Rates, rate ratios and their confidence intervals, on numpy arrays.

A synthetic population is one draw from the world model, so a group's share
(for example the share of women wrongly shamed) carries sampling noise that
shrinks with the group's size. The intervals here measure that noise:

* a share ``x / n``: the Wilson score interval (Wilson 1927), which stays
  inside [0, 1] and behaves well for rare events, unlike the normal interval;
* a ratio of two shares (a group against the reference group): the Katz
  log interval, ``exp(log(ratio) +- z * sqrt(1/x1 - 1/n1 + 1/x2 - 1/n2))``
  (Katz et al. 1978); when the group has no case, 0.5 is added to every cell
  of both 2x2 tables (Haldane-Anscombe) for the upper bound, and the lower
  bound is 0.

The Aequitas convention flags a ratio outside [0.8, 1.25] (the four-fifths
rule and its inverse).
"""

from __future__ import annotations

import numpy as np

Z_95 = 1.959963984540054
FAIR_LOW = 0.8
FAIR_HIGH = 1.25


def wilson_interval(
    count: np.ndarray, population: np.ndarray, z: float = Z_95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of ``count / population``, element-wise.

    Args:
        count: people with the outcome, shape (n,), integers >= 0.
        population: people in the group, shape (n,), integers >= count.
        z: the normal quantile (1.96 for 95%).

    Returns:
        (low, high) arrays of shape (n,), NaN where the population is 0.

    >>> low, high = wilson_interval(np.array([0, 5]), np.array([10, 10]))
    >>> [round(float(v), 4) for v in (low[0], high[0], low[1], high[1])]
    [0.0, 0.2775, 0.2366, 0.7634]
    """
    count = np.asarray(count, dtype=float)
    n = np.asarray(population, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = count / n
        denominator = 1 + z**2 / n
        centre = (share + z**2 / (2 * n)) / denominator
        half = z * np.sqrt(share * (1 - share) / n + z**2 / (4 * n**2)) / denominator
    low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
    high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return low, high


def rate_ratio(
    count: np.ndarray, population: np.ndarray, reference_count: np.ndarray,
    reference_population: np.ndarray, z: float = Z_95,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ratio of a group's share to the reference group's share, with the Katz log interval.

    Args:
        count: people with the outcome in each group, shape (n,).
        population: people in each group, shape (n,).
        reference_count: people with the outcome in each group's reference group, shape (n,).
        reference_population: people in the reference group, shape (n,).
        z: the normal quantile (1.96 for 95%).

    Returns:
        (ratio, low, high), shape (n,) each; NaN where the reference share is 0
        (no ratio exists) or a population is 0.

    >>> ratio, low, high = rate_ratio(np.array([30]), np.array([1000]),
    ...                               np.array([20]), np.array([1000]))
    >>> round(float(ratio[0]), 3), round(float(low[0]), 3), round(float(high[0]), 3)
    (1.5, 0.858, 2.623)
    >>> ratio, low, high = rate_ratio(np.array([0]), np.array([500]),
    ...                               np.array([10]), np.array([500]))
    >>> float(ratio[0]), float(low[0]), round(float(high[0]), 3)
    (0.0, 0.0, 0.81)
    """
    x1, n1 = np.asarray(count, float), np.asarray(population, float)
    x2, n2 = np.asarray(reference_count, float), np.asarray(reference_population, float)
    valid = (n1 > 0) & (n2 > 0) & (x2 > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(valid, (x1 / n1) / (x2 / n2), np.nan)
        # Haldane-Anscombe: add 0.5 to each cell of both 2x2 tables when a count is 0.
        zero = (x1 == 0) | (x2 == 0)
        a, b = np.where(zero, x1 + 0.5, x1), np.where(zero, n1 + 1.0, n1)
        c, d = np.where(zero, x2 + 0.5, x2), np.where(zero, n2 + 1.0, n2)
        centre = np.log((a / b) / (c / d))
        spread = z * np.sqrt(1 / a - 1 / b + 1 / c - 1 / d)
    # A group with no case has ratio 0, and 0 is then the natural lower bound.
    low = np.where(valid, np.where(x1 == 0, 0.0, np.exp(centre - spread)), np.nan)
    high = np.where(valid, np.exp(centre + spread), np.nan)
    return ratio, low, high


def outside_fair_band(ratio: np.ndarray) -> np.ndarray:
    """Whether each ratio lies outside [0.8, 1.25] (False where there is no ratio).

    >>> outside_fair_band(np.array([0.79, 0.8, 1.0, 1.25, 1.3, np.nan])).tolist()
    [True, False, False, False, True, False]
    """
    ratio = np.asarray(ratio, float)
    with np.errstate(invalid="ignore"):
        return ~np.isnan(ratio) & ((ratio < FAIR_LOW) | (ratio > FAIR_HIGH))
