"""Small runs for the audit and report tests (session scope: each is simulated once)."""

from __future__ import annotations

from pathlib import Path

import pytest

import scorelab

DATA = Path(__file__).resolve().parent / "data"
HARSH_POLICY = DATA / "harsh-cameras.toml"
MANY_CAMERAS = DATA / "many-cameras.toml"


@pytest.fixture(scope="session")
def audit_runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("audit-runs")


@pytest.fixture(scope="session")
def harsh_run(audit_runs_dir: Path) -> scorelab.RunResult:
    """20,000 citizens for 180 days under a harsh camera policy, with a baseline.

    Every audited outcome occurs: lists, denials, wrongful denials, shaming, rewards.
    """
    return scorelab.run(HARSH_POLICY, MANY_CAMERAS, out=audit_runs_dir / "harsh", baseline=True)


@pytest.fixture(scope="session")
def harsh_run_fewer_cameras(audit_runs_dir: Path) -> scorelab.RunResult:
    """The same world and seed with a quarter of the cameras and no baseline."""
    scenario = audit_runs_dir / "fewer-cameras.toml"
    scenario.write_text(MANY_CAMERAS.read_text().replace("600_000_000", "150_000_000")
                        .replace('"many-cameras (test)"', '"fewer-cameras (test)"'))
    return scorelab.run(HARSH_POLICY, scenario, out=audit_runs_dir / "fewer")
