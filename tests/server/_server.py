"""The real server for tests: ``scorelab serve`` in a subprocess on a free localhost port.

It is started as a person starts it (``python -m scorelab serve --port 0``), its
URL read from the line it prints, and spoken to over HTTP with httpx. Waiting
is always polling with a deadline, never a sleep that hides a race.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psutil

import scorelab

SRC = Path(scorelab.__file__).resolve().parents[1]
#: a cold compiled-code cache compiles the engine first: minutes on a busy machine
ENGINE_DEADLINE = 900.0
T = TypeVar("T")


def wait_for(what: str, check: Callable[[], T], *, seconds: float = 60.0,
             every: float = 0.05) -> T:
    """Poll ``check`` until it returns something true; fail naming ``what`` at the deadline."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")
        time.sleep(every)


def gone(pid: int) -> bool:
    """Whether a process has ended (a zombie waiting to be reaped has)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


class Server:
    """One ``scorelab serve`` process; ``client`` speaks to it (the token sent when given)."""

    def __init__(self, runs: Path, *options: str, logs: Path, token: str | None = None) -> None:
        self.runs, self.logs = runs, logs
        logs.mkdir(parents=True, exist_ok=True)
        self.stdout_path, self.stderr_path = logs / "stdout.txt", logs / "stderr.txt"
        env = {**os.environ,
               "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
        args = [sys.executable, "-m", "scorelab", "serve", "--runs", str(runs), "--port", "0",
                *options]
        with self.stdout_path.open("w") as out, self.stderr_path.open("w") as err:
            self.process = subprocess.Popen(args, stdout=out, stderr=err, env=env)
        self.url = wait_for("the server's URL", self._printed_url)
        self.base = self.url.split("?")[0].rstrip("/")
        headers = {"authorization": f"Bearer {token}"} if token else {}
        self.client = httpx.Client(base_url=self.base, timeout=60, headers=headers)

    def _printed_url(self) -> str | None:
        if self.process.poll() is not None:
            raise AssertionError(f"scorelab serve ended ({self.process.returncode}): "
                                 f"{self.stderr_path.read_text()}")
        for line in self.stdout_path.read_text().splitlines():
            if line.startswith("http://"):
                return line.strip()
        return None

    def wait_ready(self) -> Server:
        """Wait until the engine is warm in a job worker."""

        def ready() -> bool:
            status = self.client.get("/api/status").json()
            assert status["engine"] != "failed", status
            return status["engine"] == "ready"

        wait_for("the engine to be ready", ready, seconds=ENGINE_DEADLINE, every=0.1)
        return self

    def status(self) -> dict[str, Any]:
        return self.client.get("/api/status").json()

    def worker_pids(self) -> list[int]:
        return [worker["pid"] for worker in self.status()["workers"]]

    def submit(self, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post("/api/runs", json=body)
        assert response.status_code in (200, 202), response.text
        return response.json()

    def job(self, job_id: str) -> dict[str, Any]:
        return self.client.get(f"/api/runs/{job_id}").json()

    def wait_job(self, job_id: str, *statuses: str, seconds: float = 120.0) -> dict[str, Any]:
        """Wait until the job has one of ``statuses`` (default: ended); fail if it failed."""
        wanted = statuses or ("done", "failed", "cancelled", "interrupted")

        def reached() -> dict[str, Any] | None:
            job = self.job(job_id)
            if job["status"] == "failed" and "failed" not in wanted:
                raise AssertionError(f"job {job_id} failed: {job['error']}")
            return job if job["status"] in wanted else None

        return wait_for(f"job {job_id} to be {' or '.join(wanted)}", reached, seconds=seconds)

    def run(self, body: dict[str, Any], seconds: float = 120.0) -> dict[str, Any]:
        """Submit and wait until done."""
        job = self.submit(body)
        return self.wait_job(job["id"], "done", seconds=seconds)

    def file(self, job_id: str, name: str) -> bytes:
        response = self.client.get(f"/api/runs/{job_id}/files/{name}")
        assert response.status_code == 200, response.text
        return response.content

    def descendants(self) -> list[int]:
        try:
            return [p.pid for p in psutil.Process(self.process.pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def stop(self, how: int = signal.SIGINT, seconds: float = 30.0) -> int:
        """End the server as Ctrl-C does (or with ``how``); return its exit status."""
        self.client.close()
        if self.process.poll() is None:
            self.process.send_signal(how)
        try:
            return self.process.wait(seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"scorelab serve did not stop within {seconds:.0f} s") from None

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.stop()
        self.client.close()
