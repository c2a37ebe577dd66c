"""The pages of ``scorelab serve``: server-rendered shells that small scripts fill from the API.

Data flow::

    GET /, /edit, /runs, /runs/{id}, /runs/{id}/citizens/{cid}, /compare, /share/{code},
        /seeds?of={id}&replicates=N
        --shell--> HTML: headings, labelled controls, empty containers, the page's name and
                   ids as data attributes (escaped; ids checked before they are written)
        --/static/app.js + the page's script--> fetch("/api/...") fills the containers
    GET /static/plotly-<version>.min.js --> plotly.js from the installed plotly package,
        gzipped once, cached by the browser

Every script and style is served here (``static/``, plotly.js from the plotly
package): the pages work with no network. The scripts call only the JSON API
(docs/serve.md), never a second implementation of it; docs/architecture.md
says why the pages are shells and vanilla JavaScript rather than a front-end
build. Text is escaped with :func:`html.escape`, as the reports' is.
"""

from __future__ import annotations

import functools
import gzip
import html
import json
import re

import plotly
import plotly.io
import plotly.offline
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from scorelab._version import __version__
from scorelab.server._requests import JOB_ID
from scorelab.world import SENSORS, SERVICES

pages_router = APIRouter(include_in_schema=False)
PLOTLY_JS = f"/static/plotly-{plotly.__version__}.min.js"
#: what a share code is made of (base64url), checked before it is written into a page
SHARE_CODE = re.compile(r"[A-Za-z0-9_-]{1,200000}")
#: the daily table's dimensions, for the disparities chart (``all`` is everyone)
DIMENSIONS = ("sex", "age_band", "region", "urban", "income_decile", "occupation")


def _attributes(data: dict[str, str]) -> str:
    return "".join(f' data-{name}="{html.escape(value)}"' for name, value in data.items())


@functools.cache
def _template() -> str:
    """The reports' plotly template (plotly_white) and the vocabulary, as JSON for scripts."""
    layout = plotly.io.templates["plotly_white"].layout.to_plotly_json()
    data = {"template": {"layout": layout}, "services": SERVICES, "sensors": SENSORS,
            "dimensions": DIMENSIONS}
    return json.dumps(data).replace("<", "\\u003c")


def shell(request: Request, page: str, title: str, body: str, *,
          data: dict[str, str] | None = None, charts: bool = False,
          scripts: tuple[str, ...] = ()) -> HTMLResponse:
    """A whole page: the header (with the engine's state), ``body`` (already HTML), scripts."""
    engine = html.escape(str(request.app.state.jobs.status()["engine"]))
    plot = (f'<script src="{PLOTLY_JS}" defer></script>\n<script id="scorelab-data" '
            f'type="application/json">{_template()}</script>\n' if charts else "")
    own = "".join(f'<script src="/static/{name}.js" defer></script>\n'
                  for name in (*scripts, page))
    text = (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{html.escape(title)} · scorelab</title>\n"
        "<link rel=\"icon\" href=\"data:,\">\n"  # no request for /favicon.ico
        "<link rel=\"stylesheet\" href=\"/static/app.css\">\n"
        f"{plot}<script src=\"/static/app.js\" defer></script>\n{own}</head>\n"
        f"<body data-page=\"{page}\"{_attributes(data or {})}>\n"
        "<header class=\"top\"><a class=\"brand\" href=\"/\">scorelab</a>\n"
        "<nav aria-label=\"pages\"><a href=\"/\">Start</a><a href=\"/runs\">Runs</a>"
        "<a href=\"/compare\">Compare</a></nav>\n"
        f"<span id=\"engine\" class=\"engine {engine}\" role=\"status\">engine {engine}"
        "</span></header>\n"
        f"<main>\n<h1 id=\"title\">{html.escape(title)}</h1>\n{body}\n</main>\n"
        f"<footer>scorelab {html.escape(__version__)} · the JSON API: "
        "<a href=\"/openapi.json\">/openapi.json</a> (browsable at <a href=\"/docs\">/docs</a>)"
        " · docs/serve.md</footer>\n"
        "<noscript><p class=\"error\">These pages need JavaScript; the JSON API works "
        "without it.</p></noscript>\n</body>\n</html>\n")
    return HTMLResponse(text, headers={"cache-control": "no-cache"})


def missing_page(request: Request, what: str) -> HTMLResponse:
    """The pages' 404: what was not found, and the way back."""
    response = shell(request, "missing", "Not found",
                     f"<p class=\"error\">{html.escape(what)}</p><p><a href=\"/\">the start "
                     "page</a> · <a href=\"/runs\">every run</a></p>")
    response.status_code = 404
    return response


