"""The Ray backend writes the same run folder as the local one."""

from __future__ import annotations

import pytest

import scorelab
from scorelab._run_folder import TABLES

from ..conftest import POLICIES

pytest.importorskip("ray", reason="installed by .ci/run through the ray extra")


def test_ray_backend_matches_local_backend(tmp_path):
    common = dict(citizens=6000, days=90, seed=13, chunk_size=2048)
    local = scorelab.run(POLICIES / "court-list.toml", out=tmp_path / "local", **common)
    ray_run = scorelab.run(POLICIES / "court-list.toml", out=tmp_path / "ray", backend="ray",
                           **common)  # as many tasks in flight as the local Ray has CPUs
    for name in TABLES:
        assert (local.folder / name).read_bytes() == (ray_run.folder / name).read_bytes(), name
    assert ray_run.manifest["backend"] == "ray"
    assert ray_run.manifest["workers"] is None  # chosen by the cluster
