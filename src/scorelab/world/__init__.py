"""The synthetic world: census marginals, citizens in households, behaviour and sensors.

The vocabulary (``BEHAVIOURS`` and its ``BEHAVIOUR_NAMES``, the index order of
the simulation's arrays and columns), scenarios, and the population: its
tables built once from a census (``census_cdfs``), and citizens drawn
chunk by chunk in blocks of ``BLOCK`` (``generate``; ``in_sample`` picks the
ledger's seeded sample).
"""

from __future__ import annotations

from scorelab.world._census import AGE_BANDS, Census, load_census
from scorelab.world._population import (
    BLOCK,
    CensusCdfs,
    Citizens,
    age_band_of,
    census_cdfs,
    generate,
    in_sample,
)
from scorelab.world._scenario import (
    FreeParameter,
    LoadedScenario,
    Scenario,
    deep_merge,
    load_scenario,
)
from scorelab.world._vocabulary import (
    BEHAVIOUR_NAMES,
    BEHAVIOURS,
    SENSOR_NAMES,
    SENSORS,
    SERVICE_NAMES,
    SERVICES,
)

__all__ = [
    "AGE_BANDS",
    "BEHAVIOURS",
    "BEHAVIOUR_NAMES",
    "BLOCK",
    "SENSORS",
    "SENSOR_NAMES",
    "SERVICES",
    "SERVICE_NAMES",
    "Census",
    "Citizens",
    "FreeParameter",
    "LoadedScenario",
    "CensusCdfs",
    "Scenario",
    "age_band_of",
    "generate",
    "in_sample",
    "load_census",
    "load_scenario",
    "census_cdfs",
    "deep_merge",
]
