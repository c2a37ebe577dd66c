"""The forecast band: seed noise and parameter uncertainty, a 90% interval beside each value."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

import scorelab
from scorelab._seeds import replicate_seed
from scorelab.calibration import Evaluation
from scorelab.cli import app

from .conftest import TRUE, tiny_scenario

SEED = 6  # not the scenario's 5, at which the targets were simulated: the fit is not exact


def _rows(folder: Path, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader((folder / name).read_text().splitlines()))


def _calibrate(scenario: Path, targets: Path, out: Path, replicates: int = 3):
    """The scenario's own values simulated once (no search), then the band."""
    return scorelab.calibrate(scenario, targets=targets, out=out, max_evaluations=1, seed=SEED,
                              replicates=replicates)


@pytest.fixture(scope="module")
def unfitted(tiny_case, tiny_truth, tmp_path_factory):
    return _calibrate(tiny_truth, tiny_case[1], tmp_path_factory.mktemp("band") / "fit")


def test_one_evaluation_still_writes_the_band(unfitted):
    rows = _rows(unfitted.folder, "forecast.csv")
    assert list(rows[0]) == ["date", "metric", "value", "lower", "upper"]
    summary = json.loads((unfitted.folder / "calibration.json").read_text())
    assert unfitted.evaluations == 1 == len(summary["history"])  # the band's are not the search's
    assert summary["band"]["replicates"] == unfitted.replicates == 3
    assert summary["band"]["seeds"] == [replicate_seed(SEED, r) for r in range(3)]
    assert set(unfitted.sd) == set(TRUE)
    assert all(p["low_90"] <= p["fitted"] <= p["high_90"] for p in summary["parameters"])


def test_lower_never_exceeds_upper(unfitted):
    for name in ("forecast.csv", "fit.csv"):
        rows = _rows(unfitted.folder, name)
        assert rows and all(int(r["lower"]) <= int(r["upper"]) for r in rows), name
    # a cumulative count can only rise after a month-end with nobody listed yet
    assert any(int(r["upper"]) > 0 for r in _rows(unfitted.folder, "forecast.csv"))


def test_the_band_is_the_same_for_the_same_inputs(unfitted, tiny_case, tiny_truth, tmp_path):
    again = _calibrate(tiny_truth, tiny_case[1], tmp_path / "again")
    for name in ("forecast.csv", "fit.csv"):
        assert (again.folder / name).read_bytes() == (unfitted.folder / name).read_bytes()
    # the value column is the fitted simulation's own, whatever the band's size
    fewer = _calibrate(tiny_truth, tiny_case[1], tmp_path / "fewer", replicates=2)
    assert ([r["value"] for r in _rows(fewer.folder, "forecast.csv")]
            == [r["value"] for r in _rows(unfitted.folder, "forecast.csv")])


def test_fit_page_draws_the_band(unfitted):
    page = (unfitted.folder / "fit.html").read_text()
    assert '"name":"90% band"' in page
    assert '"fill":"toself"' in page


def test_fewer_than_two_replicates_are_refused(tiny_case, tiny_truth, tmp_path):
    with pytest.raises(scorelab.RunRefusedError, match="replicates must be at least 2, got 1"):
        _calibrate(tiny_truth, tiny_case[1], tmp_path / "api", replicates=1)
    result = CliRunner().invoke(app, ["calibrate", str(tiny_truth), "--targets",
                                      str(tiny_case[1]), "--out", str(tmp_path / "cli"),
                                      "--replicates", "0"])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") and result.output.count("\n") == 1, result.output
    assert not (tmp_path / "api").exists() and not (tmp_path / "cli").exists()


def test_a_parameter_no_target_reads_keeps_its_prior_spread(tiny_case, tmp_path):
    # listings alone: the flight rate changes no target, so only the band shows its doubt
    listings = tmp_path / "listings.csv"
    listings.write_text("\n".join(line for line in tiny_case[1].read_text().splitlines()
                                  if "flights" not in line) + "\n")
    widths, spreads = {}, {}
    for name, free in (("free", tuple(TRUE)), ("fixed", (next(iter(TRUE)),))):
        scenario = tmp_path / f"{name}.toml"
        scenario.write_text(tiny_scenario(*TRUE.values(), free=free))
        result = _calibrate(scenario, listings, tmp_path / name, replicates=5)
        last = next(r for r in _rows(result.folder, "forecast.csv")
                    if r["date"] == "2019-12-31" and r["metric"] == "flights_blocked_cumulative")
        widths[name] = (int(last["upper"]) - int(last["lower"])) / int(last["value"])
        spreads[name] = {p["key"]: p["sd_unit"] for p in json.loads(
            (result.folder / "calibration.json").read_text())["parameters"]}
    assert spreads["free"]["behaviours.judgment_default.rate_per_year"] < 0.1
    # the prior range as a Gaussian: sd sqrt(1/12) of the range, not a pseudo-inverse's 0
    assert spreads["free"]["services.flight.attempts_per_year"] == pytest.approx(
        math.sqrt(1 / 12), rel=0.1)
    assert widths["free"] > 3 * widths["fixed"]


def test_an_interrupted_band_leaves_nothing_behind(tiny_case, tiny_truth, tmp_path):
    def interrupt(evaluation: Evaluation) -> None:
        if evaluation.stage == "band":  # Ctrl-C during the band's first simulation
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        scorelab.calibrate(tiny_truth, targets=tiny_case[1], out=tmp_path / "fit",
                           max_evaluations=1, replicates=2, progress=interrupt)
    assert list(tmp_path.iterdir()) == []  # no result, no hidden staging folder, no lock
