"""The pages of ``scorelab serve`` as a person uses them: headless Chromium on the real server.

Debian's ``chromium`` is driven through Playwright, as the report's tests drive
it. The issue's flow end to end: the start page, rongcheng chosen, one rule's
points changed in the editor (the diff shows it; an invalid value shows the
loader's located error beside its control and marks its line), run, the
progress bar to done, the summary and the charts drawn, a citizen's story,
the share link in a fresh browser context with the same numbers, and the
comparison with the shipped policy. Every page must load with no console
error and no request to anywhere but the server. Waiting is Playwright's
polling with deadlines, never a blind sleep.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import urllib.parse

from playwright.sync_api import Browser, BrowserContext, Page, expect

from scorelab._seeds import replicate_seed

from ..reporting.test_browser import EVERY_PLOT_DRAWN, is_png
from ._server import Server
from .conftest import RONGCHENG, SMALL
from .test_requests import _cli_error

#: a run's deadline in the browser: the engine is warm, the runs are small
RUN_MS = 120_000
SIZE = {"width": 1280, "height": 900}


def watched(browser: Browser, base: str, problems: list[str]) -> BrowserContext:
    """A fresh browser context that notes console errors and requests leaving ``base``."""
    context = browser.new_context(viewport=SIZE)
    context.set_default_timeout(20_000)

    def on_page(page: Page) -> None:
        page.on("console", lambda m: problems.append(f"{page.url}: console: {m.text}")
                if m.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(f"{page.url}: page error: {error}"))

    context.on("page", on_page)
    context.on("request", lambda r: None if r.url.startswith((f"{base}/", "data:", "blob:",
                                                              "about:"))
               else problems.append(f"request to {r.url}"))
    return context


def summary_of(page: Page) -> dict[str, str]:
    """The summary cards as shown: measure -> value."""
    expect(page.locator("body")).to_have_attribute("data-results", "ready", timeout=RUN_MS)
    return page.eval_on_selector_all(
        "#summary .card", "cards => Object.fromEntries(cards.map(c => "
        "[c.dataset.measure, c.querySelector('.value').textContent]))")


def test_the_issue_flow_from_the_start_page_to_a_shared_run(server, browser, tmp_path,
                                                            monkeypatch):
    problems: list[str] = []
    context = watched(browser, server.base, problems)
    page = context.new_page()

    # the start page: the shipped policies with their sources; rongcheng and a small world
    page.goto(f"{server.base}/")
    expect(page.locator(".policy")).to_have_count(7)
    expect(page.locator("label[for=policy-rongcheng]")).to_contain_text("sources")
    page.check("#policy-rongcheng")
    page.fill("#citizens", str(SMALL["citizens"]))
    page.fill("#days", str(SMALL["days"]))
    page.fill("#seed", str(SMALL["seed"]))
    page.screenshot(path=tmp_path / "start.png", full_page=True)
    page.click("#edit-button")

    # the editor: one rule's points, the diff, and an invalid value's located error
    page.wait_for_url("**/edit?*")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("#validity")).to_contain_text("valid policy 'rongcheng'")
    page.fill("[id='control-rules[0].points']", "-20")
    expect(page.locator("#diff")).to_contain_text("+points = -20")
    expect(page.locator("#diff")).to_contain_text("-points = -10")
    assert "points = -20" in page.input_value("#policy-text")
    expect(page.locator("#validity")).to_contain_text("valid policy")
    page.fill("[id='control-rules[0].expiry_days']", "0")
    error = page.locator("[id='error-rules[0].expiry_days']")
    wrong = RONGCHENG.replace("points = -10", "points = -20", 1).replace(
        "expiry_days = 730", "expiry_days = 0", 1)
    expected = _cli_error(tmp_path, monkeypatch, wrong)
    expect(error).to_have_text(expected)
    assert "rules[0].expiry_days" in expected and "policy.toml:76" in expected
    expect(page.locator("#gutter span.bad")).to_have_text("76")
    expect(page.locator("#text-error")).to_contain_text(expected)
    expect(page.locator("#run-button")).to_be_disabled()
    page.fill("[id='control-rules[0].expiry_days']", "730")
    expect(error).to_have_text("")
    expect(page.locator("#run-button")).to_be_enabled()
    expect(page.locator("#diff")).to_have_attribute("data-changed", "2")  # the points alone
    page.screenshot(path=tmp_path / "editor.png")

    # run: the progress bar to done, the summary, the charts drawn
    page.click("#run-button")
    page.wait_for_url("**/runs/*")
    run_id = page.url.rsplit("/", 1)[1]
    expect(page.locator("#progress-section")).to_have_attribute("data-status", "done",
                                                                timeout=RUN_MS)
    assert page.eval_on_selector("#progress", "bar => bar.value") == 1
    shown = summary_of(page)
    api = server.client.get(f"/api/runs/{run_id}/summary").json()
    assert shown["citizens"] == f"{SMALL['citizens']:,}"
    assert shown["wrongful_records"] == f"{api['wrongful_records']:,}"
    assert shown["records"] == f"{api['records']:,}"
    assert "points = -20" in server.job(run_id)["request"]["policy_text"]
    drawn = page.evaluate(EVERY_PLOT_DRAWN)
    assert len(drawn) >= 4 and all(drawn), drawn  # scores, grades, wrongful harm, groups
    share_url = page.input_value("#share-url")
    assert share_url.startswith(f"{server.base}/share/")
    page.screenshot(path=tmp_path / "results.png")
    assert all(is_png(tmp_path / f"{name}.png") for name in ("start", "editor", "results"))

    # a citizen: someone recorded for an act they did not commit, their story
    page.select_option("#someone", "wrongful_records")
    page.click("#someone-form button")
    page.wait_for_url(f"**/runs/{run_id}/citizens/*")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("#story-head")).to_contain_text("citizen ")
    expect(page.locator("#story-totals")).to_contain_text(re.compile(r"\([1-9]\d* wrongful\)"))
    expect(page.locator("#story-reconciles")).to_contain_text("reconciles")

    # the share link in a fresh browser context: the same run, the same numbers
    fresh = watched(browser, server.base, problems)
    other = fresh.new_page()
    other.goto(share_url)
    expect(other.locator("#share-state")).to_contain_text("run it before")
    assert summary_of(other) == shown
    expect(other.locator("#share-request")).to_contain_text(f"{SMALL['citizens']:,}")
    expect(other.locator("#share-diff")).to_contain_text("+points = -20")
    fresh.close()

    # compare with the shipped policy on the same world and seed: the reform against it
    page.goto(f"{server.base}/runs/{run_id}")
    expect(page.locator("body")).to_have_attribute("data-results", "ready", timeout=RUN_MS)
    page.click("#baseline-button")
    page.wait_for_url("**/compare?*")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=RUN_MS)
    expect(page.locator("#inputs tr.flagged")).to_contain_text("policy")
    expect(page.locator("#measures tr.differs").first).to_be_visible()
    expect(page.locator("#measures [data-section=disparities]")).to_have_count(1)
    context.close()
    assert problems == []


def test_the_editor_runs_the_shipped_policy_and_the_change_on_one_seed(server, browser):
    problems: list[str] = []
    context = watched(browser, server.base, problems)
    page = context.new_page()
    page.goto(f"{server.base}/edit?policy=rongcheng&citizens=20000&days=60&seed=5")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    page.select_option("[id='control-sanctions[1].service']", "train")
    expect(page.locator("#diff")).to_contain_text('+service = "train"')
    page.fill("[id='control-rules[4].points']", "-40")
    expect(page.locator("#diff")).to_contain_text("+points = -40")
    expect(page.locator("#validity")).to_contain_text("valid policy 'rongcheng'")
    page.fill("#start-date", "2019-01-01")  # the scenario's text then carries the date
    page.click("#pair-button")
    page.wait_for_url("**/compare?*")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=RUN_MS)
    expect(page.locator("#measures [data-section=scores] tr.differs")).to_have_count(1)
    context.close()
    assert problems == []
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)
    shipped, mine = (server.job(query[name][0])["request"] for name in ("a", "b"))
    assert shipped["policy_text"] == RONGCHENG and "points = -40" in mine["policy_text"]
    for request in (shipped, mine):
        assert tomllib.loads(request["scenario_text"])["scenario"]["start_date"] == (
            dt.date(2019, 1, 1))
        assert (request["citizens"], request["days"], request["seed"]) == (20_000, 60, 5)


def test_a_rules_sensors_and_a_lists_entry_are_ticked_in_the_editor(server, browser):
    problems: list[str] = []
    context = watched(browser, server.base, problems)
    page = context.new_page()
    page.goto(f"{server.base}/edit?policy=speech-penalty")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    page.check("[id='control-lists.court.entry_sensors.bank']")
    expect(page.locator("#diff")).to_contain_text('+entry_sensors = ["court", "bank"]')
    page.uncheck("[id='control-rules[0].sensors.informant']")
    expect(page.locator("#diff")).to_contain_text('+sensors = ["platform"]')
    page.uncheck("[id='control-rules[0].sensors.platform']")  # none: the loader's error
    expect(page.locator("[id='error-rules[0].sensors']")).to_contain_text("rules[0].sensors")
    expect(page.locator("#run-button")).to_be_disabled()
    page.check("[id='control-rules[0].sensors.platform']")
    expect(page.locator("#diff")).to_contain_text('+sensors = ["platform"]')
    expect(page.locator("#validity")).to_contain_text("valid policy")
    expect(page.locator("#run-button")).to_be_enabled()
    context.close()
    assert problems == []


def test_a_run_on_several_seeds_draws_bands(server, small_run, browser):
    problems: list[str] = []
    context = watched(browser, server.base, problems)
    page = context.new_page()
    page.goto(f"{server.base}/runs/{small_run['id']}")
    expect(page.locator("body")).to_have_attribute("data-results", "ready", timeout=RUN_MS)
    page.fill("#replicates", "3")
    page.click("#seeds-form button")
    page.wait_for_url("**/seeds?*")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=RUN_MS)
    expect(page.locator("#seeds-wait .waiting")).to_have_count(3)
    expect(page.locator("#seeds-summary tr[data-measure=records] td")).to_have_count(4)
    drawn = page.evaluate(EVERY_PLOT_DRAWN)
    assert len(drawn) >= 4 and all(drawn), drawn
    bands = page.evaluate("() => document.getElementById('band-score')._fullData.map("
                          "trace => trace.fill)")
    assert "tonexty" in bands
    context.close()
    assert problems == []
    seeds = server.client.get("/api/seeds", params={"seed": SMALL["seed"],
                                                   "replicates": 3}).json()
    assert seeds["seeds"] == [replicate_seed(SMALL["seed"], r) for r in range(3)]
    assert seeds["text"] == [str(seed) for seed in seeds["seeds"]]
    ran = {job["request"]["seed"] for job in server.client.get("/api/runs").json()}
    assert set(seeds["seeds"]) <= ran


def test_a_share_link_opened_on_another_server_runs_there_to_the_same_numbers(
        server, small_run, browser, tmp_path):
    code = server.client.get(f"/api/runs/{small_run['id']}/share").json()["code"]
    expected = server.client.get(f"/api/runs/{small_run['id']}/summary").json()
    with Server(tmp_path / "runs", logs=tmp_path / "logs") as elsewhere:
        problems: list[str] = []
        context = watched(browser, elsewhere.base, problems)
        page = context.new_page()
        page.goto(f"{elsewhere.base}/share/{code}")
        expect(page.locator("#share-state")).to_contain_text("had not run it")
        shown = summary_of(page)
        context.close()
        assert elsewhere.file(small_run["id"], "daily.parquet") == server.file(
            small_run["id"], "daily.parquet")
    assert shown["records"] == f"{expected['records']:,}"
    assert shown["citizens"] == f"{SMALL['citizens']:,}"
    assert problems == []


def test_with_a_token_the_pages_work_from_the_printed_url(browser, tmp_path):
    token = "a-token-for-the-page-tests-0123"
    with Server(tmp_path / "runs", "--token", token, logs=tmp_path / "logs",
                token=token) as guarded:
        problems: list[str] = []
        context = watched(browser, guarded.base, problems)
        page = context.new_page()
        page.goto(guarded.url)  # ?token=... sets the cookie the pages' own calls carry
        expect(page.locator(".policy")).to_have_count(7)
        page.goto(f"{guarded.base}/edit?policy=suining")
        expect(page.locator("body")).to_have_attribute("data-ready", "true")
        context.close()
    assert problems == []


def test_every_page_is_served_with_its_own_scripts_only(server, small_run):
    pages = ["/", "/edit", "/runs", f"/runs/{small_run['id']}",
             f"/runs/{small_run['id']}/citizens/1", "/compare",
             server.client.get(f"/api/runs/{small_run['id']}/share").json()["url"]]
    for path in pages:
        response = server.client.get(path)
        assert response.status_code == 200, path
        text = response.text
        assert "http://" not in text.split("<footer>")[0] and "https://" not in text, path
        for script in text.split('<script src="')[1:]:
            source = script.split('"')[0]
            assert source.startswith("/static/"), (path, source)
            assert server.client.get(source).status_code == 200, source
    assert server.client.get("/runs/not-a-run").status_code == 404


def test_plotly_comes_from_the_installed_package_gzipped_and_cached(server):
    page = server.client.get("/runs/0123456789abcdef").text
    source = page.split('<script src="')[1].split('"')[0]
    assert source.startswith("/static/plotly-")
    response = server.client.get(source)
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert "immutable" in response.headers["cache-control"]
    assert len(response.content) > 3_000_000  # httpx inflates it: the whole plotly.js



def test_a_running_run_is_cancelled_from_its_page(server, browser):
    """Last in this module: the cancelled run's worker is replaced, which takes a moment."""
    job = server.submit({"policy": "rongcheng", "citizens": 2_000_000, "days": 365, "seed": 21})
    problems: list[str] = []
    context = watched(browser, server.base, problems)
    page = context.new_page()
    page.goto(f"{server.base}/runs/{job['id']}")
    expect(page.locator("#cancel-button")).to_be_visible()
    page.click("#cancel-button")
    expect(page.locator("#progress-section")).to_have_attribute("data-status", "cancelled")
    expect(page.locator("#cancel-button")).to_be_hidden()
    expect(page.locator("#results")).to_be_hidden()
    context.close()
    assert server.job(job["id"])["status"] == "cancelled"
    assert problems == []


def test_the_api_docs_open_offline_with_every_route(server, browser):
    problems: list[str] = []
    context = watched(browser, server.base, problems)
    page = context.new_page()
    page.goto(f"{server.base}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("scorelab")
    expect(page.locator(".opblock-summary-path[data-path='/api/runs']").first).to_be_visible()
    context.close()
    assert problems == []  # Swagger UI's script and style come from this server
