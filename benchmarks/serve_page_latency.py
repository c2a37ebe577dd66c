"""From "Run" to the results page drawn in a real browser (issue 17's first target).

The real server (`python -m scorelab serve --port 0`, its own runs folder) and
Debian's headless Chromium through Playwright, as the browser tests use them.
With the engine warm (one run of the same size first, through the API, and one
results page drawn so that plotly is in the browser's cache), each repeat opens
the editor on rongcheng at 100,000 citizens x 365 days with a fresh seed (so
nothing comes from the catalogue), clicks "Run", and times three moments:

- the run done: the progress section says so (the simulation, its folder
  written, and the event that tells the page);
- the first chart drawn: the scores-over-time plot has its SVG;
- the page finished: every chart, the disparities table, the share link and
  the downloads are in place (the page sets `data-results="ready"`).

    python benchmarks/serve_page_latency.py               # 5 repeats
    python benchmarks/serve_page_latency.py --repeats 3 --citizens 20000
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect, sync_playwright
from serve_latency import start_server, wait
from serve_screenshots import ARGUMENTS, CHROMIUM, wait_ready


def click_to_drawn(page: Page, base: str, citizens: int, days: int, seed: int) -> tuple[
        float, float, float]:
    """Seconds from the click on "Run" to the run done, the first chart drawn, the page done."""
    page.goto(f"{base}/edit?policy=rongcheng&citizens={citizens}&days={days}&seed={seed}")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("#run-button")).to_be_enabled()
    clock = time.perf_counter()
    page.click("#run-button")
    page.wait_for_selector("#progress-section[data-status='done']", state="attached",
                           timeout=120_000)
    run_done = time.perf_counter() - clock
    page.wait_for_selector("#chart-scores .main-svg", state="attached", timeout=120_000)
    first_chart = time.perf_counter() - clock
    expect(page.locator("body")).to_have_attribute("data-results", "ready", timeout=120_000)
    finished = time.perf_counter() - clock
    return run_done, first_chart, finished


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="serve-page-latency-") as folder:
        process, base = start_server(Path(folder) / "runs", Path(folder))
        try:
            wait_ready(base)
            with httpx.Client(base_url=base, timeout=600) as client:  # the worker warm
                body = {"policy": "rongcheng", "citizens": args.citizens, "days": args.days,
                        "seed": 1}
                wait(client, client.post("/api/runs", json=body).json()["id"])
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGUMENTS)
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.set_default_timeout(60_000)
                errors: list[str] = []
                page.on("console", lambda m: errors.append(m.text) if m.type == "error"
                        else None)
                click_to_drawn(page, base, args.citizens, args.days, 2)  # the browser warm
                timings = [click_to_drawn(page, base, args.citizens, args.days, 100 + i)
                           for i in range(args.repeats)]
                browser.close()
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(60)
    if errors:
        sys.exit(f"the page logged errors: {errors}")
    ran, first, done = ([t[i] for t in timings] for i in range(3))
    size = f"{args.citizens:,} citizens x {args.days} days"
    print(f"run done:    {', '.join(f'{s:.2f}' for s in ran)} s", file=sys.stderr)
    print(f"first chart: {', '.join(f'{s:.2f}' for s in first)} s", file=sys.stderr)
    print(f"page done:   {', '.join(f'{s:.2f}' for s in done)} s", file=sys.stderr)
    print("| measure | median (slowest) | target |\n| --- | ---: | ---: |")
    print(f"| click on Run to the run done, {size} | "
          f"{statistics.median(ran):.2f} s ({max(ran):.2f} s) | |")
    print(f"| click on Run to the first chart drawn, {size} | "
          f"{statistics.median(first):.2f} s ({max(first):.2f} s) | < 3 s |")
    print(f"| click on Run to the whole results page drawn, {size} | "
          f"{statistics.median(done):.2f} s ({max(done):.2f} s) | < 3 s |")


if __name__ == "__main__":
    main()
