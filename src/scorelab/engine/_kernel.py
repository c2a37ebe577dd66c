"""The engine kernel: one chunk of households, replayed event by event (numba).

For each household the kernel draws every member's candidate acts, false
records and service attempts for the whole run (:mod:`scorelab.engine._events`:
Poisson counts and uniform times from counter-based draws), sorts them, and
replays them in time order with a heap of
scheduled events (expiries, appeal decisions, ends of listings, compliance,
decay). Deterrence thins candidate acts: an act happens with a probability
that falls with the perceived chance of being seen and the cost under the
policy. Work is proportional to events, never to citizen-days; households
never straddle chunks, so the chunk size cannot change a result.

Outputs per chunk: daily aggregates per group (score histogram, score sum,
grade and list counts as difference arrays over days; event counters), one row
of counters per citizen, and the ledger of point changes (track 0).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from scorelab import _random as rnd
from scorelab.engine import _heap
from scorelab.engine._borrow import borrow, give_back, keep_alive, unowned
from scorelab.engine._events import (
    _count_record,
    _count_sources,
    _detecting_sensor,
    _generate_events,
    act_happens,
    busy_candidates,
    source_means,
    source_slots,
)
from scorelab.engine._household import Household, pack_household
from scorelab.engine._state import (
    ACT,
    ALLOWED,
    APPEAL,
    ATTEMPT,
    C_BLOCKED,
    C_CITIZEN,
    C_RUNNING,
    C_VERSION,
    CIT_ACTS,
    CIT_APPEALS,
    CIT_CF_GRADE,
    CIT_CF_SCORE,
    CIT_COMPLIED,
    CIT_DENIALS,
    CIT_DENIED_SERVICES,
    CIT_GRADE,
    CIT_LISTED,
    CIT_OVERTURNED,
    CIT_RECORDS,
    CIT_REWARDS,
    CIT_SCORE,
    CIT_SHAMED,
    CIT_UNSEEN,
    CIT_WRONGFUL,
    CIT_WRONGFUL_DENIALS,
    CIT_WRONGFUL_SHAMED,
    COMPLY,
    DECAY,
    DECAY_PENDING,
    DENIED,
    DISCOUNTED,
    EFFECTS,
    EXPIRY,
    FALSE,
    GRADE,
    HEAP,
    KIND_APPEAL,
    KIND_DECAY,
    KIND_EXPIRY,
    KIND_RECORD,
    LEDGER,
    LIST_CAUSE,
    LIST_END,
    LIST_VERSION,
    LISTED,
    LOG,
    N_CIT,
    N_FIELDS,
    OVERRIDE_END,
    OVR_CAUSE,
    OVR_GRADE,
    OVR_VERSION,
    RECORDS,
    SCORE,
    STIGMA_END,
    STIGMA_UNTIL,
    STIGMA_VERSION,
    WRONGLY_DENIED,
    add_to_groups,
    band,
    capped_points,
    compliance_wait,
    condition_holds,
    count,
    denied,
    enter_list,
    flush,
    flush_tally,
    group_code,
    grow_rows,
    impose_grade,
    leave_list,
    ledger_add,
    lift_grade,
    move_score,
    schedule,
    settle_condition_lists,
)
from scorelab.engine._tables import Tables
from scorelab.policy._condition_vm import STACK_SIZE

MAX_MEMBERS = 16
TALLY_ENTRIES = 1 << 21  # day tallies of counted events: 16 MB, emptied when half full


@njit(cache=True)
def _experience(T, H, m, time):
    """Experience of member ``m`` now: it halves every ``half_life`` days."""
    level = H.exper[m, 0]
    if level == 0.0:
        return 0.0
    return level * 0.5 ** ((time - H.exper[m, 1]) / T.half_life)


@njit(cache=True)
def _add_experience(T, H, m, time, amount):
    H.exper[m, 0] = _experience(T, H, m, time) + amount
    H.exper[m, 1] = time




@njit(cache=True)
def _record(T, H, m, b, sensor, wrongful, day, time):
    """A sensor reports member ``m`` for ``b``: apply rules, lists, shaming; maybe appeal."""
    lay = T.layout
    row = H.first + m
    cid = H.cids[m]
    rec_no = H.rec_no[m]
    H.rec_no[m] = rec_no + 1
    r = H.cnt[RECORDS]
    H.cnt[RECORDS] = r + 1
    H.rec = grow_rows(H.rec, r + 1)
    H.eff = grow_rows(H.eff, H.cnt[EFFECTS] + T.rule_beh.shape[0] + 1)
    rec, eff = H.rec, H.eff
    record_id = cid * 65536 + min(rec_no, 65535)
    rec[r, 0], rec[r, 1], rec[r, 2], rec[r, 3] = m, b, sensor, wrongful
    rec[r, 4], rec[r, 5], rec[r, 6] = day, record_id, H.cnt[EFFECTS]
    _count_record(T, H, m, b, sensor, wrongful, day)
    tracks = 1 if wrongful else 2  # a wrongful record never reaches track 1
    harmful = False
    for rule in range(T.rule_beh.shape[0]):
        if T.rule_beh[rule] != b or not (T.rule_sensor_mask[rule] >> sensor) & 1:
            continue
        if not T.rule_in_force[rule, day]:
            continue
        e = H.cnt[EFFECTS]
        H.cnt[EFFECTS] = e + 1
        eff[e, 0], eff[e, 1], eff[e, 2], eff[e, 3], eff[e, 4] = r, rule, 0, 0, 0
        points = T.rule_points[rule, day]
        for t in range(tracks):
            granted = capped_points(T, H, t, m, rule, points, day)
            eff[e, 2 + t] = move_score(T, H, t, m, granted, day)
            eff[e, 4] |= 1 << t
            if T.rule_sets_grade[rule] >= 0:
                impose_grade(T, H, t, m, T.rule_sets_grade[rule], T.rule_grade_days[rule], day, r)
        ledger_add(H, m, day, rule, sensor, eff[e, 2], wrongful, KIND_RECORD, record_id, b)
        harmful = harmful or points < 0 or T.rule_sets_grade[rule] >= 0
        if T.rule_expiry[rule] > 0:
            schedule(T, H, float(day + T.rule_expiry[rule]), EXPIRY, m, e, 0, 0)
    rec[r, 7] = H.cnt[EFFECTS] - rec[r, 6]
    for lid in range(T.list_beh_mask.shape[0]):
        if not (T.list_beh_mask[lid] >> b) & 1:
            continue
        if T.list_sensor_mask[lid] != 0 and not (T.list_sensor_mask[lid] >> sensor) & 1:
            continue
        harmful = True
        for t in range(tracks):
            enter_list(T, H, t, m, lid, day, r)
    if (T.shame_beh_mask >> b) & 1 and (T.shame_sensor_mask >> sensor) & 1:
        count(H, day, m, lay.shamed, 1)
        H.cit[row, CIT_SHAMED] += 1
        _stigmatise(T, H, m, day)
        if wrongful:
            count(H, day, m, lay.wrongful_shamed, 1)
            H.cit[row, CIT_WRONGFUL_SHAMED] += 1
        for other in range(H.size):
            if other != m:
                _add_experience(T, H, other, time, T.witness_experience)
        harmful = True
    if harmful:
        _add_experience(T, H, m, time, T.sanction_experience)
        if rnd.uniform(T.seed, rnd.APPEAL, cid, 2 * rec_no) < T.appeal_share[wrongful]:
            count(H, day, m, lay.appeals, 1)
            H.cit[row, CIT_APPEALS] += 1
            schedule(T, H, float(day + T.appeal_delay), APPEAL, m, r, 0, 0)


@njit(cache=True)
def _stigmatise(T, H, m, day):
    """Public shaming leaves a stigma for ``stigma_days``; renewed if shamed again."""
    if T.stigma_days <= 0:
        return
    state = H.state
    if state[0, m, STIGMA_UNTIL] <= day:
        count(H, day, m, T.layout.stigmatized, 1)
    state[0, m, STIGMA_UNTIL] = day + T.stigma_days
    state[0, m, STIGMA_VERSION] += 1
    schedule(T, H, float(day + T.stigma_days), STIGMA_END, m, 0, 0, state[0, m, STIGMA_VERSION])


@njit(cache=True)
def _undo_effect(T, H, e, kind, m, day):
    """Reverse a rule's point change in every track where it is still live."""
    live = H.eff[e, 4]
    if live == 0:
        return
    undone = 0
    for t in range(2):
        if (live >> t) & 1:
            change = move_score(T, H, t, m, -H.eff[e, 2 + t], day)
            if t == 0:
                undone = change
    H.eff[e, 4] = 0
    r = H.eff[e, 0]
    if live & 1:
        ledger_add(H, m, day, H.eff[e, 1], H.rec[r, 2], undone, H.rec[r, 3], kind, H.rec[r, 5],
                   H.rec[r, 1])


