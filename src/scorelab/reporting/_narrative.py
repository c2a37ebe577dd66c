"""The report's last sections: explained citizens' stories, and the policy with its sources.

A story is ``scorelab.explain`` rendered as HTML: who the citizen is, every point
change with the rule, sensor and whether the record was wrongful, and what they
were denied. The policy section prints the run's own ``policy.toml``, marking
every value its authors chose rather than found (``assumed``).
"""

from __future__ import annotations

from typing import Any

from scorelab.audit import CitizenStory
from scorelab.reporting._data import ReportData
from scorelab.reporting._html import Html, number, paragraph, section, table, tag

MAX_STORY_ENTRIES = 40


def stories_section(data: ReportData) -> Html:
    """A few citizens, each with the reason they were chosen and their ledger."""
    if not data.stories:
        return section("stories", "Citizens' stories",
                       paragraph("No citizen was recorded, listed or rewarded in this run."))
    return section("stories", "Citizens' stories", paragraph(
        "Chosen to show what the policy does to one person: someone wronged by a false "
        "record, someone listed, someone rewarded. Run `scorelab explain RUN ID` for any "
        "other citizen."), *[story_html(why, story) for why, story in data.stories])


def story_html(why: str, story: CitizenStory) -> Html:
    """One citizen's story."""
    a = story.attributes
    who = (f"{a['sex']}, {a['age']}, {'urban' if a['urban'] else 'rural'} {a['region']}, "
           f"income decile {a['income_decile']}, {a['occupation']} (household "
           f"{a['household_id']})")
    rows = [[str(e["date"]), e["kind"], e["rule"], e["behaviour"], e["sensor"],
             f"{e['delta']:+d}", str(e["score_after"]),
             tag("span", "wrongful", class_="flag") if e["wrongful"] else ""]
            for e in story.entries[:MAX_STORY_ENTRIES]]
    more = len(story.entries) - MAX_STORY_ENTRIES
    denied = ", ".join(a.get("denied_services") or []) or "nothing"
    outcome = (f"Score {story.start_score} to {story.final_score} (grade {story.grade}). "
               f"{a['records']} records ({a['wrongful_records']} wrongful), {a['unseen_acts']} "
               f"acts nobody saw. Denied {a['denials']} times ({denied}); "
               f"{a['wrongful_denials']} of those only because of wrongful records. Shown on "
               f"screens {a['shamed']} times ({a['wrongful_shamed']} for a false match). "
               f"Appeals {a['appeals']} (won {a['appeals_won']}); rewards "
               f"{number(a['rewards_yuan'])} yuan.")
    if not story.in_ledger_sample:
        check = "This citizen is outside the ledger sample: their point changes are not kept."
    elif story.reconciles:
        check = (f"Reconciles: {story.start_score} plus the changes above equals "
                 f"{story.final_score}.")
    else:
        check = "Does NOT reconcile with the ledger."
    parts: list[object] = [tag("h3", f"Citizen {story.citizen_id}: {why}"), paragraph(who),
                           paragraph(outcome)]
    if rows:
        parts.append(table(["date", "kind", "rule", "behaviour", "sensor", "change", "score",
                            ""], rows, numeric=[5, 6]))
    if more > 0:
        parts.append(paragraph(f"... and {more} more entries.", note=True))
    parts.append(paragraph(check, note=True))
    return tag("div", *parts, class_="story")


def _assumed(item: dict[str, Any], key: str, value: object) -> Html:
    """A value, marked when the policy says it is an assumption."""
    text = tag("span", _plain(value))
    if key in item.get("assumed", ()):
        return Html(text + tag("span", "assumed", class_="badge"))
    return text


def _plain(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} = {_plain(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value)
    return str(value)


def _items_table(items: list[dict[str, Any]], keys: list[str]) -> Html:
    rows = [[_assumed(item, key, item[key]) if key in item else "" for key in keys]
            for item in items]
    return table(keys, rows)


def policy_section(data: ReportData) -> Html:
    """The policy as run: its rules, lists, sanctions, rewards, shaming and sources."""
    policy = data.policy
    if not policy:
        return section("policy", "The policy", paragraph("The run folder has no policy.toml."))
    meta = policy.get("policy", {})
    parts: list[object] = [
        paragraph(tag("strong", meta.get("name", "")), f" (v{meta.get('version', '?')}), "
                  f"{meta.get('jurisdiction', '')}: {meta.get('description', '')}"),
        paragraph("Values marked ", tag("span", "assumed", class_="badge"), " were chosen by "
                  "the policy's authors because no published figure was found."),
    ]
    if meta.get("notes"):
        parts.append(tag("div", meta["notes"].strip(), class_="notes"))
    score = policy.get("score", {})
    parts.append(tag("h3", "Scale and grades"))
    parts.append(_items_table([score], [k for k in ("start", "floor", "ceiling", "decay",
                                                     "source") if k in score]))
    parts.append(_items_table(policy.get("grades", []), ["name", "min", "source"]))
    blocks = (
        ("Rules", policy.get("rules", []), ["id", "behaviour", "points", "sensors", "expiry_days",
                                            "cap", "sets_grade", "grade_days", "source"]),
        ("Lists", [{"name": k, **v} for k, v in policy.get("lists", {}).items()],
         ["name", "title", "entry_behaviours", "entry_sensors", "entry_when", "duration_days",
          "removed_on_compliance", "removal_delay_days", "source"]),
        ("Sanctions", policy.get("sanctions", []), ["id", "service", "when", "household",
                                                    "source"]),
        ("Rewards", policy.get("rewards", []), ["id", "service", "when", "effect", "value_yuan",
                                                "source"]),
        ("Public shaming", [policy["shaming"]] if "shaming" in policy else [],
         ["behaviours", "sensors", "source"]),
    )
    for title, items, keys in blocks:
        if items:
            used = [k for k in keys if any(k in item for item in items)]
            parts += [tag("h3", title), _items_table(items, used)]
    sources = meta.get("sources", [])
    parts.append(tag("h3", "Sources"))
    parts.append(tag("ul", *[tag("li", tag("code", s["id"]), " ", _source_title(s))
                             for s in sources]) if sources else paragraph("No sources cited."))
    return section("policy", "The policy and its sources", *parts)


def _source_title(source: dict[str, Any]) -> Html:
    url = str(source.get("url") or "")
    # Only web links: a policy file is input, and a javascript: URL must not become a link.
    linked = url.startswith(("https://", "http://"))
    title = tag("a", source["title"], href=url) if linked else tag("span", source["title"])
    note = tag("span", f" ({source['note']})", class_="note") if source.get("note") else ""
    return Html(title + note)
