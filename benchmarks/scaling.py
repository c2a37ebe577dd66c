"""Time and peak memory of `scorelab run` as the population grows (issue: whole-country scale).

Runs the command in a subprocess for each size, samples the resident memory of
the whole process tree (the run and its workers) every 0.1 s, and prints a
Markdown table: citizens, workers, wall time, microseconds per citizen-year,
citizen-days per second, peak memory. A tiny warm-up run first makes sure the
numba engine is compiled and cached, so compilation is not timed.

    python benchmarks/scaling.py --sizes 1e5 1e6 1e7 1e8 --workers 2
    python benchmarks/scaling.py --sizes 1e7 --workers 1 2     # worker speed-up
    python benchmarks/scaling.py --sizes 1411778724 --defaults  # the command as a user types it

With ``--defaults`` the command leaves out ``--workers``, ``--chunk-size`` and
``--ledger-sample``, so that scorelab chooses them from the population
(``scorelab.runner._defaults``); the table's workers column then says "auto".
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry.name))
            rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += rss.get(current, 0)
        stack.extend(children.get(current, []))
    return total


def measure(citizens: int, days: int, workers: int | None, sample: float | None, policy: str,
            chunk_size: int | None = 1 << 18) -> dict:
    """Run once; return wall seconds and peak tree memory (None: the option left out)."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "scorelab", "run", policy, "--citizens", str(citizens),
                   "--days", str(days), "--out", str(Path(tmp) / "run")]
        for option, value in (("--workers", workers), ("--ledger-sample", sample),
                              ("--chunk-size", chunk_size)):
            if value is not None:
                command += [option, str(value)]
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        peak = 0
        while process.poll() is None:
            peak = max(peak, _tree_rss(process.pid))
            time.sleep(0.1)
        wall = time.perf_counter() - start
        if process.returncode:
            raise SystemExit(process.stderr.read().decode())
    return {"citizens": citizens, "workers": workers, "wall_s": wall, "peak_gib": peak / 1024**3,
            "us_per_citizen_year": wall * 1e6 / citizens * 365 / days,
            "citizen_days_per_s": citizens * days / wall}


def main() -> None:
    """Parse options, warm up, measure each size, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e5, 1e6, 1e7])
    parser.add_argument("--workers", nargs="+", type=int, default=[2])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--ledger-sample", type=float, default=0.001)
    parser.add_argument("--policy", default=str(ROOT / "policies" / "rongcheng.toml"))
    parser.add_argument("--chunk-size", type=int, default=1 << 18)
    parser.add_argument("--defaults", action="store_true",
                        help="leave out --workers, --chunk-size and --ledger-sample")
    args = parser.parse_args()
    if args.defaults:
        args.workers, args.ledger_sample, args.chunk_size = [None], None, None
    measure(2048, 30, 1, 1.0, args.policy)  # compile and cache the engine
    print("| citizens | workers | wall (s) | µs per citizen-year | citizen-days/s "
          "| peak memory (GiB) |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for size in args.sizes:
        for workers in args.workers:
            row = measure(int(size), args.days, workers, args.ledger_sample, args.policy,
                          args.chunk_size)
            print(f"| {row['citizens']:,} | {workers or 'auto'} | {row['wall_s']:.1f} | "
                  f"{row['us_per_citizen_year']:.2f} | {row['citizen_days_per_s']:,.0f} | "
                  f"{row['peak_gib']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
