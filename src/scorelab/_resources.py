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


def resolve_policy(name_or_path: str | Path) -> Path:
    """Accept a path, or the name of a shipped policy (``rongcheng``)."""
    path = Path(name_or_path)
    if path.exists() or path.suffix:
        return path
    return policies_dir() / f"{name_or_path}.toml"


def resolve_scenario(name_or_path: str | Path) -> Path:
    """Accept a path, or the name of a shipped scenario (``cameras-2018``)."""
    path = Path(name_or_path)
    if path.exists() or path.suffix:
        return path
    return scenarios_dir() / f"{name_or_path}.toml"
