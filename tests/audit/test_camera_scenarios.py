"""The two camera scenarios differ only in the camera count, and compare as the seed suggests."""

from __future__ import annotations

import tomllib

import scorelab
from scorelab._resources import scenarios_dir
from scorelab.world import load_scenario


def flatten(table, prefix=""):
    out = {}
    for key, value in table.items():
        out |= flatten(value, f"{prefix}{key}.") if isinstance(value, dict) else {
            f"{prefix}{key}": value}
    return out


def test_the_camera_scenarios_differ_only_in_cameras():
    old, new = (flatten(tomllib.loads((scenarios_dir() / f"cameras-{year}.toml").read_text()))
                for year in (2018, 2020))
    differing = {key for key in old.keys() | new.keys() if old.get(key) != new.get(key)}
    assert differing == {"scenario.name", "scenario.description", "cameras.count"}
    assert (old["cameras.count"], new["cameras.count"]) == (176_000_000, 600_000_000)
    assert load_scenario(scenarios_dir() / "cameras-2020.toml").scenario.scenario.citizens == (
        200_000)


def test_more_cameras_shame_more_people_and_more_of_them_wrongly(tmp_path):
    runs = [scorelab.run("jaywalking-shaming", f"cameras-{year}", citizens=20_000, days=180,
                         out=tmp_path / str(year)) for year in (2018, 2020)]
    comparison = scorelab.compare(runs[0].folder, runs[1].folder, out=tmp_path / "c.html")
    assert comparison.row("shown on public screens").relative_change > 1.0
    assert comparison.row("wrongful records: camera").difference > 0
    assert comparison.row("unseen: jaywalking").difference < 0
