"""Rates that change with the calendar: their pieces, and event times drawn under them.

A world rate (a behaviour's acts, a service's attempts) is a number or a table of
dates; a table holds each rate from its date to the next, and 0 before the first
date. The engine draws how many events a source has over the run from the run's
mean rate (a Poisson count, as for a constant rate) and places each event by
inverting the cumulative rate: a uniform draw ``u`` falls in the piece that holds
that share of the run's expected events. Given their number, events of a Poisson
process are independent with density proportional to the rate, so this is exact.
A constant rate has one piece and gives ``days * u``: the kernel skips the
inversion for it.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import numpy as np
from numba import njit

Rate = float | dict[dt.date, float]


class Timeline(NamedTuple):
    """The pieces of some rates over one run (one row per rate)."""

    mean_per_day: np.ndarray  # (P,) the run's mean rate, per day
    start: np.ndarray  # (P, K) int64 first day of each piece
    share: np.ndarray  # (P, K) share of the run's expected events up to the end of each piece
    pieces: np.ndarray  # (P,) int64 pieces in use


def pieces(rate: Rate, start_date: dt.date, days: int) -> list[tuple[int, float]]:
    """(first day, rate per year) of each piece of ``rate`` within the run.

    >>> pieces(0.5, dt.date(2018, 1, 1), 10)
    [(0, 0.5)]
    >>> pieces({dt.date(2017, 6, 1): 1.0, dt.date(2018, 1, 5): 2.0}, dt.date(2018, 1, 1), 10)
    [(0, 1.0), (4, 2.0)]
    >>> pieces({dt.date(2018, 1, 5): 2.0}, dt.date(2018, 1, 1), 10)
    [(0, 0.0), (4, 2.0)]
    """
    if not isinstance(rate, dict):
        return [(0, float(rate))]
    out = [(0, 0.0)]
    for date, value in sorted(rate.items()):
        day = max(0, (date - start_date).days)
        if day >= days:
            break
        if day == out[-1][0]:
            out[-1] = (day, float(value))
        else:
            out.append((day, float(value)))
    return out


def build_timeline(rates: list[Rate], start_date: dt.date, days: int) -> Timeline:
    """The pieces of every rate in ``rates`` over a run of ``days`` from ``start_date``."""
    cut = [pieces(rate, start_date, days) for rate in rates]
    width = max(len(p) for p in cut) if cut else 1
    mean = np.zeros(len(cut))
    start = np.zeros((len(cut), width), np.int64)
    share = np.ones((len(cut), width))
    count = np.ones(len(cut), np.int64)
    for i, parts in enumerate(cut):
        if len(parts) == 1:  # a constant rate: one piece, times are days * u
            mean[i] = parts[0][1] / 365.0
            continue
        ends = [day for day, _ in parts[1:]] + [days]
        expected = np.array([rate / 365.0 * (end - day)
                             for (day, rate), end in zip(parts, ends, strict=True)])
        total = expected.sum()
        if total <= 0.0:  # no events at all: one piece, mean 0
            continue
        mean[i] = total / days
        count[i] = len(parts)
        start[i, : len(parts)] = [day for day, _ in parts]
        share[i, : len(parts)] = np.cumsum(expected) / total
        share[i, len(parts) - 1] = 1.0
    return Timeline(mean, start, share, count)


@njit(cache=True)
def event_time(start, share, pieces, p, u, days):
    """When an event of rate ``p`` falls, for a uniform draw ``u`` in (0, 1)."""
    if pieces[p] == 1:
        return days * u
    k = 0
    low = 0.0
    while k < pieces[p] - 1 and share[p, k] < u:  # skips pieces that hold no events
        low = share[p, k]
        k += 1
    end = start[p, k + 1] if k + 1 < pieces[p] else days
    time = start[p, k] + (u - low) / (share[p, k] - low) * (end - start[p, k])
    return min(time, days * (1.0 - 2.0**-52))
