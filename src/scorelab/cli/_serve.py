"""``scorelab serve``: the local web server, its pages and JSON API (docs/serve.md).

Registered on the application of :mod:`scorelab.cli._app` when this module is
imported; the command parses, calls :func:`scorelab.serve` with the same
keywords (which prints the URL and serves until Ctrl-C), and turns scorelab's
own errors (a port in use, a runs folder another server holds) into one line.
The defaults are the function's (tests/cli/test_cli_mirrors_api.py holds them equal).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import scorelab
from scorelab.cli._app import _fails_cleanly, app


@app.command()
@_fails_cleanly
def serve(
    runs: Annotated[Path | None, typer.Option(
        help="folder of the runs and their catalogue \\[default: ~/scorelab-runs]")] = None,
    host: Annotated[str, typer.Option(
        help="address to listen on; any but 127.0.0.1, localhost or ::1 needs a token")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port (0: any free one)")] = 8000,
    token: Annotated[str | None, typer.Option(
        help="token every request must carry \\[default: none on localhost, else generated "
             "and printed in the URL]")] = None,
    jobs: Annotated[int, typer.Option(help="runs executed at a time (job worker processes)")
    ] = 1,
    max_citizens: Annotated[int, typer.Option(help="largest population a request may ask for")
    ] = 10_000_000,
    max_days: Annotated[int, typer.Option(help="longest run a request may ask for, in days")
    ] = 3_660,
    max_policy_bytes: Annotated[int, typer.Option(
        help="largest policy or scenario text a request may send")] = 256 * 1024,
    max_queued: Annotated[int, typer.Option(help="runs that may wait for a job worker")
    ] = 32,
) -> None:
    """Serve pages and a JSON API to run policies from a browser or a program; prints the URL."""
    scorelab.serve(runs, host=host, port=port, token=token, jobs=jobs,
                   max_citizens=max_citizens, max_days=max_days,
                   max_policy_bytes=max_policy_bytes, max_queued=max_queued)
