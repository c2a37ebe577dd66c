"""The synthetic world: census marginals, citizens in households, behaviour and sensors."""

from __future__ import annotations

from scorelab.world._catalogue import BEHAVIOURS, SENSORS, SERVICES
from scorelab.world._census import Census, load_census
from scorelab.world._population import Citizens, generate
from scorelab.world._scenario import LoadedScenario, Scenario, load_scenario

__all__ = [
    "BEHAVIOURS",
    "SENSORS",
    "SERVICES",
    "Census",
    "Citizens",
    "LoadedScenario",
    "Scenario",
    "generate",
    "load_census",
    "load_scenario",
]
