"""A tiny world whose true parameters are known: the targets are its own simulated figures."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import scorelab
from scorelab.world import BEHAVIOURS, SERVICES

TRUE = {"behaviours.judgment_default.rate_per_year": 0.02,
        "services.flight.attempts_per_year": 2.0}
TARGET_DATES = [dt.date(2018, 3, 31), dt.date(2018, 9, 30), dt.date(2019, 3, 31),
                dt.date(2019, 12, 31)]
TARGET_METRICS = ["people_listed_cumulative", "flights_blocked_cumulative"]
PRIORS = {"behaviours.judgment_default.rate_per_year": (0.002, 0.2),
          "services.flight.attempts_per_year": (0.2, 20.0)}


def tiny_scenario(judgment_rate: float, flight_rate: float, *, calibration: bool = True,
                  free: tuple[str, ...] = tuple(PRIORS)) -> str:
    """3,000 citizens standing for 3 M over two years; only the two fitted sources act.

    ``free`` names the free parameters of its ``[calibration]`` table.
    """
    text = f"""\
[scenario]
name = "tiny court list"
citizens = 3000
represents = 3_000_000
days = 730
start_date = 2018-01-01
seed = 5

[behaviours.judgment_default]
# a made-up rate, high so that a tiny world lists enough people
rate_per_year = {judgment_rate}

[services.flight]
attempts_per_year = {flight_rate}
"""
    # Everything else is off: other sources cost simulated events and change
    # nothing the fit reads.
    for name in BEHAVIOURS:
        if name != "judgment_default":
            text += f"\n[behaviours.{name}]\nrate_per_year = 0.0\n"
    for name in SERVICES:
        if name != "flight":
            text += f"\n[services.{name}]\nattempts_per_year = 0.0\n"
    for name in ("informant", "platform"):
        text += f"\n[sensors.{name}]\nfalse_reports_per_year = 0.0\n"
    if calibration:
        text += '\n[calibration]\npolicy = "court-list"\nmax_evaluations = 40\n'
        for key in free:
            low, high = PRIORS[key]
            text += f'\n[[calibration.parameters]]\nkey = "{key}"\nlow = {low}\nhigh = {high}\n'
    return text


@pytest.fixture(scope="session")
def tiny_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(scenario starting away from the truth, targets simulated at the truth)."""
    folder = tmp_path_factory.mktemp("tiny-calibration")
    truth = folder / "truth.toml"
    truth.write_text(tiny_scenario(*TRUE.values()))
    # one simulation at the truth, against placeholder targets: its fit.csv holds
    # the simulated figures
    placeholder = folder / "placeholder.csv"
    placeholder.write_text("date,metric,value\n" + "".join(
        f"{day},{metric},1\n" for day in TARGET_DATES for metric in TARGET_METRICS))
    result = scorelab.calibrate(truth, targets=placeholder, out=folder / "truth",
                                max_evaluations=1, replicates=2)
    rows = ["date,metric,value,source"]
    rows += [f"{r.date},{r.metric},{r.simulated},truth run" for r in result.fit]
    targets = folder / "targets.csv"
    targets.write_text("\n".join(rows) + "\n")
    start = folder / "start.toml"
    start.write_text(tiny_scenario(0.006, 6.0))
    return start, targets


@pytest.fixture(scope="session")
def tiny_truth(tiny_case: tuple[Path, Path]) -> Path:
    """The tiny world's scenario at its true values (free parameters declared)."""
    return tiny_case[0].parent / "truth.toml"
