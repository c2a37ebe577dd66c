"""Where shipped files live: ``policies/``, ``scenarios/`` and ``data/``.

In a wheel they are packaged under ``scorelab/_shipped``; in a source checkout
(editable install, tests) they sit at the repository root. Callers ask by name
and never care which.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _root(kind: str) -> Path:
    shipped = _PACKAGE / "_shipped" / kind
    if shipped.is_dir():
        return shipped
    return _PACKAGE.parents[1] / kind


def data_path(name: str) -> Path:
    """Path of a file under the shipped ``data/`` folder."""
    return _root("data") / name


def policies_dir() -> Path:
    """The folder of shipped policies."""
    return _root("policies")


def scenarios_dir() -> Path:
    """The folder of shipped scenarios."""
    return _root("scenarios")


def _resolve(name_or_path: str | Path, folder: Path) -> Path:
    path = Path(name_or_path)
    if path.is_file() or path.suffix or len(path.parts) > 1:  # a folder of that name is not it
        return path
    for stem in (str(name_or_path), str(name_or_path).replace("_", "-")):
        candidate = folder / f"{stem}.toml"
        if candidate.exists():
            return candidate
    return folder / f"{name_or_path}.toml"


def resolve_policy(name_or_path: str | Path) -> Path:
    """Accept a path, or a shipped policy's file name or id (``court-list``, ``court_list``)."""
    return _resolve(name_or_path, policies_dir())


def resolve_scenario(name_or_path: str | Path) -> Path:
    """Accept a path, or the name of a shipped scenario (``cameras-2018``)."""
    return _resolve(name_or_path, scenarios_dir())
