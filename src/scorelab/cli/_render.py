"""Every terminal rendering of a result (rich): run summaries, stories, comparisons, fits.

The commands print what these return; tables are built by :func:`table`, so that
every table the CLI prints looks alike (no box, numbers right-aligned).
"""

from __future__ import annotations

from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from scorelab._echo import printable
from scorelab.audit import CitizenStory, Comparison
from scorelab.calibration import CalibrationResult
from scorelab.experiments import ExperimentResult
from scorelab.runner import RunResult


def table(*columns: str, right: tuple[str, ...] = (), title: str | None = None,
          title_justify: str = "left") -> Table:
    """A borderless table with these columns; the ``right`` ones right-aligned (numbers)."""
    out = Table(box=None, title=title, title_justify=title_justify)
    for name in columns:
        out.add_column(name, justify="right" if name in right else "left")
    return out


def render_summary(result: RunResult) -> Group:
    """The headline numbers of a finished run."""
    manifest, summary = result.manifest, result.summary()
    people = summary["citizens"]
    # the policy's name is text from its file: rich must neither style it nor fail on it
    title = (f"{escape(printable(manifest['policy']['name']))} on {people:,} citizens for "
             f"{summary['days']} days (seed {manifest['seed']})")
    rows = table("measure", "value", right=("value",), title=title)
    rows.add_row("mean score / median", f"{summary['mean_score']:.1f} / "
                  f"{summary['median_score']:.0f}")
    for grade in manifest["policy"]["grades"]:
        count = summary[f"grade_{grade}"]
        rows.add_row(f"grade {grade}", f"{count:,} ({count / people:.2%})")
    for name in manifest["policy"]["lists"]:
        rows.add_row(f"on list {name}", f"{summary[f'listed_{name}']:,}")
    for label, key in (("acts committed", "acts"), ("acts nobody saw", "unseen_acts"),
                       ("records", "records"), ("wrongful records", "wrongful_records"),
                       ("services denied", "denials"),
                       ("denied because of wrongful records", "wrongful_denials"),
                       ("publicly shamed", "shamed"), ("shamed wrongly", "wrongful_shamed"),
                       ("appeals / won", None)):
        if key is None:
            rows.add_row(label, f"{summary['appeals']:,} / {summary['appeals_won']:,}")
        else:
            rows.add_row(label, f"{summary[key]:,}")
    rows.add_row("rewards (yuan)", f"{summary['rewards_yuan']:,.0f}")
    timings = manifest["timings"]
    compiled = (f", of which {timings['compile_s']:.0f} s compiling the engine (first run on "
                "this machine)" if timings.get("compile_s") else "")
    footer = Text(f"run folder: {result.folder}  ({timings['total_s']:.1f} s{compiled})",
                  style="dim")
    return Group(rows, footer)


