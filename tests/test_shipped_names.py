"""A shipped policy or scenario named alone is found, whatever folders the working directory has."""

from __future__ import annotations

from scorelab._resources import policies_dir, resolve_policy, resolve_scenario, scenarios_dir


def test_a_folder_named_like_a_shipped_policy_does_not_hide_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rongcheng").mkdir()  # e.g. an experiment folder written with --out rongcheng
    (tmp_path / "cameras-2018").mkdir()
    assert resolve_policy("rongcheng") == policies_dir() / "rongcheng.toml"
    assert resolve_scenario("cameras-2018") == scenarios_dir() / "cameras-2018.toml"


def test_a_file_in_the_working_directory_is_taken_as_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine").write_text("[policy]\n")
    assert resolve_policy("mine").resolve() == (tmp_path / "mine").resolve()
