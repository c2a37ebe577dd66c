"""What an experiment's simulations say: per-point statistics and what drives each output.

``summary`` has one row per design point and output: mean, sd, standard error,
5th, 50th and 95th percentiles and n over the replicates where the output is
defined (a NaN ratio is left out, and n says how many remain); ``series`` one row per
design point, daily series and day: the median and 5-95% band. ``sensitivity`` has
one row per output and factor: Sobol first-order and total indices with their
95% confidence intervals (``sobol`` designs), or Morris mu*, its interval and
sigma (``morris``), from SALib, computed on each point's mean over replicates.
"""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
from SALib.analyze import morris as morris_analysis
from SALib.analyze import sobol as sobol_analysis

from scorelab.experiments._design import MORRIS_LEVELS, Simulation, salib_problem
from scorelab.experiments._file import Experiment


def summary_table(results: pl.DataFrame, outputs: list[str]) -> pl.DataFrame:
    """Point x output statistics over replicates."""
    long = results.unpivot(index=["point", "replicate"], on=outputs, variable_name="output")
    long = long.with_columns(pl.col("value").fill_nan(None))  # undefined: left out, not 0
    stats = long.group_by(["point", "output"], maintain_order=True).agg(
        mean=pl.col("value").mean(),
        sd=pl.col("value").std(),
        n=pl.col("value").count(),
        p05=pl.col("value").quantile(0.05, "linear"),
        p50=pl.col("value").quantile(0.5, "linear"),
        p95=pl.col("value").quantile(0.95, "linear"),
    )
    stats = stats.with_columns(se=pl.col("sd") / pl.col("n").sqrt()).with_columns(
        pl.col("mean", "sd", "se", "p05", "p50", "p95").fill_null(float("nan")))
    return stats.select(
        "point", "output", "mean", "sd", "se", "p05", "p50", "p95", "n").sort(["point", "output"])


def series_table(daily: list[dict]) -> pl.DataFrame:
    """Point x series x day: the median and 5-95% band over replicates, and n."""
    long = pl.DataFrame(daily).with_columns(
        day=pl.int_ranges(0, pl.col("value").list.len())).explode(["value", "day"])
    return long.group_by(["point", "series", "day"], maintain_order=True).agg(
        p05=pl.col("value").quantile(0.05, "linear"),
        p50=pl.col("value").quantile(0.5, "linear"),
        p95=pl.col("value").quantile(0.95, "linear"),
        n=pl.len(),
    ).sort(["point", "series", "day"])


def point_means(results: pl.DataFrame, outputs: list[str]) -> pl.DataFrame:
    """Each design point's mean of every output over the replicates where it is defined.

    A replicate whose output is NaN (a ratio whose reference group had none) is
    left out; a point with no defined replicate gets NaN.
    """
    return results.group_by("point").agg(
        [pl.col(o).fill_nan(None).mean().fill_null(float("nan")) for o in outputs]).sort("point")


def sensitivity_table(experiment: Experiment, sims: list[Simulation], results: pl.DataFrame,
                      outputs: list[str]) -> pl.DataFrame | None:
    """Output x factor sensitivity indices, for sobol and morris designs (None otherwise)."""
    design = experiment.meta.design
    if design not in ("sobol", "morris"):
        return None
    problem = salib_problem(experiment)
    means = point_means(results, outputs)
    first = {}
    for sim in sims:
        first.setdefault(sim.point, sim.values)
    inputs = np.array([[first[p][name] for name in problem["names"]] for p in sorted(first)])
    seed = experiment.meta.seed % (2**32)
    rows = []
    for output in outputs:
        y = means[output].to_numpy().astype(float)
        if not np.isfinite(y).all() or np.ptp(y) == 0:  # constant or undefined: no index
            keys = (("S1", "S1_conf", "ST", "ST_conf") if design == "sobol"
                    else ("mu_star", "mu_star_conf", "sigma"))
            rows += [{"output": output, "factor": name, **dict.fromkeys(keys, float("nan"))}
                     for name in problem["names"]]
            continue
        with warnings.catch_warnings():  # a constant output: SALib divides by its variance 0
            warnings.simplefilter("ignore", RuntimeWarning)
            if design == "sobol":
                found = sobol_analysis.analyze(problem, y, calc_second_order=False, seed=seed)
                for j, name in enumerate(problem["names"]):
                    rows.append({"output": output, "factor": name,
                                 **{key: float(found[key][j])
                                    for key in ("S1", "S1_conf", "ST", "ST_conf")}})
            else:
                found = morris_analysis.analyze(problem, inputs, y, num_levels=MORRIS_LEVELS,
                                                seed=seed)
                for j, name in enumerate(problem["names"]):
                    rows.append({"output": output, "factor": name,
                                 "mu_star": float(found["mu_star"][j]),
                                 "mu_star_conf": float(found["mu_star_conf"][j]),
                                 "sigma": float(found["sigma"][j])})
    return pl.DataFrame(rows)
