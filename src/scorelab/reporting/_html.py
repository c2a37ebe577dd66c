"""Plain HTML for reports: a page with inline CSS and plotly.js, tables, figures, numbers.

Every page is one self-contained file: plotly.js is inlined once in the head, each
figure is a ``<div>`` with the script that draws it, and nothing is fetched from
the network, so a report opens offline and can be mailed or archived as is.
Text is escaped unless it is wrapped in :class:`Html`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from functools import cache

import plotly.graph_objects as go
import plotly.offline

from scorelab._owned import PAGE_TAG

CSS = """
:root { --ink: #1d2433; --muted: #5b6473; --line: #d9dee7; --accent: #1f5fa8;
        --flag: #b3261e; --soft: #f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--ink); background: #fff; }
header.top { background: #14213d; color: #fff; padding: 1.6rem 2rem 1.2rem; }
header.top h1 { margin: 0 0 .3rem; font-size: 1.7rem; }
header.top p { margin: .2rem 0; color: #d7deea; }
nav { position: sticky; top: 0; z-index: 5; background: #fff; border-bottom: 1px solid var(--line);
      padding: .5rem 2rem; font-size: .9rem; }
nav a { margin-right: 1rem; color: var(--accent); text-decoration: none; white-space: nowrap; }
main { max-width: 1120px; margin: 0 auto; padding: 1rem 2rem 4rem; }
section { border-bottom: 1px solid var(--line); padding: 1.2rem 0 1.6rem; }
h2 { font-size: 1.35rem; margin: .4rem 0 .6rem; }
h3 { font-size: 1.08rem; margin: 1.2rem 0 .4rem; }
p.note, .note { color: var(--muted); font-size: .92rem; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .92rem; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: .3rem .5rem; text-align: left;
         vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.flagged td { background: #fdecea; }
.flag { color: var(--flag); font-weight: 600; }
.good { color: #1b7f3b; font-weight: 600; }
.badge { display: inline-block; font-size: .75rem; padding: 0 .4rem; border-radius: .6rem;
         background: #fff4d6; color: #7a5300; border: 1px solid #f0d48a; margin-left: .2rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr));
         gap: .8rem; margin: .8rem 0; }
.card { background: var(--soft); border-radius: .5rem; padding: .7rem .9rem; }
.card .value { font-size: 1.45rem; font-weight: 650; }
.card .label { color: var(--muted); font-size: .85rem; overflow-wrap: anywhere; }
.figure { margin: .6rem 0 1.2rem; min-height: 320px; }
.story { background: var(--soft); border-radius: .5rem; padding: .6rem 1rem; margin: 1rem 0; }
code { background: var(--soft); padding: 0 .25rem; border-radius: .2rem; }
ul.findings li { margin: .25rem 0; }
div.notes { white-space: pre-line; border-left: 3px solid var(--line); padding-left: .8rem;
            color: var(--muted); }
"""


class Html(str):
    """A string that is already HTML: inserted as is, never escaped again."""


def esc(value: object) -> Html:
    """Escape ``value`` for HTML, unless it is already :class:`Html`."""
    return value if isinstance(value, Html) else Html(html.escape(str(value)))


def join(parts: Iterable[object]) -> Html:
    """Concatenate parts, escaping those that are not :class:`Html`."""
    return Html("".join(esc(part) for part in parts))


def tag(name: str, *children: object, **attributes: str) -> Html:
    """``<name attr="...">children</name>``; ``class_`` stands for ``class``."""
    attrs = "".join(f' {key.rstrip("_")}="{html.escape(value)}"'
                    for key, value in attributes.items())
    return Html(f"<{name}{attrs}>{join(children)}</{name}>")


def table(columns: Sequence[str], rows: Iterable[Sequence[object]], *,
          numeric: Sequence[int] = (), flagged: Sequence[bool] | None = None) -> Html:
    """A table; columns at the ``numeric`` positions are right-aligned."""
    head = join(tag("th", name, class_="num") if i in numeric else tag("th", name)
                for i, name in enumerate(columns))
    body = []
    for r, row in enumerate(rows):
        cells = join(tag("td", cell, class_="num") if i in numeric else tag("td", cell)
                     for i, cell in enumerate(row))
        is_flagged = flagged is not None and flagged[r]
        body.append(tag("tr", cells, class_="flagged") if is_flagged else tag("tr", cells))
    return tag("table", tag("thead", tag("tr", head)), tag("tbody", *body))


def section(anchor: str, title: str, *parts: object) -> Html:
    """A report section with an anchor for the navigation bar."""
    return tag("section", tag("h2", title), *parts, id=anchor)


def paragraph(*parts: object, note: bool = False) -> Html:
    """A paragraph; ``note`` makes it small and muted."""
    return tag("p", *parts, class_="note") if note else tag("p", *parts)


def cards(items: Iterable[tuple[str, str]]) -> Html:
    """Headline numbers as cards: (value, label) pairs."""
    return tag("div", *[tag("div", tag("div", value, class_="value"),
                            tag("div", label, class_="label"), class_="card")
                        for value, label in items], class_="cards")


def figure(fig: go.Figure, name: str, *, height: int = 360) -> Html:
    """A plotly figure as a ``<div class="figure">`` drawn by inline script (no plotly.js)."""
    fig.update_layout(template="plotly_white", height=height,
                      margin={"l": 60, "r": 20, "t": 50, "b": 50},
                      font={"family": "system-ui, sans-serif", "size": 13})
    div = fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"plot-{name}",
                      default_height=f"{height}px",
                      config={"displaylogo": False, "responsive": True})
    return tag("div", Html(div), class_="figure")


@cache
def plotly_js() -> str:
    """plotly.js, minified, to inline in a page's head (about 4.8 MB)."""
    return plotly.offline.get_plotlyjs()


def page(title: str, subtitle: Sequence[object], nav: Sequence[tuple[str, str]],
         body: Sequence[Html]) -> str:
    """A whole self-contained HTML page."""
    links = join(tag("a", label, href=f"#{anchor}") for anchor, label in nav)
    return (
        f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n{PAGE_TAG}\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n"
        f"<script type=\"text/javascript\">{plotly_js()}</script>\n</head>\n<body>\n"
        f"{tag('header', tag('h1', title), *[tag('p', line) for line in subtitle], class_='top')}"
        f"\n{tag('nav', links)}\n<main>\n{join(body)}\n</main>\n</body>\n</html>\n"
    )


def number(value: float | None, digits: int = 0) -> str:
    """A number with thousands separators; a dash when missing.

    >>> number(1234567), number(0.5, 2), number(float("nan"))
    ('1,234,567', '0.50', '–')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def percent(value: float | None, digits: int = 2) -> str:
    """A share as a percentage; a dash when missing.

    >>> percent(0.01234), percent(None)
    ('1.23%', '–')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}%}"


def interval(low: float | None, high: float | None, *, as_percent: bool = False) -> str:
    """A confidence interval as ``low – high``.

    >>> interval(0.81, 1.3), interval(0.001, 0.002, as_percent=True)
    ('0.81 – 1.30', '0.10% – 0.20%')
    """
    if low is None or high is None or math.isnan(low) or math.isnan(high):
        return "–"
    if as_percent:
        return f"{percent(low)} – {percent(high)}"
    return f"{low:.2f} – {high:.2f}"