@njit(cache=True)
def _attempt(T, H, m, v, day, time):
    """Member ``m`` tries service ``v``: denied, discounted or allowed, counted by group.

    Returns ALLOWED, DENIED, DISCOUNTED, or WRONGLY_DENIED (denied, but would not
    have been without wrongful records).
    """
    lay = T.layout
    row = H.first + m
    count(H, day, m, lay.attempts + v, 1)
    if denied(T, H, 0, m, v):
        count(H, day, m, lay.denied + v, 1)
        H.cit[row, CIT_DENIALS] += 1
        H.cit[row, CIT_DENIED_SERVICES] |= 1 << v
        outcome = DENIED
        if not denied(T, H, 1, m, v):
            count(H, day, m, lay.wrongful_denied + v, 1)
            H.cit[row, CIT_WRONGFUL_DENIALS] += 1
            outcome = WRONGLY_DENIED
        _add_experience(T, H, m, time, T.sanction_experience)
        comply = H.comply
        if comply[m, C_BLOCKED] == 0:
            comply[m, C_BLOCKED] = 1
            if comply[m, C_RUNNING] and T.compliance_rate > 0:
                comply[m, C_VERSION] += 1
                wait = compliance_wait(T, H, m, T.compliance_rate * T.blocked_multiplier)
                schedule(T, H, day + 1.0 + wait, COMPLY, m, 0, 0, comply[m, C_VERSION])
        return outcome
    discounted = False
    for w in range(T.rew_service.shape[0]):
        if T.rew_service[w] == v and condition_holds(T, H, 0, m, T.rew_cond[w]):
            discounted = True
            count(H, day, m, lay.reward_fen + v, T.rew_value_fen[w])
            H.cit[row, CIT_REWARDS] += T.rew_value_fen[w]
    if discounted:
        count(H, day, m, lay.discounted + v, 1)
        return DISCOUNTED
    return ALLOWED


