"""What a server is started with: its runs folder, address, token, job workers and limits.

``scorelab serve`` options become one frozen :class:`Settings`, checked once
(:func:`make_settings`), so the rest of the server reads plain values. A server
bound to anything but the loopback addresses needs a token: one given with
``--token``, or one generated here and printed in the URL, as Jupyter does.
A token given on a loopback address is enforced too (so a shared login can
still keep its server to the person who started it).
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path

from scorelab._errors import ServerError

#: host names that reach only this machine: no token needed there
LOOPBACK = ("127.0.0.1", "localhost", "::1")
#: addresses that bind every interface of this machine
WILDCARDS = ("0.0.0.0", "::")
DEFAULT_RUNS = Path("~/scorelab-runs")
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8000
DEFAULT_JOBS = 1
DEFAULT_MAX_CITIZENS = 10_000_000
DEFAULT_MAX_DAYS = 3_660  # ten years and a leap day or two
DEFAULT_MAX_POLICY_BYTES = 256 * 1024
DEFAULT_MAX_QUEUED = 32
#: the shortest token accepted with --token (a generated one has 43 characters)
MIN_TOKEN_CHARS = 8


@dataclass(frozen=True)
class Settings:
    """A server's runs folder, address, token, job workers and request limits.

    Attributes:
        runs: the folder of run folders and ``catalogue.sqlite`` (absolute).
        host: the address bound.
        port: the TCP port (0: any free one; the URL then says which).
        token: the token every request must carry, or None (loopback only).
        jobs: job worker processes, so runs at a time.
        max_citizens: the largest population a request may ask for.
        max_days: the longest run a request may ask for, in days.
        max_policy_bytes: the largest policy (or scenario) text, in UTF-8 bytes.
        max_queued: jobs that may wait for a worker; one more is refused (HTTP 429).
    """

    runs: Path
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    token: str | None = None
    jobs: int = DEFAULT_JOBS
    max_citizens: int = DEFAULT_MAX_CITIZENS
    max_days: int = DEFAULT_MAX_DAYS
    max_policy_bytes: int = DEFAULT_MAX_POLICY_BYTES
    max_queued: int = DEFAULT_MAX_QUEUED

    @property
    def loopback(self) -> bool:
        """Whether the server is bound to this machine only."""
        return self.host in LOOPBACK

    @property
    def max_body_bytes(self) -> int:
        """The largest request body read: a policy and a scenario text, JSON-escaped, and room.

        >>> Settings(Path("/r"), max_policy_bytes=1000).max_body_bytes
        69536
        """
        return 4 * self.max_policy_bytes + 64 * 1024

    def public(self, message: str) -> str:
        """``message`` without the server's paths: a run folder is named by its id.

        >>> Settings(Path("/srv/runs")).public("/srv/runs/0123456789abcdef: incomplete")
        '0123456789abcdef: incomplete'
        """
        return message.replace(f"{self.runs}{os.sep}", "").replace(str(self.runs), "runs")

    def url(self, port: int | None = None) -> str:
        """The server's address, with its token as a query like Jupyter's.

        Bound to every address (``0.0.0.0``, ``::``), it names this machine by its
        host name, which others can reach where 0.0.0.0 means nothing to them.

        >>> Settings(Path("/r"), host="::1", port=8000).url()
        'http://[::1]:8000/'
        >>> Settings(Path("/r"), token="abcdefgh").url(8123)
        'http://127.0.0.1:8123/?token=abcdefgh'
        """
        host = socket.gethostname() if self.host in WILDCARDS else self.host
        host = f"[{host}]" if ":" in host else host
        query = f"?token={self.token}" if self.token else ""
        return f"http://{host}:{self.port if port is None else port}/{query}"


def make_settings(runs: str | Path | None = None, *, host: str = DEFAULT_HOST,
                  port: int = DEFAULT_PORT, token: str | None = None, jobs: int = DEFAULT_JOBS,
                  max_citizens: int = DEFAULT_MAX_CITIZENS, max_days: int = DEFAULT_MAX_DAYS,
                  max_policy_bytes: int = DEFAULT_MAX_POLICY_BYTES,
                  max_queued: int = DEFAULT_MAX_QUEUED) -> Settings:
    """Check ``scorelab serve``'s options and resolve them (the runs folder, a token).

    Raises:
        ServerError: an option out of its range, naming it.
    """
    # (the scenario's own bounds still hold under --max-citizens: 2,000,000,000 citizens)
    bounds = {"--port": (port, 0, 65_535), "--jobs": (jobs, 1, 256),
              "--max-citizens": (max_citizens, 1, 2_000_000_000),
              "--max-days": (max_days, 1, 36_600),  # the scenario schema's bound
              "--max-policy-bytes": (max_policy_bytes, 1024, 1 << 20),
              "--max-queued": (max_queued, 0, 100_000)}
    for option, (value, low, high) in bounds.items():
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ServerError(f"{option} must be an integer from {low:,} to {high:,}, "
                              f"got {value!r}")
    if not host or any(c.isspace() for c in host):
        raise ServerError(f"--host must be a host name or address, got {host!r}")
    if token is not None and (len(token) < MIN_TOKEN_CHARS or not token.isprintable()
                              or any(c.isspace() for c in token)):
        raise ServerError(f"--token must be at least {MIN_TOKEN_CHARS} printable characters "
                          "without spaces")
    if token is None and host not in LOOPBACK:
        token = secrets.token_urlsafe(32)  # printed in the URL, as Jupyter does
    folder = Path(runs).expanduser() if runs is not None else DEFAULT_RUNS.expanduser()
    return Settings(runs=folder.resolve(), host=host, port=port, token=token, jobs=jobs,
                    max_citizens=max_citizens, max_days=max_days,
                    max_policy_bytes=max_policy_bytes, max_queued=max_queued)
