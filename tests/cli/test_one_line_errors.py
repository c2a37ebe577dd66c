"""Anything a user can cause is one ``error:`` line and exit code 2, never a traceback.

Seeds outside 0 .. 2**63 - 1, an id past int64, ``compare --out`` to a folder or
under a missing one, fake and truncated run folders, ``--citizens`` too large or
not an integer: each case gets its own test, the exit code and the message.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import scorelab
from scorelab._errors import RunRefusedError
from scorelab._random import SEED_MAX, seed_to_int
from scorelab.cli import app
from scorelab.world import load_scenario

from ..conftest import ROOT

runner = CliRunner()
SEED_RANGE = "--seed: must be an integer from 0 to 9,223,372,036,854,775,807"


def _one_line_error(args: list[str]) -> str:
    """Run the command; it must exit 2 with one ``error:`` line. Return that line."""
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.output.startswith("error: "), result.output
    assert result.output.count("\n") == 1, result.output
    return result.output


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real run: 1,000 citizens for 5 days."""
    out = tmp_path_factory.mktemp("one-line") / "run"
    scorelab.run("rongcheng", citizens=1000, days=5, seed=3, out=out, report=False)
    return out


@pytest.fixture
def copy_of_run(run_folder: Path, tmp_path: Path) -> Path:
    """A copy of the run, to break."""
    return Path(shutil.copytree(run_folder, tmp_path / "copy"))


# -- seeds ---------------------------------------------------------------------------------------


def test_a_negative_seed_is_refused(tmp_path):
    line = _one_line_error(["run", "rongcheng", "--seed", "-1", "--out", str(tmp_path / "r")])
    assert f"{SEED_RANGE} (2**63 - 1), got -1" in line


def test_a_seed_of_2_to_the_64_is_refused_not_wrapped_to_0(tmp_path):
    line = _one_line_error(["run", "rongcheng", "--seed", str(2**64), "--out",
                            str(tmp_path / "r")])
    assert "got 18,446,744,073,709,551,616" in line
    assert not (tmp_path / "r").exists()


def test_the_first_seed_past_the_range_is_refused(tmp_path):
    line = _one_line_error(["run", "rongcheng", "--seed", str(2**63), "--out",
                            str(tmp_path / "r")])
    assert f"{SEED_RANGE} (2**63 - 1), got 9,223,372,036,854,775,808" in line


def test_the_api_takes_the_seeds_of_the_documented_range_and_no_other():
    assert seed_to_int(0) == 0 and seed_to_int(SEED_MAX) == 2**63 - 1
    for seed in (-1, 2**63, 2**64, 1.5, True, "7"):
        with pytest.raises(RunRefusedError, match="^--seed: must be an integer from 0 to"):
            seed_to_int(seed)


def test_calibrate_refuses_a_negative_seed_naming_the_option(tmp_path):
    line = _one_line_error(["calibrate", "china-court-list", "--targets",
                            str(ROOT / "data" / "targets" / "court-list-2014-2018.csv"),
                            "--out", str(tmp_path / "fit"), "--seed", "-1"])
    assert f"{SEED_RANGE}, got -1" in line
    assert ".toml" not in line


# -- --citizens and --days -------------------------------------------------------------------------


def test_citizens_past_the_schema_bound_name_the_option_not_a_shipped_file(tmp_path):
    line = _one_line_error(["run", "rongcheng", "--citizens", str(10**12), "--out",
                            str(tmp_path / "r")])
    assert "--citizens: must be an integer from 1 to 2,000,000,000, got 1,000,000,000,000" in line
    assert ".toml" not in line


def test_citizens_written_1e12_is_a_one_line_usage_error_naming_the_option(tmp_path):
    line = _one_line_error(["run", "rongcheng", "--citizens", "1e12", "--out",
                            str(tmp_path / "r")])
    assert "Invalid value for '--citizens'" in line
    assert "(see " in line and "run --help)" in line


def test_days_past_the_schema_bound_name_the_option(tmp_path):
    line = _one_line_error(["run", "rongcheng", "--days", "100000", "--out",
                            str(tmp_path / "r")])
    assert "--days: must be an integer from 1 to 36,600, got 100,000" in line


def test_load_scenario_refuses_an_override_naming_the_keyword():
    with pytest.raises(RunRefusedError, match=r"^--citizens: must be an integer from 1 to"):
        load_scenario(None, citizens=10**12)
    with pytest.raises(RunRefusedError, match=r"^--days: must be an integer .*got 2.5"):
        load_scenario(None, days=2.5)


def test_an_unknown_option_is_one_line(tmp_path):
    line = _one_line_error(["run", "rongcheng", "--citizen", "5"])
    assert "No such option: --citizen" in line


# -- explain ---------------------------------------------------------------------------------------


def test_explain_an_id_past_int64_is_no_such_citizen(run_folder):
    line = _one_line_error(["explain", str(run_folder), str(2**63)])
    assert f"{run_folder}: no citizen 9223372036854775808 (ids run from 0 to 999)" in line


def test_explain_a_negative_id_is_no_such_citizen(run_folder):
    line = _one_line_error(["explain", str(run_folder), "--", "-1"])
    assert "no citizen -1 (ids run from 0 to 999)" in line


def test_explain_a_negative_id_without_dashes_is_a_one_line_usage_error(run_folder):
    line = _one_line_error(["explain", str(run_folder), "-1"])
    assert "No such option: -1" in line


# -- fake and truncated run folders ------------------------------------------------------------


