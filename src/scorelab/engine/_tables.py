"""Compile a policy and a scenario into the flat arrays the engine kernel reads.

The kernel is numba code and sees no pydantic model, no string and no date:
this module resolves names to indices, dated parameters to one value per
simulated day, conditions to bytecode, and the world's detection and
false-match rates to per-area probabilities. It also fixes the column layout of
the daily counters and of the per-citizen table.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

import numpy as np
from numba import njit, types
from numba.experimental import structref

from scorelab.engine._timeline import Rate, Timeline, build_timeline
from scorelab.policy import Policy, compile_condition
from scorelab.world import AGE_BANDS, BEHAVIOUR_NAMES, SENSOR_NAMES, SERVICE_NAMES, Census, Scenario

LEDGER_COLUMNS = (
    "citizen_id", "day", "rule", "sensor", "delta", "wrongful", "kind", "record_id", "behaviour",
)
LEDGER_KINDS = ("record", "expiry", "appeal", "decay")


class Layout(NamedTuple):
    """Offsets of each block of columns in the daily counter array."""

    acts: int
    wrongful_by_behaviour: int
    records_by_behaviour: int
    records_by_sensor: int
    wrongful_by_sensor: int
    attempts: int
    denied: int
    wrongful_denied: int
    discounted: int
    reward_fen: int
    list_entries: int
    list_exits: int
    shamed: int
    wrongful_shamed: int
    appeals: int
    overturned: int
    complied: int
    hist: int  # first of the columns below, which hold changes: summed over days at the end
    grades: int
    listed: int
    score_sum: int
    stigmatized: int
    width: int


def make_layout(n_lists: int, n_grades: int, hist_bins: int) -> Layout:
    """Place the column blocks of the daily matrix one after another.

    Event counters come first; from ``hist`` on, columns hold changes of a level
    (citizens per score bin, per grade, per list, and the score total), which
    become levels by a cumulative sum over days.
    """
    b, s, v = len(BEHAVIOUR_NAMES), len(SENSOR_NAMES), len(SERVICE_NAMES)
    sizes = [b, b, b, s, s, v, v, v, v, v, n_lists, n_lists, 1, 1, 1, 1, 1,
             hist_bins, n_grades, n_lists, 1, 1]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    return Layout(*offsets[:-1], offsets[-1])


class Groups(NamedTuple):
    """Group dimensions and the offset of each in the group axis (slot 0 is everyone)."""

    names: tuple[str, ...]
    values: tuple[tuple[str, ...], ...]
    offsets: np.ndarray  # int64 (7,)
    count: int


def make_groups(census: Census, occupation_names: tuple[str, ...]) -> Groups:
    """Everyone, then sex, age band, region, urban/rural, income decile, occupation."""
    values = (
        ("all",),
        ("male", "female"),
        tuple(f"{lo}-{hi}" if hi < 120 else f"{lo}+" for lo, hi in AGE_BANDS),
        census.region_names,
        ("rural", "urban"),
        tuple(f"D{d}" for d in range(1, 11)),
        occupation_names,
    )
    names = ("all", "sex", "age_band", "region", "urban", "income_decile", "occupation")
    sizes = [len(v) for v in values]
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    return Groups(names, values, offsets, int(sum(sizes)))


class EngineTables(NamedTuple):
    """Everything the kernel reads, as arrays and numbers (see module docstring)."""

    seed: int
    days: int
    # behaviour: rates per day for an eligible person, before multipliers
    beh_rate: np.ndarray
    beh_boost: np.ndarray
    beh_min_age: np.ndarray
    beh_max_age: np.ndarray
    beh_male: np.ndarray
    beh_urban: np.ndarray
    beh_elderly: np.ndarray
    beh_income_slope: np.ndarray
    beh_elasticity: np.ndarray
    beh_sensor: np.ndarray  # (B, S) sensor indices in observation order, -1 padded
    beh_detect: np.ndarray  # (B, S, A) chance the slot's sensor records an act, by area
    beh_detect_any: np.ndarray  # (B, A); an area is region * 2 + urban
    beh_cost: np.ndarray  # (B, D) deterrent cost of one recorded act (<0: a reward)
    beh_inert: np.ndarray  # (B,) no rule, list, shaming or cost uses it: counted, not replayed
    false_rate: np.ndarray  # (B, S, A) wrongful records per day, by area
    false_sensors: np.ndarray  # (B, S) sensors with a false rate > 0 somewhere, -1 padded
    time_start: np.ndarray  # (B + V, K) pieces of dated rates: behaviours, then services
    time_share: np.ndarray  # (B + V, K) (see engine/_timeline.py)
    time_pieces: np.ndarray  # (B + V,)
    false_camera: np.ndarray  # (S,) 1 where the camera's demographic multipliers apply
    false_female: float  # camera false-match multiplier for women (NIST)
    false_elderly: float  # ... for people aged 60+
    false_norm: float  # mean multiplier, so the total false matches are kept
    svc_rate: np.ndarray
    svc_min_age: np.ndarray
    svc_max_age: np.ndarray
    svc_head_only: np.ndarray
    svc_free: np.ndarray  # (V,) no sanction or reward: attempts are counted, not replayed
    awareness: float
    experience_gain: float
    half_life: float
    witness_experience: float
    sanction_experience: float
    max_boost: float
    stigma_days: int
    compliance_rate: float
    blocked_multiplier: float
    appeal_share: np.ndarray  # (2,) [true, wrongful]
    appeal_overturn: np.ndarray  # (2,)
    appeal_delay: int
    # policy
    start: int
    floor: int
    ceiling: int
    decay_points: int
    decay_every: int
    grade_min: np.ndarray
    rule_beh: np.ndarray
    rule_sensor_mask: np.ndarray
    rule_points: np.ndarray  # (R, D)
    rule_in_force: np.ndarray  # (R, D)
    rule_expiry: np.ndarray
    rule_cap_max: np.ndarray
    rule_cap_period: np.ndarray
    rule_sets_grade: np.ndarray
    rule_grade_days: np.ndarray
    list_beh_mask: np.ndarray
    list_sensor_mask: np.ndarray
    list_cond: np.ndarray
    has_condition_lists: bool
    list_duration: np.ndarray
    list_compliance: np.ndarray
    list_removal_delay: np.ndarray
    cond_code: np.ndarray
    cond_start: np.ndarray
    cond_len: np.ndarray
    san_service: np.ndarray
    san_cond: np.ndarray
    san_household: np.ndarray
    rew_service: np.ndarray
    rew_cond: np.ndarray
    rew_value_fen: np.ndarray
    shame_beh_mask: int
    shame_sensor_mask: int
    # outputs
    group_offsets: np.ndarray
    n_groups: int
    age_edges: np.ndarray
    score_bin: np.ndarray  # (ceiling - floor + 1,) histogram bin of each score
    hist_bins: int
    layout: Layout
    ledger_sample: float
    # a reference mode for tests: replay every event that may change state, none
    # settled early (see docs/architecture.md); the outputs must not change
    replay_all: bool = False


def _bit(names: tuple[str, ...], wanted: tuple[str, ...]) -> int:
    mask = 0
    for name in wanted:
        mask |= 1 << names.index(name)
    return mask


def camera_coverage(scenario: Scenario, census: Census) -> np.ndarray:
    """Share of public acts a camera sees in each area (region * 2 + urban).

    Cameras are split between cities and countryside by ``cameras.urban_share``,
    then across regions in proportion to population times the region's urban
    share to the power ``cameras.urbanization_exponent`` (more urban provinces
    have denser networks; 0 spreads them evenly). Coverage is
    ``1 - exp(-reach * cameras per person)``.
    """
    cams = scenario.cameras
    people = census.region_population.astype(float)
    urban_share = census.region_urban_share
    tilt = urban_share ** cams.urbanization_exponent
    coverage = np.zeros(2 * people.shape[0])
    for is_urban, share, cameras in ((0, 1 - urban_share, cams.count * (1 - cams.urban_share)),
                                     (1, urban_share, cams.count * cams.urban_share)):
        residents = people * share
        weight = residents * tilt
        density = cameras * weight / weight.sum() / np.maximum(residents, 1.0)
        coverage[is_urban::2] = 1 - np.exp(-cams.reach * density)
    return coverage


def _timeline(scenario: Scenario) -> Timeline:
    """The pieces of every behaviour's and then every service's (maybe dated) rate."""
    rates: list[Rate] = []
    for name in BEHAVIOUR_NAMES:
        spec = scenario.behaviours.get(name)
        rates.append(spec.rate_per_year if spec is not None else 0.0)
    for name in SERVICE_NAMES:
        service = _svc(scenario, name)
        rates.append(service.attempts_per_year if service else 0.0)
    meta = scenario.scenario
    return build_timeline(rates, meta.start_date, meta.days)


def _behaviour_arrays(scenario: Scenario, census: Census) -> dict[str, np.ndarray]:
    b_count, s_count = len(BEHAVIOUR_NAMES), len(SENSOR_NAMES)
    coverage = camera_coverage(scenario, census)
    camera = SENSOR_NAMES.index("camera")
    out = {
        "beh_rate": np.zeros(b_count), "beh_min_age": np.zeros(b_count, np.int64),
        "beh_max_age": np.zeros(b_count, np.int64), "beh_male": np.ones(b_count),
        "beh_urban": np.ones(b_count), "beh_elderly": np.ones(b_count),
        "beh_income_slope": np.zeros(b_count), "beh_elasticity": np.zeros(b_count),
        "beh_sensor": np.full((b_count, s_count), -1, np.int64),
        "beh_detect": np.zeros((b_count, s_count, coverage.shape[0])),
    }
    for b, name in enumerate(BEHAVIOUR_NAMES):
        spec = scenario.behaviours.get(name)
        if spec is None:
            continue
        out["beh_min_age"][b], out["beh_max_age"][b] = spec.min_age, spec.max_age
        out["beh_male"][b], out["beh_urban"][b] = spec.male_multiplier, spec.urban_multiplier
        out["beh_elderly"][b] = spec.elderly_multiplier
        out["beh_income_slope"][b] = spec.income_slope
        out["beh_elasticity"][b] = spec.elasticity
        for slot, (sensor, chance) in enumerate(spec.observed_by.items()):
            s = SENSOR_NAMES.index(sensor)
            out["beh_sensor"][b, slot] = s
            if s == camera:
                seen = chance * coverage * scenario.cameras.recall
                out["beh_detect"][b, slot] = np.minimum(1.0, seen)
            else:
                out["beh_detect"][b, slot] = chance
    miss = np.prod(1 - out["beh_detect"], axis=1)
    out["beh_detect_any"] = 1 - miss
    return out


def _false_sensors(false_rate: np.ndarray) -> np.ndarray:
    """Per behaviour, the sensors that can make false records of it (-1 padded).

    Listing them once spares the kernel a scan of every (behaviour, sensor) pair
    for every citizen.
    """
    sensors = np.full(false_rate.shape[:2], -1, np.int64)
    for b in range(false_rate.shape[0]):
        found = np.flatnonzero((false_rate[b] > 0).any(axis=1))
        sensors[b, : found.size] = found
    return sensors


def _false_rates(
    scenario: Scenario, census: Census, beh: dict
) -> tuple[np.ndarray, float, float, float]:
    """Wrongful records per person-day for each (behaviour, sensor, area).

    A camera's false match is a search that returns the wrong person: its rate in
    an area is the false-match rate times the camera identifications made there
    per person, spread over people with NIST's demographic multipliers
    (normalised so the total is kept). Informants and platforms file false
    reports at their own rate, split over the behaviours they report.
    """
    b_count, s_count = len(BEHAVIOUR_NAMES), len(SENSOR_NAMES)
    areas = beh["beh_detect"].shape[2]
    rates = np.zeros((b_count, s_count, areas))
    camera = SENSOR_NAMES.index("camera")
    cams = scenario.cameras
    for b in range(b_count):
        for slot in range(s_count):
            s = beh["beh_sensor"][b, slot]
            if s == camera:
                multiplier = np.tile([1.0, beh["beh_urban"][b]], areas // 2)
                identified = beh["beh_rate"][b] * multiplier * beh["beh_detect"][b, slot]
                rates[b, s] = cams.false_match_rate * identified
    for sensor_name, sensor in scenario.sensors.items():
        s = SENSOR_NAMES.index(sensor_name)
        reported = [b for b in range(b_count) if s in beh["beh_sensor"][b]]
        for b in reported:
            rates[b, s] += sensor.false_reports_per_year / 365.0 / len(reported)
    female = 1 - census.male_share
    elderly = float(census.age_share[census.age_min >= 60].sum())
    mean_mult = ((1 - female) + female * cams.female_false_match_multiplier) * (
        (1 - elderly) + elderly * cams.elderly_false_match_multiplier)
    return rates, cams.female_false_match_multiplier, cams.elderly_false_match_multiplier, mean_mult


HIST_BINS = 256
UNIT_BINS = 192


def score_bins(floor: int, ceiling: int, start: int) -> tuple[np.ndarray, np.ndarray]:
    """Histogram bins for scores: one point wide near the start, wider far from it.

    Most scores stay near the starting value, where quantiles must be exact;
    the tails share the remaining bins. Returns the bin of every score from
    floor to ceiling, and the lowest score of each bin.

    >>> bins, lows = score_bins(0, 9, 5)
    >>> bins.tolist() == list(range(10)), lows.tolist() == list(range(10))
    (True, True)
    >>> bins, lows = score_bins(350, 950, 600)
    >>> int(bins[600 - 350 + 1] - bins[600 - 350]), len(lows) <= HIST_BINS
    (1, True)
    """
    span = ceiling - floor + 1
    if span <= HIST_BINS:
        return np.arange(span, dtype=np.int64), np.arange(floor, ceiling + 1, dtype=np.int64)
    lo = max(floor, min(start - UNIT_BINS // 2, ceiling + 1 - UNIT_BINS))
    hi = lo + UNIT_BINS  # exclusive
    below, above = lo - floor, ceiling + 1 - hi
    spare = HIST_BINS - UNIT_BINS
    n_below = 0 if below == 0 else max(1, round(spare * below / (below + above)))
    n_above = 0 if above == 0 else max(1, spare - n_below)
    edges = np.concatenate([
        np.linspace(floor, lo, n_below + 1)[:-1].round() if n_below else np.zeros(0),
        np.arange(lo, hi),
        np.linspace(hi, ceiling + 1, n_above + 1)[:-1].round() if n_above else np.zeros(0),
    ]).astype(np.int64)
    edges = np.unique(edges)
    bins = np.searchsorted(edges, np.arange(floor, ceiling + 1), side="right") - 1
    return bins.astype(np.int64), edges


def calendar(start: dt.date, days: int) -> list[dt.date]:
    """The simulated dates, day 0 first.

    >>> calendar(dt.date(2018, 12, 31), 2)
    [datetime.date(2018, 12, 31), datetime.date(2019, 1, 1)]
    """
    return [start + dt.timedelta(days=d) for d in range(days)]


def compile_tables(
    policy: Policy, scenario: Scenario, census: Census, occupation_names: tuple[str, ...],
    *, ledger_sample: float = 1.0,
) -> tuple[EngineTables, Groups]:
    """Compile ``policy`` on ``scenario`` into kernel tables and the group layout.

    Three parts, merged once: what the world is (:func:`_world_arrays`), what
    the policy does in it (:func:`_policy_arrays`), and how outputs are laid
    out (:func:`_output_arrays`).
    """
    meta = scenario.scenario
    world = _world_arrays(scenario, census)
    groups = make_groups(census, occupation_names)
    tables = EngineTables(
        seed=meta.seed, days=meta.days, **world,
        **_policy_arrays(policy, scenario, world["beh_rate"].shape[0]),
        **_output_arrays(policy, groups, ledger_sample),
    )
    return tables, groups


def _world_arrays(scenario: Scenario, census: Census) -> dict[str, Any]:
    """Behaviours, sensors, false records, services and people's responses: the world's arrays."""
    timeline = _timeline(scenario)
    beh = _behaviour_arrays(scenario, census)
    beh["beh_rate"] = timeline.mean_per_day[: len(BEHAVIOUR_NAMES)].copy()
    false_rate, false_female, false_elderly, false_norm = _false_rates(scenario, census, beh)
    det = scenario.deterrence
    return {
        **beh,
        "false_rate": false_rate / 1.0,
        "false_sensors": _false_sensors(false_rate),
        "false_camera": np.array([s == "camera" for s in SENSOR_NAMES], np.bool_),
        "false_female": false_female, "false_elderly": false_elderly, "false_norm": false_norm,
        "time_start": timeline.start, "time_share": timeline.share,
        "time_pieces": timeline.pieces,
        "svc_rate": timeline.mean_per_day[len(BEHAVIOUR_NAMES):].copy(),
        "svc_min_age": np.array([getattr(_svc(scenario, v), "min_age", 0)
                                 for v in SERVICE_NAMES]),
        "svc_max_age": np.array([getattr(_svc(scenario, v), "max_age", 0)
                                 for v in SERVICE_NAMES]),
        "svc_head_only": np.array([bool(getattr(_svc(scenario, v), "household_head_only", False))
                                   for v in SERVICE_NAMES]),
        "awareness": det.awareness, "experience_gain": det.experience_gain,
        "half_life": det.experience_half_life_days, "witness_experience": det.witness_experience,
        "sanction_experience": det.sanction_experience, "max_boost": det.positive_max_boost,
        "stigma_days": scenario.shaming.stigma_days,
        "compliance_rate": scenario.compliance.rate_per_year / 365.0,
        "blocked_multiplier": scenario.compliance.blocked_multiplier,
        "appeal_share": np.array([scenario.appeals.share_true, scenario.appeals.share_wrongful]),
        "appeal_overturn": np.array([scenario.appeals.overturn_true,
                                     scenario.appeals.overturn_wrongful]),
        "appeal_delay": scenario.appeals.delay_days,
    }


def _policy_arrays(policy: Policy, scenario: Scenario, n_behaviours: int) -> dict[str, Any]:
    """Score, grades, rules, lists, sanctions, rewards and shaming, and what they deter."""
    meta = scenario.scenario
    dates = calendar(meta.start_date, meta.days)
    grades, lists = policy.grade_names, policy.list_names
    conditions: list[np.ndarray] = []

    def condition(text: str | None) -> int:
        if text is None:
            return -1
        conditions.append(compile_condition(text, grades=grades, lists=lists).code)
        return len(conditions) - 1

    n_rules = len(policy.rules)
    rule_points = np.zeros((n_rules, meta.days), np.int64)
    rule_in_force = np.zeros((n_rules, meta.days), np.bool_)
    for r, rule in enumerate(policy.rules):
        for d, date in enumerate(dates):
            value = rule.points.on(date)
            rule_in_force[r, d] = value is not None
            rule_points[r, d] = 0 if value is None else int(value)
    cost, rewarded, used = _deterrence(policy, scenario, rule_points, rule_in_force, n_behaviours)
    sanctions, rewards, list_specs = policy.sanctions, policy.rewards, policy.lists.values()
    gated = {s.service for s in sanctions} | {r.service for r in rewards}
    arrays = {
        "beh_boost": np.where(rewarded, 1.0 + scenario.deterrence.positive_max_boost, 1.0),
        "beh_cost": cost,
        "beh_inert": ~used & (cost == 0).all(axis=1),
        "svc_free": np.array([v not in gated for v in SERVICE_NAMES], np.bool_),
        "start": policy.score.start, "floor": policy.score.floor,
        "ceiling": policy.score.ceiling,
        "decay_points": policy.score.decay.points if policy.score.decay else 0,
        "decay_every": policy.score.decay.every_days if policy.score.decay else 0,
        "grade_min": np.array([g.min for g in policy.grades], np.int64),
        "rule_beh": np.array([BEHAVIOUR_NAMES.index(r.behaviour) for r in policy.rules],
                             np.int64),
        "rule_sensor_mask": np.array([_bit(SENSOR_NAMES, r.sensors) for r in policy.rules],
                                     np.int64),
        "rule_points": rule_points, "rule_in_force": rule_in_force,
        "rule_expiry": np.array([r.expiry_days or 0 for r in policy.rules], np.int64),
        "rule_cap_max": np.array([r.cap.max_points if r.cap else 0 for r in policy.rules],
                                 np.int64),
        "rule_cap_period": np.array([r.cap.period_days if r.cap else 1 for r in policy.rules],
                                    np.int64),
        "rule_sets_grade": np.array([grades.index(r.sets_grade) if r.sets_grade else -1
                                     for r in policy.rules], np.int64),
        "rule_grade_days": np.array([r.grade_days or 0 for r in policy.rules], np.int64),
        "list_beh_mask": np.array([_bit(BEHAVIOUR_NAMES, s.entry_behaviours)
                                   for s in list_specs], np.int64),
        "list_sensor_mask": np.array([_bit(SENSOR_NAMES, s.entry_sensors) for s in list_specs],
                                     np.int64),
        "list_cond": np.array([condition(s.entry_when) for s in list_specs], np.int64),
        "has_condition_lists": any(s.entry_when is not None for s in list_specs),
        "list_duration": np.array([s.duration_days or 0 for s in list_specs], np.int64),
        "list_compliance": np.array([s.removed_on_compliance for s in list_specs], np.bool_),
        "list_removal_delay": np.array([s.removal_delay_days for s in list_specs], np.int64),
        "san_service": np.array([SERVICE_NAMES.index(s.service) for s in sanctions], np.int64),
        "san_cond": np.array([condition(s.when) for s in sanctions], np.int64),
        "san_household": np.array([s.household for s in sanctions], np.bool_),
        "rew_service": np.array([SERVICE_NAMES.index(r.service) for r in rewards], np.int64),
        "rew_cond": np.array([condition(r.when) for r in rewards], np.int64),
        "rew_value_fen": np.array([round((r.value_yuan or 0) * 100) for r in rewards], np.int64),
        "shame_beh_mask": (_bit(BEHAVIOUR_NAMES, policy.shaming.behaviours)
                           if policy.shaming else 0),
        "shame_sensor_mask": _bit(SENSOR_NAMES, policy.shaming.sensors) if policy.shaming else 0,
    }
    code, starts, lengths = _concat(conditions)  # after every condition() above
    return {**arrays, "cond_code": code, "cond_start": starts, "cond_len": lengths}


def _deterrence(
    policy: Policy, scenario: Scenario, rule_points: np.ndarray, rule_in_force: np.ndarray,
    n_behaviours: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per behaviour: its deterrent cost per day, whether a rule rewards it, whether any reads it.

    A recorded act costs the points it loses, scaled, plus a fixed cost for an
    imposed grade, a listing and shaming (``scenario.deterrence``); a negative
    cost is a reward.
    """
    det = scenario.deterrence
    cost = np.zeros((n_behaviours, scenario.scenario.days))
    rewarded = np.zeros(n_behaviours, np.bool_)
    used = np.zeros(n_behaviours, np.bool_)
    for r, rule in enumerate(policy.rules):
        b = BEHAVIOUR_NAMES.index(rule.behaviour)
        cost[b] -= np.where(rule_in_force[r], rule_points[r], 0) / det.cost_scale_points
        if rule.sets_grade is not None:
            cost[b] += det.grade_cost
        rewarded[b] |= bool((rule_points[r] > 0).any())
        used[b] = True
    for spec in policy.lists.values():
        for name in spec.entry_behaviours:
            cost[BEHAVIOUR_NAMES.index(name)] += det.list_cost
            used[BEHAVIOUR_NAMES.index(name)] = True
    if policy.shaming is not None:
        for name in policy.shaming.behaviours:
            cost[BEHAVIOUR_NAMES.index(name)] += det.shaming_cost
            used[BEHAVIOUR_NAMES.index(name)] = True
    return cost, rewarded, used


