"""The server the API tests share: started once, with small limits the tests can reach."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ..conftest import POLICIES
from ..reporting.test_browser import browser  # noqa: F401 (the report tests' headless Chromium)
from ._server import Server

#: the shared server's limits: a cancel test's run fits, the limit tests pass them cheaply
MAX_CITIZENS, MAX_POLICY_BYTES, MAX_QUEUED = 2_500_000, 65_536, 2
RONGCHENG = (POLICIES / "rongcheng.toml").read_text()
#: the request most tests read results of: small, and fast to simulate
SMALL = {"policy_text": RONGCHENG, "citizens": 20_000, "days": 60, "seed": 11}


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("serve")
    with Server(folder / "runs", "--max-citizens", str(MAX_CITIZENS), "--max-policy-bytes",
                str(MAX_POLICY_BYTES), "--max-queued", str(MAX_QUEUED),
                logs=folder / "logs") as running:
        yield running.wait_ready()


@pytest.fixture(scope="session")
def small_run(server: Server) -> dict[str, Any]:
    """The SMALL request run to the end on the shared server."""
    return server.run(SMALL)
