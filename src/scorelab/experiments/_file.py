"""An experiment file: a base policy and world, factors, a design, replicates, outputs.

Validated like policies: the shape by pydantic, then the meaning (every factor
path names a number in the base policy or scenario, a design has the factors it
needs, every output is in the catalogue), each failure an
:class:`~scorelab._errors.ExperimentError` naming file, line, key and what was
expected.

Factor paths are dotted, starting at ``policy.`` or ``scenario.``; an element of
an array of tables is named by its ``id`` (rules) or ``name`` (grades):
``policy.rules.fraud.points``, ``policy.grades.A.min``,
``scenario.cameras.false_match_rate``, ``scenario.behaviours.jaywalking.rate_per_year``.
A categorical factor's path is ``policy`` or ``scenario`` itself, and its
levels are whole files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from scorelab._errors import ExperimentError
from scorelab._resources import resolve_policy, resolve_scenario
from scorelab._toml import key_path, load_toml, locate, validate
from scorelab.experiments._measures import check_output, check_series
from scorelab.experiments._paths import base_documents, number_at

SEED_LIMIT = 2**63 - 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Meta(_Strict):
    """The ``[experiment]`` table."""

    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    policy: str = Field(min_length=1)
    scenario: str | None = None
    citizens: int = Field(ge=1, le=10_000_000)
    days: int = Field(ge=1, le=36_600)
    replicates: int = Field(ge=1, le=10_000)
    seed: int = Field(ge=0, le=SEED_LIMIT)
    design: Literal["grid", "lhs", "sobol", "morris"]
    samples: int | None = Field(default=None, ge=1, le=1_000_000)
    outputs: tuple[str, ...] = Field(min_length=1, max_length=200)
    series: tuple[str, ...] = Field(default=(), max_length=50)
    sources: tuple[str, ...] = ()


class Factor(_Strict):
    """One ``[[factor]]``: values (a grid), a range (sampled), or levels (whole files)."""

    path: str = Field(min_length=1, max_length=300)
    values: tuple[float, ...] | None = Field(default=None, min_length=1, max_length=1000)
    range: tuple[float, float] | None = None
    levels: tuple[str, ...] | None = Field(default=None, min_length=2, max_length=100)
    note: str = ""

    @model_validator(mode="after")
    def _one_kind(self) -> Factor:
        given = [name for name in ("values", "range", "levels") if getattr(self, name)]
        if len(given) != 1:
            raise ValueError("give exactly one of values, range or levels, got "
                             + (", ".join(given) or "none"))
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError(f"range must be [low, high] with low < high, got {list(self.range)}")
        return self

    @property
    def categorical(self) -> bool:
        """Whether its levels are whole policy or scenario files."""
        return self.levels is not None


class ExperimentModel(_Strict):
    """A whole experiment file."""

    experiment: Meta
    factor: tuple[Factor, ...] = Field(min_length=1, max_length=64)


@dataclass(frozen=True)
class Experiment:
    """A validated experiment, where it came from, and its base files."""

    model: ExperimentModel
    path: Path
    text: str
    policy_path: Path
    scenario_path: Path | None

    @property
    def meta(self) -> Meta:  # noqa: D102
        return self.model.experiment

    @property
    def factors(self) -> tuple[Factor, ...]:  # noqa: D102
        return self.model.factor


def load_experiment(path: str | Path, **overrides: Any) -> Experiment:
    """Read and check an experiment file; ``overrides`` replace ``[experiment]`` values.

    Raises:
        ExperimentError: naming the file, the line, the key and what was expected.
    """
    path = Path(path)
    data, text = load_toml(path, ExperimentError)
    given = {name: value for name, value in overrides.items() if value is not None}
    if given and isinstance(data.get("experiment"), dict):
        data = {**data, "experiment": {**data["experiment"], **given}}
    model = validate(ExperimentModel, data, path=path, text=text, error=ExperimentError)

    def fail(loc: tuple[str | int, ...], reason: str) -> None:
        raise ExperimentError(reason, path=path, line=locate(text, loc), key=key_path(loc))

    meta = model.experiment
    policy_path = _find("policy", meta.policy, path.parent, fail, ("experiment", "policy"))
    scenario_path = None if meta.scenario is None else _find(
        "scenario", meta.scenario, path.parent, fail, ("experiment", "scenario"))
    documents = base_documents(policy_path, scenario_path)
    for i, factor in enumerate(model.factor):
        loc = ("factor", i, "path")
        if factor.categorical:
            if factor.path not in ("policy", "scenario"):
                fail(loc, f'levels are whole files: the path must be "policy" or "scenario", '
                          f'got "{factor.path}"')
            for j, level in enumerate(factor.levels or ()):
                _find(factor.path, level, path.parent, fail, ("factor", i, "levels", j))
            continue
        reason = number_at(documents, factor.path)
        if reason:
            fail(loc, reason)
    _check_design(model, fail)
    for j, name in enumerate(meta.outputs):
        reason = check_output(name)
        if reason:
            fail(("experiment", "outputs", j), reason)
    for j, name in enumerate(meta.series):
        reason = check_series(name)
        if reason:
            fail(("experiment", "series", j), reason)
    return Experiment(model, path, text, policy_path, scenario_path)


def find_file(kind: str, name: str, base: Path) -> Path | None:
    """A policy or scenario file: beside the experiment file, as given, or shipped."""
    beside = base / name
    if beside.is_file():
        return beside
    found = (resolve_policy if kind == "policy" else resolve_scenario)(name)
    return found if found.is_file() else None


def _find(kind: str, name: str, base: Path, fail, loc) -> Path:
    """:func:`find_file`, or the located error saying there is no such file."""
    found = find_file(kind, name, base)
    if found is None:
        fail(loc, f'no {kind} file "{name}" (beside the experiment file, from the working '
                  f"directory, or shipped: see scorelab policies)")
    return found  # type: ignore[return-value]


def _check_design(model: ExperimentModel, fail) -> None:
    """A design gets the factors and sample count it needs."""
    meta, factors = model.experiment, model.factor
    numeric = [f for f in factors if not f.categorical]
    if meta.design == "grid":
        for i, factor in enumerate(factors):
            if factor.range is not None:
                fail(("factor", i, "range"), "a grid design takes values (or levels), not a "
                     "range: give values = [...], or choose design lhs, sobol or morris")
        return
    for i, factor in enumerate(factors):
        if factor.values is not None:
            fail(("factor", i, "values"), f"a {meta.design} design samples ranges: give "
                 "range = [low, high], or choose design grid")
        if factor.categorical:
            fail(("factor", i, "levels"), f"a {meta.design} design samples numbers: a factor "
                 "of whole files needs design grid")
    if meta.samples is None:
        fail(("experiment", "design"), f"a {meta.design} design needs samples = N (base "
             "samples; sobol runs N x (factors + 2) points, morris N x (factors + 1))")
    if meta.design == "sobol" and meta.samples is not None and (
            meta.samples & (meta.samples - 1)):
        fail(("experiment", "samples"), "a sobol design needs samples = a power of 2 (its "
             f"sequence balances only then), got {meta.samples}")
    if meta.design in ("sobol", "morris") and len(numeric) < 2:
        fail(("experiment", "design"), f"a {meta.design} design needs at least two factors "
             f"to apportion an output between, got {len(numeric)}")
