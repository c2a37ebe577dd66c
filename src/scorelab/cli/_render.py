"""Terminal renderings of results (rich), kept apart from the commands."""

from __future__ import annotations

from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from scorelab._echo import printable
from scorelab.audit import CitizenStory
from scorelab.runner import RunResult


def render_summary(result: RunResult) -> Group:
    """The headline numbers of a finished run."""
    manifest, summary = result.manifest, result.summary()
    people = summary["citizens"]
    # the policy's name is text from its file: rich must neither style it nor fail on it
    title = (f"{escape(printable(manifest['policy']['name']))} on {people:,} citizens for "
             f"{summary['days']} days (seed {manifest['seed']})")
    table = Table(title=title, title_justify="left", box=None)
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("mean score / median", f"{summary['mean_score']:.1f} / "
                  f"{summary['median_score']:.0f}")
    for grade in manifest["policy"]["grades"]:
        count = summary[f"grade_{grade}"]
        table.add_row(f"grade {grade}", f"{count:,} ({count / people:.2%})")
    for name in manifest["policy"]["lists"]:
        table.add_row(f"on list {name}", f"{summary[f'listed_{name}']:,}")
    for label, key in (("acts committed", "acts"), ("acts nobody saw", "unseen_acts"),
                       ("records", "records"), ("wrongful records", "wrongful_records"),
                       ("services denied", "denials"),
                       ("denied because of wrongful records", "wrongful_denials"),
                       ("publicly shamed", "shamed"), ("shamed wrongly", "wrongful_shamed"),
                       ("appeals / won", None)):
        if key is None:
            table.add_row(label, f"{summary['appeals']:,} / {summary['appeals_won']:,}")
        else:
            table.add_row(label, f"{summary[key]:,}")
    table.add_row("rewards (yuan)", f"{summary['rewards_yuan']:,.0f}")
    timings = manifest["timings"]
    compiled = (f", of which {timings['compile_s']:.0f} s compiling the engine (first run on "
                "this machine)" if timings.get("compile_s") else "")
    footer = Text(f"run folder: {result.folder}  ({timings['total_s']:.1f} s{compiled})",
                  style="dim")
    return Group(table, footer)


def render_story(story: CitizenStory) -> Group:
    """A citizen's attributes, ledger and outcome."""
    attrs = story.attributes
    head = Text.assemble(
        (f"citizen {story.citizen_id}", "bold"),
        f" (household {attrs['household_id']}): {attrs['sex']}, {attrs['age']}, "
        f"{'urban' if attrs['urban'] else 'rural'} {attrs['region']}, income decile "
        f"{attrs['income_decile']}, {attrs['occupation']}")
    table = Table(box=None)
    for name in ("date", "kind", "rule", "behaviour", "sensor", "delta", "score", "wrongful"):
        table.add_column(name, justify="right" if name in ("delta", "score") else "left")
    for e in story.entries:
        table.add_row(str(e["date"]), e["kind"], e["rule"], e["behaviour"], e["sensor"],
                      f"{e['delta']:+d}", str(e["score_after"]),
                      "[red]yes[/]" if e["wrongful"] else "")
    denied = ", ".join(attrs["denied_services"]) or "none"
    lines = [
        head,
        Text(f"start {story.start_score} -> final {story.final_score} (grade {story.grade}); "
             f"{len(story.entries)} ledger entries"),
        table,
        Text(f"records {attrs['records']} ({attrs['wrongful_records']} wrongful), acts unseen "
             f"{attrs['unseen_acts']}; denied {attrs['denials']} times ({denied}), "
             f"{attrs['wrongful_denials']} because of wrongful records; shamed "
             f"{attrs['shamed']}; appeals {attrs['appeals']} (won {attrs['appeals_won']}); "
             f"rewards {attrs['rewards_yuan']:.0f} yuan"),
    ]
    if not story.in_ledger_sample:
        lines.append(Text("this citizen is outside the run's ledger sample: the entries above "
                          "are missing, so the score cannot be reconciled", style="yellow"))
    elif story.reconciles:
        lines.append(Text(f"reconciles: {story.start_score} + sum of changes = "
                          f"{story.final_score}", style="green"))
    else:
        lines.append(Text("does NOT reconcile with the ledger", style="bold red"))
    return Group(*lines)
