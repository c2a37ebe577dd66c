"""A run made ready to execute: the policy and world compiled, the citizens cut into chunks.

Data flow::

    LoadedPolicy + LoadedScenario + RunRequest
      --census, population tables, compile_tables (and the no-policy baseline)--> Job
      --plan_chunks--> spans of whole households            ==> RunPlan

``run`` and a resume plan through :func:`plan_run`; so do the tests and
``benchmarks/kernel.py`` that drive the kernel on one chunk of a real run's tables.
"""

from __future__ import annotations

from dataclasses import dataclass

from scorelab.engine import Groups, compile_tables
from scorelab.policy import LoadedPolicy, Policy
from scorelab.runner._request import RunRequest
from scorelab.runner._worker import Job
from scorelab.world import BLOCK, LoadedScenario, census_cdfs, load_census


@dataclass(frozen=True)
class RunPlan:
    """A run, ready to execute: inputs, compiled tables, chunks and options."""

    policy: LoadedPolicy
    scenario: LoadedScenario
    job: Job
    groups: Groups
    census_regions: tuple[str, ...]
    spans: list[tuple[int, int]]  # (first citizen, count) of each chunk, in order
    request: RunRequest


def plan_run(policy: LoadedPolicy, scenario: LoadedScenario, request: RunRequest) -> RunPlan:
    """Compile ``policy`` on ``scenario`` and cut the run of ``request`` into chunks.

    Raises:
        ValueError: ``scenario`` was not loaded with the request's citizens, days and seed.
    """
    world = scenario.scenario
    meta = world.scenario
    if (meta.citizens, meta.days, meta.seed) != (request.citizens, request.days, request.seed):
        raise ValueError(f"the scenario has {meta.citizens} citizens, {meta.days} days, seed "
                         f"{meta.seed}; the request {request.citizens}, {request.days}, "
                         f"{request.seed}: load the scenario with the request's")
    census = load_census(meta.census)
    population = census_cdfs(census)
    tables, groups = compile_tables(policy.policy, world, census, population.occupation_names,
                                  ledger_sample=request.ledger_sample)
    baseline_tables = None
    if request.baseline:
        baseline_tables, _ = compile_tables(without_rules(policy.policy), world, census,
                                          population.occupation_names, ledger_sample=0.0)
    job = Job(tables, population, meta.seed, meta.citizens, baseline_tables)
    spans = plan_chunks(meta.citizens, request.chunk_size)
    return RunPlan(policy, scenario, job, groups, census.region_names, spans, request)


def plan_chunks(total: int, chunk_size: int) -> list[tuple[int, int]]:
    """Cut ``total`` citizens into chunks of whole blocks (households never straddle chunks).

    >>> plan_chunks(2500, 1000)
    [(0, 1024), (1024, 1024), (2048, 452)]
    """
    size = max(BLOCK, -(-chunk_size // BLOCK) * BLOCK)
    return [(first, min(size, total - first)) for first in range(0, total, size)]


def without_rules(policy: Policy) -> Policy:
    """The same scale and grades with no rules, lists, sanctions, rewards or shaming."""
    return policy.model_copy(update={"rules": (), "lists": {}, "sanctions": (), "rewards": (),
                                     "shaming": None})