def _world() -> str:
    """The world's fields (a scenario and its sizes), filled by app.js's worldForm."""
    return ("<fieldset id=\"world\" class=\"world\"><legend>The world</legend>"
            "<p class=\"note\">loading the scenarios…</p></fieldset>")


# -- the pages --------------------------------------------------------------------------------

@pages_router.get("/", response_class=HTMLResponse)
def start_page(request: Request) -> HTMLResponse:
    """Start: the shipped policies with their descriptions and sources, and the world."""
    body = (
        "<p class=\"lead\">Pick a shipped policy and a world, change the policy's rules, run "
        "it on a synthetic population and read what it did: scores, lists, wrongful "
        "sanctions, services denied, rewards and who bears them.</p>\n"
        "<form id=\"start-form\">\n<section><h2>A policy</h2>"
        "<div id=\"policies\" class=\"policy-list\" role=\"radiogroup\" "
        "aria-label=\"shipped policies\"><p class=\"note\">loading the policies…</p></div>"
        f"</section>\n<section><h2>A world</h2>{_world()}</section>\n"
        "<div class=\"actions\"><button type=\"submit\" id=\"edit-button\" class=\"primary\">"
        "Edit this policy</button> <button type=\"button\" id=\"run-button\">Run it as "
        "shipped</button> <span id=\"start-error\" class=\"error\" role=\"alert\"></span>"
        "</div>\n</form>\n<section><h2>Recent runs</h2><div id=\"runs\"></div>"
        "<p><a href=\"/runs\">every run</a></p></section>")
    return shell(request, "start", "scorelab serve", body)


@pages_router.get("/edit", response_class=HTMLResponse)
def editor_page(request: Request) -> HTMLResponse:
    """The policy editor: controls, the TOML text, validation as you type, the diff."""
    body = (
        "<p id=\"editor-about\" class=\"lead\"></p>\n<div class=\"editor\">\n"
        "<section id=\"controls-pane\">"
        "<h2>Rules, grades, lists, sanctions, rewards and shaming</h2>"
        "<p class=\"note\">Every change is written into the TOML text and checked by the "
        "loader <code>scorelab validate</code> runs; an error shows beside its control.</p>"
        "<div id=\"controls\"><p class=\"note\">loading the policy…</p></div></section>\n"
        "<section id=\"text-pane\"><h2><label for=\"policy-text\">The TOML text</label></h2>"
        "<div class=\"textview\"><pre id=\"gutter\" aria-hidden=\"true\"></pre>"
        "<textarea id=\"policy-text\" spellcheck=\"false\" wrap=\"off\" rows=\"30\">"
        "</textarea></div>"
        "<p id=\"text-error\" class=\"error\" role=\"alert\"></p>"
        "<p id=\"validity\" class=\"note\" role=\"status\"></p>"
        "<h2>Changes from the shipped policy</h2><pre id=\"diff\" class=\"diff\"></pre>"
        "</section>\n</div>\n"
        f"<section><h2>The world</h2>{_world()}</section>\n"
        "<div class=\"actions\"><button type=\"button\" id=\"run-button\" class=\"primary\">"
        "Run my policy</button> <button type=\"button\" id=\"pair-button\">Run the shipped "
        "policy and mine on the same seed</button> <span id=\"run-error\" class=\"error\" "
        "role=\"alert\"></span></div>")
    return shell(request, "editor", "Policy editor", body)


@pages_router.get("/runs", response_class=HTMLResponse)
def runs_page(request: Request) -> HTMLResponse:
    """Every run of this server's catalogue."""
    return shell(request, "runs", "Runs",
                 "<div id=\"runs\"><p class=\"note\">loading…</p></div>")