@njit(cache=True)
def _accepts(T, H, b, c, time, day, m, area):
    """Thinning: does candidate act ``c`` of behaviour ``b`` happen under the policy?"""
    level = _experience(T, H, m, time) if T.beh_cost[b, day] > 0.0 else 0.0
    accept_key = rnd.subject_key(rnd.stream_key(T.seed, rnd.ACT_ACCEPT + b), H.cids[m])
    return act_happens(T, b, day, area, level, accept_key, c)


@njit(cache=True)
def _appeal_decided(T, H, m, r, day):
    """An appeal against record ``r`` is decided; if it wins, its effects are undone."""
    rec_no = H.rec[r, 5] % 65536
    if rnd.uniform(T.seed, rnd.APPEAL, H.cids[m], 2 * rec_no + 1) >= T.appeal_overturn[H.rec[r, 3]]:
        return
    count(H, day, m, T.layout.overturned, 1)
    H.cit[H.first + m, CIT_OVERTURNED] += 1
    for e in range(H.rec[r, 6], H.rec[r, 6] + H.rec[r, 7]):
        _undo_effect(T, H, e, KIND_APPEAL, m, day)
    for t in range(2):
        for lid in range(T.list_beh_mask.shape[0]):
            if (H.state[t, m, LISTED] >> lid) & 1 and H.listing[t, m, lid, LIST_CAUSE] == r:
                leave_list(T, H, t, m, lid, day)
        if H.state[t, m, OVR_CAUSE] == r:
            lift_grade(T, H, t, m, day)


