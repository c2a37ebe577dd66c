"""One household's scoring state, and the moves that change it (numba).

State lives in small arrays indexed ``[track, member, field]``: track 0 is what
happened; track 1 replays the same history without wrongful records, so the
audit can tell exactly who was denied a service *because* of a false match.
Only track 0 feeds the day matrix and the ledger.

Every move keeps the day matrix in step: a score change moves one unit of the
score histogram (as a difference over days, summed once at the end), a grade
change moves one unit of the grade counts, and so on (``_daily_counts.count``).
That is what makes the cost follow events instead of citizen-days.

Every function takes the policy tables ``T`` and the household struct ``H``
(:mod:`scorelab.engine._household`); ``t`` is a track and ``m`` a member.
"""

from __future__ import annotations

import math

from numba import njit

from scorelab import _random as rnd
from scorelab.engine import _heap
from scorelab.engine._daily_counts import count
from scorelab.engine._household import FILL_HEAP, FILL_LEDGER, FILL_SEQUENCE, grow, grow_rows
from scorelab.engine._tables import LEDGER_COLUMNS
from scorelab.policy._condition_vm import execute

# state fields
(SCORE, GRADE, OVR_GRADE, OVR_UNTIL, OVR_VERSION, OVR_CAUSE, LISTED, DECAY_PENDING,
 STIGMA_UNTIL, STIGMA_VERSION) = range(10)
N_FIELDS = 10
# list state fields
LIST_VERSION, LIST_CAUSE = 0, 1
CAUSE_CONDITION = -2
# scheduled event kinds
EXPIRY, APPEAL, LIST_END, OVERRIDE_END, COMPLY, DECAY, STIGMA_END = 10, 11, 12, 13, 14, 15, 16
# ledger kinds
KIND_RECORD, KIND_EXPIRY, KIND_APPEAL, KIND_DECAY = 0, 1, 2, 3
# primary event kinds; RECORD is a scripted true record (policy cases)
ACT, FALSE, ATTEMPT, RECORD = 0, 1, 2, 3
# outcomes of a service attempt
ALLOWED, DENIED, DISCOUNTED, WRONGLY_DENIED = 0, 1, 2, 3
# columns of a ledger row, named as ledger.parquet names them
(L_CITIZEN, L_DAY, L_RULE, L_SENSOR, L_DELTA, L_WRONGFUL, L_KIND, L_RECORD_ID,
 L_BEHAVIOUR) = (LEDGER_COLUMNS.index(name) for name in (
    "citizen_id", "day", "rule", "sensor", "delta", "wrongful", "kind", "record_id", "behaviour"))
LEDGER_WIDTH = len(LEDGER_COLUMNS)
# compliance fields per member: clock version, clock running, blocked once, citizen id, draws
C_VERSION, C_RUNNING, C_BLOCKED, C_CITIZEN, C_DRAWS = range(5)


@njit(cache=True)
def band(grade_min, score):
    """Index of the band grade of ``score`` (0 = best)."""
    for g in range(grade_min.shape[0]):
        if score >= grade_min[g]:
            return g
    return grade_min.shape[0] - 1


@njit(cache=True)
def schedule(T, H, time, kind, m, a, b, version):
    """Push a scheduled event unless it falls after the last simulated day.

    ``a`` and ``b`` are the event's two arguments, read by ``_kernel._scheduled``
    (an effect row, a record row, a list, a track); ``version`` the state's
    version it was made for (a stale one is skipped).
    """
    if time >= T.days:
        return
    size = H.fill[FILL_HEAP]
    if size == H.heap_t.shape[0]:
        H.heap_t = grow(H.heap_t, size + 1)
        H.heap_seq = grow(H.heap_seq, size + 1)
        H.heap_data = grow_rows(H.heap_data, size + 1)
    H.fill[FILL_HEAP] = _heap.push(H.heap_t, H.heap_seq, H.heap_data, size,
                                   H.fill[FILL_SEQUENCE], time, kind, m, a, b, version)
    H.fill[FILL_SEQUENCE] += 1


@njit(cache=True)
def condition_holds(T, H, t, m, cond):
    """Evaluate condition ``cond`` on member ``m`` of track ``t``."""
    start = T.cond_start[cond]
    code = T.cond_code[start:start + T.cond_len[cond]]
    state = H.state
    return execute(code, H.stack, state[t, m, SCORE], state[t, m, GRADE], H.ages[m],
                   state[t, m, LISTED])


