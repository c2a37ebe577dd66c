"""Census marginals: the published shares a synthetic population is drawn from.

Reads ``data/census/<name>/*.csv`` (sources in each row and in the folder's
README) into plain numpy arrays the population kernel can use.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scorelab._errors import ScenarioError
from scorelab._resources import data_path

AGE_BANDS: tuple[tuple[int, int], ...] = (
    (0, 17), (18, 29), (30, 44), (45, 59), (60, 74), (75, 120))
"""Age bands used for groups in outputs (not the census bands)."""


@dataclass(frozen=True)
class Census:
    """Marginals of one census, as arrays ready for inverse-CDF draws."""

    name: str
    region_names: tuple[str, ...]
    region_population: np.ndarray  # int64 (R,)
    region_urban_share: np.ndarray  # float64 (R,)
    male_share: float
    age_min: np.ndarray  # int64 (A,)
    age_max: np.ndarray  # int64 (A,)
    age_share: np.ndarray  # float64 (A,)
    household_size_share: np.ndarray  # float64 (10,), index 0 = size 1
    occupation_names: tuple[str, ...]
    occupation_share: np.ndarray  # float64 (O,) share of adults

    @property
    def total_population(self) -> int:
        """People in all regions together."""
        return int(self.region_population.sum())

    @property
    def urban_share(self) -> float:
        """Population-weighted urban share."""
        weights = self.region_population / self.region_population.sum()
        return float((weights * self.region_urban_share).sum())


def _rows(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    except FileNotFoundError:
        raise ScenarioError("census file not found", path=path) from None


def _shares(rows: list[dict[str, str]], column: str, path: Path) -> np.ndarray:
    try:
        values = np.array([float(r[column]) for r in rows])
    except (KeyError, ValueError) as exc:
        raise ScenarioError(f"column {column!r} must hold numbers ({exc})", path=path) from None
    if np.any(values < 0) or not np.isclose(values.sum(), 1.0, atol=1e-3):
        raise ScenarioError(f"{column} must be non-negative and sum to 1", path=path)
    return values / values.sum()


def load_census(name: str) -> Census:
    """Load the census marginals shipped as ``data/census/<name>/``."""
    folder = data_path(f"census/{name}")
    if not folder.is_dir():
        raise ScenarioError(f'unknown census "{name}": no folder {folder}', key="scenario.census")
    regions = _rows(folder / "regions.csv")
    sexes = {r["sex"]: float(r["share"]) for r in _rows(folder / "sex.csv")}
    ages = _rows(folder / "age_bands.csv")
    sizes = _rows(folder / "household_sizes.csv")
    occupations = _rows(folder / "occupations.csv")
    return Census(
        name=name,
        region_names=tuple(r["region"] for r in regions),
        region_population=np.array([int(r["population"]) for r in regions], dtype=np.int64),
        region_urban_share=np.array([float(r["urban_share"]) for r in regions]),
        male_share=sexes["male"] / (sexes["male"] + sexes["female"]),
        age_min=np.array([int(r["age_min"]) for r in ages], dtype=np.int64),
        age_max=np.array([int(r["age_max"]) for r in ages], dtype=np.int64),
        age_share=_shares(ages, "share", folder / "age_bands.csv"),
        household_size_share=_shares(sizes, "share", folder / "household_sizes.csv"),
        occupation_names=tuple(r["occupation"] for r in occupations),
        occupation_share=_shares(occupations, "share", folder / "occupations.csv"),
    )
