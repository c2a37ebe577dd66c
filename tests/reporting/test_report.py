"""The report and the audit table: written atomically, self-contained, every section present."""

from __future__ import annotations

import inspect
import re
import shutil

import polars as pl
import pytest
from typer.testing import CliRunner

import scorelab
from scorelab._errors import RunFolderError
from scorelab._run_folder import write_atomically
from scorelab.cli import app
from scorelab.reporting import write_audit_and_report

SECTIONS = ("summary", "scores", "listed", "wrongful", "services", "rewards", "behaviour",
            "disparities", "stories", "policy")
runner = CliRunner()


@pytest.fixture(scope="module")
def report_html(harsh_run) -> str:
    scorelab.report(harsh_run.folder)
    return (harsh_run.folder / "report.html").read_text()


def test_the_report_has_every_section_and_its_plots(report_html):
    for anchor in SECTIONS:
        assert f'<section id="{anchor}">' in report_html, anchor
    assert report_html.count('class="plotly-graph-div"') >= 12
    assert "denied a service only because of a false record" in report_html
    assert "Untrustworthy people" in report_html  # the list's title, from policy.toml


def test_the_report_is_self_contained(report_html):
    assert not re.search(r'<(script|link|img|iframe)[^>]+(src|href)="(https?:)?//', report_html)
    assert "Plotly.newPlot" in report_html
    assert len(report_html) > 3_000_000  # plotly.js is inline


def test_the_policy_section_marks_assumptions_and_cites_sources(report_html):
    policy = report_html[report_html.index('<section id="policy">'):]
    assert policy.count('class="badge">assumed') >= 5
    assert "Test fixture: values chosen so that every audited outcome occurs" in policy


def test_without_a_baseline_the_report_says_how_to_get_one(harsh_run_fewer_cameras):
    scorelab.report(harsh_run_fewer_cameras.folder)
    html = (harsh_run_fewer_cameras.folder / "report.html").read_text()
    assert "run with --baseline" in html


def test_write_audit_and_report_works_before_the_manifest_exists(harsh_run, tmp_path):
    staging = tmp_path / ".run.partial"
    staging.mkdir()
    for name in ("daily.parquet", "citizens.parquet", "ledger.parquet", "baseline.parquet",
                 "policy.toml", "scenario.toml"):
        shutil.copy(harsh_run.folder / name, staging / name)
    manifest = {k: v for k, v in harsh_run.manifest.items() if k not in ("complete", "timings")}
    written = write_audit_and_report(staging, manifest)
    assert written == ["audit.parquet", "report.html"]
    assert sorted(p.name for p in staging.iterdir() if p.name.startswith(".")) == []
    assert pl.read_parquet(staging / "audit.parquet").height > 0
    assert '<section id="stories">' in (staging / "report.html").read_text()


def test_report_refuses_an_incomplete_run(harsh_run, tmp_path):
    shutil.copy(harsh_run.folder / "daily.parquet", tmp_path / "daily.parquet")
    with pytest.raises(RunFolderError, match="not a complete scorelab run"):
        scorelab.report(tmp_path)


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("old")

    def broken(path):
        path.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, broken)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_audit_parquet_answers_a_sql_question(harsh_run, report_html):
    frame = pl.SQLContext(audit=pl.scan_parquet(harsh_run.folder / "audit.parquet")).execute(
        "SELECT \"group\", value, ci_low, ci_high, flagged FROM audit "
        "WHERE dimension = 'sex' AND metric = 'disparity_wrongfully_sanctioned'", eager=True)
    assert sorted(frame["group"]) == ["female", "male"]
    assert frame.filter(pl.col("group") == "female")["value"][0] > 1.25  # NIST: women x3


def test_report_command(harsh_run):
    result = runner.invoke(app, ["report", str(harsh_run.folder), "--by", "urban+sex"])
    assert result.exit_code == 0, result.output
    assert "report.html" in result.output and "audit.parquet" in result.output
    audit = pl.read_parquet(harsh_run.folder / "audit.parquet")
    assert "urban+sex" in audit["dimension"].unique().to_list()


def test_report_command_fails_cleanly(tmp_path):
    result = runner.invoke(app, ["report", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert "no such run folder" in result.output


def test_compare_command_prints_differences_and_writes_a_page(harsh_run,
                                                              harsh_run_fewer_cameras, tmp_path):
    page = tmp_path / "cameras.html"
    result = runner.invoke(app, ["compare", str(harsh_run_fewer_cameras.folder),
                                 str(harsh_run.folder), "--out", str(page)],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "cameras.count" in result.output
    assert "wrongful records: camera" in result.output
    assert page.is_file() and "Plotly.newPlot" in page.read_text()


def test_compare_writes_beside_the_first_run_by_default(harsh_run, harsh_run_fewer_cameras):
    comparison = scorelab.compare(harsh_run_fewer_cameras.folder, harsh_run.folder)
    assert comparison.out == harsh_run.folder.parent / "compare-fewer-vs-harsh.html"
    assert comparison.out.is_file()


@pytest.mark.parametrize(("function", "command", "keywords"), [
    (scorelab.report, "report", {"by"}),
    (scorelab.compare, "compare", {"out"}),
])
def test_public_functions_mirror_the_commands(function, command, keywords):
    parameters = inspect.signature(function).parameters
    assert keywords <= {n for n, p in parameters.items() if p.kind is p.KEYWORD_ONLY}
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    for keyword in keywords:
        assert f"--{keyword}" in result.output


def test_a_sampled_run_says_its_people_figures_are_estimates(tmp_path):
    from ..audit.conftest import HARSH_POLICY, MANY_CAMERAS

    run = scorelab.run(HARSH_POLICY, MANY_CAMERAS, days=60, ledger_sample=0.25,
                       out=tmp_path / "sampled")
    scorelab.report(run.folder)
    assert "seeded sample of" in (run.folder / "report.html").read_text()
    audit = pl.read_parquet(run.folder / "audit.parquet").filter(pl.col("dimension") == "all")
    sample = pl.read_parquet(run.folder / "citizens.parquet").height
    assert audit.filter(pl.col("metric") == "share_denied")["population"][0] == sample < 20_000
    assert audit.filter(pl.col("metric") == "shamed")["population"][0] == 20_000