def run_view() -> str:
    """A run as the run page and the share page show it: progress, then the results."""
    charts = "".join(
        f"<section class=\"figure\"><h2>{title}</h2><p class=\"note\">{note}</p>"
        f"<div id=\"chart-{name}\" class=\"chart plotly-graph-div\"></div></section>\n"
        for name, title, note in (
            ("scores", "Scores over time", "median, 25-75% and 10-90% of everyone's score"),
            ("grades", "Grades", "share of the population in each grade"),
            ("listed", "Who is listed", "people on each list"),
            ("wrongful", "Wrongful sanctions", "denials of a service, and those only because "
             "of a false record, added up day by day"),
            ("denied", "Services denied", "denials by service over the run"),
            ("rewards", "Rewards", "yuan of rewards by service over the run")))
    options = "".join(f"<option>{name}</option>" for name in DIMENSIONS)
    return (
        "<p id=\"run-about\" class=\"lead\"></p>\n"
        "<section id=\"progress-section\"><h2>Progress</h2>"
        "<p><label for=\"progress\" id=\"progress-label\">waiting…</label></p>"
        "<progress id=\"progress\" max=\"1\" value=\"0\"></progress> "
        "<button type=\"button\" id=\"cancel-button\" hidden>Cancel</button> "
        "<button type=\"button\" id=\"resume-button\" hidden>Resume</button>"
        "<p id=\"run-error\" class=\"error\" role=\"alert\"></p></section>\n"
        "<div id=\"results\" hidden>\n"
        "<section><h2>Summary</h2><div id=\"summary\" class=\"cards\"></div></section>\n"
        f"<div class=\"charts\">\n{charts}"
        "<section class=\"figure\"><h2>Disparities</h2><p class=\"note\">per 1,000 people "
        "of each group over the run</p><label>groups by <select id=\"dimension\">"
        f"{options}</select></label><div id=\"chart-groups\" "
        "class=\"chart plotly-graph-div\"></div></section>\n"
        "</div>\n"
        "<section><h2>A citizen</h2><form id=\"citizen-form\" class=\"inline\">"
        "<label>citizen id <input id=\"citizen-id\" type=\"number\" min=\"0\" step=\"1\" "
        "required></label> <button type=\"submit\">Tell their story</button></form>"
        "<form id=\"someone-form\" class=\"inline\"><label>or show me someone "
        "<select id=\"someone\"></select></label> <button type=\"submit\">Show me</button>"
        "</form><p id=\"someone-note\" class=\"note\" role=\"status\"></p></section>\n"
        "<section><h2>Compare</h2><p><button type=\"button\" id=\"baseline-button\">Compare "
        "with the shipped policy on the same world and seed</button></p>"
        "<form id=\"other-form\" class=\"inline\"><label>or with <select id=\"other-run\">"
        "</select></label> <button type=\"submit\">Compare</button></form>"
        "<p id=\"compare-error\" class=\"error\" role=\"alert\"></p></section>\n"
        "<section><h2>Several seeds</h2><p class=\"note\">The same request on replicate "
        "seeds of this run's seed (derived as experiments and <code>compare --replicates</code> "
        "derive them), drawn as the median and the 5-95% band over the seeds.</p>"
        "<form id=\"seeds-form\" class=\"inline\"><label>seeds <input id=\"replicates\" "
        "type=\"number\" min=\"2\" max=\"100\" step=\"1\" value=\"5\" required></label> "
        "<button type=\"submit\">Run on these seeds</button></form></section>\n"
        "<section><h2>Share</h2><p class=\"note\">This link holds the whole request (policy, "
        "world, sizes, seed): another scorelab serve opening it runs the identical "
        "simulation, or shows it at once if it ran there before.</p>"
        "<p><label>share link <input id=\"share-url\" readonly size=\"60\"></label> "
        "<a id=\"share-link\" href=\"#\">open</a></p></section>\n"
        "<section><h2>Downloads</h2><ul id=\"downloads\" class=\"downloads\"></ul></section>\n"
        "<section><h2>The run's report</h2><p class=\"note\">report.html as the run wrote "
        "it, with every chart of the audit (it runs sandboxed: it cannot call this "
        "server).</p><iframe id=\"report\" title=\"the run's report.html\" "
        "sandbox=\"allow-scripts allow-popups\" loading=\"lazy\"></iframe></section>\n"
        "</div>")


@pages_router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run_id: str) -> HTMLResponse:
    """A run: its progress (live), cancel; then its results, charts, downloads, share link."""
    if not JOB_ID.fullmatch(run_id):
        return missing_page(request, f"no run {run_id[:40]!r}: a run id is 16 hex digits")
    return shell(request, "run", f"Run {run_id}", run_view(), data={"run": run_id},
                 charts=True, scripts=("progress",))


@pages_router.get("/runs/{run_id}/citizens/{citizen_id}", response_class=HTMLResponse)
def citizen_page(request: Request, run_id: str, citizen_id: str) -> HTMLResponse:
    """One citizen's story, as ``scorelab explain`` tells it."""
    if not JOB_ID.fullmatch(run_id) or not citizen_id.isdigit() or len(citizen_id) > 18:
        return missing_page(request, "no such citizen: a run id is 16 hex digits, a citizen id "
                                 "a number")
    body = (
        f"<p><a id=\"back\" href=\"/runs/{run_id}\">back to run {run_id}</a></p>\n"
        "<form id=\"citizen-form\" class=\"inline\"><label>citizen id <input id=\"citizen-id\" "
        f"type=\"number\" min=\"0\" step=\"1\" value=\"{citizen_id}\" required></label> "
        "<button type=\"submit\">Tell their story</button></form>\n"
        "<section id=\"story\" aria-live=\"polite\"><h2 id=\"story-head\">loading…</h2>"
        "<p id=\"story-who\"></p><p id=\"story-outcome\" class=\"lead\"></p>"
        "<div id=\"ledger\"></div><p id=\"story-totals\"></p>"
        "<p id=\"story-reconciles\"></p></section>\n"
        "<p id=\"story-error\" class=\"error\" role=\"alert\"></p>")
    return shell(request, "citizen", f"Citizen {citizen_id}", body,
                 data={"run": run_id, "citizen": citizen_id})


