"""Camera coverage by region and urban/rural, scaled by the number of cameras."""

from __future__ import annotations

import numpy as np

from scorelab.engine._tables import camera_coverage
from scorelab.world import load_census, load_scenario

CENSUS = load_census("china-2020")


def _coverage(count: int, exponent: float = 1.0) -> np.ndarray:
    base = load_scenario(None).scenario
    cameras = base.cameras.model_copy(update={"count": count,
                                              "urbanization_exponent": exponent})
    return camera_coverage(base.model_copy(update={"cameras": cameras}), CENSUS)


def test_cities_see_more_than_the_countryside():
    coverage = _coverage(176_000_000)
    assert (coverage[1::2] > coverage[0::2]).all()


def test_more_urban_provinces_have_denser_cameras():
    coverage = _coverage(176_000_000)[1::2]
    order = np.argsort(CENSUS.region_urban_share)
    assert coverage[order[-1]] > coverage[order[0]]
    even = _coverage(176_000_000, exponent=0.0)[1::2]
    assert np.allclose(even, even[0])


def test_more_cameras_see_more_everywhere():
    assert (_coverage(600_000_000) > _coverage(176_000_000)).all()


def test_the_camera_count_is_preserved():
    reach = load_scenario(None).scenario.cameras.reach
    density = -np.log(1 - _coverage(600_000_000)) / reach
    residents = np.empty_like(density)
    residents[1::2] = CENSUS.region_population * CENSUS.region_urban_share
    residents[0::2] = CENSUS.region_population * (1 - CENSUS.region_urban_share)
    assert abs((density * residents).sum() - 600_000_000) < 1e-3 * 600_000_000