@pytest.fixture
def hand_written_manifest(copy_of_run: Path) -> Path:
    (copy_of_run / "manifest.json").write_text(json.dumps({"complete": True}))
    return copy_of_run


@pytest.mark.parametrize("command", ["report", "explain", "compare"])
def test_a_hand_written_manifest_without_keys_is_named(hand_written_manifest, run_folder,
                                                       tmp_path, command):
    folder = str(hand_written_manifest)
    args = {"report": ["report", folder], "explain": ["explain", folder, "7"],
            "compare": ["compare", str(run_folder), folder, "--out",
                        str(tmp_path / "page.html")]}[command]
    line = _one_line_error(args)
    assert f"{hand_written_manifest}/manifest.json: not a scorelab manifest: no seed" in line


def test_a_manifest_of_the_wrong_type_is_named(copy_of_run):
    manifest = json.loads((copy_of_run / "manifest.json").read_text())
    manifest["ledger_sample"] = "all"
    (copy_of_run / "manifest.json").write_text(json.dumps(manifest))
    line = _one_line_error(["explain", str(copy_of_run), "7"])
    assert ("manifest.json: not a scorelab manifest: ledger_sample must be int or float, "
            "got 'all'") in line


def test_a_manifest_nested_too_deeply_to_read_is_named(copy_of_run):
    (copy_of_run / "manifest.json").write_text("[" * 100_000 + "]" * 100_000)
    line = _one_line_error(["report", str(copy_of_run)])
    assert f"{copy_of_run}/manifest.json: not a scorelab manifest" in line


def test_report_on_a_text_file_named_daily_parquet_names_it(copy_of_run):
    (copy_of_run / "daily.parquet").write_text("not parquet at all\n")
    line = _one_line_error(["report", str(copy_of_run)])
    assert f"{copy_of_run}/daily.parquet: cannot read it as Parquet" in line


def test_explain_on_a_truncated_citizen_table_names_it(copy_of_run):
    path = copy_of_run / "citizens.parquet"
    path.write_bytes(path.read_bytes()[:500])
    line = _one_line_error(["explain", str(copy_of_run), "7"])
    assert f"{path}: cannot read it as Parquet" in line


def test_explain_on_a_truncated_ledger_names_it(copy_of_run):
    path = copy_of_run / "ledger.parquet"
    path.write_bytes(path.read_bytes()[:300])
    line = _one_line_error(["explain", str(copy_of_run), "7"])
    assert f"{path}: cannot read it as Parquet" in line


def test_report_on_another_table_named_daily_parquet_names_its_missing_columns(copy_of_run):
    shutil.copy(copy_of_run / "ledger.parquet", copy_of_run / "daily.parquet")
    line = _one_line_error(["report", str(copy_of_run)])
    assert f"{copy_of_run}/daily.parquet: no column dimension, group, population and more" in line


def test_compare_with_a_truncated_run_names_the_file(run_folder, copy_of_run, tmp_path):
    path = copy_of_run / "citizens.parquet"
    path.write_bytes(path.read_bytes()[:500])
    line = _one_line_error(["compare", str(run_folder), str(copy_of_run), "--out",
                            str(tmp_path / "page.html")])
    assert f"{path}: cannot read it as Parquet" in line
    assert not (tmp_path / "page.html").exists()


def test_a_run_folder_policy_that_is_not_a_policy_names_the_folder_and_file(copy_of_run):
    (copy_of_run / "policy.toml").write_text("[score]\nstart = 1\n")
    line = _one_line_error(["explain", str(copy_of_run), "7"])
    assert (f"{copy_of_run}: not a scorelab run: its policy is invalid: "
            f"{copy_of_run}/policy.toml") in line


# -- compare --out ------------------------------------------------------------------------------


def test_compare_out_to_an_existing_folder_is_refused(run_folder, tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    line = _one_line_error(["compare", str(run_folder), str(run_folder), "--out", str(folder)])
    assert f"--out {folder} is a folder: give the HTML file to write" in line
    assert list(folder.iterdir()) == []


def test_compare_out_under_a_missing_folder_is_refused(run_folder, tmp_path):
    page = tmp_path / "missing" / "page.html"
    line = _one_line_error(["compare", str(run_folder), str(run_folder), "--out", str(page)])
    assert f"--out {page}: the folder {page.parent} does not exist" in line


# -- text from input files in the terminal ---------------------------------------------------------


def test_markup_and_escapes_from_input_files_print_as_written(run_folder, tmp_path):
    # was: rich read "[/x]" in a policy's name as markup and failed after the run (MarkupError)
    policy = tmp_path / "policy.toml"
    policy.write_text((ROOT / "policies" / "rongcheng.toml").read_text().replace(
        'name = "', 'name = "a[/x]b \\u001b[2J', 1))
    scenario = tmp_path / "scenario.toml"
    scenario.write_text('[scenario]\nname = "s[/oops] \\u001b[31mred"\n')
    result = runner.invoke(app, ["run", str(policy), "--scenario", str(scenario), "--citizens",
                                 "1000", "--days", "5", "--seed", "3", "--out",
                                 str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    assert "a[/x]b \\x1b[2JRongcheng" in result.output
    compared = runner.invoke(app, ["compare", str(run_folder), str(tmp_path / "run"), "--out",
                                   str(tmp_path / "page.html")])
    assert compared.exit_code == 0, compared.output
    assert "[/oops] \\x1b[31mred" in compared.output
    assert "\x1b" not in result.output + compared.output