@njit(cache=True)
def denied(T, H, t, m, service):
    """Whether a sanction on ``service`` holds for member ``m`` (or kin) in track ``t``."""
    for sanction in range(T.san_service.shape[0]):
        if T.san_service[sanction] != service:
            continue
        if condition_holds(T, H, t, m, T.san_cond[sanction]):
            return True
        if T.san_household[sanction]:
            for other in range(H.size):
                if other != m and condition_holds(T, H, t, other, T.san_cond[sanction]):
                    return True
    return False


@njit(cache=True)
def plainly_allowed(T, H, m, service):
    """Whether member ``m``'s attempt at ``service`` is allowed now with no sanction or reward.

    Such an attempt changes no state: it is only counted.
    """
    if denied(T, H, 0, m, service):
        return False
    for reward in range(T.rew_service.shape[0]):
        if T.rew_service[reward] == service and condition_holds(T, H, 0, m, T.rew_cond[reward]):
            return False
    return True


@njit(cache=True)
def ledger_add(H, m, day, rule, sensor, delta, wrongful, kind, record, behaviour):
    """Append one ledger row (track 0 only) if the member is in the ledger sample."""
    if not H.sampled[m]:
        return
    row = H.fill[FILL_LEDGER]
    if row == H.ledger.shape[0]:
        H.ledger = grow_rows(H.ledger, row + 1)
    entry = H.ledger[row]
    entry[L_CITIZEN] = H.cids[m]
    entry[L_DAY] = day
    entry[L_RULE] = rule
    entry[L_SENSOR] = sensor
    entry[L_DELTA] = delta
    entry[L_WRONGFUL] = wrongful
    entry[L_KIND] = kind
    entry[L_RECORD_ID] = record
    entry[L_BEHAVIOUR] = behaviour
    H.fill[FILL_LEDGER] = row + 1


@njit(cache=True)
def refresh_grade(T, H, t, m, day):
    """Recompute the grade from the score and any override; keep grade counts in step."""
    state = H.state
    g = band(T.grade_min, state[t, m, SCORE])
    if state[t, m, OVR_GRADE] > g:
        g = state[t, m, OVR_GRADE]
    old = state[t, m, GRADE]
    if g != old:
        state[t, m, GRADE] = g
        if t == 0:
            count(H, day, m, T.layout.grades + old, -1)
            count(H, day, m, T.layout.grades + g, 1)


@njit(cache=True)
def compliance_wait(T, H, m, rate):
    """Days until member ``m`` pays, drawn afresh (a blocked purchase raises the rate)."""
    H.comply[m, C_DRAWS] += 1
    u = rnd.uniform(T.seed, rnd.COMPLIANCE, H.comply[m, C_CITIZEN], H.comply[m, C_DRAWS])
    return -math.log(u) / rate


@njit(cache=True)
def enter_list(T, H, t, m, lid, day, cause):
    """Put member ``m`` on list ``lid`` (or renew the listing) in track ``t``."""
    state, listing, comply = H.state, H.listing, H.comply
    bit = 1 << lid
    newly = (state[t, m, LISTED] & bit) == 0
    state[t, m, LISTED] |= bit
    listing[t, m, lid, LIST_VERSION] += 1
    listing[t, m, lid, LIST_CAUSE] = cause
    if T.list_duration[lid] > 0:
        schedule(T, H, float(day + T.list_duration[lid]), LIST_END, m, lid, t,
                 listing[t, m, lid, LIST_VERSION])
    if t == 0 and newly:
        count(H, day, m, T.layout.listed + lid, 1)
        count(H, day, m, T.layout.list_entries + lid, 1)
        if T.list_compliance[lid] and comply[m, C_RUNNING] == 0:
            comply[m, C_RUNNING] = 1
            comply[m, C_VERSION] += 1
            rate = T.compliance_rate * (T.blocked_multiplier if comply[m, C_BLOCKED] else 1.0)
            if rate > 0:
                wait = compliance_wait(T, H, m, rate)
                schedule(T, H, day + 1.0 + wait, COMPLY, m, 0, 0, comply[m, C_VERSION])


