"""The synthetic world: census marginals, citizens in households, behaviour and sensors.

The vocabulary (``BEHAVIOURS`` and its ``BEHAVIOUR_NAMES``, the index order of
the simulation's arrays and columns), scenarios, and the population: its
tables built once from a census (``population_tables``), and citizens drawn
chunk by chunk in blocks of ``BLOCK`` (``generate``; ``in_sample`` picks the
ledger's seeded sample).
"""

from __future__ import annotations

from scorelab.world._catalogue import (
    BEHAVIOUR_NAMES,
    BEHAVIOURS,
    SENSOR_NAMES,
    SENSORS,
    SERVICE_NAMES,
    SERVICES,
)
from scorelab.world._census import Census, load_census
from scorelab.world._population import (
    BLOCK,
    Citizens,
    PopulationTables,
    age_band_of,
    generate,
    in_sample,
)
from scorelab.world._population import build_tables as population_tables
from scorelab.world._scenario import FreeParameter, LoadedScenario, Scenario, load_scenario

__all__ = [
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
    "PopulationTables",
    "Scenario",
    "age_band_of",
    "generate",
    "in_sample",
    "load_census",
    "load_scenario",
    "population_tables",
]
