"""One household's scoring state, and the moves that change it (numba).

State lives in small arrays indexed ``[track, member, field]``: track 0 is what
happened; track 1 replays the same history without wrongful records, so the
audit can tell exactly who was denied a service *because* of a false match.
Only track 0 feeds the daily aggregates and the ledger.

Every move keeps the aggregates in step: a score change moves one unit of the
score histogram (as a difference over days, summed once at the end), a grade
change moves one unit of the grade counts, and so on. That is what makes the
cost follow events instead of citizen-days. Changes are appended to a log and
flushed into the daily matrix sorted by day, which keeps the writes in cache.

Every function takes the policy tables ``T`` and the household struct ``H``
(:mod:`scorelab.engine._household`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from scorelab import _random as rnd
from scorelab.engine import _heap
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
CELL_BITS = 42  # a tally entry: column above these bits, group_cells below
# fill levels in ``H.cnt``
HEAP, SEQ, LEDGER, RECORDS, EFFECTS, LOG = 0, 1, 2, 3, 4, 5
# ledger kinds
KIND_RECORD, KIND_EXPIRY, KIND_APPEAL, KIND_DECAY = 0, 1, 2, 3
# primary event kinds; RECORD is a scripted true record (policy cases)
ACT, FALSE, ATTEMPT, RECORD = 0, 1, 2, 3
# outcomes of a service attempt
ALLOWED, DENIED, DISCOUNTED, WRONGLY_DENIED = 0, 1, 2, 3
# per-citizen output columns (see _tables.CITIZEN_COLUMNS)
(CIT_SCORE, CIT_GRADE, CIT_LISTED, CIT_ACTS, CIT_RECORDS, CIT_WRONGFUL, CIT_DENIALS,
 CIT_WRONGFUL_DENIALS, CIT_REWARDS, CIT_SHAMED, CIT_WRONGFUL_SHAMED, CIT_APPEALS, CIT_OVERTURNED,
 CIT_COMPLIED, CIT_CF_SCORE, CIT_CF_GRADE, CIT_UNSEEN, CIT_DENIED_SERVICES) = range(18)
N_CIT = 18
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
def grow_rows(a, need):
    """``a`` with at least ``need`` rows, doubling (2-D arrays)."""
    if need <= a.shape[0]:
        return a
    grown = np.empty((max(need, 2 * a.shape[0]), a.shape[1]), a.dtype)
    grown[: a.shape[0]] = a
    return grown


@njit(cache=True)
def grow(a, need):
    """``a`` with at least ``need`` items, doubling (1-D arrays)."""
    if need <= a.shape[0]:
        return a
    grown = np.empty(max(need, 2 * a.shape[0]), a.dtype)
    grown[: a.shape[0]] = a
    return grown


@njit(cache=True)
def reserve_log(H, entries):
    """Make room for ``entries`` more log entries."""
    need = H.cnt[LOG] + entries
    if need > H.log_key.shape[0]:
        H.log_key = grow(H.log_key, need)
        H.log_amt = grow(H.log_amt, need)


@njit(cache=True, inline="always")
def count(H, day, m, col, amount):
    """Log ``amount`` for column ``col`` of the daily matrix, for member ``m``'s groups.

    Entries are only appended here (sequential writes); :func:`flush` later adds
    them to the daily matrix day by day, where the writes stay in cache.
    """
    i = H.cnt[LOG]
    if i == H.log_key.shape[0]:
        reserve_log(H, 1)
    H.log_key[i] = (day << 40) | (col << 20) | H.codes[m]
    H.log_amt[i] = amount
    H.cnt[LOG] = i + 1


@njit(cache=True)
def flush(H, matrix, touched, offsets, sorted_key, sorted_amt, per_day):
    """Add logged entries to ``matrix`` (days, columns, groups), sorted by day first.

    A counting sort moves the entries into day order (sequential reads, one
    write stream per day); they are then added in that order, so each day's
    slab of the matrix stays in cache, and the seven groups of one entry lie in
    one row of a column. ``touched`` marks the columns written, so that only
    those need to travel back from a worker.
    """
    n = H.cnt[LOG]
    log_key, log_amt = H.log_key, H.log_amt
    per_day[:] = 0
    for i in range(n):
        per_day[(log_key[i] >> 40) + 1] += 1
    for d in range(1, per_day.shape[0]):
        per_day[d] += per_day[d - 1]
    for i in range(n):
        key = log_key[i]
        d = key >> 40
        at = per_day[d]
        sorted_key[at] = key
        sorted_amt[at] = log_amt[i]
        per_day[d] = at + 1
        touched[(key >> 20) & 0xFFFFF] = True
    for j in range(n):
        key = sorted_key[j]
        amount = sorted_amt[j]
        add_to_groups(matrix[key >> 40, (key >> 20) & 0xFFFFF], offsets, key, amount)
    H.cnt[LOG] = 0


@njit(cache=True)
def flush_tally(tally, matrix, touched):
    """Add the day tallies of :func:`~scorelab.engine._events._tally` to ``matrix``, and empty them.

    Each row is one day's events in arrival order, already apart from the other
    days: added as they lie, a day's slab of the matrix stays in cache.
    """
    entries, fill = tally
    for day in range(entries.shape[0]):
        slab = matrix[day]
        for at in range(fill[day]):
            key = entries[day, at]
            column = key >> CELL_BITS
            row = slab[column]
            row[0] += 1
            row[key & 127] += 1
            row[(key >> 7) & 127] += 1
            row[(key >> 14) & 127] += 1
            row[(key >> 21) & 127] += 1
            row[(key >> 28) & 127] += 1
            row[(key >> 35) & 127] += 1
            touched[column] = True
    fill[:] = 0


@njit(cache=True, inline="always")
def add_to_groups(row, offsets, code, amount):
    """Add ``amount`` to every group of ``row`` that a group code (low 20 bits) belongs to."""
    row[0] += amount
    row[offsets[1] + (code & 1)] += amount
    row[offsets[2] + ((code >> 1) & 7)] += amount
    row[offsets[3] + ((code >> 4) & 63)] += amount
    row[offsets[4] + ((code >> 10) & 1)] += amount
    row[offsets[5] + ((code >> 11) & 15)] += amount
    row[offsets[6] + ((code >> 15) & 31)] += amount


@njit(cache=True, inline="always")
def group_cells(offsets, code):
    """The six groups past "all" that a group code belongs to, as cells of a row, 7 bits each.

    Packed once per source, they spare :func:`flush_tally` the unpacking that
    :func:`add_to_groups` does per entry (a row has at most 125 groups: see
    :func:`group_code`'s bit widths).
    """
    return ((offsets[1] + (code & 1)) | ((offsets[2] + ((code >> 1) & 7)) << 7)
            | ((offsets[3] + ((code >> 4) & 63)) << 14) | ((offsets[4] + ((code >> 10) & 1)) << 21)
            | ((offsets[5] + ((code >> 11) & 15)) << 28)
            | ((offsets[6] + ((code >> 15) & 31)) << 35))


@njit(cache=True)
def group_code(sex, age_band, region, urban, income, occupation):
    """Pack a citizen's group values into the low 20 bits of a log key."""
    return sex | (age_band << 1) | (region << 4) | (urban << 10) | (income << 11) | (
        occupation << 15)


@njit(cache=True)
def schedule(T, H, time, kind, m, a, b, version):
    """Push a scheduled event unless it falls after the last simulated day."""
    if time >= T.days:
        return
    size = H.cnt[HEAP]
    if size == H.heap_t.shape[0]:
        H.heap_t = grow(H.heap_t, size + 1)
        H.heap_seq = grow(H.heap_seq, size + 1)
        H.heap_data = grow_rows(H.heap_data, size + 1)
    H.cnt[HEAP] = _heap.push(H.heap_t, H.heap_seq, H.heap_data, size, H.cnt[SEQ], time, kind, m,
                             a, b, version)
    H.cnt[SEQ] += 1


@njit(cache=True)
def condition_holds(T, H, t, m, cond):
    """Evaluate condition ``cond`` on member ``m`` of track ``t``."""
    start = T.cond_start[cond]
    code = T.cond_code[start:start + T.cond_len[cond]]
    state = H.state
    return execute(code, H.stack, state[t, m, SCORE], state[t, m, GRADE], H.ages[m],
                   state[t, m, LISTED])


@njit(cache=True)
def denied(T, H, t, m, v):
    """Whether a sanction on service ``v`` holds for member ``m`` (or kin) in track ``t``."""
    for s in range(T.san_service.shape[0]):
        if T.san_service[s] != v:
            continue
        if condition_holds(T, H, t, m, T.san_cond[s]):
            return True
        if T.san_household[s]:
            for other in range(H.size):
                if other != m and condition_holds(T, H, t, other, T.san_cond[s]):
                    return True
    return False


@njit(cache=True)
def plainly_allowed(T, H, m, v):
    """Whether member ``m``'s attempt at ``v`` is allowed now with no sanction or reward.

    Such an attempt changes no state: it is only counted.
    """
    if denied(T, H, 0, m, v):
        return False
    for w in range(T.rew_service.shape[0]):
        if T.rew_service[w] == v and condition_holds(T, H, 0, m, T.rew_cond[w]):
            return False
    return True


@njit(cache=True)
def ledger_add(H, m, day, rule, sensor, delta, wrongful, kind, record_id, behaviour):
    """Append one ledger entry (track 0 only) if the citizen is in the ledger sample."""
    if not H.sampled[m]:
        return
    row = H.cnt[LEDGER]
    if row == H.ledger.shape[0]:
        H.ledger = grow_rows(H.ledger, row + 1)
    ledger = H.ledger
    ledger[row, 0] = H.cids[m]
    ledger[row, 1] = day
    ledger[row, 2] = rule
    ledger[row, 3] = sensor
    ledger[row, 4] = delta
    ledger[row, 5] = wrongful
    ledger[row, 6] = kind
    ledger[row, 7] = record_id
    ledger[row, 8] = behaviour
    H.cnt[LEDGER] = row + 1


@njit(cache=True)
def refresh_grade(T, H, t, m, day):
    """Recompute the grade from the score and any override; keep grade counts in step."""
    st = H.state
    g = band(T.grade_min, st[t, m, SCORE])
    if st[t, m, OVR_GRADE] > g:
        g = st[t, m, OVR_GRADE]
    old = st[t, m, GRADE]
    if g != old:
        st[t, m, GRADE] = g
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
    st, lst, comply = H.state, H.listing, H.comply
    bit = 1 << lid
    newly = (st[t, m, LISTED] & bit) == 0
    st[t, m, LISTED] |= bit
    lst[t, m, lid, LIST_VERSION] += 1
    lst[t, m, lid, LIST_CAUSE] = cause
    if T.list_duration[lid] > 0:
        schedule(T, H, float(day + T.list_duration[lid]), LIST_END, m, lid, t,
                 lst[t, m, lid, LIST_VERSION])
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
    st = H.state
    old = st[t, m, SCORE]
    new = min(T.ceiling, max(T.floor, old + delta))
    if new == old:
        return 0
    st[t, m, SCORE] = new
    if t == 0:
        old_bin = T.score_bin[old - T.floor]
        new_bin = T.score_bin[new - T.floor]
        if new_bin != old_bin:
            count(H, day, m, T.layout.hist + old_bin, -1)
            count(H, day, m, T.layout.hist + new_bin, 1)
        count(H, day, m, T.layout.score_sum, new - old)
    refresh_grade(T, H, t, m, day)
    if T.decay_every > 0 and new != T.start and st[t, m, DECAY_PENDING] == 0:
        st[t, m, DECAY_PENDING] = 1
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
    st = H.state
    if st[t, m, OVR_GRADE] < grade:
        st[t, m, OVR_GRADE] = grade
    st[t, m, OVR_UNTIL] = max(st[t, m, OVR_UNTIL], day + days_imposed)
    st[t, m, OVR_VERSION] += 1
    st[t, m, OVR_CAUSE] = cause
    schedule(T, H, float(st[t, m, OVR_UNTIL]), OVERRIDE_END, m, t, 0, st[t, m, OVR_VERSION])
    refresh_grade(T, H, t, m, day)


@njit(cache=True)
def lift_grade(T, H, t, m, day):
    """End an imposed grade; the band grade of the score applies again."""
    H.state[t, m, OVR_GRADE] = -1
    H.state[t, m, OVR_VERSION] += 1
    H.state[t, m, OVR_CAUSE] = -1
    refresh_grade(T, H, t, m, day)
