"""The engine kernel: one chunk of households, replayed event by event (numba).

For each household, in order (:func:`run_chunk`'s loop):

1. :func:`_start_household`: every member at the policy's start score, grade
   and no listing, in both tracks;
2. ``count_sources``: how many events each of the members' sources has over
   the run (Poisson counts from counter-based draws, ``_events``);
3. ``generate_events``: their times; events that cannot change anyone's state
   are counted at once, the others listed;
4. :func:`_replay`: the listed events in time order, with a heap of scheduled
   events (expiries, appeal decisions, ends of listings, compliance, decay);
5. :func:`_finish_household`: each member's final state into the per-citizen
   counters;

and now and then the day matrix takes what the household log and the day
tallies hold (``_daily_counts``). Deterrence thins candidate acts
(``_behaviour``). Work is proportional to events, never to citizen-days;
households never straddle chunks, so the chunk size cannot change a result.

Outputs per chunk: the day matrix (score histogram, score sum, grade and list
counts as difference arrays over days; event counters; per group), one row of
counters per citizen (``_citizen_counters``), and the ledger of point changes
(track 0).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from scorelab import _random as rnd
from scorelab.engine import _heap
from scorelab.engine._behaviour import accepts, add_experience, detecting_sensor
from scorelab.engine._borrow import borrow, give_back, keep_alive, unowned
from scorelab.engine._citizen_counters import (
    CIT_ACTS,
    CIT_APPEALS,
    CIT_APPEALS_WON,
    CIT_COMPLIED,
    CIT_COUNTERFACTUAL_GRADE,
    CIT_COUNTERFACTUAL_SCORE,
    CIT_DENIALS,
    CIT_DENIED_SERVICES,
    CIT_GRADE,
    CIT_LISTED_MASK,
    CIT_RECORDS,
    CIT_REWARDS_FEN,
    CIT_SCORE,
    CIT_SHAMED,
    CIT_UNSEEN_ACTS,
    CIT_WRONGFUL_DENIALS,
    CIT_WRONGFUL_RECORDS,
    CIT_WRONGFUL_SHAMED,
    N_CIT,
)
from scorelab.engine._daily_counts import DayTallies, add_to_groups, count, flush, flush_tally
from scorelab.engine._events import (
    BUSY_WIDTH,
    EV_ARG,
    EV_DRAW,
    EV_KIND,
    EV_MEMBER,
    EVENT_WIDTH,
    SourceMeans,
    SourceSlots,
    busy_candidates,
    count_sources,
    generate_events,
    source_means,
    source_slots,
)
from scorelab.engine._household import (
    E_CHANGE,
    E_LIVE,
    E_RECORD,
    E_RULE,
    EFFECT_WIDTH,
    FILL_EFFECTS,
    FILL_HEAP,
    FILL_LEDGER,
    FILL_LOG,
    FILL_RECORDS,
    N_FILLS,
    R_BEHAVIOUR,
    R_DAY,
    R_EFFECTS,
    R_FIRST_EFFECT,
    R_ID,
    R_MEMBER,
    R_SENSOR,
    R_WRONGFUL,
    RECORD_WIDTH,
    Household,
    grow_rows,
    pack_household,
)
from scorelab.engine._packing import (
    false_stream_behaviour,
    false_stream_sensor,
    group_code,
    record_id,
    record_number,
)
from scorelab.engine._state import (
    ACT,
    ALLOWED,
    APPEAL,
    ATTEMPT,
    C_BLOCKED,
    C_CITIZEN,
    C_RUNNING,
    C_VERSION,
    COMPLY,
    DECAY,
    DECAY_PENDING,
    DENIED,
    DISCOUNTED,
    EXPIRY,
    FALSE,
    GRADE,
    KIND_APPEAL,
    KIND_DECAY,
    KIND_EXPIRY,
    KIND_RECORD,
    LEDGER_WIDTH,
    LIST_CAUSE,
    LIST_END,
    LIST_VERSION,
    LISTED,
    N_FIELDS,
    OVERRIDE_END,
    OVR_CAUSE,
    OVR_GRADE,
    OVR_VERSION,
    SCORE,
    STIGMA_END,
    STIGMA_UNTIL,
    STIGMA_VERSION,
    WRONGLY_DENIED,
    band,
    capped_points,
    compliance_wait,
    condition_holds,
    denied,
    enter_list,
    impose_grade,
    leave_list,
    ledger_add,
    lift_grade,
    move_score,
    schedule,
    settle_condition_lists,
)
from scorelab.engine._tables import EngineTables
from scorelab.policy._condition_vm import STACK_SIZE

MAX_MEMBERS = 16
TALLY_ENTRIES = 1 << 21  # day tallies of counted events: 16 MB, emptied when half full
LOG_FLUSH_AT = 1 << 20  # the household log goes into the day matrix past this many entries


@njit(cache=True)
def _record(T, H, m, behaviour, sensor, wrongful, day, time):
    """A sensor reports member ``m`` for ``behaviour``: rules, lists, shaming; maybe an appeal."""
    lay = T.layout
    row = H.first + m
    cid = H.cids[m]
    number = H.records_made[m]
    H.records_made[m] = number + 1
    r = H.fill[FILL_RECORDS]
    H.fill[FILL_RECORDS] = r + 1
    H.records = grow_rows(H.records, r + 1)
    H.effects = grow_rows(H.effects, H.fill[FILL_EFFECTS] + T.rule_beh.shape[0] + 1)
    records, effects = H.records, H.effects
    this_id = record_id(cid, number)
    records[r, R_MEMBER], records[r, R_BEHAVIOUR] = m, behaviour
    records[r, R_SENSOR], records[r, R_WRONGFUL] = sensor, wrongful
    records[r, R_DAY], records[r, R_ID] = day, this_id
    records[r, R_FIRST_EFFECT] = H.fill[FILL_EFFECTS]
    _count_record(T, H, m, behaviour, sensor, wrongful, day)
    tracks = 1 if wrongful else 2  # a wrongful record never reaches track 1
    harmful = False
    # the rules on this behaviour and sensor in force today: points, maybe an imposed grade
    for rule in range(T.rule_beh.shape[0]):
        if T.rule_beh[rule] != behaviour or not (T.rule_sensor_mask[rule] >> sensor) & 1:
            continue
        if not T.rule_in_force[rule, day]:
            continue
        e = H.fill[FILL_EFFECTS]
        H.fill[FILL_EFFECTS] = e + 1
        effects[e, E_RECORD], effects[e, E_RULE] = r, rule
        effects[e, E_CHANGE], effects[e, E_CHANGE + 1], effects[e, E_LIVE] = 0, 0, 0
        points = T.rule_points[rule, day]
        for t in range(tracks):
            granted = capped_points(T, H, t, m, rule, points, day)
            effects[e, E_CHANGE + t] = move_score(T, H, t, m, granted, day)
            effects[e, E_LIVE] |= 1 << t
            if T.rule_sets_grade[rule] >= 0:
                impose_grade(T, H, t, m, T.rule_sets_grade[rule], T.rule_grade_days[rule], day, r)
        ledger_add(H, m, day, rule, sensor, effects[e, E_CHANGE], wrongful, KIND_RECORD, this_id,
                   behaviour)
        harmful = harmful or points < 0 or T.rule_sets_grade[rule] >= 0
        if T.rule_expiry[rule] > 0:
            schedule(T, H, float(day + T.rule_expiry[rule]), EXPIRY, m, e, 0, 0)
    records[r, R_EFFECTS] = H.fill[FILL_EFFECTS] - records[r, R_FIRST_EFFECT]
    # the lists this record puts the member on
    for lid in range(T.list_beh_mask.shape[0]):
        if not (T.list_beh_mask[lid] >> behaviour) & 1:
            continue
        if T.list_sensor_mask[lid] != 0 and not (T.list_sensor_mask[lid] >> sensor) & 1:
            continue
        harmful = True
        for t in range(tracks):
            enter_list(T, H, t, m, lid, day, r)
    # public shaming: a stigma, and experience for the household who witness it
    if (T.shame_beh_mask >> behaviour) & 1 and (T.shame_sensor_mask >> sensor) & 1:
        count(H, day, m, lay.shamed, 1)
        H.cit[row, CIT_SHAMED] += 1
        _stigmatise(T, H, m, day)
        if wrongful:
            count(H, day, m, lay.wrongful_shamed, 1)
            H.cit[row, CIT_WRONGFUL_SHAMED] += 1
        for other in range(H.size):
            if other != m:
                add_experience(T, H, other, time, T.witness_experience)
        harmful = True
    # a sanctioned member learns, and may appeal
    if harmful:
        add_experience(T, H, m, time, T.sanction_experience)
        if rnd.uniform(T.seed, rnd.APPEAL, cid, 2 * number) < T.appeal_share[wrongful]:
            count(H, day, m, lay.appeals, 1)
            H.cit[row, CIT_APPEALS] += 1
            schedule(T, H, float(day + T.appeal_delay), APPEAL, m, r, 0, 0)


@njit(cache=True)
def _count_record(T, H, m, behaviour, sensor, wrongful, day):
    """Count a record by behaviour and sensor (and as wrongful), by group and per citizen."""
    lay = T.layout
    count(H, day, m, lay.records_by_behaviour + behaviour, 1)
    count(H, day, m, lay.records_by_sensor + sensor, 1)
    H.cit[H.first + m, CIT_RECORDS] += 1
    if wrongful:
        count(H, day, m, lay.wrongful_by_sensor + sensor, 1)
        count(H, day, m, lay.wrongful_by_behaviour + behaviour, 1)
        H.cit[H.first + m, CIT_WRONGFUL_RECORDS] += 1


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
    live = H.effects[e, E_LIVE]
    if live == 0:
        return
    undone = 0
    for t in range(2):
        if (live >> t) & 1:
            change = move_score(T, H, t, m, -H.effects[e, E_CHANGE + t], day)
            if t == 0:
                undone = change
    H.effects[e, E_LIVE] = 0
    r = H.effects[e, E_RECORD]
    if live & 1:
        records = H.records
        ledger_add(H, m, day, H.effects[e, E_RULE], records[r, R_SENSOR], undone,
                   records[r, R_WRONGFUL], kind, records[r, R_ID], records[r, R_BEHAVIOUR])


@njit(cache=True)
def _attempt(T, H, m, service, day, time):
    """Member ``m`` tries ``service``: denied, discounted or allowed, counted by group.

    Returns ALLOWED, DENIED, DISCOUNTED, or WRONGLY_DENIED (denied, but would not
    have been without wrongful records).
    """
    lay = T.layout
    row = H.first + m
    count(H, day, m, lay.attempts + service, 1)
    if denied(T, H, 0, m, service):
        count(H, day, m, lay.denied + service, 1)
        H.cit[row, CIT_DENIALS] += 1
        H.cit[row, CIT_DENIED_SERVICES] |= 1 << service
        outcome = DENIED
        if not denied(T, H, 1, m, service):
            count(H, day, m, lay.wrongful_denied + service, 1)
            H.cit[row, CIT_WRONGFUL_DENIALS] += 1
            outcome = WRONGLY_DENIED
        add_experience(T, H, m, time, T.sanction_experience)
        comply = H.comply
        if comply[m, C_BLOCKED] == 0:  # a first blocked purchase hastens paying up
            comply[m, C_BLOCKED] = 1
            if comply[m, C_RUNNING] and T.compliance_rate > 0:
                comply[m, C_VERSION] += 1
                wait = compliance_wait(T, H, m, T.compliance_rate * T.blocked_multiplier)
                schedule(T, H, day + 1.0 + wait, COMPLY, m, 0, 0, comply[m, C_VERSION])
        return outcome
    discounted = False
    for reward in range(T.rew_service.shape[0]):
        if T.rew_service[reward] == service and condition_holds(T, H, 0, m, T.rew_cond[reward]):
            discounted = True
            count(H, day, m, lay.reward_fen + service, T.rew_value_fen[reward])
            H.cit[row, CIT_REWARDS_FEN] += T.rew_value_fen[reward]
    if discounted:
        count(H, day, m, lay.discounted + service, 1)
        return DISCOUNTED
    return ALLOWED


@njit(cache=True)
def _appeal_decided(T, H, m, r, day):
    """An appeal against record row ``r`` is decided; if it wins, its effects are undone."""
    records = H.records
    number = record_number(records[r, R_ID])
    wrongful = records[r, R_WRONGFUL]
    if rnd.uniform(T.seed, rnd.APPEAL, H.cids[m], 2 * number + 1) >= T.appeal_overturn[wrongful]:
        return
    count(H, day, m, T.layout.overturned, 1)
    H.cit[H.first + m, CIT_APPEALS_WON] += 1
    first_effect = records[r, R_FIRST_EFFECT]
    for e in range(first_effect, first_effect + records[r, R_EFFECTS]):
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
def _scheduled(T, H, popped, time):
    """Carry out one scheduled event popped from the heap into ``popped``.

    Its two arguments (see ``_state.schedule``): an expiry's effect row; an
    appeal's record row; a listing's end, its list and track; an override's
    end, its track; a decay, its track.
    """
    kind, m, first, second, version = popped[0], popped[1], popped[2], popped[3], popped[4]
    day = int(time)
    if kind == EXPIRY:
        _undo_effect(T, H, first, KIND_EXPIRY, m, day)
    elif kind == APPEAL:
        _appeal_decided(T, H, m, first, day)
    elif kind == LIST_END:
        if H.listing[second, m, first, LIST_VERSION] == version:
            leave_list(T, H, second, m, first, day)
    elif kind == OVERRIDE_END:
        if H.state[first, m, OVR_VERSION] == version:
            lift_grade(T, H, first, m, day)
    elif kind == COMPLY:
        _complied(T, H, m, version, day)
    elif kind == DECAY:
        _decay(T, H, first, m, day)
    elif kind == STIGMA_END and H.state[0, m, STIGMA_VERSION] == version:
        count(H, day, m, T.layout.stigmatized, -1)


@njit(cache=True)
def _act(T, H, m, behaviour, draw, time, area):
    """A candidate act: thinned by deterrence, then maybe seen by a sensor."""
    day = int(time)
    if not accepts(T, H, behaviour, draw, time, day, m, area):
        return
    count(H, day, m, T.layout.acts + behaviour, 1)
    H.cit[H.first + m, CIT_ACTS] += 1
    sensor = detecting_sensor(T, H, m, behaviour, draw, area)
    if sensor >= 0:
        _record(T, H, m, behaviour, sensor, 0, day, time)


@njit(cache=True)
def _time_order(ev_t, n_events, H):
    """Indices of the first ``n_events`` events by time (insertion sort: households have few)."""
    if n_events > 64:
        return np.argsort(ev_t[:n_events], kind="mergesort")
    if H.order.shape[0] < n_events:
        H.order = np.empty(64, np.int64)
    order = H.order
    for i in range(n_events):
        j = i
        while j > 0 and ev_t[order[j - 1]] > ev_t[i]:
            order[j] = order[j - 1]
            j -= 1
        order[j] = i
    return order


@njit(cache=True)
def _replay(T, H, ev_t, ev_d, n_events, area, popped):
    """Replay one household's listed events in time order, scheduled ones first on a tie.

    ``popped`` is scratch for a popped scheduled event (five int64), made once
    per chunk: an allocation per household costs more than most households' replay.
    """
    order = _time_order(ev_t, n_events, H)
    if H.outcome.shape[0] < n_events:
        H.outcome = np.empty(2 * n_events, np.int8)
    j = 0
    while j < n_events or H.fill[FILL_HEAP] > 0:
        if H.fill[FILL_HEAP] > 0 and (j >= n_events or H.heap_t[0] <= ev_t[order[j]]):
            time, H.fill[FILL_HEAP] = _heap.pop(H.heap_t, H.heap_seq, H.heap_data,
                                                H.fill[FILL_HEAP], popped)
            _scheduled(T, H, popped, time)
            settle_condition_lists(T, H, popped[1], int(time))
            continue
        e = order[j]
        j += 1
        kind, m, argument = ev_d[e, EV_KIND], ev_d[e, EV_MEMBER], ev_d[e, EV_ARG]
        time = ev_t[e]
        if kind == ATTEMPT:
            H.outcome[e] = _attempt(T, H, m, argument, int(time), time)
        elif kind == ACT:
            _act(T, H, m, argument, ev_d[e, EV_DRAW], time, area[H.first + m])
        else:  # a false record, or a scripted true one (policy cases)
            _record(T, H, m, false_stream_behaviour(argument), false_stream_sensor(argument),
                    1 if kind == FALSE else 0, int(time), time)
        if kind != ATTEMPT:
            settle_condition_lists(T, H, m, int(time))


@njit(cache=True)
def _start_household(T, H, sex, age, region, urban, income, occupation, citizen_id):
    """Reset the scratch state for the household at ``H.first``.

    Arrays are taken from ``T`` and ``H`` once (each take costs two atomic
    reference-count updates), not once per member.
    """
    start_band = band(T.grade_min, T.start)
    fill, codes, state, listing, cap = H.fill, H.codes, H.state, H.listing, H.cap
    comply, experience, records_made, sampled = H.comply, H.experience, H.records_made, H.sampled
    age_edges, seed, ledger_sample = T.age_edges, T.seed, T.ledger_sample
    fill[FILL_HEAP] = 0
    fill[FILL_RECORDS] = 0
    fill[FILL_EFFECTS] = 0
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
        experience[m, 0] = 0.0
        experience[m, 1] = 0.0
        records_made[m] = 0
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
    """Copy each member's final state into the per-citizen counters."""
    cit, state = H.cit, H.state
    for m in range(H.size):
        row = H.first + m
        cit[row, CIT_SCORE] = state[0, m, SCORE]
        cit[row, CIT_GRADE] = state[0, m, GRADE]
        cit[row, CIT_LISTED_MASK] = state[0, m, LISTED]
        cit[row, CIT_COUNTERFACTUAL_SCORE] = state[1, m, SCORE]
        cit[row, CIT_COUNTERFACTUAL_GRADE] = state[1, m, GRADE]
        cit[row, CIT_UNSEEN_ACTS] = (cit[row, CIT_ACTS] - cit[row, CIT_RECORDS]
                                     + cit[row, CIT_WRONGFUL_RECORDS])


