"""A job worker: a process group of its own that warms the engine, then runs jobs one by one.

The server starts each job worker with multiprocessing's ``spawn`` (the server
has threads; forking it is unsafe). The worker leaves the server's process
group first (``os.setsid``), so the server can end it and every process its
run started (the run's local pool) with one signal to the group; and it
watches its parent, ending its whole group when the server is gone, however
the server died (a kill -9 included). Then it compiles the engine, or loads it
from the compiled-code cache, and says it is ready.

Messages over its pipe::

    server -> worker   (job_id, request, resume)
    worker -> server   ("ready", seconds) | ("broken", message)
                       ("progress", job_id, phase, done, total)
                       ("done", job_id) | ("failed", job_id, message)
                       | ("interrupted", job_id, message)

A job is one call of ``scorelab.run`` into ``<runs>/<job_id>`` (or
``scorelab.run(resume=...)`` of its staging folder): the server holds no second
implementation of a run.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import threading
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from scorelab._errors import RunInterruptedError, ScorelabError
from scorelab._run_folder import staging_of
from scorelab.engine import warm_up
from scorelab.runner import RunProgress, run
from scorelab.server._requests import POLICY_FILE, SCENARIO_FILE, shipped_scenarios

#: how often a worker looks whether the server is still its parent, in seconds
PARENT_POLL_SECONDS = 0.2
#: runs are batch work: below the web server's priority, so pages load while they go
#: (the run's pool inherits it); alone on a machine, a run is as fast as at 0
NICENESS = 5


def main(conn: Connection, runs: str, parent: int) -> None:
    """A job worker's life: its own group, the engine warm, then jobs until the pipe closes."""
    os.setsid()  # first: the server ends this group, and it holds the run's pool too
    _end_group_with(parent)
    os.nice(NICENESS)
    try:
        seconds = warm_up()
    except Exception as exc:  # the server shows it: a worker that cannot start
        conn.send(("broken", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", seconds))
    while True:
        try:
            job_id, request, resume = conn.recv()
        except (EOFError, OSError):  # the server closed the pipe: nothing more to do
            return
        conn.send(run_job(Path(runs), job_id, request, resume=resume,
                          send=conn.send))


def _end_group_with(parent: int) -> None:
    """End this process group (this worker, its run's pool) when ``parent`` is gone."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os.killpg(os.getpgrp(), signal.SIGKILL)

    threading.Thread(target=watch, daemon=True, name="scorelab-server-watch").start()


def run_job(runs: Path, job_id: str, request: dict[str, Any], *, resume: bool,
            send: Any) -> tuple:
    """Run one job into ``runs/job_id``; return the message that says how it ended.

    ``send`` carries each :class:`~scorelab.RunProgress` to the server as it comes.
    A resume continues the run's staging folder (the runner checks it is the same
    run); with no staging folder left, the job starts again from its request.
    """
    out = runs / job_id

    def progress(event: RunProgress) -> None:
        send(("progress", job_id, event.phase, event.done, event.total))

    try:
        if resume and staging_of(out).is_dir():
            run(resume=out, progress=progress)
        else:
            with tempfile.TemporaryDirectory(prefix="scorelab-job-") as folder:
                policy, scenario = _input_files(Path(folder), request)
                run(policy, scenario, citizens=request["citizens"], days=request["days"],
                    seed=request["seed"], out=out, baseline=request["baseline"],
                    ledger_sample=request["ledger_sample"], report=request["report"],
                    force=True, progress=progress)
    except RunInterruptedError as exc:
        return ("interrupted", job_id, str(exc))
    except ScorelabError as exc:
        return ("failed", job_id, str(exc))
    except Exception as exc:  # a bug: said to the client, its traceback to the operator
        traceback.print_exc(file=sys.stderr)
        return ("failed", job_id, f"internal error: {type(exc).__name__}: {exc}")
    return ("done", job_id)


def _input_files(folder: Path, request: dict[str, Any]) -> tuple[Path, Path | None]:
    """The policy file and the scenario (a file, or None for the embedded default) to run."""
    policy = folder / POLICY_FILE
    policy.write_bytes(request["policy_text"].encode("utf-8"))
    if request["scenario_text"] is not None:
        scenario = folder / SCENARIO_FILE
        scenario.write_bytes(request["scenario_text"].encode("utf-8"))
        return policy, scenario
    if request["scenario"] is not None:
        return policy, shipped_scenarios()[request["scenario"]]
    return policy, None
