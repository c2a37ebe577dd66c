"""The engine kernel alone, on one core: µs per citizen-year, and a hash of what it wrote.

Times `run_chunk` on one chunk of a policy's world (population synthesis,
workers, Parquet files and the report left out), after a small warm-up that
loads the compiled kernel. The hash covers the chunk's day matrix, citizen
counters and ledger: an optimisation that should not change results must leave
it as it was (docs/performance.md lists the hashes at 200,000 citizens).

    python benchmarks/kernel.py                                   # rongcheng, 1,048,576 citizens
    python benchmarks/kernel.py --policy policies/court-list.toml --citizens 200000
    python benchmarks/kernel.py --baseline    # the same world with no policy: nothing replayed
"""

from __future__ import annotations

import argparse
import hashlib
import time

import numpy as np

from scorelab._resources import resolve_policy, resolve_scenario
from scorelab.engine import new_household, run_chunk, to_kernel
from scorelab.policy import load_policy
from scorelab.runner._plan import plan_run
from scorelab.runner._request import RunRequest
from scorelab.runner._worker import empty_matrix
from scorelab.world import generate, load_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--policy", default="policies/rongcheng.toml")
    parser.add_argument("--scenario", default=None, help="default: the embedded world")
    parser.add_argument("--citizens", type=float, default=1048576)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=2, help="timed runs (the best is kept)")
    parser.add_argument("--baseline", action="store_true",
                        help="time the world's no-policy baseline instead: every event is "
                             "only drawn and counted, none replayed (the engine's floor for "
                             "this world's events and daily tallies)")
    args = parser.parse_args()
    citizens = int(args.citizens)

    policy = load_policy(resolve_policy(args.policy))
    scenario = load_scenario(resolve_scenario(args.scenario) if args.scenario else None,
                             citizens=citizens, days=args.days, seed=args.seed)
    plan = plan_run(policy, scenario, RunRequest(citizens=citizens, days=args.days,
                                                 seed=args.seed, ledger_sample=0.001,
                                                 baseline=args.baseline))
    job = plan.job
    chosen = job.baseline if args.baseline else job.tables
    tables = to_kernel(chosen)

    def chunk(first: int, count: int):
        people = generate(job.seed, first, count, job.total, job.population)
        return (people.citizen_id, people.household_id, people.sex, people.age, people.region,
                people.urban, people.income_decile, people.occupation)

    warm = chunk(0, 4096)
    run_chunk(tables, new_household(chosen, 4096), empty_matrix(chosen), *warm)

    columns = chunk(0, citizens)
    best = float("inf")
    for _ in range(args.repeat):
        household = new_household(chosen, citizens)
        household.cit.fill(0)  # touch the pages first: their zeroing is not the kernel's
        matrix = empty_matrix(chosen)
        matrix.fill(0)
        start = time.process_time()
        touched, cit, ledger = run_chunk(tables, household, matrix, *columns)
        best = min(best, time.process_time() - start)
    digest = hashlib.sha256()
    for array in (matrix, cit, ledger):
        digest.update(np.ascontiguousarray(array).tobytes())
    years = args.days / 365
    label = f"{args.policy} (no-policy baseline)" if args.baseline else args.policy
    print(f"{label}: {citizens:,} citizens x {args.days} days, one core: "
          f"{1e6 * best / citizens / years:.3f} µs per citizen-year "
          f"(best of {args.repeat}); output hash {digest.hexdigest()[:16]}")


if __name__ == "__main__":
    main()
