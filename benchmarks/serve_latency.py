"""The three numbers of `scorelab serve`'s performance targets (issue 17), as a Markdown table.

1. From "Run" to the results a results page draws (the job done, then its
   summary, the whole population's daily series and a page of citizens), for
   100,000 citizens x 365 days with the engine warm: target under 3 s.
2. The API's overhead over `scorelab.run` in this process for the same run
   (median of --repeats, each with a fresh seed so nothing is cached): under 10%.
3. 20 concurrent page loads (`GET /`, a run's status, its summary) while a
   10,000,000-citizen run executes: each under 500 ms.

    python benchmarks/serve_latency.py                 # the targets' sizes
    python benchmarks/serve_latency.py --big 2000000   # a quicker look

The server is the real one, `python -m scorelab serve --port 0` in a
subprocess with its own runs folder; the engine is warmed before timing.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

import scorelab

SRC = Path(scorelab.__file__).resolve().parents[1]


def start_server(runs: Path, logs: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC),
                                                        os.environ.get("PYTHONPATH", "")])}
    out = (logs / "stdout.txt").open("w")
    err = (logs / "stderr.txt").open("w")
    process = subprocess.Popen([sys.executable, "-m", "scorelab", "serve", "--runs", str(runs),
                                "--port", "0", "--max-citizens", "20000000"],
                               stdout=out, stderr=err, env=env)
    out.close()
    err.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        lines = (logs / "stdout.txt").read_text().splitlines()
        if lines:
            return process, lines[0].rstrip("/")
        if process.poll() is not None:
            sys.exit((logs / "stderr.txt").read_text())
        time.sleep(0.05)
    sys.exit("the server printed no URL")


def wait(client: httpx.Client, job_id: str) -> dict:
    """Follow the run's event stream (as a page's EventSource does) until it ends."""
    with client.stream("GET", f"/api/runs/{job_id}/events") as events:
        for line in events.iter_lines():
            if line.startswith("data: "):
                job = json.loads(line[6:])
                if job["status"] not in ("queued", "running"):
                    assert job["status"] == "done", job
                    return job
    raise AssertionError(f"the events of {job_id} ended before the run")


def run_to_results(client: httpx.Client, body: dict) -> float:
    """Seconds from POST /api/runs to the data of a results page read."""
    clock = time.perf_counter()
    job = client.post("/api/runs", json=body).json()
    wait(client, job["id"])
    client.get(f"/api/runs/{job['id']}/summary").raise_for_status()
    client.get(f"/api/runs/{job['id']}/daily", params={"dimension": "all"}).raise_for_status()
    client.get(f"/api/runs/{job['id']}/citizens", params={"limit": 100}).raise_for_status()
    return time.perf_counter() - clock


def api_seconds(client: httpx.Client, body: dict) -> float:
    clock = time.perf_counter()
    wait(client, client.post("/api/runs", json=body).json()["id"])
    return time.perf_counter() - clock


def direct_seconds(body: dict, out: Path) -> float:
    clock = time.perf_counter()
    scorelab.run(body["policy"], citizens=body["citizens"], days=body["days"],
                 seed=body["seed"], out=out)
    return time.perf_counter() - clock


def loads_during(client: httpx.Client, base: str, big: dict, done_id: str) -> list[float]:
    """Latencies of 20 concurrent page loads while the big run simulates."""
    job = client.post("/api/runs", json=big).json()
    while client.get(f"/api/runs/{job['id']}").json()["progress"]["done"] == 0:
        time.sleep(0.1)  # the run is simulating (its first chunk is done)
    paths = ["/", f"/api/runs/{job['id']}", f"/api/runs/{done_id}/summary", "/api/status"]

    browsers = [httpx.Client(base_url=base, timeout=60) for _ in range(20)]  # made untimed
    start = threading.Barrier(20)

    def load(i: int) -> float:
        start.wait()  # all at once
        clock = time.perf_counter()
        browsers[i].get(paths[i % len(paths)]).raise_for_status()
        return time.perf_counter() - clock

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        latencies = list(pool.map(load, range(20)))
    for browser in browsers:
        browser.close()
    for i, path in enumerate(paths):
        print(f"{path}: {', '.join(f'{s * 1000:.0f}' for s in latencies[i::len(paths)])} ms",
              file=sys.stderr)
    assert client.get(f"/api/runs/{job['id']}").json()["status"] == "running", \
        "the big run ended before the loads: choose a bigger --big"
    client.delete(f"/api/runs/{job['id']}")
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--big", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="serve-latency-"))
    process, base = start_server(folder / "runs", folder)
    body = {"policy": "rongcheng", "citizens": args.citizens, "days": args.days}
    try:
        with httpx.Client(base_url=base, timeout=600) as client:
            while client.get("/api/status").json()["engine"] != "ready":
                time.sleep(0.1)
            api_seconds(client, {**body, "seed": 1})  # the worker's first run: warm caches
            direct_seconds({**body, "seed": 1}, folder / "direct-warm")
            results = [run_to_results(client, {**body, "seed": 100 + i})
                       for i in range(args.repeats)]
            api, direct = [], []
            for i in range(args.repeats):  # interleaved: the machine's load falls on both
                api.append(api_seconds(client, {**body, "seed": 200 + i}))
                direct.append(direct_seconds({**body, "seed": 200 + i}, folder / f"direct-{i}"))
            done_id = client.get("/api/runs").json()[0]["id"]
            loads = loads_during(client, base, {**body, "citizens": args.big, "seed": 300},
                                 done_id)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(60)
    overhead = statistics.median(api) / statistics.median(direct) - 1
    size = f"{args.citizens:,} citizens x {args.days} days"
    print("| measure | value | target |\n| --- | ---: | ---: |")
    print(f"| run to results read, {size} (median of {args.repeats}) | "
          f"{statistics.median(results):.2f} s | < 3 s |")
    print(f"| API run {statistics.median(api):.2f} s vs scorelab.run "
          f"{statistics.median(direct):.2f} s, {size} | {overhead:+.1%} | < 10% |")
    print(f"| 20 concurrent page loads during a {args.big:,}-citizen run: slowest "
          f"(median) | {max(loads) * 1000:.0f} ms ({statistics.median(loads) * 1000:.0f} ms) "
          "| < 500 ms each |")


if __name__ == "__main__":
    main()
