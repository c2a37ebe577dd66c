"""The screenshots of `scorelab serve`'s pages in docs/ (docs/serve.md and the README).

Not a benchmark, but a script run by hand like them: it starts the real server
(`python -m scorelab serve --port 0` in a subprocess, its own runs folder),
drives Debian's headless Chromium through Playwright as the browser tests do,
at 1280 x 900, and writes docs/serve-start.png, serve-editor.png,
serve-results.png, serve-citizen.png, serve-compare.png and serve-seeds.png. The run is the
issue's example: rongcheng with overdue bank payments costing 20 points
instead of 10, on the default world (100,000 citizens for 2018, seed 7).

    python benchmarks/serve_screenshots.py            # writes docs/serve-*.png
    python benchmarks/serve_screenshots.py --out /tmp/shots
"""

from __future__ import annotations

import argparse
import signal
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect, sync_playwright
from serve_latency import start_server

DOCS = Path(__file__).resolve().parents[1] / "docs"
CHROMIUM = "/usr/bin/chromium"
ARGUMENTS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run"]
LONG_MS = 300_000


def wait_ready(base: str) -> None:
    deadline = time.monotonic() + 900
    while httpx.get(f"{base}/api/status").json()["engine"] != "ready":
        if time.monotonic() > deadline:
            raise SystemExit("the engine was not ready within 15 minutes")
        time.sleep(0.2)


def shots(page: Page, base: str, out: Path) -> None:
    page.goto(f"{base}/")
    page.check("#policy-rongcheng")
    page.screenshot(path=out / "serve-start.png")

    page.goto(f"{base}/edit?policy=rongcheng")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    page.fill("[id='control-rules[0].points']", "-20")
    expect(page.locator("#diff")).to_contain_text("+points = -20")
    page.fill("[id='control-rules[1].expiry_days']", "0")  # an error, to show where it goes
    expect(page.locator("[id='error-rules[1].expiry_days']")).to_contain_text("rules[1]")
    page.click("#goto-line")
    page.eval_on_selector("[id='control-rules[0].points']",
                          "input => input.closest('fieldset').scrollIntoView()")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=out / "serve-editor.png")
    page.fill("[id='control-rules[1].expiry_days']", "1825")
    expect(page.locator("#run-button")).to_be_enabled()

    page.click("#run-button")
    page.wait_for_url("**/runs/*")
    expect(page.locator("body")).to_have_attribute("data-results", "ready", timeout=LONG_MS)
    page.set_viewport_size({"width": 1280, "height": 1700})
    page.screenshot(path=out / "serve-results.png")
    page.set_viewport_size({"width": 1280, "height": 900})

    run = page.url
    page.select_option("#someone", "wrongful_records")
    page.click("#someone-form button")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    page.screenshot(path=out / "serve-citizen.png")

    page.goto(run)
    expect(page.locator("body")).to_have_attribute("data-results", "ready", timeout=LONG_MS)
    page.click("#baseline-button")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=LONG_MS)
    page.screenshot(path=out / "serve-compare.png")

    page.goto(f"{run.replace('/runs/', '/seeds?of=')}&replicates=6")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=LONG_MS)
    page.eval_on_selector("#bands .charts", "charts => charts.scrollIntoView()")
    page.screenshot(path=out / "serve-seeds.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DOCS)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="scorelab-shots-") as folder:
        process, base = start_server(Path(folder) / "runs", Path(folder))
        try:
            wait_ready(base)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGUMENTS)
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.set_default_timeout(30_000)
                shots(page, base, args.out)
                browser.close()
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(60)
    for name in sorted(args.out.glob("serve-*.png")):
        print(f"{name} ({name.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
