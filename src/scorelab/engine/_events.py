"""Listing a household's event sources and drawing their events over the run (numba).

Each member has event sources: every behaviour they can commit, every stream of
false records (camera false matches, false reports) that can hit them, every
service they may try. A source draws how many events it has over the run (a
Poisson count) and a uniform time for each, keyed by (seed, stream, citizen,
counter), so sources never share draws and results do not depend on chunking.

Per chunk: :func:`source_means` and :func:`source_slots` table every kind of
source once; :func:`busy_candidates` marks each citizen's sources that may have
events. Per household: :func:`count_sources` counts the marked sources' events
into the ``busy`` rows (columns ``B_*``), and :func:`generate_events` draws
them in three passes. Events that cannot change anyone's state (acts of a
behaviour the policy ignores, attempts at a service it neither bans nor
rewards, acts that do not happen or that nobody sees) are counted at once in
the day tallies and never reach the replay in :mod:`scorelab.engine._kernel`;
the others are listed for it (``ev_t`` times and ``ev_d`` rows, columns ``EV_*``).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit
from numba.cpython.unsafe.numbers import trailing_zeros

from scorelab import _random as rnd
from scorelab.engine._behaviour import (
    N_CLASSES,
    act_happens,
    behaviour_mean,
    chance_reads_no_state,
    false_mean,
    first_sensor,
    rate_class,
    sensor_count,
)
from scorelab.engine._citizen_counters import CIT_ACTS, CIT_RECORDS, CIT_WRONGFUL_RECORDS
from scorelab.engine._daily_counts import reserve_log, tally, tally_act
from scorelab.engine._household import FILL_HEAP, FILL_LOG
from scorelab.engine._packing import (
    false_stream,
    false_stream_behaviour,
    false_stream_sensor,
    group_cells,
)
from scorelab.engine._state import ACT, ATTEMPT, FALSE, plainly_allowed
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
SLOT_WIDTH = 8
# columns of a busy row, one per source with events (see count_sources): its kind,
# member, argument (behaviour, false-record stream or service), citizen id, event
# count, and subject key (the uint64 bits as int64)
B_KIND, B_MEMBER, B_ARG, B_CITIZEN, B_EVENTS, B_KEY = range(6)
BUSY_WIDTH = 6
# columns of an event row for the replay (``ev_d``; its time is in ``ev_t``): kind,
# member, argument (as in a busy row) and the event's draw counter in its source
EV_KIND, EV_MEMBER, EV_ARG, EV_DRAW = range(4)
EVENT_WIDTH = 4


class SourceMeans(NamedTuple):
    """Expected events and chances of none, per kind of source, for one chunk (numba: a tuple).

    ``beh_mean``, ``beh_p0`` (B, N_CLASSES): acts by behaviour and rate class;
    ``svc_mean``, ``svc_p0`` (V,): service attempts; ``stream_keys``: the
    :func:`~scorelab._random.stream_key` of every event stream; ``cdf`` (rows,
    COUNT_TABLE): the first Poisson CDF terms of each behaviour and rate class,
    then of each service.
    """

    beh_mean: np.ndarray
    beh_p0: np.ndarray
    svc_mean: np.ndarray
    svc_p0: np.ndarray
    stream_keys: np.ndarray
    cdf: np.ndarray


class SourceSlots(NamedTuple):
    """Every source a member may have, in listing order (see :func:`source_slots`)."""

    slot: np.ndarray  # (S, SLOT_WIDTH) int64, columns S_*
    zero: np.ndarray  # (S, Z) int64 zero levels
    flat: np.ndarray  # (2, rows): means, then chances of none, by table row


@njit(cache=True)
def source_means(T):
    """Expected events over the run, and the chance of none, for every kind of source.

    Computed once per chunk: listing a household's sources is then a few
    lookups, and most Poisson counts need no ``exp``.
    """
    days = float(T.days)
    n_beh = T.beh_rate.shape[0]
    beh_mean = np.zeros((n_beh, N_CLASSES))
    for behaviour in range(n_beh):
        if T.beh_rate[behaviour] <= 0.0:
            continue
        for cls in range(N_CLASSES):
            beh_mean[behaviour, cls] = behaviour_mean(T, behaviour, cls, days)
    svc_mean = T.svc_rate * days
    stream_keys = np.empty(rnd.ATTEMPT_TIME + T.svc_rate.shape[0], np.uint64)
    for stream in range(stream_keys.shape[0]):
        stream_keys[stream] = rnd.stream_key(T.seed, stream)
    beh_p0 = np.exp(-np.minimum(beh_mean, 100.0))
    svc_p0 = np.exp(-np.minimum(svc_mean, 100.0))
    cdf = np.zeros((n_beh * N_CLASSES + svc_mean.shape[0], COUNT_TABLE))
    for behaviour in range(n_beh):
        for cls in range(N_CLASSES):
            _cdf_terms(beh_mean[behaviour, cls], beh_p0[behaviour, cls],
                       cdf[behaviour * N_CLASSES + cls])
    for service in range(svc_mean.shape[0]):
        _cdf_terms(svc_mean[service], svc_p0[service], cdf[n_beh * N_CLASSES + service])
    return SourceMeans(beh_mean, beh_p0, svc_mean, svc_p0, stream_keys, cdf)


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

    Returns a :class:`SourceSlots`: ``slot`` rows (columns ``S_*``: kind,
    argument, stream, youngest and oldest age, row of the source's mean in
    ``flat`` and of its CDF table (plus the rate class where ``S_BY_CLASS`` is
    1; -1 for false records, which have neither), head of household only), in
    the order :func:`count_sources` lists sources (behaviour, its false-record
    sensors, then services); ``zero``, the zero levels of :func:`_zero_level`:
    by rate class (acts), by ``area * 4 + female * 2 + aged 60+`` (false
    records), or in column 0 (services); and ``flat`` (2, rows): the means and
    chances of none of acts by (behaviour, rate class), then of services.
    """
    n_beh, n_svc = means.beh_mean.shape[0], means.svc_mean.shape[0]
    false_sensors = T.false_sensors
    n_false = 0
    for behaviour in range(n_beh):
        for sensor in false_sensors[behaviour]:
            n_false += sensor >= 0
    n_area = T.false_rate.shape[2]
    slot = np.empty((n_beh + n_false + n_svc, SLOT_WIDTH), np.int64)
    zero = np.full((slot.shape[0], max(N_CLASSES, 4 * n_area)), NEVER)
    flat = np.empty((2, n_beh * N_CLASSES + n_svc))
    flat[0, : n_beh * N_CLASSES] = means.beh_mean.ravel()
    flat[1, : n_beh * N_CLASSES] = means.beh_p0.ravel()
    flat[0, n_beh * N_CLASSES:] = means.svc_mean
    flat[1, n_beh * N_CLASSES:] = means.svc_p0
    j = 0
    for behaviour in range(n_beh):
        youngest, oldest = T.beh_min_age[behaviour], T.beh_max_age[behaviour]
        _set_slot(slot[j], ACT, behaviour, rnd.ACT_TIME + behaviour, youngest, oldest,
                  behaviour * N_CLASSES, 1, 0)
        for cls in range(N_CLASSES):
            zero[j, cls] = _zero_level(means.beh_mean[behaviour, cls],
                                       means.beh_p0[behaviour, cls])
        j += 1
        for sensor in false_sensors[behaviour]:
            if sensor < 0:
                break
            stream = false_stream(behaviour, sensor)
            _set_slot(slot[j], FALSE, stream, rnd.FALSE_TIME + stream, youngest, oldest, -1, 0, 0)
            for place in range(4 * n_area):
                mean = false_mean(T, behaviour, sensor, place // 4, (place >> 1) & 1 == 1,
                                  place & 1 == 1)
                zero[j, place] = _zero_level(mean, -1.0)
            j += 1
    for service in range(n_svc):
        _set_slot(slot[j], ATTEMPT, service, rnd.ATTEMPT_TIME + service, T.svc_min_age[service],
                  T.svc_max_age[service], n_beh * N_CLASSES + service, 0,
                  T.svc_head_only[service])
        zero[j, 0] = _zero_level(means.svc_mean[service], means.svc_p0[service])
        j += 1
    return SourceSlots(slot, zero, flat)


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
def count_sources(T, means, slots, first, k, cid, sex, age, urban, area, income, busy, mask):
    """Count the household's marked event sources; list the ones that have events.

    The household is rows ``first .. first + k - 1`` of the chunk's columns. A
    source's count is a Poisson draw keyed by its subject key (the hash of its
    stream and citizen, from which each of its draws is one mix), read off the
    chunk's CDF table where it has one. Only the sources
    :func:`busy_candidates` marked in ``mask`` are visited, with every original
    test, so the result is what visiting all of them would give. Sources come
    in a fixed order (member, then behaviour with its false-record sensors,
    then services: the order of the slots), which fixes the order of the
    generated events.

    ``busy`` gets one row per source with events, in that order (columns
    ``B_*``). Returns how many rows, and how many events they have.
    """
    slot, flat = slots.slot, slots.flat
    n_rows = 0
    n_events = 0
    for m in range(k):
        row_of_member = first + m
        member_age = age[row_of_member]
        cls = rate_class(sex[row_of_member], urban[row_of_member], 1 if member_age >= 60 else 0,
                         income[row_of_member])
        for word in range(mask.shape[1]):
            bits = mask[row_of_member, word]
            while bits != 0:
                j = word * 64 + trailing_zeros(bits)
                bits &= bits - np.uint64(1)
                kind = slot[j, S_KIND]
                stream_hash = means.stream_keys[slot[j, S_STREAM]]
                if kind == FALSE:  # rare: a false record's count is almost always 0
                    n_rows, n_events = _count_false_source(
                        T, means, busy, n_rows, n_events, m, slot[j, S_ARG], cid[row_of_member],
                        stream_hash, sex[row_of_member], member_age, area[row_of_member], cls)
                    continue
                table_row = slot[j, S_ROW] + cls * slot[j, S_BY_CLASS]
                mean = flat[0, table_row]
                if (mean <= 0.0 or member_age < slot[j, S_YOUNGEST]
                        or member_age > slot[j, S_OLDEST] or (slot[j, S_HEAD_ONLY] and m != 0)):
                    continue
                n_rows, n_events = _count_source(
                    busy, n_rows, n_events, kind, m, slot[j, S_ARG], cid[row_of_member],
                    stream_hash, means.cdf, table_row if mean <= 100.0 else -1, mean,
                    flat[1, table_row])
    return n_rows, n_events


