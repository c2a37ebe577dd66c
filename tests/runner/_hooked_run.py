"""Run the ``scorelab`` command with a hook in its progress callback, for stop tests.

Usage: python _hooked_run.py ACTION PHASE MIN_DONE -- scorelab arguments...

When the run reports ``PHASE`` with at least ``MIN_DONE`` done, the hook acts:
``kill`` sends SIGKILL to this process (a crash at that very point); ``pause``
prints READY and waits until the file named by $SCORELAB_TEST_GO exists, so
that the test can signal or inspect a live run at a known point.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import scorelab
from scorelab.cli import app


def main() -> None:
    """Run the command line given after ``--`` with the hook in place."""
    action, phase, min_done = sys.argv[1], sys.argv[2], int(sys.argv[3])
    arguments = sys.argv[sys.argv.index("--") + 1:]
    real_run = scorelab.run
    fired = []

    def hooked_run(*args, progress=None, **kwargs):
        def hook(event):
            if progress is not None:
                progress(event)
            if fired or event.phase != phase or event.done < min_done:
                return
            fired.append(event)
            if action == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            print("READY", flush=True)
            go = Path(os.environ["SCORELAB_TEST_GO"])
            while not go.exists():
                time.sleep(0.01)

        return real_run(*args, progress=hook, **kwargs)

    scorelab.run = hooked_run
    sys.argv = ["scorelab", *arguments]
    app()


if __name__ == "__main__":
    main()
