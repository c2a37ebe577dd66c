"""A restarted server knows every earlier run; a killed one leaves no worker and no half folder.

The catalogue lives in the runs folder, so a server started again on it lists
the runs of the last one and serves their files. A server killed with
SIGKILL mid-run takes its job workers with it (each watches its parent), and
the run is left as its hidden staging folder only; the next server marks the
job interrupted, and resuming it continues with the runner's own resume.
"""

from __future__ import annotations

import signal

from ._server import Server, gone, wait_for
from .conftest import SMALL

#: long enough to be killed while it runs, short enough to resume in seconds
MEDIUM = {**SMALL, "citizens": 600_000, "days": 365, "seed": 21}


def test_a_restart_keeps_the_catalogue_and_serves_earlier_runs(tmp_path):
    runs = tmp_path / "runs"
    with Server(runs, logs=tmp_path / "first") as first:
        job = first.wait_ready().run({**SMALL, "days": 30})
        daily = first.file(job["id"], "daily.parquet")
        workers = first.worker_pids()
        assert first.stop() == 0
    assert all(gone(pid) for pid in workers), "no worker outlives a stopped server"
    with Server(runs, logs=tmp_path / "second") as second:
        [listed] = second.client.get("/api/runs").json()
        assert listed["id"] == job["id"] and listed["status"] == "done"
        assert listed["timings"] == job["timings"]
        assert second.file(job["id"], "daily.parquet") == daily
        again = second.client.post("/api/runs", json={**SMALL, "days": 30})
        assert again.status_code == 200 and again.json()["cached"] is True


def test_a_killed_server_leaves_no_worker_and_its_run_resumes(tmp_path):
    runs = tmp_path / "runs"
    with Server(runs, logs=tmp_path / "killed") as killed:
        job = killed.wait_ready().submit(MEDIUM)
        wait_for("the first chunk", lambda: (killed.job(job["id"])["progress"] or {}).get(
            "done", 0) > 0, seconds=120)
        processes = killed.descendants()
        assert processes, "the job worker runs"
        killed.process.send_signal(signal.SIGKILL)
        killed.process.wait(30)
        wait_for("every job worker to end with the server", lambda: all(
            gone(pid) for pid in processes), seconds=10)
    assert not (runs / job["id"]).exists(), "no half-written run folder"
    assert (runs / f".{job['id']}.partial").is_dir(), "its staging folder, for the resume"
    with Server(runs, logs=tmp_path / "after") as after:
        interrupted = after.job(job["id"])
        assert interrupted["status"] == "interrupted" and interrupted["resumable"] is True
        resumed = after.client.post(f"/api/runs/{job['id']}/resume")
        assert resumed.status_code == 202 and resumed.json()["status"] in ("queued", "running")
        done = after.wait_job(job["id"], "done", seconds=300)
        assert done["error"] is None
        summary = after.client.get(f"/api/runs/{job['id']}/summary").json()
        assert summary["citizens"] == MEDIUM["citizens"]
        assert after.client.post(f"/api/runs/{job['id']}/resume").status_code == 409