@njit(cache=True)
def _count_false_source(T, means, busy, n_rows, n_events, m, stream, cid, stream_hash, sex, age,
                        area, cls):
    """Count one false-record stream of a member (see :func:`count_sources`).

    Only while the behaviour itself is a source of theirs; no table: these
    counts are almost always 0, found without ``exp``.
    """
    behaviour, sensor = false_stream_behaviour(stream), false_stream_sensor(stream)
    if (means.beh_mean[behaviour, cls] <= 0.0 or age < T.beh_min_age[behaviour]
            or age > T.beh_max_age[behaviour]):
        return n_rows, n_events
    mean = false_mean(T, behaviour, sensor, area, sex == 1, age >= 60)
    if mean <= 0.0:
        return n_rows, n_events
    return _count_source(busy, n_rows, n_events, FALSE, m, stream, cid, stream_hash, means.cdf,
                         -1, mean, -1.0)


@njit(cache=True, inline="always")
def _count_source(busy, n_rows, n_events, kind, m, argument, cid, stream_hash, cdf, table_row,
                  mean, p0):
    """Count one source (off CDF table ``table_row`` unless it is -1) and write its busy row.

    The row is kept (the fill level moves on) only if the source has events.
    """
    key = rnd.subject_key(stream_hash, cid)
    u = rnd.uniform_from(key, COUNT_COUNTER)
    events = COUNT_TABLE if table_row < 0 else _table_count(cdf[table_row], u)
    if events == COUNT_TABLE:
        events = _poisson_count(key, mean, p0, u)
    row = busy[n_rows]
    row[B_KIND], row[B_MEMBER], row[B_ARG], row[B_CITIZEN] = kind, m, argument, cid
    row[B_EVENTS], row[B_KEY] = events, key
    return n_rows + (events > 0), n_events + events


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
def generate_events(T, H, n_busy, n_events, busy, ev_t, ev_d, area, stream_keys, tallies):
    """Draw every busy source's events over the run; return the (maybe regrown) arrays and count.

    Each source (a behaviour, a false-record stream, a service, of one member)
    has ``B_EVENTS`` events (:func:`count_sources`), each at a uniform time
    drawn from its own stream. Sources never share draws, so changing one rate
    leaves every other source's events as they were: the same seed gives
    common random numbers across policies and parameter values (the no-policy
    baseline, calibration).

    Events that cannot change anyone's state are most events; they are counted
    here at once in the day ``tallies`` and never enter the replay: acts of a
    behaviour the policy ignores, attempts at a service it neither bans nor
    rewards, acts whose chance of happening reads no state and that no sensor
    sees (or that do not happen), and, in a household where nobody's state
    changes, attempts allowed now (docs/architecture.md, "Acts that change
    nothing are settled while drawing"). Three passes:

    1. acts and false records (:func:`_draw_acts_and_records`): they decide
       whose state may change;
    2. service attempts (:func:`_draw_attempts`): counted where the outcome is
       the same all run long, else listed;
    3. if only unseen acts were listed and nothing is scheduled
       (:func:`_count_unseen_acts`): nobody's experience changes, so each act's
       chance is what it is at the start, and they are counted instead.
    """
    if n_events == 0:
        return ev_t, ev_d, 0
    reserve_log(H, 4 * n_events)  # room for every entry, should the tallies be full
    # without lists entered on conditions, an event that changes nothing needs no
    # replay (with them, the replay re-checks those conditions after every act)
    settle_early = not T.has_condition_lists and not T.replay_all
    logged = H.fill[FILL_LOG]
    ev_t, ev_d, n_listed, changing, unseen, logged = _draw_acts_and_records(
        T, H, n_busy, busy, ev_t, ev_d, area, stream_keys, tallies, settle_early, logged)
    steady = H.fill[FILL_HEAP] == 0 and not T.replay_all  # nothing scheduled
    ev_t, ev_d, n_listed, logged = _draw_attempts(T, H, n_busy, busy, ev_t, ev_d, n_listed,
                                                  changing, steady, tallies, logged)
    if 0 < n_listed == unseen and H.fill[FILL_HEAP] == 0:
        logged = _count_unseen_acts(T, H, ev_t, ev_d, n_listed, area, stream_keys, tallies,
                                    logged)
        n_listed = 0
    H.fill[FILL_LOG] = logged
    return ev_t, ev_d, n_listed