@njit(cache=True)
def _complied(T, H, m, version, day):
    """Member ``m`` pays what they owe: every list that ends on compliance lets them go."""
    if H.comply[m, C_VERSION] != version:
        return
    H.comply[m, C_RUNNING] = 0
    paid = False
    for t in range(2):
        for lid in range(T.list_compliance.shape[0]):
            if not T.list_compliance[lid] or not (H.state[t, m, LISTED] >> lid) & 1:
                continue
            paid = paid or t == 0
            if T.list_removal_delay[lid] == 0:
                leave_list(T, H, t, m, lid, day)
            else:
                schedule(T, H, float(day + T.list_removal_delay[lid]), LIST_END, m, lid, t,
                         H.listing[t, m, lid, LIST_VERSION])
    if paid:
        count(H, day, m, T.layout.complied, 1)
        H.cit[H.first + m, CIT_COMPLIED] += 1


@njit(cache=True)
def _decay(T, H, t, m, day):
    """Move a score one decay step back toward the start."""
    H.state[t, m, DECAY_PENDING] = 0
    gap = T.start - H.state[t, m, SCORE]
    step = min(T.decay_points, abs(gap)) * (1 if gap > 0 else -1)
    change = move_score(T, H, t, m, step, day)
    if t == 0:
        ledger_add(H, m, day, -1, -1, change, 0, KIND_DECAY, -1, -1)


@njit(cache=True)
def _scheduled(T, H, out, time):
    """Carry out one scheduled event popped from the heap into ``out``."""
    kind, m, a, b, version = out[0], out[1], out[2], out[3], out[4]
    day = int(time)
    if kind == EXPIRY:
        _undo_effect(T, H, a, KIND_EXPIRY, m, day)
    elif kind == APPEAL:
        _appeal_decided(T, H, m, a, day)
    elif kind == LIST_END:
        if H.listing[b, m, a, LIST_VERSION] == version:
            leave_list(T, H, b, m, a, day)
    elif kind == OVERRIDE_END:
        if H.state[a, m, OVR_VERSION] == version:
            lift_grade(T, H, a, m, day)
    elif kind == COMPLY:
        _complied(T, H, m, version, day)
    elif kind == DECAY:
        _decay(T, H, a, m, day)
    elif kind == STIGMA_END and H.state[0, m, STIGMA_VERSION] == version:
        count(H, day, m, T.layout.stigmatized, -1)


@njit(cache=True)
def _act(T, H, m, b, c, time, area):
    """A candidate act: thinned by deterrence, then maybe seen by a sensor."""
    day = int(time)
    row = H.first + m
    if not _accepts(T, H, b, c, time, day, m, area):
        return
    count(H, day, m, T.layout.acts + b, 1)
    H.cit[row, CIT_ACTS] += 1
    sensor = _detecting_sensor(T, H, m, b, c, area)
    if sensor >= 0:
        _record(T, H, m, b, sensor, 0, day, time)


@njit(cache=True)
def _time_order(ev_t, n_ev, H):
    """Indices of the first ``n_ev`` events by time (insertion sort: households have few)."""
    if n_ev > 64:
        return np.argsort(ev_t[:n_ev], kind="mergesort")
    if H.order.shape[0] < n_ev:
        H.order = np.empty(64, np.int64)
    order = H.order
    for i in range(n_ev):
        j = i
        while j > 0 and ev_t[order[j - 1]] > ev_t[i]:
            order[j] = order[j - 1]
            j -= 1
        order[j] = i
    return order


