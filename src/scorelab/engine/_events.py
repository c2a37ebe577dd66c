"""Drawing a household's events over the run (numba).

Each member has event sources: every behaviour they can commit, every stream of
false records (camera false matches, false reports) that can hit them, every
service they may try. A source draws how many events it has over the run (a
Poisson count) and a uniform time for each, keyed by (seed, stream, citizen,
counter), so sources never share draws and results do not depend on chunking.
Events that cannot change anyone's state (acts of a behaviour the policy
ignores, attempts at a service it neither bans nor rewards, acts that do not
happen or that nobody sees) are counted at once and never reach the replay in
:mod:`scorelab.engine._kernel`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numba.cpython.unsafe.numbers import trailing_zeros

from scorelab import _random as rnd
from scorelab.engine._state import (
    ACT,
    ATTEMPT,
    CELL_BITS,
    CIT_ACTS,
    CIT_RECORDS,
    CIT_WRONGFUL,
    FALSE,
    HEAP,
    LOG,
    count,
    group_cells,
    plainly_allowed,
    reserve_log,
)
from scorelab.engine._timeline import event_time

COUNT_COUNTER = 1 << 40  # counter space of Poisson count draws, apart from event ids
# exp(-lam) > 1 - lam, and math.exp is within an ulp: below 1 - lam - 2**-51 a draw
# is surely under exp(-lam), so the count is 0 without computing exp (the same result)
SURELY_NONE = 1.0 - 2.0**-51
# Poisson CDF terms tabled per kind of source: a count is then how many terms lie
# below its uniform (no branch, no division); past the table it is computed in full
COUNT_TABLE = 16

NEVER = 1 << 53  # a zero level (see _zero_level) that no draw's 53 bits exceed
CANDIDATE_BLOCK = 512  # citizens per block of busy_candidates: its scratch stays in L1
# columns of a source slot (see source_slots)
S_KIND, S_ARG, S_STREAM, S_YOUNGEST, S_OLDEST, S_ROW, S_BY_CLASS, S_HEAD_ONLY = range(8)


N_CLASSES = 80  # sex x urban x aged 60+ x income decile: what sets a behaviour's rate


@njit(cache=True)
def rate_class(sex, urban, elderly, income):
    """Index of the rate class of a citizen (see :data:`N_CLASSES`)."""
    return sex + 2 * urban + 4 * elderly + 8 * income


@njit(cache=True)
def source_means(T):
    """Expected events over the run, and the chance of none, for every kind of source.

    Behaviours by rate class (B, N_CLASSES) and services (V,), and the
    :func:`~scorelab._random.stream_key` of every event stream. Computed once
    per chunk: listing a household's sources is then a few lookups, and most
    Poisson counts need no ``exp``.
    """
    days = float(T.days)
    n_beh = T.beh_rate.shape[0]
    beh_mean = np.zeros((n_beh, N_CLASSES))
    for b in range(n_beh):
        if T.beh_rate[b] <= 0.0:
            continue
        for cls in range(N_CLASSES):
            rate = T.beh_rate[b] * T.beh_boost[b]
            if cls & 1 == 0:
                rate *= T.beh_male[b]
            if (cls >> 1) & 1 == 1:
                rate *= T.beh_urban[b]
            if (cls >> 2) & 1 == 1:
                rate *= T.beh_elderly[b]
            rate *= 1.0 + T.beh_income_slope[b] * ((cls >> 3) - 4.5) / 4.5
            beh_mean[b, cls] = rate * days
    svc_mean = T.svc_rate * days
    stream_keys = np.empty(rnd.ATTEMPT_TIME + T.svc_rate.shape[0], np.uint64)
    for stream in range(stream_keys.shape[0]):
        stream_keys[stream] = rnd.stream_key(T.seed, stream)
    beh_p0 = np.exp(-np.minimum(beh_mean, 100.0))
    svc_p0 = np.exp(-np.minimum(svc_mean, 100.0))
    cdf = np.zeros((n_beh * N_CLASSES + svc_mean.shape[0], COUNT_TABLE))
    for b in range(n_beh):
        for cls in range(N_CLASSES):
            _cdf_terms(beh_mean[b, cls], beh_p0[b, cls], cdf[b * N_CLASSES + cls])
    for v in range(svc_mean.shape[0]):
        _cdf_terms(svc_mean[v], svc_p0[v], cdf[n_beh * N_CLASSES + v])
    return beh_mean, beh_p0, svc_mean, svc_p0, stream_keys, cdf


@njit(cache=True)
def _cdf_terms(mean, p0, out):
    """The first terms of the Poisson CDF, summed exactly as :func:`_poisson_count` sums them.

    Only for a mean of at most 100 (one piece); the same operations in the same
    order give the same floats, so counts read off the table are the same.
    """
    p = p0
    cumulative = p
    out[0] = cumulative
    for k in range(1, out.shape[0]):
        p *= mean / k
        cumulative += p
        out[k] = cumulative


@njit(cache=True)
def _table_count(terms, u):
    """How many tabled CDF terms lie below ``u``: the count, unless it is the table's length."""
    k = 0
    for t in range(terms.shape[0]):
        k += u > terms[t]
    return k


