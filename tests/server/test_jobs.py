"""Jobs run outside the server, one worker process group each; cancel ends the whole group.

A run of 2,000,000 citizens uses the runner's local pool, so the job worker has
children: a cancel must end them all (checked with psutil), leave no staging
folder, and leave a fresh worker that runs the next job. The queue is FIFO,
shows each job's place, and refuses one job past ``max_queued`` with 429.
"""

from __future__ import annotations

import os
import shutil
import signal

import psutil

from ._server import gone, wait_for
from .conftest import MAX_QUEUED, SMALL

#: long enough to cancel while it runs, with the runner's pool of workers
LONG = {**SMALL, "citizens": 2_000_000, "days": 365}


def _running_group(server, job_id: str) -> list[int]:
    """The pids of the job's worker and of its run's pool, once the pool is up.

    (On one core the runner simulates in the worker itself: then there is no pool.)
    """
    server.wait_job(job_id, "running", seconds=60)

    def group() -> list[int] | None:
        worker = next((w["pid"] for w in server.status()["workers"] if w["job"] == job_id),
                      None)
        if worker is None:
            return None
        children = [p.pid for p in psutil.Process(worker).children(recursive=True)]
        return [worker, *children] if children or os.cpu_count() == 1 else None

    return wait_for("the run's pool to start", group, seconds=120)


def test_cancel_ends_every_process_of_the_job_and_the_next_job_runs(server):
    job = server.submit({**LONG, "seed": 101})
    pids = _running_group(server, job["id"])
    assert all(os.getpgid(pid) == pids[0] for pid in pids), "one process group of its own"
    assert os.getpgid(pids[0]) != os.getpgid(server.process.pid)
    response = server.client.delete(f"/api/runs/{job['id']}")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    wait_for("the job's processes to end", lambda: all(gone(pid) for pid in pids), seconds=10)
    assert not (server.runs / f".{job['id']}.partial").exists(), "no staging folder left"
    assert not (server.runs / job["id"]).exists()
    assert server.client.delete(f"/api/runs/{job['id']}").status_code == 409
    assert server.run({**SMALL, "seed": 102, "days": 30})["status"] == "done"
    assert server.status()["workers"][0]["pid"] != pids[0], "a fresh worker"


def test_the_queue_is_fifo_bounded_and_shows_places(server):
    long = server.submit({**LONG, "seed": 103})
    server.wait_job(long["id"], "running", seconds=60)
    queued = [server.submit({**SMALL, "seed": 200 + i, "days": 30}) for i in range(MAX_QUEUED)]
    assert [job["status"] for job in queued] == ["queued"] * MAX_QUEUED
    assert [server.job(job["id"])["position"] for job in queued] == list(range(1, MAX_QUEUED + 1))
    full = server.client.post("/api/runs", json={**SMALL, "seed": 299, "days": 30})
    assert full.status_code == 429
    assert full.json()["errors"][0]["limit"] == "max_queued"
    assert "max_queued" in full.json()["errors"][0]["message"]
    assert server.status()["queued"] == MAX_QUEUED
    dropped = server.client.delete(f"/api/runs/{queued[0]['id']}").json()
    assert dropped["status"] == "cancelled"
    assert server.job(queued[1]["id"])["position"] == 1
    assert server.client.delete(f"/api/runs/{long['id']}").json()["status"] == "cancelled"
    assert server.wait_job(queued[1]["id"])["status"] == "done"
    assert server.job(queued[0]["id"])["status"] == "cancelled"


def test_a_worker_killed_from_outside_interrupts_its_job_and_is_replaced(server):
    job = server.submit({**LONG, "seed": 104})
    pids = _running_group(server, job["id"])
    os.kill(pids[0], signal.SIGKILL)  # the worker alone: its pool dies with it
    interrupted = server.wait_job(job["id"], "interrupted", seconds=30)
    assert "ended unexpectedly" in interrupted["error"] and interrupted["resumable"]
    wait_for("the pool to end with its worker", lambda: all(gone(pid) for pid in pids),
             seconds=10)
    assert server.run({**SMALL, "seed": 105, "days": 30})["status"] == "done"
    assert pids[0] not in server.worker_pids()
    shutil.rmtree(server.runs / f".{job['id']}.partial")  # not resumed here


def test_a_done_run_whose_folder_was_removed_runs_again(server):
    first = server.run({**SMALL, "seed": 106, "days": 30})
    shutil.rmtree(server.runs / first["id"])
    assert server.client.get(f"/api/runs/{first['id']}").status_code == 404
    again = server.client.post("/api/runs", json={**SMALL, "seed": 106, "days": 30})
    assert again.status_code == 202 and again.json()["id"] == first["id"]
    assert server.wait_job(first["id"], "done")["timings"] != first["timings"]
    assert (server.runs / first["id"] / "manifest.json").is_file()
