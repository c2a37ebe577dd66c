"""``scorelab.serve``: check the options, own the runs folder, bind the port, print the URL, serve.

Data flow::

    options --make_settings--> Settings --Catalogue--> <runs>/catalogue.sqlite (one server)
        --bind--> a listening socket (its port, when 0 was asked)
        --print--> the URL on stdout (with ?token=... when there is one)
        --uvicorn--> create_app(settings, JobManager) until Ctrl-C

The web stack (FastAPI, uvicorn) is imported here, when a server starts, so
that ``import scorelab`` and the other commands never pay for it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import socket
import sys
from pathlib import Path

from scorelab._errors import ServerError
from scorelab.engine import is_compiled
from scorelab.server._catalogue import Catalogue
from scorelab.server._jobs import JobManager
from scorelab.server._settings import (
    DEFAULT_HOST,
    DEFAULT_JOBS,
    DEFAULT_MAX_CITIZENS,
    DEFAULT_MAX_DAYS,
    DEFAULT_MAX_POLICY_BYTES,
    DEFAULT_MAX_QUEUED,
    DEFAULT_PORT,
    make_settings,
)


def serve(
    runs: str | Path | None = None,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    token: str | None = None,
    jobs: int = DEFAULT_JOBS,
    max_citizens: int = DEFAULT_MAX_CITIZENS,
    max_days: int = DEFAULT_MAX_DAYS,
    max_policy_bytes: int = DEFAULT_MAX_POLICY_BYTES,
    max_queued: int = DEFAULT_MAX_QUEUED,
) -> None:
    """Serve pages and a JSON API for running policies, until Ctrl-C (``scorelab serve``).

    Prints the URL to open on stdout, as one line. Runs are written as run folders
    under ``runs`` by job worker processes; ``catalogue.sqlite`` there lists them,
    so a restarted server knows every earlier run. Call it under
    ``if __name__ == "__main__":`` in a script: the job workers are started with
    multiprocessing's ``spawn``, which imports the script again.

    Args:
        runs: the folder of runs and the catalogue; None: ``~/scorelab-runs``.
        host: the address to listen on; any but 127.0.0.1, localhost or ::1 needs a token.
        port: the TCP port; 0 picks a free one (the printed URL says which).
        token: the token every request must carry; None: none on a loopback host, else
            one generated and printed in the URL (as Jupyter does).
        jobs: job worker processes: runs executed at a time.
        max_citizens: the largest population a request may ask for.
        max_days: the longest run a request may ask for.
        max_policy_bytes: the largest policy or scenario text a request may send.
        max_queued: runs that may wait for a worker (one more gets HTTP 429).

    Raises:
        ServerError: an option out of range, the port in use, or the runs folder served
            by another live server.
    """
    settings = make_settings(runs, host=host, port=port, token=token, jobs=jobs,
                             max_citizens=max_citizens, max_days=max_days,
                             max_policy_bytes=max_policy_bytes, max_queued=max_queued)
    import uvicorn  # noqa: PLC0415 (the web stack only when a server starts)

    from scorelab.server._app import create_app  # noqa: PLC0415

    catalogue = Catalogue(settings.runs)
    try:
        listener = _bind(settings.host, settings.port)
    except BaseException:
        catalogue.close()
        raise
    settings = dataclasses.replace(settings, port=listener.getsockname()[1])
    manager = JobManager(settings, catalogue)
    try:
        config = uvicorn.Config(create_app(settings, manager), log_level="warning",
                                access_log=False, lifespan="on", timeout_graceful_shutdown=3,
                                h11_max_incomplete_event_size=settings.max_body_bytes + 16_384)
        print(settings.url(), flush=True)
        engine = ("ready to load" if is_compiled() else
                  "compiling in the background (first start only, about a minute)")
        print(f"scorelab serve: runs in {settings.runs}; {settings.jobs} job worker"
              f"{'s' if settings.jobs > 1 else ''}; the engine is {engine}; Ctrl-C stops",
              file=sys.stderr, flush=True)
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: the lifespan has cleaned up
            uvicorn.Server(config).run(sockets=[listener])
    finally:
        manager.close()
        listener.close()
        catalogue.close()


def _bind(host: str, port: int) -> socket.socket:
    """A socket listening on ``host``:``port``, or one line saying why not."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as exc:
        raise ServerError(f"--host {host}: not an address of this machine "
                          f"({exc.strerror})") from None
    listener = socket.socket(family, kind, proto)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(128)
    except OSError as exc:
        listener.close()
        if exc.errno == errno.EADDRINUSE:
            raise ServerError(f"port {port} on {host} is in use: choose another --port, or stop "
                              "the program using it") from None
        raise ServerError(f"cannot listen on {host}:{port} ({exc.strerror})") from None
    return listener