@njit(cache=True)
def source_slots(T, means):
    """Every source a member may have, in listing order, and the draw its count must pass.

    Returns ``slot`` (S, 8) int64 rows (columns ``S_*``: kind, argument, stream,
    youngest and oldest age, row of the source's mean in ``flat`` and of its
    CDF table (plus the rate class where ``S_BY_CLASS`` is 1; -1 for false
    records, which have neither), head of household only), in the order
    :func:`_count_sources` lists sources (behaviour, its false-record sensors,
    then services); ``zero`` (S, Z), the zero levels of :func:`_zero_level`: by
    rate class (acts), by ``area * 4 + female * 2 + aged 60+`` (false records),
    or in column 0 (services); and ``flat`` (2, rows): the means and chances of
    none of acts by (behaviour, rate class), then of services.
    """
    beh_mean, beh_p0, svc_mean, svc_p0 = means[0], means[1], means[2], means[3]
    n_beh, n_svc = beh_mean.shape[0], svc_mean.shape[0]
    false_sensors = T.false_sensors
    n_false = 0
    for b in range(n_beh):
        for s in false_sensors[b]:
            n_false += s >= 0
    n_area = T.false_rate.shape[2]
    slot = np.empty((n_beh + n_false + n_svc, 8), np.int64)
    zero = np.full((slot.shape[0], max(N_CLASSES, 4 * n_area)), NEVER)
    flat = np.empty((2, n_beh * N_CLASSES + n_svc))
    flat[0, : n_beh * N_CLASSES] = beh_mean.ravel()
    flat[1, : n_beh * N_CLASSES] = beh_p0.ravel()
    flat[0, n_beh * N_CLASSES:] = svc_mean
    flat[1, n_beh * N_CLASSES:] = svc_p0
    j = 0
    for b in range(n_beh):
        _set_slot(slot[j], ACT, b, rnd.ACT_TIME + b, T.beh_min_age[b], T.beh_max_age[b],
                  b * N_CLASSES, 1, 0)
        for cls in range(N_CLASSES):
            zero[j, cls] = _zero_level(beh_mean[b, cls], beh_p0[b, cls])
        j += 1
        for s in false_sensors[b]:
            if s < 0:
                break
            _set_slot(slot[j], FALSE, b * 16 + s, rnd.FALSE_TIME + b * 16 + s, T.beh_min_age[b],
                      T.beh_max_age[b], -1, 0, 0)
            for place in range(4 * n_area):
                mean = _false_mean(T, b, s, place // 4, (place >> 1) & 1 == 1, place & 1 == 1)
                zero[j, place] = _zero_level(mean, -1.0)
            j += 1
    for v in range(n_svc):
        _set_slot(slot[j], ATTEMPT, v, rnd.ATTEMPT_TIME + v, T.svc_min_age[v], T.svc_max_age[v],
                  n_beh * N_CLASSES + v, 0, T.svc_head_only[v])
        zero[j, 0] = _zero_level(svc_mean[v], svc_p0[v])
        j += 1
    return slot, zero, flat


@njit(cache=True, inline="always")
def _set_slot(row, kind, argument, stream, youngest, oldest, table_row, by_class, head_only):
    row[S_KIND], row[S_ARG], row[S_STREAM] = kind, argument, stream
    row[S_YOUNGEST], row[S_OLDEST] = youngest, oldest
    row[S_ROW], row[S_BY_CLASS], row[S_HEAD_ONLY] = table_row, by_class, head_only


@njit(cache=True)
def _zero_level(mean, p0):
    """The draw's 53 bits at or below which a source of this mean surely has no event.

    A tabled count is 0 exactly when its uniform is at most ``p0``; an untabled
    one (``p0`` negative) when it is at most ``SURELY_NONE - mean``. A uniform
    made of bits ``x`` is at most ``(x + 1) / 2**53``, so that above ``level``
    means ``x`` above ``level * 2**53 - 1``: the returned level is lower still.
    """
    if mean <= 0.0:
        return NEVER
    if mean > 100.0:
        return -1
    level = p0 if p0 >= 0.0 else SURELY_NONE - mean
    return np.int64(math.floor(level * 2.0**53)) - 2


@njit(cache=True)
def busy_candidates(slot, zero, stream_keys, cid, sex, age, urban, area, income, mask):
    """Mark in ``mask`` (n, words) each citizen's sources that may have events.

    A source's count uniform (the same draw :func:`_source` makes) against its
    zero level, and its age range. Every source with an event is marked (some
    without one may be too); :func:`_count_sources` then visits only the marked
    ones, about one in five under the shipped policies. Slot by slot over blocks
    of citizens, in loops without branches: the hashing loop vectorises, and so
    does the comparison where the level is one for everyone (services, and false
    records at their lowest level: they almost never have an event anywhere).
    """
    n_slots = slot.shape[0]
    n = cid.shape[0]
    bits = np.empty(CANDIDATE_BLOCK, np.uint64)
    marked = np.empty((mask.shape[1], CANDIDATE_BLOCK), np.uint64)
    rate_classes = np.empty(CANDIDATE_BLOCK, np.int64)
    lowest = np.empty(n_slots, np.int64)  # each slot's level for everyone
    for j in range(n_slots):
        lowest[j] = zero[j].min()
    for start in range(0, n, CANDIDATE_BLOCK):
        size = min(CANDIDATE_BLOCK, n - start)
        marked[:, :size] = 0
        for i in range(size):
            c = start + i
            rate_classes[i] = rate_class(sex[c], urban[c], 1 if age[c] >= 60 else 0, income[c])
        for j in range(n_slots):
            if lowest[j] == NEVER:  # no event for anyone (a rate of 0): nothing to hash
                continue
            stream_hash = stream_keys[slot[j, S_STREAM]]
            youngest, oldest = slot[j, S_YOUNGEST], slot[j, S_OLDEST]
            for i in range(size):
                bits[i] = rnd.draw_bits(rnd.subject_key(stream_hash, cid[start + i]),
                                        COUNT_COUNTER)
            word, shift = marked[j >> 6], np.uint64(j & 63)
            levels = zero[j]
            if slot[j, S_KIND] == ACT:
                for i in range(size):
                    c = start + i
                    hit = ((np.int64(bits[i] >> np.uint64(11)) > levels[rate_classes[i]])
                           & (age[c] >= youngest) & (age[c] <= oldest))
                    word[i] |= np.uint64(hit) << shift
            else:
                level = lowest[j]
                for i in range(size):
                    c = start + i
                    hit = ((np.int64(bits[i] >> np.uint64(11)) > level)
                           & (age[c] >= youngest) & (age[c] <= oldest))
                    word[i] |= np.uint64(hit) << shift
        for w in range(mask.shape[1]):
            mask[start:start + size, w] = marked[w, :size]


@njit(cache=True)
def _count_sources(T, means, first, k, cid, sex, age, urban, area, income, busy, slots, mask):
    """Count the household's marked event sources; list the ones that have events.

    A source is one member's behaviour, false-record stream or service. Its
    count is a Poisson draw keyed by its subject key (the hash of its stream and
    citizen, from which each of its draws is one mix), read off the chunk's CDF
    table where it has one. Only the sources :func:`busy_candidates` marked are
    visited, with every original test, so the result is what visiting all of
    them would give. Sources come in a fixed order (member, then behaviour with
    its false-record sensors, then services: the order of the slots), which
    fixes the order of the generated events.

    ``slots`` is the ``(slot, flat)`` pair of :func:`source_slots`. ``busy``
    gets one row per source with events, in that order: (kind, member,
    argument, citizen id, events, counted-only flag (set later), subject key as
    int64 bits). Returns the rows and the events.
    """
    slot, flat = slots
    stream_keys, cdf = means[4], means[5]
    beh_mean, beh_min_age, beh_max_age = means[0], T.beh_min_age, T.beh_max_age
    n = 0
    need = 0
    for m in range(k):
        i = first + m
        elderly = age[i] >= 60
        cls = rate_class(sex[i], urban[i], 1 if elderly else 0, income[i])
        for word in range(mask.shape[1]):
            bits = mask[i, word]
            while bits != 0:
                j = word * 64 + trailing_zeros(bits)
                bits &= bits - np.uint64(1)
                kind = slot[j, S_KIND]
                if kind == FALSE:  # rare: a false record's count is almost always 0
                    n, need = _false_source(T, busy, n, need, m, slot[j, S_ARG], cid[i],
                                            stream_keys[slot[j, S_STREAM]], sex[i], age[i],
                                            area[i], cls, beh_mean, beh_min_age, beh_max_age,
                                            cdf)
                    continue
                row = slot[j, S_ROW] + cls * slot[j, S_BY_CLASS]
                mean = flat[0, row]
                if (mean <= 0.0 or age[i] < slot[j, S_YOUNGEST] or age[i] > slot[j, S_OLDEST]
                        or (slot[j, S_HEAD_ONLY] and m != 0)):
                    continue
                n, need = _source(busy, n, need, kind, m, slot[j, S_ARG], cid[i],
                                  stream_keys[slot[j, S_STREAM]], cdf,
                                  row if mean <= 100.0 else -1, mean, flat[1, row])
    return n, need


@njit(cache=True)
def _false_source(T, busy, n, need, m, a, cid, stream_hash, sex, age, area, cls, beh_mean,
                  beh_min_age, beh_max_age, cdf):
    """Count one false-record stream (behaviour ``a // 16``, sensor ``a % 16``) of a member.

    Only while the behaviour itself is a source of theirs; no table: these
    counts are almost always 0, found without ``exp``.
    """
    b, s = a // 16, a % 16
    if beh_mean[b, cls] <= 0.0 or age < beh_min_age[b] or age > beh_max_age[b]:
        return n, need
    mean = _false_mean(T, b, s, area, sex == 1, age >= 60)
    if mean <= 0.0:
        return n, need
    return _source(busy, n, need, FALSE, m, a, cid, stream_hash, cdf, -1, mean, -1.0)


@njit(cache=True, inline="always")
def _false_mean(T, b, s, area, female, elderly):
    """Expected false records of behaviour ``b`` by sensor ``s`` over the run, for one citizen.

    Cameras' false matches lean on women and the old; the mean multiplier keeps
    their total. 0 where the sensor makes none there.
    """
    rate = T.false_rate[b, s, area]
    if rate <= 0.0:
        return 0.0
    if T.false_camera[s]:
        rate *= T.false_female if female else 1.0
        rate *= T.false_elderly if elderly else 1.0
        rate /= T.false_norm
    return rate * float(T.days)


@njit(cache=True, inline="always")
def _source(busy, n, need, kind, m, a, cid, stream_hash, cdf, row, mean, p0):
    """Count one source (off CDF table ``row`` unless it is -1) and write its row.

    Returns the fill level and the events so far, moved on if it has any.
    """
    key = rnd.subject_key(stream_hash, cid)
    u = rnd.uniform_from(key, COUNT_COUNTER)
    events = COUNT_TABLE if row < 0 else _table_count(cdf[row], u)
    if events == COUNT_TABLE:
        events = _poisson_count(key, mean, p0, u)
    busy[n, 0], busy[n, 1], busy[n, 2], busy[n, 3] = kind, m, a, cid
    busy[n, 4], busy[n, 6] = events, key
    return n + (events > 0), need + events


@njit(cache=True)
def _poisson_count(key, mean, p0, first_u):
    """A Poisson count with the given mean, by inversion (in pieces of at most 100).

    ``key`` is the source's subject key and ``first_u`` its first draw (of
    counter ``COUNT_COUNTER``); ``p0`` is ``exp(-min(mean, 100))`` when the
    caller has it, else negative.
    """
    total = 0
    piece = 0
    while mean > 0.0:
        lam = min(mean, 100.0)
        mean -= lam
        u = first_u if piece == 0 else rnd.uniform_from(key, COUNT_COUNTER + piece)
        if u <= SURELY_NONE - lam:  # then u <= exp(-lam): no event, and no exp needed
            piece += 1
            continue
        p = p0 if piece == 0 and p0 >= 0.0 else math.exp(-lam)
        piece += 1
        cumulative = p
        k = 0
        while u > cumulative and k < 10_000:
            k += 1
            p *= lam / k
            cumulative += p
        total += k
    return total


@njit(cache=True)
def _generate_events(T, H, n_busy, need, busy, ev_t, ev_d, area, stream_keys, tally):
    """Draw every source's events over the run; returns the (maybe regrown) arrays and count.

    Each source (a behaviour, a false-record stream, a service, of one member)
    draws how many events it has over the run (a Poisson count), then a uniform
    time for each, all keyed by its own stream. Sources never share draws, so
    changing one rate leaves every other source's events as they were: the
    same seed gives common random numbers across policies and parameter values
    (the no-policy baseline, calibration).

    Events that cannot change anyone's state are most events; they are counted
    here at once, inline, and never enter the replay: acts of a behaviour the
    policy ignores, attempts at a service it neither bans nor rewards, acts
    whose chance of happening reads no state and that no sensor sees (or that
    do not happen), and, in a household where nobody's state changes, attempts
    allowed now (docs/architecture.md, "Acts that change nothing are settled while
    drawing").

    ``busy`` lists the sources with events and ``need`` counts their events
    (see :func:`_count_sources`); ``stream_keys`` are the chunk's stream keys.
    Counted events go to the day tallies ``tally`` (see :func:`_tally`).
    """
    if need == 0:
        return ev_t, ev_d, 0
    days = float(T.days)
    svc_free, beh_inert, detect, sensors = T.svc_free, T.beh_inert, T.beh_detect, T.beh_sensor
    reserve_log(H, 4 * need)  # room for every entry, should the tallies be full
    log_key, log_amt, cnt, codes, cit = H.log_key, H.log_amt, H.cnt, H.codes, H.cit
    lay = T.layout
    t_start, t_share, t_pieces = T.time_start, T.time_share, T.time_pieces
    n_beh = beh_inert.shape[0]
    first = H.first
    offsets = T.group_offsets
    # without lists entered on conditions, an event that changes nothing needs no
    # replay (with them, the replay re-checks those conditions after every act)
    settle_early = not T.has_condition_lists and not T.replay_all
    changing = 0  # members with a replayed act or record: their state may change
    unseen = 0  # replayed acts nobody sees, kept only for the experience they read
    i = cnt[LOG]
    n = 0
    for j in range(n_busy):  # acts and records first: they decide which attempts only count
        kind, m, a, cid, events = busy[j, 0], busy[j, 1], busy[j, 2], busy[j, 3], busy[j, 4]
        if kind == ATTEMPT:
            continue
        key = np.uint64(busy[j, 6])
        code = codes[m]
        cells = group_cells(offsets, code)
        if kind == FALSE and beh_inert[a // 16]:
            b, sensor = a // 16, a % 16
            keys = (lay.records_by_behaviour + b, lay.records_by_sensor + sensor,
                    lay.wrongful_by_sensor + sensor, lay.wrongful_by_behaviour + b)
            for c in range(events):
                day = int(days * rnd.uniform_from(key, c))
                for col in keys:
                    i = _tally(tally, day, col, code, cells, log_key, log_amt, i)
            cit[first + m, CIT_RECORDS] += events
            cit[first + m, CIT_WRONGFUL] += events
            continue
        if kind == FALSE:  # false records: a constant rate
            for c in range(events):
                ev_t, ev_d = _room(ev_t, ev_d, n)
                _put(ev_t, ev_d, n, days * rnd.uniform_from(key, c), FALSE, m, a, c)
                n += 1
            changing |= 1 << m
            continue
        where = area[first + m]
        recorded = 0
        dated = t_pieces[a] > 1
        detect_key = rnd.subject_key(stream_keys[rnd.DETECT + a], cid)
        accept_key = rnd.subject_key(stream_keys[rnd.ACT_ACCEPT + a], cid)
        n_sensors = _sensor_count(sensors[a])
        inert = beh_inert[a]
        for c in range(events):
            u = rnd.uniform_from(key, c)
            time = event_time(t_start, t_share, t_pieces, a, u, days) if dated else days * u
            day = int(time)
            seen_by = first_sensor(detect_key, c, sensors[a], detect[a, :, where], n_sensors)
            if inert:
                recorded += seen_by >= 0
                i = _tally_act(tally, day, lay, a, seen_by, code, cells, log_key, log_amt, i)
                continue
            if settle_early and _chance_reads_no_state(T, a, day):
                if not act_happens(T, a, day, where, 0.0, accept_key, c):
                    continue
                if seen_by < 0:
                    i = _tally(tally, day, lay.acts + a, code, cells, log_key, log_amt, i)
                    cit[first + m, CIT_ACTS] += 1
                    continue
            if settle_early and seen_by < 0:
                unseen += 1  # its chance reads experience; it changes nothing
            else:
                changing |= 1 << m
            ev_t, ev_d = _room(ev_t, ev_d, n)
            _put(ev_t, ev_d, n, time, ACT, m, a, c)
            n += 1
        if inert:
            cit[first + m, CIT_ACTS] += events
            cit[first + m, CIT_RECORDS] += recorded
    # An attempt allowed now (no sanction, no reward) by a member whose state never
    # changes is allowed all run long: it is counted, not replayed.
    steady = cnt[HEAP] == 0 and not T.replay_all  # nothing scheduled
    for j in range(n_busy):
        kind, m, a, events = busy[j, 0], busy[j, 1], busy[j, 2], busy[j, 4]
        if kind != ATTEMPT:
            continue
        key = np.uint64(busy[j, 6])
        dated = t_pieces[n_beh + a] > 1
        # two loops, not one with the choice inside: merged, they measured 3% slower
        if svc_free[a] or (steady and _steady_outcome(T, changing, m, a)
                           and plainly_allowed(T, H, m, a)):
            code = codes[m]
            cells = group_cells(offsets, code)
            column = lay.attempts + a
            for c in range(events):
                u = rnd.uniform_from(key, c)
                time = event_time(t_start, t_share, t_pieces, n_beh + a, u, days) if dated else (
                    days * u)
                i = _tally(tally, int(time), column, code, cells, log_key, log_amt, i)
            continue
        for c in range(events):
            u = rnd.uniform_from(key, c)
            ev_t, ev_d = _room(ev_t, ev_d, n)
            time = event_time(t_start, t_share, t_pieces, n_beh + a, u, days) if dated else (
                days * u)
            _put(ev_t, ev_d, n, time, ATTEMPT, m, a, c)
            n += 1
    if 0 < n == unseen and cnt[HEAP] == 0:
        # only unseen acts: nothing changes anyone's experience, so each one's chance
        # is what it is at the start, and it is only counted
        for e in range(n):
            m, a, c = ev_d[e, 1], ev_d[e, 2], ev_d[e, 3]
            day = int(ev_t[e])
            accept_key = rnd.subject_key(stream_keys[rnd.ACT_ACCEPT + a], H.cids[m])
            if act_happens(T, a, day, area[first + m], 0.0, accept_key, c):
                i = _tally(tally, day, lay.acts + a, codes[m], group_cells(offsets, codes[m]),
                           log_key, log_amt, i)
                cit[first + m, CIT_ACTS] += 1
        n = 0
    cnt[LOG] = i
    return ev_t, ev_d, n


@njit(cache=True, inline="always")
def _steady_outcome(T, changing, m, v):
    """Whether member ``m`` meets the same state at every attempt at ``v``.

    ``changing`` marks the members whose state may change. An attempt reads the
    member's own state, and every member's where a sanction on ``v`` reaches
    the household.
    """
    if (changing >> m) & 1:
        return False
    if changing == 0:
        return True
    for s in range(T.san_service.shape[0]):
        if T.san_service[s] == v and T.san_household[s]:
            return False
    return True


@njit(cache=True, inline="always")
def _room(ev_t, ev_d, n):
    """The event arrays, doubled if entry ``n`` does not fit."""
    if n < ev_t.shape[0]:
        return ev_t, ev_d
    grown_t = np.empty(2 * n)
    grown_d = np.empty((2 * n, 4), np.int64)
    grown_t[:n] = ev_t
    grown_d[:n] = ev_d
    return grown_t, grown_d


@njit(cache=True, inline="always")
def _put(ev_t, ev_d, n, time, kind, m, a, c):
    """Write event ``n`` for the replay: its time, kind, member, argument and counter."""
    ev_t[n] = time
    ev_d[n, 0], ev_d[n, 1], ev_d[n, 2], ev_d[n, 3] = kind, m, a, c


@njit(cache=True, inline="always")
def act_happens(T, b, day, area, level, accept_key, c):
    """Whether candidate act ``c`` of ``b`` happens at experience ``level``.

    Its chance against its own draw; ``accept_key`` is the act's subject key of
    stream ``ACT_ACCEPT + b``.
    """
    chance = _act_chance(T, b, day, area, level)
    return chance >= 1.0 or rnd.uniform_from(accept_key, c) < chance


@njit(cache=True, inline="always")
def _act_chance(T, b, day, area, level):
    """The chance that a candidate act of ``b`` on ``day`` happens, at experience ``level``.

    Acts the policy punishes are deterred, more so as experience raises the
    perceived chance of being seen; acts it rewards are encouraged up to
    ``max_boost`` (their candidates are drawn at the boosted rate, hence the
    division).
    """
    cost = T.beh_cost[b, day]
    if cost > 0.0:
        perceived = min(1.0, T.beh_detect_any[b, area] * (1.0 + T.experience_gain * level))
        return math.exp(-T.beh_elasticity[b] * T.awareness * perceived * cost)
    if cost < 0.0:
        gain = min(T.max_boost, T.beh_elasticity[b] * T.awareness * -cost)
        return (1.0 + gain) / T.beh_boost[b]
    return 1.0 / T.beh_boost[b]


@njit(cache=True, inline="always")
def _chance_reads_no_state(T, b, day):
    """Whether :func:`_act_chance` of ``b`` on ``day`` is the same at any experience.

    Experience only enters a deterred act's chance, and not at all when nobody
    responds (elasticity or awareness 0: the chance is then exp(0) = 1).
    """
    return T.beh_cost[b, day] <= 0.0 or T.beh_elasticity[b] * T.awareness == 0.0


@njit(cache=True, inline="always")
def _tally(tally, day, column, code, cells, log_key, log_amt, i):
    """Count one event on ``day`` in ``column`` for a member; returns the log's new fill level.

    ``tally`` is a pair: ``(days + 1, capacity)`` entries, row by day, holding
    the column and the member's :func:`~scorelab.engine._state.group_cells` of
    each event counted once (most events), and the fill level of each row, then
    their sum. Appended by day, they need no sort before
    :func:`~scorelab.engine._state.flush_tally` adds them up. A full row sends
    the event to the household's log (entry ``i``, with the group ``code``).
    """
    entries, fill = tally
    at = fill[day]
    if at < entries.shape[1]:
        entries[day, at] = (column << CELL_BITS) | cells
        fill[day] = at + 1
        fill[-1] += 1
        return i
    log_key[i] = (day << 40) | (column << 20) | code
    log_amt[i] = 1
    return i + 1


@njit(cache=True, inline="always")
def _tally_act(tally, day, lay, b, seen_by, code, cells, log_key, log_amt, i):
    """Tally a counted act of behaviour ``b`` and, if sensor ``seen_by`` saw it (not -1), a record.

    Act and record go in as one block of three entries, the record's two kept
    only if seen: no branch on whether it was. Near a full row, one by one.
    """
    entries, fill = tally
    seen = 1 if seen_by >= 0 else 0
    at = fill[day]
    if at + 3 <= entries.shape[1]:
        entries[day, at] = ((lay.acts + b) << CELL_BITS) | cells
        entries[day, at + 1] = ((lay.records_by_behaviour + b) << CELL_BITS) | cells
        entries[day, at + 2] = ((lay.records_by_sensor + max(seen_by, 0)) << CELL_BITS) | cells
        fill[day] = at + 1 + 2 * seen
        fill[-1] += 1 + 2 * seen
        return i
    i = _tally(tally, day, lay.acts + b, code, cells, log_key, log_amt, i)
    if seen:
        i = _tally(tally, day, lay.records_by_behaviour + b, code, cells, log_key, log_amt, i)
        i = _tally(tally, day, lay.records_by_sensor + seen_by, code, cells, log_key, log_amt, i)
    return i


@njit(cache=True, inline="always")
def _sensor_count(sensors):
    """How many sensors observe a behaviour (its row of ``T.beh_sensor``, -1 after the last)."""
    count = 0
    while count < sensors.shape[0] and sensors[count] >= 0:
        count += 1
    return count


@njit(cache=True, inline="always")
def first_sensor(detect_key, c, sensors, chances, n_sensors):
    """The first sensor (in observation order) that records candidate act ``c``, or -1.

    ``detect_key`` is the act's :func:`~scorelab._random.subject_key` of stream
    ``DETECT + behaviour``; each sensor draws counter ``c * 16 + slot`` against
    its chance where the act happens. Every draw is made and the first hit kept
    without a branch on the draws (they are coin flips, which a branch predicts
    badly).
    """
    seen_by = -1
    for slot in range(n_sensors - 1, -1, -1):
        hit = rnd.uniform_from(detect_key, c * 16 + slot) < chances[slot]
        seen_by = sensors[slot] if hit else seen_by
    return seen_by


@njit(cache=True)
def _detecting_sensor(T, H, m, b, c, area):
    """The first sensor (in observation order) that records candidate act ``c``, or -1."""
    detect_key = rnd.subject_key(rnd.stream_key(T.seed, rnd.DETECT + b), H.cids[m])
    return first_sensor(detect_key, c, T.beh_sensor[b], T.beh_detect[b, :, area],
                        _sensor_count(T.beh_sensor[b]))


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