@njit(cache=True, inline="always")
def _draw_acts_and_records(T, H, n_busy, busy, ev_t, ev_d, area, stream_keys, tallies,
                           settle_early, logged):
    """Pass 1 of :func:`generate_events`: every act and false record of the household.

    Returns the event arrays, how many events are listed, ``changing`` (a bit
    per member whose state may change), how many listed acts nobody sees, and
    the log's fill level.
    """
    days = float(T.days)
    lay = T.layout
    log_keys, log_amounts, codes, cit = H.log_key, H.log_amount, H.codes, H.cit
    offsets = T.group_offsets
    changing = 0
    unseen = 0  # replayed acts nobody sees, kept only for the experience they read
    n_listed = 0
    for j in range(n_busy):
        kind, m, argument = busy[j, B_KIND], busy[j, B_MEMBER], busy[j, B_ARG]
        if kind == ATTEMPT:
            continue
        events = busy[j, B_EVENTS]
        key = np.uint64(busy[j, B_KEY])
        code = codes[m]
        cells = group_cells(offsets, code)
        row = H.first + m
        if kind == FALSE:
            behaviour = false_stream_behaviour(argument)
            if T.beh_inert[behaviour]:  # no rule reads it: each record is only counted
                sensor = false_stream_sensor(argument)
                columns = (lay.records_by_behaviour + behaviour, lay.records_by_sensor + sensor,
                           lay.wrongful_by_sensor + sensor, lay.wrongful_by_behaviour + behaviour)
                for draw in range(events):
                    day = int(days * rnd.uniform_from(key, draw))
                    for column in columns:
                        logged = tally(tallies, day, column, code, cells, log_keys, log_amounts,
                                       logged)
                cit[row, CIT_RECORDS] += events
                cit[row, CIT_WRONGFUL_RECORDS] += events
                continue
            for draw in range(events):  # false records: a constant rate
                ev_t, ev_d = _room(ev_t, ev_d, n_listed)
                _put(ev_t, ev_d, n_listed, days * rnd.uniform_from(key, draw), FALSE, m,
                     argument, draw)
                n_listed += 1
            changing |= 1 << m
            continue
        behaviour = argument
        where = area[row]
        recorded = 0
        dated = T.time_pieces[behaviour] > 1
        cid = busy[j, B_CITIZEN]
        detect_key = rnd.subject_key(stream_keys[rnd.DETECT + behaviour], cid)
        accept_key = rnd.subject_key(stream_keys[rnd.ACT_ACCEPT + behaviour], cid)
        sensors = T.beh_sensor[behaviour]
        n_sensors = sensor_count(sensors)
        inert = T.beh_inert[behaviour]
        for draw in range(events):
            u = rnd.uniform_from(key, draw)
            time = (event_time(T.time_start, T.time_share, T.time_pieces, behaviour, u, days)
                    if dated else days * u)
            day = int(time)
            seen_by = first_sensor(detect_key, draw, sensors, T.beh_detect[behaviour, :, where],
                                   n_sensors)
            if inert:  # no rule, list, shaming or cost: act and record are only counted
                recorded += seen_by >= 0
                logged = tally_act(tallies, day, lay, behaviour, seen_by, code, cells, log_keys,
                                   log_amounts, logged)
                continue
            if settle_early and chance_reads_no_state(T, behaviour, day):
                if not act_happens(T, behaviour, day, where, 0.0, accept_key, draw):
                    continue
                if seen_by < 0:  # it happens and nobody sees it: only counted
                    logged = tally(tallies, day, lay.acts + behaviour, code, cells, log_keys,
                                   log_amounts, logged)
                    cit[row, CIT_ACTS] += 1
                    continue
            if settle_early and seen_by < 0:
                unseen += 1  # its chance reads experience; it changes nothing
            else:
                changing |= 1 << m
            ev_t, ev_d = _room(ev_t, ev_d, n_listed)
            _put(ev_t, ev_d, n_listed, time, ACT, m, behaviour, draw)
            n_listed += 1
        if inert:
            cit[row, CIT_ACTS] += events
            cit[row, CIT_RECORDS] += recorded
    return ev_t, ev_d, n_listed, changing, unseen, logged


