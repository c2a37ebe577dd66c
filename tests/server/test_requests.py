"""What a client sends is checked as a file is: located errors, limits, no paths, no code.

Validation errors must read exactly as ``scorelab validate policy.toml`` prints
them; requests over a limit get 413 or 422 naming the limit; ids and file names
that try to leave the runs folder get 404 and nothing of it; code in a policy's
condition is refused by the condition grammar before anything runs.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse

import pytest
from typer.testing import CliRunner

from scorelab.cli import app

from .conftest import MAX_CITIZENS, MAX_POLICY_BYTES, RONGCHENG, SMALL

BAD_POLICIES = {
    "not TOML": RONGCHENG.replace("[score]", "[score", 1),
    "an unknown behaviour": RONGCHENG.replace('behaviour = "fraud"', 'behaviour = "frod"', 1),
    "a condition that does not parse": RONGCHENG.replace(
        "when = 'grade == \"D\"'", "when = 'grade === \"D\"'", 1),
    "a grade out of order": RONGCHENG.replace("min = 1030", "min = 1090", 1),
}


def _cli_error(tmp_path, monkeypatch, text: str) -> str:
    """What ``scorelab validate policy.toml`` prints for ``text``, less its ``error: ``."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policy.toml").write_text(text)
    result = CliRunner().invoke(app, ["validate", "policy.toml"])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") and result.output.count("\n") == 1
    return result.output.removeprefix("error: ").rstrip("\n")


@pytest.mark.parametrize("case", sorted(BAD_POLICIES))
def test_validation_errors_read_as_scorelab_validate_prints_them(server, tmp_path,
                                                                  monkeypatch, case):
    text = BAD_POLICIES[case]
    assert text != RONGCHENG, "the case changes the policy"
    response = server.client.post("/api/validate", json={"policy_text": text})
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["message"] == _cli_error(tmp_path, monkeypatch, text)
    assert error["line"] is not None
    run = server.client.post("/api/runs", json={**SMALL, "policy_text": text})
    assert run.status_code == 422 and run.json()["errors"] == [error]


def test_a_valid_policy_validates_with_its_summary(server):
    response = server.client.post("/api/validate", json={"policy_text": RONGCHENG})
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True and body["policy"]["id"] == "rongcheng"
    assert body["line"].startswith("policy.toml: valid policy 'rongcheng'")


@pytest.mark.parametrize("condition", [
    '__import__("os").system("touch {marker}")',
    'open("{marker}", "w")',
    "grade == 'A' or __builtins__.exec('open(\"{marker}\", \"w\")')",
    '[c for c in ().__class__.__base__.__subclasses__()]',
])
def test_code_in_a_condition_is_refused_with_its_place_and_nothing_runs(server, tmp_path,
                                                                        condition):
    marker = tmp_path / "pwned"
    text = RONGCHENG.replace("when = 'grade == \"D\"'",
                             "when = " + json.dumps(condition.format(marker=marker)), 1)
    before = len(server.client.get("/api/runs").json())
    response = server.client.post("/api/runs", json={**SMALL, "policy_text": text})
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["key"] == "sanctions[0].when" and error["line"] is not None
    assert error["message"].startswith(f"policy.toml:{error['line']}: sanctions[0].when: ")
    assert len(server.client.get("/api/runs").json()) == before
    assert not marker.exists()


def test_citizens_and_days_over_the_limits_are_refused_naming_them(server):
    over = server.client.post("/api/runs", json={**SMALL, "citizens": MAX_CITIZENS + 1})
    assert over.status_code == 422
    [error] = over.json()["errors"]
    assert error["limit"] == "max_citizens" and "max_citizens" in error["message"]
    assert f"{MAX_CITIZENS:,}" in error["message"]
    # the scenario's own size counts too: cameras-2018 is 200,000, not over; days are
    days = server.client.post("/api/runs", json={**SMALL, "days": 3661})
    assert days.status_code == 422 and days.json()["errors"][0]["limit"] == "max_days"


