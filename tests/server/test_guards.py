"""A server with a token answers nobody without it; one without a token answers localhost only.

``--host`` other than a loopback address always has a token (given or
generated, printed in the URL as Jupyter does); ``--token`` on localhost is
enforced the same way, which is how the token is tested here without opening
a port to the network. Starting where another server holds the port or the
runs folder is one line, not a traceback.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.parse

import httpx
import pytest

from scorelab._errors import ServerError
from scorelab.server import make_settings

from ._server import SRC, Server, wait_for

TOKEN = "a-token-for-the-tests-0123456789"


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("guarded")
    with Server(folder / "runs", "--token", TOKEN, "--jobs", "2", logs=folder / "logs",
                token=TOKEN) as running:
        yield running


def test_the_printed_url_carries_the_token(guarded):
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(guarded.url).query) == {"token": [TOKEN]}


@pytest.mark.parametrize("path", ["/api/status", "/api/runs", "/", "/docs", "/openapi.json",
                                  "/api/runs/0123456789abcdef", "/nowhere"])
def test_without_the_token_every_path_is_401(guarded, path):
    with httpx.Client(base_url=guarded.base) as anonymous:
        assert anonymous.get(path).status_code == 401
        wrong = anonymous.get(path, headers={"authorization": "Bearer not-the-token-at-all"})
        assert wrong.status_code == 401
        assert anonymous.get(path, params={"token": TOKEN[:-1]}).status_code == 401


def test_the_token_opens_by_header_query_or_the_cookie_the_query_sets(guarded):
    with httpx.Client(base_url=guarded.base) as browser:
        by_header = browser.get("/api/status", headers={"authorization": f"Bearer {TOKEN}"})
        assert by_header.status_code == 200 and "set-cookie" not in by_header.headers
        by_query = browser.get("/", params={"token": TOKEN})
        assert by_query.status_code == 200
        cookie = by_query.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert browser.get("/api/status").status_code == 200  # the cookie alone
        assert browser.get("/docs").status_code == 200


def test_without_a_token_only_requests_to_localhost_are_answered(server):
    assert server.client.get("/api/status").status_code == 200
    rebound = server.client.get("/api/status", headers={"host": "attacker.example:8000"})
    assert rebound.status_code == 403


def test_a_host_beyond_this_machine_gets_a_generated_token(tmp_path):
    settings = make_settings(tmp_path, host="0.0.0.0", port=8000)
    assert settings.token is not None and len(settings.token) >= 32
    assert settings.url() == f"http://{socket.gethostname()}:8000/?token={settings.token}"
    assert make_settings(tmp_path, host="0.0.0.0").token != settings.token
    assert make_settings(tmp_path, host="192.168.1.5", token="chosen-token").token == (
        "chosen-token")
    assert make_settings(tmp_path).token is None
    with pytest.raises(ServerError, match="--token must be at least 8"):
        make_settings(tmp_path, token="short")
    with pytest.raises(ServerError, match="--jobs must be an integer from 1"):
        make_settings(tmp_path, jobs=0)


def _serve(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC),
                                                        os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "scorelab", "serve", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_a_port_in_use_and_a_runs_folder_in_use_are_one_line_each(server, tmp_path):
    port = str(urllib.parse.urlsplit(server.base).port)
    taken = _serve("--runs", str(tmp_path / "other"), "--port", port)
    assert taken.returncode == 2
    assert taken.stderr == (f"error: port {port} on 127.0.0.1 is in use: choose another "
                            "--port, or stop the program using it\n")
    shared = _serve("--runs", str(server.runs), "--port", "0")
    assert shared.returncode == 2 and shared.stderr.count("\n") == 1
    assert shared.stderr.startswith(f"error: --runs {server.runs} is served by another "
                                    f"scorelab serve (PID {server.process.pid})")


def test_jobs_2_runs_two_jobs_at_once(guarded):
    guarded.wait_ready()
    wait_for("two ready job workers", lambda: [w["state"] for w in guarded.status()["workers"]]
             == ["ready", "ready"], seconds=120)
    jobs = [guarded.submit({"policy": "rongcheng", "citizens": 1_000_000, "days": 365,
                            "seed": seed}) for seed in (1, 2)]
    assert [job["status"] for job in jobs] == ["running", "running"]
    assert guarded.status()["running"] == 2
    for job in jobs:
        assert guarded.client.delete(f"/api/runs/{job['id']}").json()["status"] == "cancelled"