@njit(cache=True, inline="always")
def _draw_attempts(T, H, n_busy, busy, ev_t, ev_d, n_listed, changing, steady, tallies, logged):
    """Pass 2 of :func:`generate_events`: every service attempt of the household.

    An attempt at a service no sanction or reward reads, or (when nothing is
    scheduled: ``steady``) one allowed now by a member who meets the same state
    at every attempt, is allowed all run long: it is counted, not listed.
    """
    days = float(T.days)
    n_beh = T.beh_inert.shape[0]
    log_keys, log_amounts = H.log_key, H.log_amount
    for j in range(n_busy):
        kind, m, service, events = (busy[j, B_KIND], busy[j, B_MEMBER], busy[j, B_ARG],
                                    busy[j, B_EVENTS])
        if kind != ATTEMPT:
            continue
        key = np.uint64(busy[j, B_KEY])
        piece_row = n_beh + service  # services' dated rates follow the behaviours'
        dated = T.time_pieces[piece_row] > 1
        # two loops, not one with the choice inside: merged, they ran slower
        if T.svc_free[service] or (steady and _steady_outcome(T, changing, m, service)
                                   and plainly_allowed(T, H, m, service)):
            code = H.codes[m]
            cells = group_cells(T.group_offsets, code)
            column = T.layout.attempts + service
            for draw in range(events):
                u = rnd.uniform_from(key, draw)
                time = (event_time(T.time_start, T.time_share, T.time_pieces, piece_row, u, days)
                        if dated else days * u)
                logged = tally(tallies, int(time), column, code, cells, log_keys, log_amounts,
                               logged)
            continue
        for draw in range(events):
            u = rnd.uniform_from(key, draw)
            ev_t, ev_d = _room(ev_t, ev_d, n_listed)
            time = (event_time(T.time_start, T.time_share, T.time_pieces, piece_row, u, days)
                    if dated else days * u)
            _put(ev_t, ev_d, n_listed, time, ATTEMPT, m, service, draw)
            n_listed += 1
    return ev_t, ev_d, n_listed, logged


