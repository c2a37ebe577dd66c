"""A citizen's counters: one ordered declaration for the numba kernel, citizens.parquet and docs.

The kernel keeps one int64 row per citizen (``H.cit``), indexed by the
``CIT_*`` constants below; ``citizens.parquet`` writes the same counters, in
the same order, after the citizen's attributes, under the same names (a few are
written in another form, said by ``written``); ``docs/run-folders.md`` lists
them from :func:`citizen_columns_doc` (a test keeps it in step).
"""

from __future__ import annotations

from typing import NamedTuple


class CitizenCounter(NamedTuple):
    """One per-citizen counter: its name, how citizens.parquet writes it, what it means."""

    name: str
    written: str  # "as is", "int32", "grade", "lists", "services" or "yuan" (see WRITTEN_AS)
    doc: str


WRITTEN_AS = {
    "as is": "int64, as counted",
    "int32": "int32",
    "grade": "the grade's name (dictionary)",
    "lists": "`listed` (on any list) and one `listed_<list>` boolean per list",
    "services": "the list of the services' names",
    "yuan": "`rewards_yuan`, in yuan (float64)",
}

CITIZEN_COUNTERS = (
    CitizenCounter("score", "as is", "score at the end of the run"),
    CitizenCounter("grade", "grade", "grade at the end (the score's band, or an imposed one)"),
    CitizenCounter("listed_mask", "lists", "bit L set while on list L at the end"),
    CitizenCounter("acts", "int32", "acts committed (after deterrence)"),
    CitizenCounter("unseen_acts", "int32", "acts no sensor recorded"),
    CitizenCounter("records", "int32", "records made, true and wrongful"),
    CitizenCounter("wrongful_records", "int32", "records of acts never committed"),
    CitizenCounter("denials", "int32", "service attempts denied"),
    CitizenCounter("wrongful_denials", "int32",
                   "denials that would not have happened without wrongful records"),
    CitizenCounter("shamed", "int32", "times publicly shamed"),
    CitizenCounter("wrongful_shamed", "int32", "times shamed for a wrongful record"),
    CitizenCounter("appeals", "int32", "records appealed"),
    CitizenCounter("appeals_won", "int32", "appeals that overturned their record"),
    CitizenCounter("complied", "int32", "times the citizen paid what a list demanded"),
    CitizenCounter("denied_services", "services", "bit V set once service V was denied"),
    CitizenCounter("rewards_fen", "yuan", "rewards received, in fen (1/100 yuan)"),
    CitizenCounter("counterfactual_score", "as is",
                   "the score at the end had no wrongful record been made"),
    CitizenCounter("counterfactual_grade", "grade",
                   "the grade at the end had no wrongful record been made"),
)
N_CIT = len(CITIZEN_COUNTERS)
CITIZEN_COLUMNS = tuple(counter.name for counter in CITIZEN_COUNTERS)
_AT = {name: index for index, name in enumerate(CITIZEN_COLUMNS)}

# the kernel's column of each counter (numba reads module constants, not a dict)
CIT_SCORE = _AT["score"]
CIT_GRADE = _AT["grade"]
CIT_LISTED_MASK = _AT["listed_mask"]
CIT_ACTS = _AT["acts"]
CIT_UNSEEN_ACTS = _AT["unseen_acts"]
CIT_RECORDS = _AT["records"]
CIT_WRONGFUL_RECORDS = _AT["wrongful_records"]
CIT_DENIALS = _AT["denials"]
CIT_WRONGFUL_DENIALS = _AT["wrongful_denials"]
CIT_SHAMED = _AT["shamed"]
CIT_WRONGFUL_SHAMED = _AT["wrongful_shamed"]
CIT_APPEALS = _AT["appeals"]
CIT_APPEALS_WON = _AT["appeals_won"]
CIT_COMPLIED = _AT["complied"]
CIT_DENIED_SERVICES = _AT["denied_services"]
CIT_REWARDS_FEN = _AT["rewards_fen"]
CIT_COUNTERFACTUAL_SCORE = _AT["counterfactual_score"]
CIT_COUNTERFACTUAL_GRADE = _AT["counterfactual_grade"]


def citizen_columns_doc() -> str:
    """The Markdown table of the counter columns of citizens.parquet, for the docs."""
    lines = ["| counter | in citizens.parquet | what it counts |", "| --- | --- | --- |"]
    for counter in CITIZEN_COUNTERS:
        lines.append(f"| `{counter.name}` | {WRITTEN_AS[counter.written]} | {counter.doc} |")
    return "\n".join(lines)
