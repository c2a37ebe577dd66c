"""The report and the comparison page as a person sees them: in headless Chromium.

Debian's ``chromium`` is driven through Playwright. Each page must load with no
console error and no network request, every plotly figure must be drawn (an
``svg.main-svg`` with its traces), and a screenshot is taken. If Chromium cannot
start, the tests fail: a report nobody checked in a browser is not tested.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

import scorelab

CHROMIUM = "/usr/bin/chromium"
ARGUMENTS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run"]
EVERY_PLOT_DRAWN = """() => Array.from(document.querySelectorAll('div.plotly-graph-div')).map(
    div => Boolean(div._fullLayout && div._fullData && div._fullData.length > 0
                   && div.querySelector('svg.main-svg')))"""


@pytest.fixture(scope="module")
def browser() -> Browser:
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGUMENTS)
        except Exception as exc:  # any launch failure fails the test, saying why
            pytest.fail(f"headless Chromium did not start from {CHROMIUM}: {exc}. "
                        "Install it: apt-get install -y chromium (.ci/run does)")
        yield chromium
        chromium.close()


def look_at(browser: Browser, page_file: Path, screenshot: Path) -> tuple[list[str], list[bool]]:
    """Open a page; return (console errors and outside requests, drawn flag per plot)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error"
            else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("request", lambda r: None if r.url.startswith(("file:", "data:", "blob:"))
            else problems.append(f"request: {r.url}"))
    page.goto(page_file.as_uri(), wait_until="load")
    drawn = page.evaluate(EVERY_PLOT_DRAWN)
    page.screenshot(path=str(screenshot))
    page.close()
    return problems, drawn


def is_png(path: Path) -> bool:
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000


def test_the_report_opens_with_every_plot_drawn(browser, harsh_run, tmp_path):
    scorelab.report(harsh_run.folder)
    shot = tmp_path / "report.png"
    problems, drawn = look_at(browser, harsh_run.folder / "report.html", shot)
    assert problems == []
    assert len(drawn) >= 12 and all(drawn), drawn
    assert is_png(shot)


def test_the_comparison_opens_with_every_plot_drawn(browser, harsh_run, harsh_run_fewer_cameras,
                                                     tmp_path):
    comparison = scorelab.compare(harsh_run_fewer_cameras.folder, harsh_run.folder,
                                  out=tmp_path / "comparison.html")
    shot = tmp_path / "comparison.png"
    problems, drawn = look_at(browser, comparison.out, shot)
    assert problems == []
    assert len(drawn) >= 4 and all(drawn), drawn
    assert is_png(shot)


def test_the_comparison_over_seeds_opens_with_every_plot_drawn(browser, harsh_run,
                                                               harsh_run_fewer_cameras, tmp_path):
    comparison = scorelab.compare(harsh_run_fewer_cameras.folder, harsh_run.folder,
                                  out=tmp_path / "seeds.html", replicates=2)
    assert comparison.replicated_differences()
    shot = tmp_path / "seeds.png"
    problems, drawn = look_at(browser, comparison.out, shot)
    assert problems == []
    assert len(drawn) >= 6 and all(drawn), drawn  # the charts of A against B, and of B - A
    assert is_png(shot)
