"""Design points from an experiment's factors, and every simulation's seed.

Grids are the full factorial of the factors' values (and levels); sampled
designs come from SALib: Latin hypercube (``lhs``), Saltelli's scheme for Sobol
indices (``sobol``, first and total order) and Morris trajectories
(``morris``). A simulation's seed depends on the experiment seed and its
replicate only, so replicate r uses the same seed at every design point (common
random numbers): differences between points are paired.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from SALib.sample import latin, morris, sobol

from scorelab._seeds import replicate_seed
from scorelab.experiments._file import Experiment

MORRIS_LEVELS = 4


@dataclass(frozen=True)
class Simulation:
    """One simulation: its number, design point, replicate, seed and factor values."""

    number: int
    point: int
    replicate: int
    seed: int
    values: dict[str, float | str]


def salib_problem(experiment: Experiment) -> dict:
    """The SALib problem of the experiment's numeric factors (names are their paths)."""
    numeric = [f for f in experiment.factors if f.range is not None]
    return {"num_vars": len(numeric), "names": [f.path for f in numeric],
            "bounds": [list(f.range) for f in numeric]}  # type: ignore[arg-type]


def design_points(experiment: Experiment) -> list[dict[str, float | str]]:
    """The design's points, each a factor path -> value (a level file for categorical ones)."""
    meta = experiment.meta
    if meta.design == "grid":
        axes = [[(f.path, v) for v in (f.values or f.levels or ())] for f in experiment.factors]
        return [dict(combination) for combination in itertools.product(*axes)]
    problem = salib_problem(experiment)
    seed = meta.seed % (2**32)
    if meta.design == "lhs":
        matrix = latin.sample(problem, meta.samples, seed=seed)
    elif meta.design == "sobol":
        matrix = sobol.sample(problem, meta.samples, calc_second_order=False, seed=seed)
    else:
        matrix = morris.sample(problem, meta.samples, num_levels=MORRIS_LEVELS, seed=seed)
    return [{name: float(v) for name, v in zip(problem["names"], row, strict=True)}
            for row in np.asarray(matrix)]


def simulations(experiment: Experiment) -> list[Simulation]:
    """Every simulation, point by point, replicate by replicate."""
    seeds = [replicate_seed(experiment.meta.seed, r) for r in range(experiment.meta.replicates)]
    out = []
    for point, values in enumerate(design_points(experiment)):
        for replicate, seed in enumerate(seeds):
            out.append(Simulation(len(out), point, replicate, seed, values))
    return out
