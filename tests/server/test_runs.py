"""A run through the API is the engine's run: same bytes, served back in every format.

The server calls ``scorelab.run`` in a job worker; these tests compare what
it wrote with what ``scorelab.run`` writes in this process for the same
inputs, and read the results back as JSON, CSV and Arrow IPC.
"""

from __future__ import annotations

import io
import json

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

import scorelab

from .conftest import RONGCHENG, SMALL


def test_a_run_through_the_api_writes_the_bytes_scorelab_run_writes(server, small_run,
                                                                      tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text(RONGCHENG)
    direct = scorelab.run(policy, citizens=SMALL["citizens"], days=SMALL["days"],
                          seed=SMALL["seed"], out=tmp_path / "direct")
    for name in ("daily.parquet", "citizens.parquet", "ledger.parquet"):
        assert server.file(small_run["id"], name) == (direct.folder / name).read_bytes(), name
    assert (server.runs / small_run["id"] / "daily.parquet").read_bytes() == (
        direct.folder / "daily.parquet").read_bytes()


def test_a_shipped_name_and_its_text_are_one_request(server, small_run):
    by_name = server.submit({**SMALL, "policy": "rongcheng", "policy_text": None})
    assert by_name["id"] == small_run["id"]


def test_an_identical_request_is_served_from_the_catalogue(server, small_run):
    response = server.client.post("/api/runs", json=SMALL)
    assert response.status_code == 200
    again = response.json()
    assert again["id"] == small_run["id"]
    assert again["status"] == "done" and again["cached"] is True
    assert again["timings"] == small_run["timings"]  # not run again
    listed = [job for job in server.client.get("/api/runs").json()
              if job["id"] == small_run["id"]]
    assert len(listed) == 1 and "policy_text" not in listed[0]["request"]


def test_another_seed_is_another_job(server, small_run):
    other = server.submit({**SMALL, "seed": 12, "days": 30})
    assert other["id"] != small_run["id"]
    done = server.wait_job(other["id"], "done")
    assert done["progress"]["fraction"] == 1.0
    assert done["timings"]["seconds"] > 0


@pytest.mark.parametrize("accept", ["text/csv", "application/vnd.apache.arrow.stream"])
def test_daily_as_csv_and_arrow_holds_the_parquet_numbers(server, small_run, accept):
    parquet = pq.read_table(server.runs / small_run["id"] / "daily.parquet")
    response = server.client.get(f"/api/runs/{small_run['id']}/daily",
                                 headers={"accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(accept)
    if accept == "text/csv":
        table = pa_csv.read_csv(io.BytesIO(response.content))
        assert table.num_rows == parquet.num_rows
        for name in parquet.column_names:
            expected = parquet[name]
            if pa.types.is_dictionary(expected.type):
                expected = expected.cast(pa.string())
            got = table[name].cast(expected.type)
            assert got.equals(expected), name
    else:
        table = pa.ipc.open_stream(response.content).read_all()
        assert table.equals(parquet)


def test_daily_as_json_records_and_picked_rows(server, small_run):
    parquet = pq.read_table(server.runs / small_run["id"] / "daily.parquet",
                            filters=[("dimension", "=", "all")])
    rows = server.client.get(f"/api/runs/{small_run['id']}/daily",
                             params={"dimension": "all", "columns": "day,score_mean"}).json()
    assert [r["day"] for r in rows] == parquet["day"].to_pylist()
    assert [r["score_mean"] for r in rows] == parquet["score_mean"].to_pylist()
    assert set(rows[0]) == {"day", "score_mean"}
    refused = server.client.get(f"/api/runs/{small_run['id']}/daily",
                                params={"columns": "day,nonsense"})
    assert refused.status_code == 422 and "nonsense" in refused.json()["errors"][0]["message"]
    women = server.client.get(f"/api/runs/{small_run['id']}/daily",
                              params={"dimension": "sex", "group": "female",
                                      "columns": "group"}).json()
    assert women and {r["group"] for r in women} == {"female"}
    for params, named in (({"dimension": "sexx"}, "age_band, all, income_decile"),
                          ({"dimension": "sex", "group": "all"}, "male, female"),
                          ({"group": "martian"}, "martian")):
        refused = server.client.get(f"/api/runs/{small_run['id']}/daily", params=params)
        assert refused.status_code == 422, params
        [error] = refused.json()["errors"]
        assert error["key"] == next(reversed(params)) and named in error["message"], error


def test_citizens_are_filtered_sorted_and_paged(server, small_run):
    parquet = pq.read_table(server.runs / small_run["id"] / "citizens.parquet").to_pylist()
    url = f"/api/runs/{small_run['id']}/citizens"
    response = server.client.get(url, params={"records_min": 2, "sort": "-records",
                                              "limit": 5, "offset": 1})
    matching = sorted((c for c in parquet if c["records"] >= 2), key=lambda c: -c["records"])
    assert int(response.headers["x-total-count"]) == len(matching) > 6
    rows = response.json()
    assert [r["records"] for r in rows] == [c["records"] for c in matching[1:6]]
    by_grade = server.client.get(url, params={"grade": "C", "limit": 100000}).json()
    assert len(by_grade) == sum(c["grade"] == "C" for c in parquet) > 0
    assert server.client.get(url, params={"nonsense_min": 1}).status_code == 422
    assert server.client.get(url, params={"records_min": "x"}).status_code == 422
    assert len(server.client.get(url).json()) == 1000  # the default page


def test_summary_story_and_files_come_from_the_engine(server, small_run):
    folder = server.runs / small_run["id"]
    summary = server.client.get(f"/api/runs/{small_run['id']}/summary").json()
    assert summary == pytest.approx(scorelab.RunResult(folder).summary())
    story = server.client.get(f"/api/runs/{small_run['id']}/citizens/42").json()
    expected = scorelab.explain(folder, 42)
    assert story["final_score"] == expected.final_score and story["reconciles"] is True
    assert len(story["entries"]) == len(expected.entries)
    missing = server.client.get(f"/api/runs/{small_run['id']}/citizens/20000")
    assert missing.status_code == 404 and str(server.runs) not in missing.text
    report = server.client.get(f"/api/runs/{small_run['id']}/files/report.html")
    assert report.status_code == 200 and "sandbox" in report.headers["content-security-policy"]
    assert server.client.get(f"/api/runs/{small_run['id']}/files/catalogue.sqlite"
                             ).status_code == 404


def test_compare_gives_the_comparisons_measures(server, small_run):
    other = server.run({**SMALL, "seed": 13})
    response = server.client.get("/api/compare", params={"a": small_run["id"],
                                                         "b": other["id"]})
    assert response.status_code == 200, response.text
    comparison = response.json()
    expected = scorelab.compare(server.runs / small_run["id"], server.runs / other["id"],
                                out=server.runs / "compare" / "expected.html")
    assert len(comparison["rows"]) == len(expected.rows)
    seed_row = next(row for row in comparison["inputs"] if row["input"] == "seed")
    assert (seed_row["a"], seed_row["b"]) == ("11", "13")
    page = server.client.get(comparison["page"])
    assert page.status_code == 200 and "scorelab comparison" in page.text
    assert (server.runs / "compare" / f"{small_run['id']}-vs-{other['id']}.html").is_file()


def test_the_event_stream_follows_a_run_to_its_end(server):
    job = server.submit({**SMALL, "seed": 14, "days": 30})
    views = []
    with server.client.stream("GET", f"/api/runs/{job['id']}/events") as events:
        assert events.headers["content-type"].startswith("text/event-stream")
        for line in events.iter_lines():
            if line.startswith("data: "):
                views.append(json.loads(line.removeprefix("data: ")))
    assert views and views[-1]["status"] == "done"
    assert views[-1] == server.job(job["id"])
    fractions = [v["progress"]["fraction"] for v in views if v["progress"]]
    assert fractions == sorted(fractions)
    assert len({json.dumps(v, sort_keys=True) for v in views}) == len(views), "only changes"


def test_the_openapi_description_lists_every_route(server):
    paths = server.client.get("/openapi.json").json()["paths"]
    for path in ("/api/status", "/api/policies", "/api/validate", "/api/runs",
                 "/api/runs/{run_id}", "/api/runs/{run_id}/events", "/api/runs/{run_id}/summary",
                 "/api/runs/{run_id}/daily", "/api/runs/{run_id}/citizens",
                 "/api/runs/{run_id}/citizens/{citizen_id}", "/api/runs/{run_id}/files/{name}",
                 "/api/runs/{run_id}/share", "/api/share/{code}", "/api/compare"):
        assert path in paths, path
    assert server.client.get("/docs").status_code == 200
    start = server.client.get("/")
    assert start.status_code == 200 and "ready" in start.text
