"""A share code carries a run's whole request: another server runs the identical simulation.

The code decodes to the job's request; posted on a second server with its own
runs folder, it gets the same id (the request's content hash) and writes a
byte-equal daily.parquet. A code that is not one, or hides an oversized or
invalid request, is refused like a request.
"""

from __future__ import annotations

import base64
import json
import zlib

from ._server import Server
from .conftest import MAX_POLICY_BYTES, RONGCHENG


def _code(value: object) -> str:
    return base64.urlsafe_b64encode(zlib.compress(json.dumps(value).encode())).decode()


def test_a_share_code_decodes_to_its_request(server, small_run):
    shared = server.client.get(f"/api/runs/{small_run['id']}/share").json()
    assert shared["url"] == f"/share/{shared['code']}"
    decoded = server.client.get(f"/api/share/{shared['code']}").json()
    assert decoded["id"] == small_run["id"]
    assert decoded["request"] == server.job(small_run["id"])["request"]
    assert decoded["job"]["status"] == "done"
    again = server.client.post(shared["api"])
    assert again.status_code == 200 and again.json()["cached"] is True


def test_another_server_runs_a_share_code_to_the_same_bytes(server, small_run, tmp_path):
    code = server.client.get(f"/api/runs/{small_run['id']}/share").json()["code"]
    with Server(tmp_path / "runs", logs=tmp_path / "logs") as other:
        response = other.client.post(f"/api/share/{code}")
        assert response.status_code == 202, response.text
        assert response.json()["id"] == small_run["id"]
        other.wait_ready().wait_job(small_run["id"], "done")
        assert other.file(small_run["id"], "daily.parquet") == server.file(
            small_run["id"], "daily.parquet")


def test_what_is_not_a_share_code_is_refused(server):
    for code in ("not-a-code", _code([1, 2]), _code({"policy": "rongcheng", "out": "/tmp"})):
        response = server.client.get(f"/api/share/{code}")
        assert response.status_code == 422, (code, response.text)
    bomb = base64.urlsafe_b64encode(zlib.compress(b'{"policy_text": "' + b" " * (
        8 * MAX_POLICY_BYTES) + b'"}', 9)).decode()
    assert server.client.get(f"/api/share/{bomb}").status_code == 413
    injected = _code({"policy_text": RONGCHENG.replace(
        "when = 'grade == \"D\"'", "when = '__import__(\"os\")'", 1)})
    refused = server.client.post(f"/api/share/{injected}")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["key"] == "sanctions[0].when"