@pages_router.get("/compare", response_class=HTMLResponse)
def compare_page(request: Request) -> HTMLResponse:
    """Two runs side by side: the inputs that differ and every measure of scorelab compare."""
    body = (
        "<form id=\"compare-form\" class=\"inline\"><label>A <select id=\"run-a\"></select>"
        "</label> <label>B <select id=\"run-b\"></select></label> <button type=\"submit\">"
        "Compare</button></form>\n<div id=\"compare-wait\"></div>\n"
        "<p id=\"compare-error\" class=\"error\" role=\"alert\"></p>\n"
        "<div id=\"comparison\" hidden>\n"
        "<section><h2>Inputs</h2><div id=\"inputs\"></div></section>\n"
        "<section><h2>Measures</h2><p class=\"note\">the measures of <code>scorelab "
        "compare</code>, B minus A; the disparities section is per group.</p>"
        "<label><input type=\"checkbox\" id=\"only-differ\" checked> only the measures that "
        "differ</label><div id=\"measures\"></div></section>\n"
        "<section><h2>The comparison's page</h2><p><a id=\"compare-page\" href=\"#\">open the "
        "comparison page with its charts</a> (as <code>scorelab compare</code> writes it)</p>"
        "</section>\n</div>")
    return shell(request, "compare", "Compare two runs", body, scripts=("progress",))


@pages_router.get("/share/{code}", response_class=HTMLResponse)
def share_page(request: Request, code: str) -> HTMLResponse:
    """A shared run: the request it carries, then the run (run here if this server lacks it)."""
    if not SHARE_CODE.fullmatch(code):
        return missing_page(request, "not a share code (a run's page gives one)")
    body = (
        "<section><h2>What this link asks for</h2><dl id=\"share-request\" class=\"facts\">"
        "</dl><details><summary>The policy's changes from the shipped one</summary>"
        "<pre id=\"share-diff\" class=\"diff\"></pre></details>"
        "<p id=\"share-state\" role=\"status\"></p>"
        "<p id=\"share-error\" class=\"error\" role=\"alert\"></p></section>\n"
        f"{run_view()}")
    return shell(request, "share", "A shared run", body, data={"code": code}, charts=True,
                 scripts=("progress", "run"))


@pages_router.get("/seeds", response_class=HTMLResponse)
def seeds_page(request: Request) -> HTMLResponse:
    """A run's request on several replicate seeds: the median and 5-95% band of each series."""
    charts = "".join(
        f"<section class=\"figure\"><h2>{title}</h2><div id=\"band-{name}\" "
        "class=\"chart plotly-graph-div\"></div></section>\n"
        for name, title in (("score", "Mean score"), ("records", "Wrongful records, added up"),
                            ("denials", "Denials, added up"),
                            ("wrongful", "Denials only because of a false record, added up"),
                            ("listed", "Who is listed")))
    body = (
        "<p id=\"seeds-about\" class=\"lead\"></p>\n<div id=\"seeds-wait\"></div>\n"
        "<p id=\"seeds-error\" class=\"error\" role=\"alert\"></p>\n<div id=\"bands\" hidden>\n"
        "<section><h2>Summary over the seeds</h2><p class=\"note\">each measure's median and "
        "5-95% range over the seeds</p><div id=\"seeds-summary\"></div></section>\n"
        f"<div class=\"charts\">\n{charts}</div>\n</div>")
    return shell(request, "seeds", "Several seeds", body, charts=True, scripts=("progress",))


@functools.cache
def _plotly_bytes() -> tuple[bytes, bytes]:
    """plotly.js (about 4.8 MB) and its gzip, made once."""
    raw = plotly.offline.get_plotlyjs().encode("utf-8")
    return raw, gzip.compress(raw, compresslevel=6, mtime=0)


@pages_router.get(PLOTLY_JS)
def plotly_js(request: Request) -> Response:
    """plotly.js from the installed plotly package: the charts need no network."""
    raw, packed = _plotly_bytes()
    headers = {"cache-control": "public, max-age=31536000, immutable", "vary": "accept-encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(packed, media_type="text/javascript",
                        headers={**headers, "content-encoding": "gzip"})
    return Response(raw, media_type="text/javascript", headers=headers)
