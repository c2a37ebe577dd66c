"""The experiment machinery's overhead: a Sobol experiment's wall time per simulation (issue 16).

Times one warm simulation (``scorelab.run`` of 10,000 citizens x 365 days with
``report=False`` and ``ledger_sample=0.0``: the kernel and the run folder's files,
as each simulation of an experiment writes them), then a Sobol experiment of at least 1,000 such
simulations on the local pool, and prints

    wall time per simulation / (one warm simulation / workers)

which issue 16 wants under 1.5 (the machinery's overhead under 50%). While the
experiment runs, the resident memory of this process and its workers is
sampled every 0.25 s: the peak in the first and the last quarter of the
simulations shows whether memory stays flat as simulations accumulate.

    python benchmarks/experiment_overhead.py                  # 1,024 simulations, 2 workers
    python benchmarks/experiment_overhead.py --samples 32     # 128 simulations: a quick look
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

import psutil

import scorelab

EXPERIMENT = """
[experiment]
name = "overhead benchmark"
policy = "rongcheng"
citizens = {citizens}
days = {days}
replicates = 1
seed = 16
design = "sobol"
samples = {samples}
outputs = ["share_below_A", "records", "wrongful_denials", "rewards_yuan"]

[[factor]]
path = "policy.rules.traffic_ticket.points"
range = [-10, -1]

[[factor]]
path = "policy.grades.A.min"
range = [900, 1000]
"""


def tree_rss() -> int:
    """Resident bytes of this process and its children (the pool's workers)."""
    me = psutil.Process()
    total = me.memory_info().rss
    for child in me.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.Error:
            continue
    return total


def warm_simulation(citizens: int, days: int, folder: Path, repeat: int) -> float:
    """Median seconds of one simulation after an untimed one that loads the engine."""
    times = []
    for i in range(repeat + 1):
        clock = time.perf_counter()
        scorelab.run("rongcheng", citizens=citizens, days=days, seed=100 + i,
                     out=folder / f"warm-{i}", report=False, ledger_sample=0.0)
        if i:
            times.append(time.perf_counter() - clock)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--samples", type=int, default=256,
                        help="Sobol base samples N (a power of 2): N x 4 simulations")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=9, help="timed warm simulations")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        one = warm_simulation(args.citizens, args.days, folder, args.repeat)
        path = folder / "overhead.toml"
        path.write_text(EXPERIMENT.format(citizens=args.citizens, days=args.days,
                                          samples=args.samples))
        simulations = args.samples * 4
        samples: list[tuple[int, int]] = []  # (simulations done, bytes)
        done = 0
        stop = threading.Event()

        def sample_memory() -> None:
            while not stop.is_set():
                samples.append((done, tree_rss()))
                stop.wait(0.25)

        def progress(event: scorelab.ExperimentProgress) -> None:
            nonlocal done
            done = event.done

        sampler = threading.Thread(target=sample_memory, daemon=True)
        sampler.start()
        clock = time.perf_counter()
        scorelab.experiment(path, out=folder / "experiment", workers=args.workers,
                            progress=progress)
        wall = time.perf_counter() - clock
        stop.set()
        sampler.join()

    per_simulation = wall / simulations
    ideal = one / args.workers
    quarter = simulations // 4
    first = max((b for d, b in samples if d <= quarter), default=0)
    last = max((b for d, b in samples if d >= simulations - quarter), default=0)
    print("| simulations | citizens x days | workers | one warm simulation | "
          "experiment wall | per simulation | ratio to one / workers | "
          "peak memory, first quarter | last quarter |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"| {simulations:,} | {args.citizens:,} x {args.days} | {args.workers} | {one:.3f} s | "
          f"{wall:.1f} s | {per_simulation:.3f} s | **{per_simulation / ideal:.2f}** | "
          f"{first / 2**20:,.0f} MiB | {last / 2**20:,.0f} MiB |")


if __name__ == "__main__":
    main()
