"""Policy cases: replay a scripted history for one household and read the outcome.

A case says who lives in the household and what happens to them on which day
(a sensor records a behaviour, someone tries to buy a ticket), and the engine
replays exactly that, with no random behaviour, appeals or compliance. It is
how shipped policies are tested rule by rule (``tests/policies/cases``) and how
an analyst asks "what would this policy do to a person who ...".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from scorelab._resources import resolve_policy
from scorelab.engine._citizen_counters import CIT_COUNTERFACTUAL_SCORE, CIT_DENIALS
from scorelab.engine._household import FILL_LEDGER
from scorelab.engine._kernel import new_household, replay_household
from scorelab.engine._packing import SENSOR_SLOTS
from scorelab.engine._state import (
    ALLOWED,
    ATTEMPT,
    DENIED,
    DISCOUNTED,
    FALSE,
    GRADE,
    L_CITIZEN,
    L_DAY,
    L_DELTA,
    L_KIND,
    L_RULE,
    L_WRONGFUL,
    LISTED,
    RECORD,
    SCORE,
    WRONGLY_DENIED,
)
from scorelab.engine._tables import LEDGER_KINDS, compile_tables, to_kernel
from scorelab.policy import LoadedPolicy, load_policy
from scorelab.world import (
    BEHAVIOUR_NAMES,
    SENSOR_NAMES,
    SERVICE_NAMES,
    census_cdfs,
    load_census,
    load_scenario,
)

OUTCOMES = {ALLOWED: "allowed", DENIED: "denied", DISCOUNTED: "discounted",
            WRONGLY_DENIED: "wrongly_denied"}


@dataclass(frozen=True)
class CaseResult:
    """Where a scripted history leaves each member, and what each attempt got."""

    members: list[dict[str, Any]]
    outcomes: list[str]
    ledger: list[dict[str, Any]] = field(default_factory=list)


def _member_columns(members: list[dict[str, Any]], occupations: tuple[str, ...],
                    regions: tuple[str, ...]) -> tuple[np.ndarray, ...]:
    n = len(members)
    sex = np.array([0 if m.get("sex", "male") == "male" else 1 for m in members], np.int8)
    age = np.array([m.get("age", 35) for m in members], np.int16)
    region = np.array([regions.index(m.get("region", regions[0])) for m in members], np.int16)
    urban = np.array([1 if m.get("urban", True) else 0 for m in members], np.int8)
    income = np.array([m.get("income_decile", 5) - 1 for m in members], np.int8)
    occupation = np.array([occupations.index(m.get("occupation", "services"))
                           if m.get("age", 35) >= 18 else occupations.index("minor")
                           for m in members], np.int8)
    return np.arange(n, dtype=np.int64), sex, age, region, urban, income, occupation


def _events(events: list[dict[str, Any]], n_members: int) -> tuple[np.ndarray, np.ndarray]:
    ev_t = np.empty(len(events))
    ev_d = np.zeros((len(events), 4), np.int64)
    for i, event in enumerate(events):
        member = event.get("member", 0)
        if not 0 <= member < n_members:
            raise ValueError(f"event {i}: member {member} is not in the household")
        ev_t[i] = event["day"] + 0.5 + i * 1e-6  # listed order within a day
        if "attempt" in event:
            ev_d[i] = (ATTEMPT, member, SERVICE_NAMES.index(event["attempt"]), i)
        else:
            behaviour = BEHAVIOUR_NAMES.index(event["record"])
            sensor = SENSOR_NAMES.index(event["sensor"])
            kind = FALSE if event.get("wrongful", False) else RECORD
            stream = behaviour * SENSOR_SLOTS + sensor  # as _packing.false_stream numbers it
            ev_d[i] = (kind, member, stream, i)
    return ev_t, ev_d


def replay_case(
    policy: str | Path | LoadedPolicy,
    *,
    members: list[dict[str, Any]],
    events: list[dict[str, Any]],
    start_date: dt.date = dt.date(2018, 1, 1),
    days: int | None = None,
) -> CaseResult:
    """Replay ``events`` for a household of ``members`` under ``policy``.

    Members are tables of ``age``, ``sex``, ``urban``, ``region``,
    ``income_decile`` and ``occupation`` (defaults: a 35-year-old urban man).
    Events are ``{day, record, sensor[, member, wrongful]}`` or
    ``{day, attempt[, member]}``; events on one day happen in the listed order.
    """
    loaded = policy if isinstance(policy, LoadedPolicy) else load_policy(resolve_policy(policy))
    horizon = days or (max((e["day"] for e in events), default=0) + 1)
    base = load_scenario(None, citizens=len(members), days=horizon)
    world = base.scenario.model_copy(update={
        "scenario": base.scenario.scenario.model_copy(update={"start_date": start_date}),
        "appeals": base.scenario.appeals.model_copy(update={"share_true": 0.0,
                                                             "share_wrongful": 0.0}),
        "compliance": base.scenario.compliance.model_copy(update={"rate_per_year": 0.0}),
    })
    census = load_census(world.scenario.census)
    people = census_cdfs(census)
    tables, _ = compile_tables(loaded.policy, world, census, people.occupation_names)
    columns = _member_columns(members, people.occupation_names, census.region_names)
    ev_t, ev_d = _events(events, len(members))
    household = new_household(tables, len(members))
    replay_household(to_kernel(tables), household, ev_t, ev_d, *columns)
    return _result(loaded, household, ev_d, len(members))


def _result(loaded: LoadedPolicy, household: Any, ev_d: np.ndarray, n: int) -> CaseResult:
    policy = loaded.policy
    state, cit = household.state, household.cit
    out = []
    for m in range(n):
        listed = [name for i, name in enumerate(policy.list_names) if state[0, m, LISTED] >> i & 1]
        out.append({
            "score": int(state[0, m, SCORE]), "grade": policy.grade_names[state[0, m, GRADE]],
            "listed": listed, "denials": int(cit[m, CIT_DENIALS]),
            "counterfactual_score": int(cit[m, CIT_COUNTERFACTUAL_SCORE]),
        })
    attempts = [i for i in range(ev_d.shape[0]) if ev_d[i, 0] == ATTEMPT]
    outcomes = [OUTCOMES[int(household.outcome[i])] for i in attempts]
    rules = [r.id for r in policy.rules]
    ledger = [{"member": int(row[L_CITIZEN]), "day": int(row[L_DAY]),
               "rule": rules[row[L_RULE]] if row[L_RULE] >= 0 else "decay",
               "delta": int(row[L_DELTA]), "kind": LEDGER_KINDS[row[L_KIND]],
               "wrongful": bool(row[L_WRONGFUL])}
              for row in household.ledger[: household.fill[FILL_LEDGER]]]
    return CaseResult(members=out, outcomes=outcomes, ledger=ledger)
