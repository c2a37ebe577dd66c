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
    LOG,
    count,
    reserve_log,
)

COUNT_COUNTER = 1 << 40  # counter space of Poisson count draws, apart from event ids
# exp(-lam) > 1 - lam, and math.exp is within an ulp: below 1 - lam - 2**-51 a draw
# is surely under exp(-lam), so the count is 0 without computing exp (the same result)
SURELY_NONE = 1.0 - 2.0**-51


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
            for slot in range(n_sensors):
                s = T.false_sensors[b, slot]
                if s < 0:
                    break
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
        piece += 1
        if u <= SURELY_NONE - lam:  # then u <= exp(-lam): no event, and no exp needed
            continue
        p = math.exp(-lam)
        cumulative = p
        k = 0
        while u > cumulative and k < 10_000:
            k += 1
            p *= lam / k
            cumulative += p
        total += k
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
        if events == 0:
            continue
        if ((kind == ATTEMPT and T.svc_free[a]) or (kind == ACT and T.beh_inert[a])
                or (kind == FALSE and T.beh_inert[a // 16])):
            _count_inert(T, H, kind, m, a, stream, events, area[H.first + m])
            continue
        for c in range(events):
            time = days * rnd.uniform(T.seed, stream, cid, c)
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
def _count_inert(T, H, kind, m, a, stream, events, area):
    """Count the ``events`` events of one source that change no state.

    That is attempts at an ungated service, or acts (or false records) of a
    behaviour no rule, list or shaming uses. Most events are of this kind, so
    they are logged here in one tight loop over local arrays: every call that
    takes ``H`` costs two atomic reference-count updates.
    """
    lay = T.layout
    reserve_log(H, 4 * events)
    log_key, log_amt = H.log_key, H.log_amt
    i = H.cnt[LOG]
    code = H.codes[m]
    cid = H.cids[m]
    seed = T.seed
    days = float(T.days)
    row = H.first + m
    if kind == ATTEMPT:
        key = ((lay.attempts + a) << 20) | code
        for c in range(events):
            log_key[i] = (int(days * rnd.uniform(seed, stream, cid, c)) << 40) | key
            log_amt[i] = 1
            i += 1
    elif kind == FALSE:
        b, sensor = a // 16, a % 16
        keys = (lay.records_by_behaviour + b, lay.records_by_sensor + sensor,
                lay.wrongful_by_sensor + sensor, lay.wrongful_by_behaviour + b)
        for c in range(events):
            day = int(days * rnd.uniform(seed, stream, cid, c)) << 40
            for col in keys:
                log_key[i] = day | (col << 20) | code
                log_amt[i] = 1
                i += 1
        H.cit[row, CIT_RECORDS] += events
        H.cit[row, CIT_WRONGFUL] += events
    else:
        detect, sensors = T.beh_detect, T.beh_sensor
        act_key = ((lay.acts + a) << 20) | code
        by_behaviour = ((lay.records_by_behaviour + a) << 20) | code
        recorded = 0
        for c in range(events):
            day = int(days * rnd.uniform(seed, stream, cid, c)) << 40
            log_key[i] = day | act_key
            log_amt[i] = 1
            i += 1
            for slot in range(sensors.shape[1]):
                s = sensors[a, slot]
                if s < 0:
                    break
                if rnd.uniform(seed, rnd.DETECT + a, cid, c * 16 + slot) < detect[a, slot, area]:
                    log_key[i] = day | by_behaviour
                    log_key[i + 1] = day | ((lay.records_by_sensor + s) << 20) | code
                    log_amt[i] = 1
                    log_amt[i + 1] = 1
                    i += 2
                    recorded += 1
                    break
        H.cit[row, CIT_ACTS] += events
        H.cit[row, CIT_RECORDS] += recorded
    H.cnt[LOG] = i


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