@njit(cache=True, inline="always")
def _count_unseen_acts(T, H, ev_t, ev_d, n_listed, area, stream_keys, tallies, logged):
    """Pass 3 of :func:`generate_events`: count the listed acts, all unseen, instead of replaying.

    Nothing changes anyone's experience, so each act's chance is what it is at
    the start of the run.
    """
    for e in range(n_listed):
        m, behaviour, draw = ev_d[e, EV_MEMBER], ev_d[e, EV_ARG], ev_d[e, EV_DRAW]
        day = int(ev_t[e])
        accept_key = rnd.subject_key(stream_keys[rnd.ACT_ACCEPT + behaviour], H.cids[m])
        if act_happens(T, behaviour, day, area[H.first + m], 0.0, accept_key, draw):
            logged = tally(tallies, day, T.layout.acts + behaviour, H.codes[m],
                           group_cells(T.group_offsets, H.codes[m]), H.log_key, H.log_amount,
                           logged)
            H.cit[H.first + m, CIT_ACTS] += 1
    return logged


@njit(cache=True, inline="always")
def _steady_outcome(T, changing, m, service):
    """Whether member ``m`` meets the same state at every attempt at ``service``.

    ``changing`` marks the members whose state may change. An attempt reads the
    member's own state, and every member's where a sanction on the service
    reaches the household.
    """
    if (changing >> m) & 1:
        return False
    if changing == 0:
        return True
    for sanction in range(T.san_service.shape[0]):
        if T.san_service[sanction] == service and T.san_household[sanction]:
            return False
    return True


@njit(cache=True, inline="always")
def _room(ev_t, ev_d, n):
    """The event arrays, doubled if entry ``n`` does not fit."""
    if n < ev_t.shape[0]:
        return ev_t, ev_d
    grown_t = np.empty(2 * n)
    grown_d = np.empty((2 * n, EVENT_WIDTH), np.int64)
    grown_t[:n] = ev_t
    grown_d[:n] = ev_d
    return grown_t, grown_d


@njit(cache=True, inline="always")
def _put(ev_t, ev_d, n, time, kind, m, argument, draw):
    """Write event ``n`` for the replay: its time, kind, member, argument and draw counter."""
    ev_t[n] = time
    row = ev_d[n]
    row[EV_KIND], row[EV_MEMBER], row[EV_ARG], row[EV_DRAW] = kind, m, argument, draw
