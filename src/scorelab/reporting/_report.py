"""A run's audit table and HTML report, written into its folder.

Data flow::

    run folder (daily, citizens, ledger, baseline parquet; policy.toml)
      --audit_tables--> audit.parquet
      --choose_story_citizens + story--> a few explained citizens
      --sections--> report.html (self-contained: inline CSS and plotly.js)

``write_audit_and_report`` needs no ``manifest.json`` in the folder, so the
runner can call it on its staging folder just before it writes the manifest;
``report`` is the public command for a finished run, and refuses incomplete ones.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scorelab._owned import marker_kind
from scorelab._run_folder import (
    AUDIT_FILE,
    REPORT_FILE,
    read_run_frames,
    read_run_manifest,
    reading_run,
    write_atomically,
)
from scorelab.audit import (
    DEFAULT_COMBINATIONS,
    audit_tables,
    choose_story_citizens,
    story,
    write_audit,
)
from scorelab.reporting._data import ReportData, read_policy
from scorelab.reporting._experiment_report import write_experiment_report
from scorelab.reporting._fairness import disparities_section
from scorelab.reporting._html import page
from scorelab.reporting._narrative import policy_section, stories_section
from scorelab.reporting._outcomes import behaviour_section, rewards_section, services_section
from scorelab.reporting._sections import (
    lists_section,
    scores_section,
    summary_section,
    wrongful_section,
)

NAVIGATION = (
    ("summary", "Summary"), ("scores", "Scores"), ("listed", "Listed"),
    ("wrongful", "Wrongful sanctions"), ("services", "Services denied"), ("rewards", "Rewards"),
    ("behaviour", "Behaviour change"), ("disparities", "Disparities"), ("stories", "Stories"),
    ("policy", "Policy and sources"),
)


def write_audit_and_report(folder: Path, manifest: dict[str, Any], *,
                           by: Sequence[str] | None = None,
                           folder_name: str | None = None) -> list[str]:
    """Compute ``audit.parquet`` and ``report.html`` in ``folder`` from its Parquet files.

    Each file is written under a temporary name, then renamed. The folder's
    ``manifest.json`` is not read (it may not exist yet): ``manifest`` supplies the
    policy's name, the scenario, the seed and the ledger sample, and may lack
    timings or ``complete``.

    Args:
        folder: a run folder, or the runner's staging folder.
        manifest: the run's manifest, as the runner is about to write it.
        by: combinations of dimensions to audit (``"sex+age_band"``); None for the default.
        folder_name: the run folder's name as the report shows it (the runner writes in
            a hidden staging folder, then renames it); None: ``folder``'s name.

    Returns:
        The names of the files written: ``["audit.parquet", "report.html"]``.
    """
    folder = Path(folder)
    tables = read_run_frames(folder)
    audit = audit_tables(tables, by=DEFAULT_COMBINATIONS if by is None else tuple(by))
    write_audit(folder, audit)
    stories = [(why, story(folder, citizen_id, manifest))
               for why, citizen_id in choose_story_citizens(tables.citizens, manifest)]
    data = ReportData(folder, manifest, tables, audit, read_policy(folder), stories)
    html = render_report(data, folder_name or folder.name)
    write_atomically(folder / REPORT_FILE, lambda path: path.write_text(html, encoding="utf-8"))
    return [AUDIT_FILE, REPORT_FILE]


def render_report(data: ReportData, folder_name: str) -> str:
    """The whole report page as a string; ``folder_name`` is the run folder it describes."""
    policy, scenario = data.manifest.get("policy", {}), data.manifest.get("scenario", {})
    subtitle = [
        f"{data.population:,} synthetic citizens, {len(data.dates)} days from {data.dates[0]}, "
        f"scenario '{scenario.get('name', '?')}', seed {data.manifest.get('seed', '?')}",
        f"scorelab {data.manifest.get('scorelab_version', '?')} · policy sha256 "
        f"{str(policy.get('sha256', '?'))[:12]} · run folder {folder_name}",
    ]
    body = [summary_section(data), scores_section(data), lists_section(data),
            wrongful_section(data), services_section(data), rewards_section(data),
            behaviour_section(data), disparities_section(data), stories_section(data),
            policy_section(data)]
    return page(f"scorelab report: {policy.get('name', folder_name)}", subtitle,
                NAVIGATION, body)


def report(folder: str | Path, *, by: Sequence[str] | None = None) -> list[Path]:
    """Write ``audit.parquet`` and ``report.html`` for a finished run (``scorelab report DIR``).

    For a finished experiment folder, write its ``differences.parquet`` and
    ``report.html`` again instead.

    Args:
        folder: a complete run folder (or experiment folder).
        by: combinations of dimensions to audit besides the single ones
            (``"sex+age_band"``, the default; ``[]`` for none).

    Returns:
        The paths written: the audit table, then the report.

    Raises:
        RunFolderError: the folder is missing or not a complete run, or a file in it is
            not what a run writes (named).
        ScorelabError: a combination names an unknown dimension.
    """
    folder = Path(folder)
    if marker_kind(folder) == "experiment" and (folder / "manifest.json").is_file():
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        return [folder / name for name in write_experiment_report(folder, manifest)]
    manifest = read_run_manifest(folder)
    with reading_run(folder):
        return [folder / name for name in write_audit_and_report(folder, manifest, by=by)]
