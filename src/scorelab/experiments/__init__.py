"""Experiments: many simulations planned from one file, run, resumed, summarised, explained.

``experiment(path, out=...)`` runs a design (grid, Latin hypercube, Sobol,
Morris: SALib) of a policy's and a world's numeric keys, with replicates on
common random numbers, and writes design, results, summary and sensitivity
tables (docs/experiments.md). ``load_experiment`` checks a file with located
errors; ``catalogue`` lists the outputs a simulation can report.
"""

from __future__ import annotations

from scorelab.experiments._experiment import ExperimentProgress, ExperimentResult, experiment
from scorelab.experiments._file import Experiment, load_experiment
from scorelab.experiments._measures import catalogue

__all__ = ["Experiment", "ExperimentProgress", "ExperimentResult", "catalogue", "experiment",
           "load_experiment"]
