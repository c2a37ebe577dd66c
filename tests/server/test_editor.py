"""The editor's endpoints: a policy text as controls, values written in place, checks, the diff.

A control names its key as the loader's errors do, so an invalid value's error
lands beside it; writing a value changes that value's characters and nothing
else (comments and layout stay, the document read back is the old one with
that value set); what cannot be written in place is refused, naming the text
view as the place for it.
"""

from __future__ import annotations

import difflib
import tomllib

import pyarrow.parquet as pq
import pytest

from scorelab.server._editing import controls, edit_text

from ..conftest import POLICIES
from .conftest import RONGCHENG

SHIPPED = sorted(POLICIES.glob("*.toml"))


def _edit(server, text: str, values: dict) -> str:
    response = server.client.post("/api/edit", json={"text": text, "set": values})
    assert response.status_code == 200, response.text
    return response.json()["text"]


def _changed(before: str, after: str) -> list[str]:
    """The lines removed and added, sorted."""
    return sorted(line for line in difflib.unified_diff(before.split("\n"), after.split("\n"),
                                                  lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---")))


def _every_control(text: str) -> list[dict]:
    return [c for section in controls(text) for item in section["items"]
            for c in item["controls"]]


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_control_written_back_as_it_is_leaves_the_shipped_text_as_it_was(path):
    text = path.read_text()
    editable = [c for c in _every_control(text) if c["editable"] and c["value"] is not None]
    assert editable
    for control in editable:
        assert edit_text(text, {control["key"]: control["value"]}) == text, control["key"]


def test_controls_cover_every_rule_grade_sanction_and_reward(server):
    response = server.client.post("/api/policy/controls", json={"policy_text": RONGCHENG})
    assert response.status_code == 200
    sections = {s["title"]: s["items"] for s in response.json()["sections"]}
    policy = tomllib.loads(RONGCHENG)
    assert [i["title"] for i in sections["Rules"]] == [r["id"] for r in policy["rules"]]
    assert [i["title"] for i in sections["Grades"]] == [g["name"] for g in policy["grades"]]
    assert [i["title"] for i in sections["Sanctions"]] == [s["id"] for s in policy["sanctions"]]
    assert [i["title"] for i in sections["Rewards"]] == [r["id"] for r in policy["rewards"]]
    assert [i["title"] for i in sections["Lists"]] == list(policy.get("lists", {}))
    by_name = {c["name"]: c for c in sections["Rules"][0]["controls"]}
    assert by_name["sensors"]["kind"] == "choices" and by_name["sensors"]["value"] == ["bank"]
    assert "camera" in by_name["sensors"]["choices"] and by_name["sensors"]["editable"]
    assert by_name["behaviour"]["value"] == "overdue_payment"
    points = by_name["points"]
    assert points == {**points, "key": "rules[0].points", "value": -10, "line": 74,
                      "path": "policy.rules.overdue_bank_payment.points", "editable": True}
    assert RONGCHENG.split("\n")[points["line"] - 1] == "points = -10"


@pytest.mark.parametrize(("policy", "key"), [("rongcheng", "rules[1].expiry_days"),
                                             ("rongcheng", "grades[2].min"),
                                             ("court-list", "lists.court.duration_days"),
                                             ("rongcheng", "sanctions[0].service")])
def test_an_invalid_value_is_refused_by_the_loader_naming_its_controls_key(server, policy,
                                                                           key):
    text = (POLICIES / f"{policy}.toml").read_text()
    [control] = [c for c in _every_control(text) if c["key"] == key]
    wrong = {"integer": 2_000_000_000, "choice": "spaceship"}[control["kind"]]  # out of bounds
    edited = _edit(server, text, {key: wrong})
    checked = server.client.post("/api/policy/check", json={"policy_text": edited})
    assert checked.status_code == 200 and checked.json()["ok"] is False
    [error] = checked.json()["errors"]
    assert error["key"] == key and error["line"] == control["line"]
    validated = server.client.post("/api/validate", json={"policy_text": edited})
    assert validated.status_code == 422 and validated.json()["errors"] == [error]


def test_a_value_changes_only_its_own_characters(server):
    edited = _edit(server, RONGCHENG, {"rules[0].points": -20,
                                       "rules[0].cap.max_points": 100})
    assert _changed(RONGCHENG, edited) == [
        "+cap = { max_points = 100, period_days = 365 }", "+points = -20",
        "-cap = { max_points = 120, period_days = 365 }", "-points = -10"]
    check = server.client.post("/api/policy/check", json={"policy_text": edited}).json()
    assert check["ok"] is True and check["line"].startswith("policy.toml: valid policy")


def test_a_missing_optional_key_is_added_to_its_table_and_null_removes_it(server):
    added = _edit(server, RONGCHENG, {"rules[6].expiry_days": 30})
    assert _changed(RONGCHENG, added) == ["+expiry_days = 30"]
    assert tomllib.loads(added)["rules"][6]["expiry_days"] == 30
    assert _edit(server, added, {"rules[6].expiry_days": None}) == RONGCHENG
    removed = _edit(server, RONGCHENG, {"rules[1].expiry_days": None})
    assert "expiry_days" not in tomllib.loads(removed)["rules"][1]


def test_text_keeps_its_quotes_and_a_start_date_stays_a_date(server):
    edited = _edit(server, RONGCHENG, {"sanctions[0].when": 'grade in ["C", "D"]',
                                       "sanctions[1].service": "train"})
    assert _changed(RONGCHENG, edited) == [
        "+service = \"train\"", "+when = 'grade in [\"C\", \"D\"]'",
        "-service = \"property\"", "-when = 'grade == \"D\"'"]
    scenario = server.client.get("/api/scenarios/default").json()["text"]
    dated = _edit(server, scenario, {"scenario.start_date": "2019-03-01"})
    assert str(tomllib.loads(dated)["scenario"]["start_date"]) == "2019-03-01"
    assert len(_changed(scenario, dated)) == 2


def test_a_set_of_names_is_written_as_an_array_in_place_and_checked_by_the_loader(server):
    court = (POLICIES / "court-list.toml").read_text()
    edited = _edit(server, court, {"lists.court.entry_sensors": ["court", "bank"]})
    assert _changed(court, edited) == ['+entry_sensors = ["court", "bank"]',
                                       '-entry_sensors = ["court"]']
    shaming = (POLICIES / "jaywalking-shaming.toml").read_text()
    [screens] = {s["title"]: s["items"] for s in controls(shaming)}["Shaming"]
    assert [c["key"] for c in screens["controls"]] == ["shaming.behaviours", "shaming.sensors"]
    wrong = _edit(server, shaming, {"shaming.sensors": ["camera", "spaceship"]})
    [error] = server.client.post("/api/policy/check", json={"policy_text": wrong}).json()[
        "errors"]
    assert error["key"] == "shaming.sensors[1]" and error["line"] == screens["controls"][1][
        "line"]


def test_an_array_over_several_lines_is_left_to_the_text_view(server):
    text = RONGCHENG.replace('sensors = ["bank"]', 'sensors = [\n  "bank",\n]', 1)
    [sensors] = [c for c in _every_control(text) if c["key"] == "rules[0].sensors"]
    assert not sensors["editable"] and "TOML text" in sensors["hint"]
    response = server.client.post("/api/edit", json={"text": text,
                                                     "set": {"rules[0].sensors": ["court"]}})
    assert response.status_code == 422, response.text


@pytest.mark.parametrize("values", [{"rules[0].sensors": ["bank", 1]},  # not names
                                    {"policy.notes": "short"},  # a multi-line string
                                    {"rules[99].points": 1},  # no such table
                                    {"rules[0].cap.nothing": 1},  # not in the inline table
                                    {"rules..points": 1},  # not a key
                                    {"rules[0].points": [1, 2]}])  # not a value
def test_what_cannot_be_written_in_place_is_refused(server, values):
    response = server.client.post("/api/edit", json={"text": RONGCHENG, "set": values})
    assert response.status_code == 422, response.text


def test_text_that_is_not_toml_has_no_controls_but_its_line(server):
    broken = RONGCHENG.replace("[score]", "[score", 1)
    response = server.client.post("/api/policy/controls", json={"policy_text": broken})
    assert response.status_code == 422
    assert response.json()["errors"][0]["line"] == broken.split("\n").index("[score") + 1


def test_the_diff_is_against_the_shipped_file(server):
    edited = RONGCHENG.replace("points = -10", "points = -20", 1)
    diff = server.client.post("/api/policy/diff", json={"policy": "rongcheng",
                                                        "policy_text": edited}).json()
    assert diff["changed_lines"] == 2 and "-points = -10\n+points = -20" in diff["diff"]
    same = server.client.post("/api/policy/diff", json={"policy": "rongcheng",
                                                        "policy_text": RONGCHENG}).json()
    assert same == {"policy": "rongcheng", "diff": "", "changed_lines": 0}
    assert server.client.post("/api/policy/diff", json={
        "policy": "nowhere", "policy_text": RONGCHENG}).status_code == 404


def test_policies_carry_their_sources(server):
    policies = {p["name"]: p for p in server.client.get("/api/policies").json()}
    rongcheng = policies["rongcheng"]
    assert rongcheng["jurisdiction"] == "Rongcheng, Shandong, China"
    assert [s["id"] for s in rongcheng["sources"]] == [
        s["id"] for s in tomllib.loads(RONGCHENG)["policy"]["sources"]]


def test_citizens_filter_by_what_a_list_column_holds(server):
    court = server.run({"policy": "court-list", "citizens": 20_000, "days": 60, "seed": 11})
    table = pq.read_table(server.runs / court["id"] / "citizens.parquet").to_pylist()
    assert any(c["denied_services"] for c in table)
    url = f"/api/runs/{court['id']}/citizens"
    for service in ("train", "loan"):
        expected = [c["citizen_id"] for c in table if service in c["denied_services"]]
        response = server.client.get(url, params={"denied_services": service,
                                                  "columns": "citizen_id", "limit": 100000})
        assert int(response.headers["x-total-count"]) == len(expected)
        assert [r["citizen_id"] for r in response.json()] == expected
    wrongly = server.client.get(url, params={"wrongful_records_min": 1, "sort":
                                             "-wrongful_records", "denied_services": "train"})
    assert wrongly.status_code == 200
