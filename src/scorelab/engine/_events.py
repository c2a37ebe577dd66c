"""Drawing a household's events over the run (numba).

Each member has event sources: every behaviour they can commit, every stream of
false records (camera false matches, false reports) that can hit them, every
service they may try. A source draws how many events it has over the run (a
Poisson count) and a uniform time for each, keyed by (seed, stream, citizen,
counter), so sources never share draws and results do not depend on chunking.
Events that cannot change anyone's state (acts of a behaviour the policy
ignores, attempts at a service it neither bans nor rewards) are counted at once
and never reach the replay in :mod:`scorelab.engine._kernel`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from scorelab import _random as rnd
from scorelab.engine._state import (
    ACT,
    ATTEMPT,
    CIT_ACTS,
    CIT_RECORDS,
    CIT_WRONGFUL,
    FALSE,
    count,
)

COUNT_COUNTER = 1 << 40  # counter space of Poisson count draws, apart from event ids


@njit(cache=True)
def _sources(T, first, k, cid, sex, age, urban, area, income, src_rate, src_data):
    """List the household's event sources: rate, and (stream, kind, member, argument, id).

    Sources come in a fixed order (member, then behaviour with its false-record
    sensors, then services), which fixes the order of the generated events.
    """
    n = 0
    n_sensors = T.false_camera.shape[0]
    for m in range(k):
        i = first + m
        elderly = age[i] >= 60
        for b in range(T.beh_rate.shape[0]):
            if T.beh_rate[b] <= 0.0 or age[i] < T.beh_min_age[b] or age[i] > T.beh_max_age[b]:
                continue
            rate = T.beh_rate[b] * T.beh_boost[b]
            if sex[i] == 0:
                rate *= T.beh_male[b]
            if urban[i] == 1:
                rate *= T.beh_urban[b]
            if elderly:
                rate *= T.beh_elderly[b]
            rate *= 1.0 + T.beh_income_slope[b] * (income[i] - 4.5) / 4.5
            src_rate[n] = rate
            src_data[n, 0], src_data[n, 1], src_data[n, 2] = rnd.ACT_TIME + b, ACT, m
            src_data[n, 3], src_data[n, 4] = b, cid[i]
            n += 1
            for s in range(n_sensors):
                rate = T.false_rate[b, s, area[i]]
                if rate <= 0.0:
                    continue
                if T.false_camera[s]:
                    rate *= T.false_female if sex[i] == 1 else 1.0
                    rate *= T.false_elderly if elderly else 1.0
                    rate /= T.false_norm
                src_rate[n] = rate
                src_data[n, 0], src_data[n, 1] = rnd.FALSE_TIME + b * 16 + s, FALSE
                src_data[n, 2], src_data[n, 3], src_data[n, 4] = m, b * 16 + s, cid[i]
                n += 1
        for v in range(T.svc_rate.shape[0]):
            if age[i] < T.svc_min_age[v] or age[i] > T.svc_max_age[v]:
                continue
            if T.svc_head_only[v] and m != 0:
                continue
            src_rate[n] = T.svc_rate[v]
            src_data[n, 0], src_data[n, 1], src_data[n, 2] = rnd.ATTEMPT_TIME + v, ATTEMPT, m
            src_data[n, 3], src_data[n, 4] = v, cid[i]
            n += 1
    return n


@njit(cache=True)
def _poisson_count(seed, stream, cid, mean):
    """A Poisson count with the given mean, by inversion (in pieces of at most 100)."""
    total = 0
    piece = 0
    while mean > 0.0:
        lam = min(mean, 100.0)
        mean -= lam
        u = rnd.uniform(seed, stream, cid, COUNT_COUNTER + piece)
        p = math.exp(-lam)
        cumulative = p
        k = 0
        while u > cumulative and k < 10_000:
            k += 1
            p *= lam / k
            cumulative += p
        total += k
        piece += 1
    return total


@njit(cache=True)
def _generate_events(T, H, n_src, src_rate, src_data, ev_t, ev_d, area):
    """Draw every source's events over the run; returns the (maybe regrown) arrays and count.

    Each source (a behaviour, a false-record stream, a service, of one member)
    draws how many events it has over the run (a Poisson count), then a uniform
    time for each, all keyed by its own stream. Sources never share draws, so
    changing one rate leaves every other source's events as they were: the
    same seed gives common random numbers across policies and parameter values
    (the no-policy baseline, calibration). Events that cannot change anyone's
    state (acts of a behaviour the policy ignores, attempts at a service it
    neither bans nor rewards) are counted here at once and never enter the replay.
    """
    n = 0
    days = float(T.days)
    for j in range(n_src):
        rate = src_rate[j]
        if rate <= 0.0:
            continue
        stream, kind, m, a, cid = (src_data[j, 0], src_data[j, 1], src_data[j, 2],
                                   src_data[j, 3], src_data[j, 4])
        events = _poisson_count(T.seed, stream, cid, rate * days)
        inert = ((kind == ATTEMPT and T.svc_free[a]) or (kind == ACT and T.beh_inert[a])
                 or (kind == FALSE and T.beh_inert[a // 16]))
        for c in range(events):
            time = days * rnd.uniform(T.seed, stream, cid, c)
            if inert:
                _inert_event(T, H, kind, m, a, c, int(time), area[H.first + m])
                continue
            if n == ev_t.shape[0]:
                grown_t = np.empty(2 * n)
                grown_d = np.empty((2 * n, 4), np.int64)
                grown_t[:n] = ev_t
                grown_d[:n] = ev_d
                ev_t, ev_d = grown_t, grown_d
            ev_t[n] = time
            ev_d[n, 0] = kind
            ev_d[n, 1] = m
            ev_d[n, 2] = a
            ev_d[n, 3] = c
            n += 1
    return ev_t, ev_d, n


@njit(cache=True)
def _inert_event(T, H, kind, m, a, c, day, area):
    """Count an event that changes no state.

    That is an attempt at an ungated service, or an act (or a false record) of a
    behaviour no rule, list or shaming uses.
    """
    if kind == ATTEMPT:
        count(H, day, m, T.layout.attempts + a, 1)
        return
    if kind == FALSE:
        _count_record(T, H, m, a // 16, a % 16, 1, day)
        return
    count(H, day, m, T.layout.acts + a, 1)
    H.cit[H.first + m, CIT_ACTS] += 1
    sensor = _detecting_sensor(T, H, m, a, c, area)
    if sensor >= 0:
        _count_record(T, H, m, a, sensor, 0, day)


@njit(cache=True)
def _detecting_sensor(T, H, m, b, c, area):
    """The first sensor (in observation order) that records candidate act ``c``, or -1."""
    for slot in range(T.beh_sensor.shape[1]):
        s = T.beh_sensor[b, slot]
        if s < 0:
            break
        if rnd.uniform(T.seed, rnd.DETECT + b, H.cids[m], c * 16 + slot) < T.beh_detect[b, slot,
                                                                                         area]:
            return s
    return -1


@njit(cache=True)
def _count_record(T, H, m, b, sensor, wrongful, day):
    """Count a record by behaviour and sensor (and as wrongful), in groups and per citizen."""
    lay = T.layout
    count(H, day, m, lay.records_by_behaviour + b, 1)
    count(H, day, m, lay.records_by_sensor + sensor, 1)
    H.cit[H.first + m, CIT_RECORDS] += 1
    if wrongful:
        count(H, day, m, lay.wrongful_by_sensor + sensor, 1)
        count(H, day, m, lay.wrongful_by_behaviour + b, 1)
        H.cit[H.first + m, CIT_WRONGFUL] += 1