def render_story(story: CitizenStory) -> Group:
    """A citizen's attributes, ledger and outcome."""
    attrs = story.attributes
    head = Text.assemble(
        (f"citizen {story.citizen_id}", "bold"),
        f" (household {attrs['household_id']}): {attrs['sex']}, {attrs['age']}, "
        f"{'urban' if attrs['urban'] else 'rural'} {attrs['region']}, income decile "
        f"{attrs['income_decile']}, {attrs['occupation']}")
    ledger = table("date", "kind", "rule", "behaviour", "sensor", "delta", "score", "wrongful",
                   right=("delta", "score"))
    for e in story.entries:
        ledger.add_row(str(e["date"]), e["kind"], e["rule"], e["behaviour"], e["sensor"],
                      f"{e['delta']:+d}", str(e["score_after"]),
                      "[red]yes[/]" if e["wrongful"] else "")
    denied = ", ".join(attrs["denied_services"]) or "none"
    lines = [
        head,
        Text(f"start {story.start_score} -> final {story.final_score} (grade {story.grade}); "
             f"{len(story.entries)} ledger entries"),
        ledger,
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


def render_comparison(comparison: Comparison) -> Group:
    """What differs in the inputs, then every measure that differs, section by section."""
    name_a, name_b = comparison.labels
    inputs = table("input", "A", "B", title=_shown("A: " + name_a) + "\n" + _shown("B: " + name_b))
    for key, a, b in comparison.inputs:
        style = "bold" if a != b else "dim"
        inputs.add_row(_shown(key), _shown(a), _shown(b), style=style)
    if comparison.seeds:
        parts: list[object] = [inputs, Text(""), *_replicated(comparison)]
    else:
        measures = table("section", "measure", "unit", "A", "B", "B - A", "change",
                         right=("A", "B", "B - A", "change"),
                         title="measures that differ (B minus A)")
        differences = comparison.differences()
        for row in differences:
            measures.add_row(row.section, row.measure, row.unit, *row.cells())
        parts = [inputs, Text(""), measures]
        if not differences:
            parts.append(Text("no measure differs", style="green"))
    if comparison.out is not None:
        parts.append(Text(f"comparison page: {comparison.out}", style="dim"))
    return Group(*parts)


def _replicated(comparison: Comparison) -> list[object]:
    """The measures that differ over the common seeds; ``*`` marks an interval without 0."""
    seeds = len(comparison.seeds)
    measures = table("section", "measure", "unit", "A mean", "B mean", "B - A", "95% interval",
                     "B > A", right=("A mean", "B mean", "B - A", "95% interval", "B > A"),
                     title=f"measures that differ over {seeds} common seeds (B minus A: mean "
                           "and 95% interval; B > A: share of seeds)")
    differences = comparison.replicated_differences()
    for row in differences:
        a, b, diff, interval, share = row.cells()
        sure = row.difference.excludes_zero
        measures.add_row(row.section, row.measure, row.unit, a, b, diff + (" *" if sure else "  "),
                         interval, share, style="bold" if sure else None)
    parts: list[object] = [measures]
    if differences:
        parts.append(Text(f"* the interval excludes 0. Seeds: replicate_seed(A's seed "
                          f"{comparison.manifest_a['seed']}, r) for r < {seeds}, the same for "
                          "A and B; the single runs' measures are on the page", style="dim"))
    else:
        parts.append(Text(f"no measure differs on any of the {seeds} seeds", style="green"))
    return parts


def render_calibration(result: CalibrationResult) -> Group:
    """The fitted parameters and the fit table with the forecast band, for the terminal."""
    parameters = table("parameter", "start", "fitted", "sd",
                       title=f"{result.evaluations} simulations, objective "
                             f"{result.start_objective:.4g} -> {result.objective:.4g}",
                       title_justify="center")
    parameters.pad_edge = False  # so that the longest shipped key fits 80 characters
    for key, value in result.parameters.items():
        sd = result.sd[key]  # relative, as rates are read; absolute at a value of 0
        parameters.add_row(key, f"{result.start[key]:.4g}", f"{value:.4g}",
                           f"{sd / abs(value):.0%}" if value else f"{sd:.2g}")
    # "> 700,000": a lower bound, "< ...": an upper one (as docs/calibration.md writes them);
    # the band as ratios to the target, like ``ratio``: a band holding 1 holds the target
    fit = table("date", "metric", "target", "simulated", "ratio", "90% band",
                right=("target", "simulated"),
                title=f"written to {result.folder}; 90% band of {result.replicates} "
                      "simulations, as ratios", title_justify="center")
    fit.pad_edge = False  # so that national figures fit 80 characters
    for row in result.fit:
        mark = {"lower": "> ", "upper": "< "}.get(row.bound, "")
        fit.add_row(row.date.isoformat(), row.metric, f"{mark}{row.target:,.0f}",
                    f"{row.simulated:,.0f}", f"{row.ratio:.3f}",
                    f"{row.lower / row.target:.2f}-{row.upper / row.target:.2f}")
    return Group(parameters, fit)


def _shown(text: str) -> str:
    r"""Text from a run's files for a rich table: no markup, no control characters.

    >>> print(_shown("[/b] \x1b[2J"))
    \[/b] \x1b[2J
    """
    return escape(printable(text))


def render_experiment(result: ExperimentResult) -> Group:
    """Each output's mean over the design, and what drives it most (sobol, morris)."""
    summary = result.summary
    outputs = table("output", "mean over points", "lowest point", "highest point",
                    right=("mean over points", "lowest point", "highest point"),
                    title=f"experiment written to {result.folder}")
    for output in summary["output"].unique(maintain_order=True).to_list():
        means = summary.filter(summary["output"] == output)["mean"]
        outputs.add_row(_shown(output), f"{means.mean():,.4g}", f"{means.min():,.4g}",
                        f"{means.max():,.4g}")
    parts: list[object] = [outputs]
    path = result.folder / "sensitivity.parquet"
    if path.exists():
        sensitivity = result.sensitivity
        index = "ST" if "ST" in sensitivity.columns else "mu_star"
        drivers = table("output", "factor", index, right=(index,),
                        title=f"what drives each output ({index}, highest first)")
        for output in sensitivity["output"].unique(maintain_order=True).to_list():
            rows = sensitivity.filter(sensitivity["output"] == output).sort(
                index, descending=True, nulls_last=True)
            for row in rows.iter_rows(named=True):
                drivers.add_row(_shown(output), _shown(row["factor"]), f"{row[index]:.3f}")
        parts += [Text(""), drivers]
    return Group(*parts)