def test_policy_text_over_the_limit_is_413_naming_it(server):
    padding = "# " + "x" * 1000 + "\n"
    text = RONGCHENG + padding * (MAX_POLICY_BYTES // len(padding) + 1)
    for path in ("/api/runs", "/api/validate"):
        response = server.client.post(path, json={"policy_text": text})
        assert response.status_code == 413, response.text
        assert response.json()["errors"][0]["limit"] == "max_policy_bytes"
    whole = server.client.post("/api/runs", content=b"{" + b" " * (5 * MAX_POLICY_BYTES) + b"}",
                               headers={"content-type": "application/json"})
    assert whole.status_code == 413 and "max-policy-bytes" in whole.text


@pytest.mark.parametrize("body", [
    {"policy": "../../etc/passwd"},
    {"policy": "/etc/passwd"},
    {"policy": "rongcheng", "scenario": "../data/world-defaults"},
    {"policy": "rongcheng", "scenario": "/etc/hostname"},
    {"policy": "rongcheng", "policy_text": RONGCHENG},
    {"policy": "rongcheng", "out": "/tmp/elsewhere"},
    {"policy": "rongcheng", "seed": -1},
    {"policy": "rongcheng", "seed": 2**63},
    {"policy": "rongcheng", "citizens": "1000"},
])
def test_bad_requests_are_refused_with_one_located_error(server, body):
    response = server.client.post("/api/runs", json=body)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert errors and all(e["message"] for e in errors)


def test_a_body_that_is_not_json_and_a_missing_policy_are_one_line_each(server):
    response = server.client.post("/api/runs", content=b"{nope",
                                  headers={"content-type": "application/json"})
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["key"] == "body" and error["message"].startswith("body: not JSON")
    [missing] = server.client.post("/api/runs", json={"citizens": 10}).json()["errors"]
    assert missing["key"] == "policy" and "not both" not in missing["message"]


def test_an_unknown_path_is_a_404_page_for_a_browser_and_json_for_a_program(server):
    page = server.client.get("/nowhere", headers={"accept": "text/html,*/*"})
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]
    assert "no page " in page.text and "/nowhere" in page.text and 'href="/"' in page.text
    api = server.client.get("/api/nowhere", headers={"accept": "text/html,*/*"})
    assert api.status_code == 404 and api.json()["errors"][0]["message"] == "Not Found"


def _raw_get(server, path: str) -> tuple[int, bytes]:
    """GET ``path`` exactly as written (an HTTP client would resolve ``..`` itself)."""
    host = urllib.parse.urlsplit(server.base)
    connection = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("template", [
    "/api/runs/../catalogue.sqlite",
    "/api/runs/..%2Fcatalogue.sqlite",
    "/api/runs/%2e%2e%2fcatalogue.sqlite/summary",
    "/api/runs/..%2F..%2F..%2Fetc%2Fpasswd/files/manifest.json",
    "/api/runs/%2Fetc%2Fpasswd/files/manifest.json",
    "/api/runs/{id}/files/..%2F..%2Fcatalogue.sqlite",
    "/api/runs/{id}/files/%2e%2e%2f%2e%2e%2fsecret.txt",
    "/api/runs/{id}/files/../../secret.txt",
    "/api/runs/{id}/files//etc/passwd",
    "/api/runs/{id}/citizens/..%2F..",
    "/api/compare?a=..%2F..%2Fsecret&b={id}",
    "/api/compare/page?a={id}&b=../../secret",
    "/static/..%2F..%2F..%2Fsecret.txt",
])
def test_no_path_reaches_outside_the_runs_folder(server, small_run, template):
    secret = server.runs.parent / "secret.txt"
    secret.write_text("the secret outside the runs folder")
    status, body = _raw_get(server, template.format(id=small_run["id"]))
    assert status in (404, 422), (status, body[:200])
    assert b"the secret" not in body and b"SQLite format" not in body
    assert b"root:" not in body
