"""Shared fixtures: small seeded runs reused across tests (the engine compiles once)."""

from __future__ import annotations

from pathlib import Path

import pytest

import scorelab

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "policies"


@pytest.fixture(scope="session")
def runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="session")
def rongcheng_run(runs_dir: Path) -> scorelab.RunResult:
    """Rongcheng on 6,000 citizens for two years, seed 7."""
    return scorelab.run(POLICIES / "rongcheng.toml", citizens=6000, days=730, seed=7,
                        out=runs_dir / "rongcheng", chunk_size=2048)


@pytest.fixture(scope="session")
def court_run(runs_dir: Path) -> scorelab.RunResult:
    """The court list on 30,000 citizens for two years, with many defaulters."""
    scenario = runs_dir / "court-scenario.toml"
    scenario.write_text(
        '[scenario]\nname = "court test"\ncitizens = 30000\ndays = 730\nseed = 11\n'
        "[behaviours.judgment_default]\nrate_per_year = 0.05\n"
        "[services.private_school]\nattempts_per_year = 2.0\n"
        "[services.flight]\nattempts_per_year = 2.0\n"
    )
    return scorelab.run(POLICIES / "court-list.toml", scenario, out=runs_dir / "court")