def _output_arrays(policy: Policy, groups: Groups, ledger_sample: float) -> dict[str, Any]:
    """The group axis, the score histogram's bins and the day matrix's column layout."""
    score = policy.score
    score_bin = score_bins(score.floor, score.ceiling, score.start)[0]
    hist_bins = int(score_bin.max()) + 1
    return {
        "group_offsets": groups.offsets, "n_groups": groups.count,
        "age_edges": np.array([lo for lo, _ in AGE_BANDS[1:]], np.int64),
        "score_bin": score_bin, "hist_bins": hist_bins,
        "layout": make_layout(len(policy.list_names), len(policy.grade_names), hist_bins),
        "ledger_sample": float(ledger_sample),
    }


def _svc(scenario: Scenario, name: str):
    return scenario.services.get(name)


def _concat(codes: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not codes:
        return np.zeros((1, 2), np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    lengths = np.array([c.shape[0] for c in codes], np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    return np.concatenate(codes).astype(np.int64), starts, lengths


@structref.register
class _KernelTablesType(types.StructRef):
    def preprocess_fields(self, fields):
        return tuple((name, types.unliteral(typ)) for name, typ in fields)


class KernelTables(structref.StructRefProxy):
    """:class:`EngineTables` as one numba struct, passed to kernel functions by reference.

    A namedtuple of ~70 arrays is passed by value, and every call between
    non-inlined kernel functions would then adjust ~70 reference counts
    atomically; a struct costs one (docs/performance.md).
    """


structref.define_proxy(KernelTables, _KernelTablesType, list(EngineTables._fields))


@njit(cache=True)
def _pack(*values):
    """The struct, built by a cached function.

    The proxy's own constructor is compiled afresh in every process, for every
    worker (docs/performance.md has the cost).
    """
    return KernelTables(*values)


def to_kernel(tables: EngineTables) -> KernelTables:
    """Pack tables for the kernel, with stable types so one compiled kernel serves all policies."""
    values = []
    for name, value in zip(EngineTables._fields, tables, strict=True):
        if isinstance(value, np.ndarray):
            value = np.ascontiguousarray(value)
            value.setflags(write=True) if value.flags.owndata else None
        elif name == "layout":
            value = Layout(*(int(v) for v in value))
        values.append(value)
    return _pack(*values)