@njit(cache=True)
def _replay(T, H, ev_t, ev_d, n_ev, area, out):
    """Replay one household's events in time order, scheduled ones first on a tie.

    ``out`` is scratch for a popped scheduled event (five int64), made once per
    chunk: an allocation per household costs more than most households' replay.
    """
    order = _time_order(ev_t, n_ev, H)
    if H.outcome.shape[0] < n_ev:
        H.outcome = np.empty(2 * n_ev, np.int8)
    j = 0
    while j < n_ev or H.cnt[HEAP] > 0:
        if H.cnt[HEAP] > 0 and (j >= n_ev or H.heap_t[0] <= ev_t[order[j]]):
            time, H.cnt[HEAP] = _heap.pop(H.heap_t, H.heap_seq, H.heap_data, H.cnt[HEAP], out)
            _scheduled(T, H, out, time)
            settle_condition_lists(T, H, out[1], int(time))
            continue
        e = order[j]
        j += 1
        kind, m, a, c = ev_d[e, 0], ev_d[e, 1], ev_d[e, 2], ev_d[e, 3]
        if kind == ATTEMPT:
            H.outcome[e] = _attempt(T, H, m, a, int(ev_t[e]), ev_t[e])
        elif kind == ACT:
            _act(T, H, m, a, c, ev_t[e], area[H.first + m])
        else:
            _record(T, H, m, a // 16, a % 16, 1 if kind == FALSE else 0, int(ev_t[e]), ev_t[e])
        if kind != ATTEMPT:
            settle_condition_lists(T, H, m, int(ev_t[e]))


@njit(cache=True)
def _start_household(T, H, sex, age, region, urban, income, occupation, citizen_id):
    """Reset the scratch state for the household at ``H.first``.

    Arrays are taken from ``T`` and ``H`` once (each take costs two atomic
    reference-count updates), not once per member.
    """
    start_band = band(T.grade_min, T.start)
    cnt, codes, state, listing, cap = H.cnt, H.codes, H.state, H.listing, H.cap
    comply, exper, rec_no, sampled = H.comply, H.exper, H.rec_no, H.sampled
    age_edges, seed, ledger_sample = T.age_edges, T.seed, T.ledger_sample
    cnt[HEAP] = 0
    cnt[RECORDS] = 0
    cnt[EFFECTS] = 0
    for m in range(H.size):
        i = H.first + m
        age_band = 0
        for edge in age_edges:
            if age[i] >= edge:
                age_band += 1
        codes[m] = group_code(sex[i], age_band, region[i], urban[i], income[i], occupation[i])
        for t in range(2):
            state[t, m, :] = 0
            state[t, m, SCORE] = T.start
            state[t, m, GRADE] = start_band
            state[t, m, OVR_GRADE] = -1
            state[t, m, OVR_CAUSE] = -1
            listing[t, m, :, LIST_VERSION] = 0
            listing[t, m, :, LIST_CAUSE] = -1
            cap[t, m, :, 0] = -1
            cap[t, m, :, 1] = 0
        comply[m, :] = 0
        comply[m, C_CITIZEN] = citizen_id[i]
        exper[m, 0] = 0.0
        exper[m, 1] = 0.0
        rec_no[m] = 0
        sampled[m] = ledger_sample >= 1.0 or (
            rnd.uniform(seed, rnd.LEDGER_SAMPLE, citizen_id[i], 0) < ledger_sample)
    if T.has_condition_lists:
        for m in range(H.size):
            settle_condition_lists(T, H, m, 0)


@njit(cache=True)
def replay_household(tables, household, ev_t, ev_d, citizen_id, sex, age, region, urban, income,
                     occupation):
    """Replay scripted events for one household (policy cases); outcomes land in ``household``."""
    T, H = borrow(tables), borrow(household)
    H.first = 0
    H.size = citizen_id.shape[0]
    H.cids = citizen_id
    H.ages = age
    _start_household(T, H, sex, age, region, urban, income, occupation, citizen_id)
    _replay(T, H, ev_t, ev_d, ev_t.shape[0], region.astype(np.int64) * 2 + urban,
            np.empty(5, np.int64))
    _finish_household(H)
    give_back(tables, T)
    give_back(household, H)


@njit(cache=True)
def _finish_household(H):
    """Copy each member's final state into the per-citizen table."""
    cit, state = H.cit, H.state
    for m in range(H.size):
        row = H.first + m
        cit[row, CIT_SCORE] = state[0, m, SCORE]
        cit[row, CIT_GRADE] = state[0, m, GRADE]
        cit[row, CIT_LISTED] = state[0, m, LISTED]
        cit[row, CIT_CF_SCORE] = state[1, m, SCORE]
        cit[row, CIT_CF_GRADE] = state[1, m, GRADE]
        cit[row, CIT_UNSEEN] = cit[row, CIT_ACTS] - cit[row, CIT_RECORDS] + cit[row, CIT_WRONGFUL]


@njit(cache=True)
def run_chunk(tables, household, matrix, citizen_id, household_id, sex, age, region, urban,
              income, occupation):
    """Simulate one chunk of whole households over the run.

    Args:
        tables: compiled :class:`~scorelab.engine._tables.KernelTables`.
        household: a :func:`new_household` scratch struct for at least this
            chunk's citizens, counters zeroed (a worker clears and reuses one).
        matrix: (D+1, W, G) int64, the day matrix the chunk's counts are added to
            (per day, column of ``T.layout`` and group; columns from ``layout.hist``
            on hold day-to-day changes). A worker reuses one across chunks.
        citizen_id: ids, shape (n,) int64, households contiguous.
        household_id: the head's citizen id for each citizen.
        sex: 0 male, 1 female.
        age: years.
        region: census region index.
        urban: 1 urban, 0 rural.
        income: income decile 0..9.
        occupation: occupation index.

    Returns:
        touched (W,) bool: the columns of ``matrix`` this chunk wrote to. citizens
        (n, 18) int64 (see CITIZEN_COLUMNS); ledger (entries, 9) int64 (see
        LEDGER_COLUMNS).
    """
    # no reference counting below (see _borrow): the arguments are the caller's,
    # the scratch arrays are kept alive to the end
    T, H = borrow(tables), borrow(household)
    citizen_id, household_id, sex, age = (unowned(citizen_id), unowned(household_id),
                                          unowned(sex), unowned(age))
    region, urban, income, occupation = (unowned(region), unowned(urban), unowned(income),
                                         unowned(occupation))
    n = citizen_id.shape[0]
    touched = np.zeros(T.layout.width, np.bool_)
    flush_at = 1 << 20
    area_owner = region.astype(np.int64) * 2 + urban  # where cameras see: region and urban/rural
    sorted_key = np.empty(0, np.int64)
    sorted_amt = np.empty(0, np.int64)
    per_day = np.empty(T.days + 2, np.int64)
    ev_t_owner = np.empty(256)
    ev_d_owner = np.empty((256, 4), np.int64)
    popped_owner = np.empty(5, np.int64)
    tally_owner = (np.empty((T.days + 1, max(64, TALLY_ENTRIES // (T.days + 1))), np.int64),
                   np.zeros(T.days + 2, np.int64))
    means_owner = source_means(T)
    slot_owner, zero_owner, flat_owner = source_slots(T, means_owner)
    busy_owner = np.empty((MAX_MEMBERS * slot_owner.shape[0], 7), np.int64)  # a row a source
    mask_owner = np.zeros((n, (slot_owner.shape[0] + 63) // 64), np.uint64)
    busy_candidates(slot_owner, zero_owner, means_owner[4], citizen_id, sex, age, urban,
                    area_owner, income, mask_owner)
    owners = (area_owner, ev_t_owner, ev_d_owner, busy_owner, popped_owner, means_owner,
              slot_owner, mask_owner, flat_owner, tally_owner)
    slots, mask = (unowned(slot_owner), unowned(flat_owner)), unowned(mask_owner)
    area, ev_t, ev_d = unowned(area_owner), unowned(ev_t_owner), unowned(ev_d_owner)
    busy, popped = unowned(busy_owner), unowned(popped_owner)
    tally = (unowned(tally_owner[0]), unowned(tally_owner[1]))
    means = (unowned(means_owner[0]), unowned(means_owner[1]), unowned(means_owner[2]),
             unowned(means_owner[3]), unowned(means_owner[4]), unowned(means_owner[5]))
    people = np.zeros(T.n_groups, np.int64)  # citizens per group
    first = 0
    while first < n:
        k = 1
        while first + k < n and household_id[first + k] == household_id[first]:
            k += 1
        if k > MAX_MEMBERS:
            raise ValueError("a household has more members than the engine supports")
        H.first = first
        H.size = k
        H.cids = citizen_id[first:first + k]
        H.ages = age[first:first + k]
        _start_household(T, H, sex, age, region, urban, income, occupation, citizen_id)
        for m in range(k):
            add_to_groups(people, T.group_offsets, H.codes[m], 1)
        n_busy, need = _count_sources(T, means, first, k, citizen_id, sex, age, urban, area,
                                      income, busy, slots, mask)
        ev_t, ev_d, n_ev = _generate_events(T, H, n_busy, need, busy, ev_t, ev_d, area,
                                            means[4], tally)
        _replay(T, H, ev_t, ev_d, n_ev, area, popped)
        _finish_household(H)
        first += k
        if H.cnt[LOG] >= flush_at or first >= n:
            if sorted_key.shape[0] < H.cnt[LOG]:
                sorted_key = np.empty(H.log_key.shape[0], np.int64)
                sorted_amt = np.empty(H.log_key.shape[0], np.int64)
            flush(H, matrix, touched, T.group_offsets, sorted_key, sorted_amt, per_day)
        if tally[1][-1] >= TALLY_ENTRIES // 2 or first >= n:
            flush_tally(tally, matrix, touched)
    # everyone starts at the same score, band and bin: day 0's levels, group by group
    for col, amount in ((T.layout.hist + T.score_bin[T.start - T.floor], 1),
                        (T.layout.grades + band(T.grade_min, T.start), 1),
                        (T.layout.score_sum, T.start)):
        matrix[0, col] += people * amount
        touched[col] = True
    give_back(tables, T)
    give_back(household, H)
    keep_alive(owners)
    return touched, household.cit, household.ledger[: household.cnt[LEDGER]].copy()


def new_household(tables: Tables, n: int) -> Household:
    """Scratch state for a chunk of ``n`` citizens under ``tables``."""
    n_lists = max(tables.list_beh_mask.shape[0], 1)
    n_rules = max(tables.rule_beh.shape[0], 1)
    return pack_household(
        np.empty((2, MAX_MEMBERS, N_FIELDS), np.int64),
        np.empty((2, MAX_MEMBERS, n_lists, 2), np.int64),
        np.empty((2, MAX_MEMBERS, n_rules, 2), np.int64),
        np.empty((MAX_MEMBERS, 5), np.int64), np.empty((MAX_MEMBERS, 2)),
        np.empty(MAX_MEMBERS, np.int64), np.empty(MAX_MEMBERS, np.bool_),
        np.empty(MAX_MEMBERS, np.int64), np.empty(0, np.int64), np.empty(0, np.int16),
        np.empty((1 << 20) + 4096, np.int64), np.empty((1 << 20) + 4096, np.int64),
        np.zeros((n, N_CIT), np.int64),
        np.empty(256), np.empty(256, np.int64), np.empty((256, 5), np.int64),
        np.empty((64, 8), np.int64), np.empty((64, 5), np.int64), np.empty((1024, 9), np.int64),
        np.zeros(6, np.int64), 0, 0, np.empty(256, np.int8), np.empty(64, np.int64),
        np.empty(STACK_SIZE, np.int64),
    )