@njit(cache=True)
def leave_list(T, H, t, m, lid, day):
    """Take member ``m`` off list ``lid`` in track ``t``."""
    bit = 1 << lid
    if (H.state[t, m, LISTED] & bit) == 0:
        return
    H.state[t, m, LISTED] &= ~bit
    H.listing[t, m, lid, LIST_VERSION] += 1
    if t == 0:
        count(H, day, m, T.layout.listed + lid, -1)
        count(H, day, m, T.layout.list_exits + lid, 1)


@njit(cache=True)
def settle_condition_lists(T, H, m, day):
    """Re-check every ``entry_when`` list for member ``m`` in both tracks after an event.

    A listing can change another list's condition (``listed("a")``), so checks
    repeat until nothing changes, at most once per list plus one: conditions
    that contradict each other stop there instead of looping forever.
    """
    if not T.has_condition_lists:
        return
    for t in range(2):
        for _ in range(T.list_cond.shape[0] + 1):
            if not check_condition_lists(T, H, t, m, day):
                break


@njit(cache=True)
def check_condition_lists(T, H, t, m, day):
    """Lists with ``entry_when``: enter when it holds; leave when it stops (if listed by it).

    Returns whether any listing changed.
    """
    changed = False
    for lid in range(T.list_cond.shape[0]):
        cond = T.list_cond[lid]
        if cond < 0:
            continue
        holds = condition_holds(T, H, t, m, cond)
        listed = (H.state[t, m, LISTED] >> lid) & 1
        if holds and not listed:
            enter_list(T, H, t, m, lid, day, CAUSE_CONDITION)
            changed = True
        elif (not holds and listed and H.listing[t, m, lid, LIST_CAUSE] == CAUSE_CONDITION
              and T.list_duration[lid] == 0):
            leave_list(T, H, t, m, lid, day)
            changed = True
    return changed


@njit(cache=True)
def move_score(T, H, t, m, delta, day):
    """Change the score by ``delta`` within floor and ceiling; return the change applied."""
    state = H.state
    old = state[t, m, SCORE]
    new = min(T.ceiling, max(T.floor, old + delta))
    if new == old:
        return 0
    state[t, m, SCORE] = new
    if t == 0:
        old_bin = T.score_bin[old - T.floor]
        new_bin = T.score_bin[new - T.floor]
        if new_bin != old_bin:
            count(H, day, m, T.layout.hist + old_bin, -1)
            count(H, day, m, T.layout.hist + new_bin, 1)
        count(H, day, m, T.layout.score_sum, new - old)
    refresh_grade(T, H, t, m, day)
    if T.decay_every > 0 and new != T.start and state[t, m, DECAY_PENDING] == 0:
        state[t, m, DECAY_PENDING] = 1
        next_step = (day // T.decay_every + 1) * T.decay_every
        schedule(T, H, float(next_step), DECAY, m, t, 0, 0)
    return new - old


@njit(cache=True)
def capped_points(T, H, t, m, rule, points, day):
    """Points a rule may still give this period under its cap (all of them if uncapped)."""
    limit = T.rule_cap_max[rule]
    if limit == 0:
        return points
    cap = H.cap
    window = day // T.rule_cap_period[rule]
    if cap[t, m, rule, 0] != window:
        cap[t, m, rule, 0] = window
        cap[t, m, rule, 1] = 0
    room = limit - cap[t, m, rule, 1]
    if room <= 0:
        return 0
    allowed = min(abs(points), room)
    cap[t, m, rule, 1] += allowed
    return allowed if points > 0 else -allowed


@njit(cache=True)
def impose_grade(T, H, t, m, grade, days_imposed, day, cause):
    """Impose ``grade`` (or worse, if one is imposed already) for ``days_imposed`` days."""
    state = H.state
    if state[t, m, OVR_GRADE] < grade:
        state[t, m, OVR_GRADE] = grade
    state[t, m, OVR_UNTIL] = max(state[t, m, OVR_UNTIL], day + days_imposed)
    state[t, m, OVR_VERSION] += 1
    state[t, m, OVR_CAUSE] = cause
    schedule(T, H, float(state[t, m, OVR_UNTIL]), OVERRIDE_END, m, t, 0, state[t, m, OVR_VERSION])
    refresh_grade(T, H, t, m, day)


@njit(cache=True)
def lift_grade(T, H, t, m, day):
    """End an imposed grade; the band grade of the score applies again."""
    H.state[t, m, OVR_GRADE] = -1
    H.state[t, m, OVR_VERSION] += 1
    H.state[t, m, OVR_CAUSE] = -1
    refresh_grade(T, H, t, m, day)