@njit(cache=True)
def _household_size(household_id, first, n):
    """How many citizens from row ``first`` on share its household (households are contiguous)."""
    k = 1
    while first + k < n and household_id[first + k] == household_id[first]:
        k += 1
    if k > MAX_MEMBERS:
        raise ValueError("a household has more members than the engine supports")
    return k


@njit(cache=True)
def run_chunk(tables, household, matrix, citizen_id, household_id, sex, age, region, urban,
              income, occupation):
    """Simulate one chunk of whole households over the run.

    Args:
        tables: compiled :class:`~scorelab.engine._tables.KernelTables`.
        household: a :func:`new_household` scratch struct for at least this
            chunk's citizens, cleared (see :func:`clear_household`).
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
        (n, N_CIT) int64 (columns ``_citizen_counters.CITIZEN_COUNTERS``); ledger
        (entries, 9) int64 (columns ``LEDGER_COLUMNS``).
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
    area_owner = region.astype(np.int64) * 2 + urban  # where cameras see: region and urban/rural
    sorted_key = np.empty(0, np.int64)
    sorted_amount = np.empty(0, np.int64)
    per_day = np.empty(T.days + 2, np.int64)
    ev_t_owner = np.empty(256)
    ev_d_owner = np.empty((256, EVENT_WIDTH), np.int64)
    popped_owner = np.empty(5, np.int64)
    tallies_owner = DayTallies(
        np.empty((T.days + 1, max(64, TALLY_ENTRIES // (T.days + 1))), np.int64),
        np.zeros(T.days + 2, np.int64))
    means_owner = source_means(T)
    slots_owner = source_slots(T, means_owner)
    busy_owner = np.empty((MAX_MEMBERS * slots_owner.slot.shape[0], BUSY_WIDTH), np.int64)
    mask_owner = np.zeros((n, (slots_owner.slot.shape[0] + 63) // 64), np.uint64)
    busy_candidates(slots_owner.slot, slots_owner.zero, means_owner.stream_keys, citizen_id, sex,
                    age, urban, area_owner, income, mask_owner)
    owners = (area_owner, ev_t_owner, ev_d_owner, busy_owner, popped_owner, means_owner,
              slots_owner, mask_owner, tallies_owner)
    area, ev_t, ev_d = unowned(area_owner), unowned(ev_t_owner), unowned(ev_d_owner)
    busy, popped, mask = unowned(busy_owner), unowned(popped_owner), unowned(mask_owner)
    tallies = DayTallies(unowned(tallies_owner.entries), unowned(tallies_owner.fill))
    means = SourceMeans(unowned(means_owner.beh_mean), unowned(means_owner.beh_p0),
                        unowned(means_owner.svc_mean), unowned(means_owner.svc_p0),
                        unowned(means_owner.stream_keys), unowned(means_owner.cdf))
    slots = SourceSlots(unowned(slots_owner.slot), unowned(slots_owner.zero),
                        unowned(slots_owner.flat))
    people = np.zeros(T.n_groups, np.int64)  # citizens per group
    first = 0
    while first < n:
        k = _household_size(household_id, first, n)
        H.first = first
        H.size = k
        H.cids = citizen_id[first:first + k]
        H.ages = age[first:first + k]
        _start_household(T, H, sex, age, region, urban, income, occupation, citizen_id)
        for m in range(k):
            add_to_groups(people, T.group_offsets, H.codes[m], 1)
        n_busy, n_events = count_sources(T, means, slots, first, k, citizen_id, sex, age, urban,
                                         area, income, busy, mask)
        ev_t, ev_d, n_listed = generate_events(T, H, n_busy, n_events, busy, ev_t, ev_d, area,
                                               means.stream_keys, tallies)
        _replay(T, H, ev_t, ev_d, n_listed, area, popped)
        _finish_household(H)
        first += k
        if H.fill[FILL_LOG] >= LOG_FLUSH_AT or first >= n:
            if sorted_key.shape[0] < H.fill[FILL_LOG]:
                sorted_key = np.empty(H.log_key.shape[0], np.int64)
                sorted_amount = np.empty(H.log_key.shape[0], np.int64)
            flush(H, matrix, touched, T.group_offsets, sorted_key, sorted_amount, per_day)
        if tallies.fill[-1] >= TALLY_ENTRIES // 2 or first >= n:
            flush_tally(tallies, matrix, touched)
    # everyone starts at the same score, band and bin: day 0's levels, group by group
    for column, amount in ((T.layout.hist + T.score_bin[T.start - T.floor], 1),
                           (T.layout.grades + band(T.grade_min, T.start), 1),
                           (T.layout.score_sum, T.start)):
        matrix[0, column] += people * amount
        touched[column] = True
    give_back(tables, T)
    give_back(household, H)
    keep_alive(owners)
    return touched, household.cit, household.ledger[: household.fill[FILL_LEDGER]].copy()


def new_household(tables: EngineTables, n: int) -> Household:
    """Scratch state for a chunk of ``n`` citizens under ``tables``, cleared."""
    n_lists = max(tables.list_beh_mask.shape[0], 1)
    n_rules = max(tables.rule_beh.shape[0], 1)
    log_capacity = LOG_FLUSH_AT + 4096
    return pack_household(
        np.empty((2, MAX_MEMBERS, N_FIELDS), np.int64),  # state
        np.empty((2, MAX_MEMBERS, n_lists, 2), np.int64),  # listing
        np.empty((2, MAX_MEMBERS, n_rules, 2), np.int64),  # cap
        np.empty((MAX_MEMBERS, 5), np.int64),  # comply
        np.empty((MAX_MEMBERS, 2)),  # experience
        np.empty(MAX_MEMBERS, np.int64),  # codes
        np.empty(MAX_MEMBERS, np.bool_),  # sampled
        np.empty(MAX_MEMBERS, np.int64),  # records_made
        np.empty(0, np.int64), np.empty(0, np.int16),  # cids, ages
        np.empty(log_capacity, np.int64), np.empty(log_capacity, np.int64),  # log
        np.zeros((n, N_CIT), np.int64),  # cit
        np.empty(256), np.empty(256, np.int64), np.empty((256, 5), np.int64),  # heap
        np.empty((64, RECORD_WIDTH), np.int64),  # records
        np.empty((64, EFFECT_WIDTH), np.int64),  # effects
        np.empty((1024, LEDGER_WIDTH), np.int64),  # ledger
        np.zeros(N_FILLS, np.int64),  # fill
        0, 0,  # first, size
        np.empty(256, np.int8),  # outcome
        np.empty(64, np.int64),  # order
        np.empty(STACK_SIZE, np.int64),  # stack
    )


def clear_household(household: Household, n: int) -> None:
    """Make a used scratch struct ready for a chunk of ``n`` citizens (counters zeroed)."""
    household.fill[:] = 0
    household.cit[:n] = 0
