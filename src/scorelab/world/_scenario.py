"""Scenarios: the synthetic world a policy is run on.

A scenario file states the population size, the calendar, the sensors and the
behaviour of citizens. Every world parameter has a documented default in
``data/world-defaults.toml`` (with its source or marked as an assumption); a
scenario file overrides only what it changes, by deep merge. Unknown keys are
errors, so a typo never silently falls back to a default.

Two optional parts serve calibration (``scorelab.calibration``): ``represents``
in ``[scenario]`` (the real population the simulated citizens stand for, so a
result scales by ``represents / citizens``) and a ``[calibration]`` table
declaring free parameters (dotted keys of this schema) with prior ranges.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import operator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    model_validator,
)

from scorelab._echo import expected, shorten
from scorelab._errors import RunRefusedError, ScenarioError
from scorelab._resources import data_path
from scorelab._toml import load_toml, locate, validate
from scorelab.world._vocabulary import BEHAVIOUR_NAMES, SENSOR_NAMES, SERVICE_NAMES

MAX_CITIZENS = 2_000_000_000
#: the most acts of one behaviour a year that the busiest citizen may reach, after
#: every multiplier: a bound on the engine's work per citizen-day.
MAX_ACTS_PER_YEAR = 3650.0


def _per_year(value: object, where: str = "") -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 365:
        raise ValueError(f"{where}expected a number of events a year in [0, 365], got "
                         f"{shorten(repr(value))}")
    return float(value)


def _dated_per_year(value: object) -> float | dict[dt.date, float]:
    """A number of events a year, or a table of dates to such numbers."""
    if not isinstance(value, dict):
        return _per_year(value)
    table = {}
    for key, rate in value.items():
        try:
            date = key if isinstance(key, dt.date) else dt.date.fromisoformat(str(key))
        except ValueError:
            raise ValueError(f'"{key}" is not a date (YYYY-MM-DD)') from None
        table[date] = _per_year(rate, f"{date}: ")
    return table


#: a yearly rate, or a table of dates (``"2016-01-01" = 0.004``): each rate holds from
#: its date to the next one; before the first date the rate is 0 (see docs/model.md)
DatedPerYear = Annotated[
    float | dict[dt.date, float], PlainValidator(_dated_per_year),
    PlainSerializer(lambda rate: {str(k): v for k, v in rate.items()} if isinstance(rate, dict)
                    else rate, when_used="json"),
]


def largest(rate: float | dict[dt.date, float]) -> float:
    """The largest value a (maybe dated) rate takes."""
    return max(rate.values(), default=0.0) if isinstance(rate, dict) else rate


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Meta(_Strict):
    """Name, size and calendar of the world."""

    name: str
    description: str = ""
    citizens: int = Field(gt=0, le=MAX_CITIZENS)
    days: int = Field(gt=0, le=36_600)
    start_date: dt.date = dt.date(2018, 1, 1)
    seed: int = Field(default=0, ge=0, lt=2**63)
    census: str = "china-2020"
    # the real population the citizens stand for (None: themselves); results scale
    # by represents / citizens
    represents: int | None = Field(default=None, gt=0, le=100 * MAX_CITIZENS)


class Cameras(_Strict):
    """Street cameras as detectors: how many, how much they see, how often they err."""

    count: int = Field(ge=0, le=10**12)
    reach: float = Field(gt=0)
    urban_share: float = Field(ge=0, le=1)
    urbanization_exponent: float = Field(default=1.0, ge=0, le=10)
    recall: float = Field(ge=0, le=1)
    false_match_rate: float = Field(ge=0, le=1)
    female_false_match_multiplier: float = Field(gt=0)
    elderly_false_match_multiplier: float = Field(gt=0)


class Sensor(_Strict):
    """A non-camera sensor; only informants and platforms file false reports."""

    false_reports_per_year: float = Field(default=0.0, ge=0, le=10)


class Behaviour(_Strict):
    """A behaviour's base rate, who does it, how it responds, and who can see it."""

    rate_per_year: DatedPerYear
    min_age: int = Field(default=18, ge=0, le=120)
    max_age: int = Field(default=120, ge=0, le=120)
    male_multiplier: float = Field(default=1.0, ge=0)
    urban_multiplier: float = Field(default=1.0, ge=0)
    elderly_multiplier: float = Field(default=1.0, ge=0)
    income_slope: float = Field(default=0.0, ge=-1, le=1)
    elasticity: float = Field(default=1.0, ge=0)
    observed_by: dict[str, float] = Field(default_factory=dict)


class Service(_Strict):
    """How often people try to use a service."""

    attempts_per_year: DatedPerYear
    min_age: int = Field(default=18, ge=0, le=120)
    max_age: int = Field(default=120, ge=0, le=120)
    household_head_only: bool = False


class Deterrence(_Strict):
    """How perceived risk and cost shape behaviour (see docs/model.md)."""

    awareness: float = Field(ge=0, le=1)
    cost_scale_points: float = Field(gt=0)
    list_cost: float = Field(ge=0)
    grade_cost: float = Field(ge=0)
    shaming_cost: float = Field(default=2.0, ge=0)
    experience_gain: float = Field(ge=0)
    experience_half_life_days: float = Field(gt=0)
    witness_experience: float = Field(ge=0)
    sanction_experience: float = Field(ge=0)
    positive_max_boost: float = Field(ge=0)


class Shaming(_Strict):
    """What public shaming on screens does to the person shown."""

    stigma_days: int = Field(ge=0, le=3650)


class Compliance(_Strict):
    """How fast listed debtors pay, and how much a blocked purchase speeds it up."""

    rate_per_year: float = Field(ge=0)
    blocked_multiplier: float = Field(ge=1)


class Appeals(_Strict):
    """Who appeals a negative record, and how often an appeal wins."""

    share_true: float = Field(ge=0, le=1)
    share_wrongful: float = Field(ge=0, le=1)
    overturn_true: float = Field(ge=0, le=1)
    overturn_wrongful: float = Field(ge=0, le=1)
    delay_days: int = Field(ge=1, le=36_600)


class FreeParameter(_Strict):
    """A numeric scenario key that calibration may move within its prior range."""

    # a dotted key; its last part may be the date of a dated rate
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+(\.\d{4}-\d{2}-\d{2})?$")
    low: float
    high: float
    scale: Literal["log", "linear"] = "log"
    note: str = ""

    @model_validator(mode="after")
    def _range(self) -> FreeParameter:
        if not self.low < self.high:
            raise ValueError(f"low must be below high, got [{self.low}, {self.high}]")
        if self.scale == "log" and self.low <= 0:
            raise ValueError(f'a "log" scale needs low > 0, got {self.low}; or use "linear"')
        return self


class Calibration(_Strict):
    """What ``scorelab calibrate`` may change, under which policy, with what budget."""

    policy: str | None = None
    parameters: tuple[FreeParameter, ...] = Field(min_length=1, max_length=16)
    max_evaluations: int = Field(default=60, ge=1, le=100_000)


class Scenario(_Strict):
    """A whole scenario, defaults merged in."""

    scenario: Meta
    cameras: Cameras
    sensors: dict[str, Sensor]
    behaviours: dict[str, Behaviour]
    services: dict[str, Service]
    deterrence: Deterrence
    compliance: Compliance
    appeals: Appeals
    shaming: Shaming
    calibration: Calibration | None = None


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario, the file it came from (None for the embedded default)."""

    scenario: Scenario
    path: Path | None
    text: str
    sha256: str


def deep_merge(base: dict, override: dict) -> dict:
    """Deep-merge two TOML tables; the override wins.

    >>> deep_merge({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}})
    {'a': {'b': 1, 'c': 3}}
    """
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_scenario(
    path: str | Path | None = None,
    *,
    citizens: int | None = None,
    days: int | None = None,
    seed: int | None = None,
) -> LoadedScenario:
    """Load a scenario file merged over the world defaults (None: the embedded default).

    ``citizens``, ``days`` and ``seed`` override the file, as the CLI options do; an
    override outside the schema's bounds is refused with the option's name.

    Raises:
        ScenarioError: a file is unreadable or invalid (file, line, key).
        RunRefusedError: an override is not an integer within its bounds.
    """
    overrides = {"citizens": citizens, "days": days, "seed": seed}
    for name, value in overrides.items():
        if value is not None:
            check_override(name, value)
    defaults_path = data_path("world-defaults.toml")
    defaults, _ = load_toml(defaults_path, ScenarioError)
    file_path = Path(path) if path is not None else data_path("default-scenario.toml")
    data, text = load_toml(file_path, ScenarioError)
    merged = deep_merge(defaults, data)
    if isinstance(merged.get("scenario"), dict):  # if not, validation says what is wrong
        merged["scenario"] = {**merged["scenario"],
                              **{k: v for k, v in overrides.items() if v is not None}}
    scenario = validate(Scenario, merged, path=file_path, text=text, error=ScenarioError)
    _check_sensors(scenario, file_path, text)
    _check_world(scenario, file_path, text)
    _check_free_parameters(scenario, file_path, text)
    digest = hashlib.sha256(
        (text + repr(sorted(overrides.items(), key=str))).encode("utf-8")
    ).hexdigest()
    return LoadedScenario(scenario=scenario, path=file_path, text=text, sha256=digest)


def check_override(name: str, value: object) -> None:
    """Refuse an override of ``[scenario] name`` that is not an integer within its bounds.

    The bounds are the schema's (:class:`Meta`), and the message names the option
    (``--citizens``): the value came from the command line, not from a file.

    >>> check_override("citizens", 10**12)
    Traceback (most recent call last):
    scorelab._errors.RunRefusedError: --citizens: must be an integer from 1 to ... got 1,000,...
    """
    low, high = 0, 0
    for bound in Meta.model_fields[name].metadata:  # annotated_types Gt, Ge, Lt, Le
        low = bound.gt + 1 if hasattr(bound, "gt") else getattr(bound, "ge", low)
        high = bound.lt - 1 if hasattr(bound, "lt") else getattr(bound, "le", high)
    must = f"--{name}: must be an integer from {low:,} to {high:,}"
    try:
        number = operator.index(value)  # an int or a numpy integer, not a float
    except TypeError:
        number = None
    if number is None or isinstance(value, bool):
        raise RunRefusedError(f"{must}, got {shorten(repr(value))}")
    if not low <= number <= high:
        raise RunRefusedError(f"{must}, got {number:,}")


def _check_sensors(scenario: Scenario, path: Path, text: str) -> None:
    """Names must come from the catalogue; detection chances must be probabilities."""

    def fail(loc: tuple[str, ...], reason: str) -> None:
        raise ScenarioError(reason, path=path, line=locate(text, loc), key=".".join(loc))

    for kind, names, vocabulary in (("behaviours", scenario.behaviours, BEHAVIOUR_NAMES),
                                    ("services", scenario.services, SERVICE_NAMES),
                                    ("sensors", scenario.sensors, SENSOR_NAMES)):
        for name in names:
            if name not in vocabulary:
                fail((kind, name), f'unknown name "{name}": expected {expected(vocabulary)}')
    for name, behaviour in scenario.behaviours.items():
        for sensor, probability in behaviour.observed_by.items():
            loc = ("behaviours", name, "observed_by", sensor)
            if sensor not in SENSOR_NAMES:
                fail(loc, f'unknown sensor "{sensor}": expected {expected(SENSOR_NAMES)}')
            if not 0 <= probability <= 1:
                fail(loc, f"a detection probability must lie in [0, 1], got {probability}")


def _check_world(scenario: Scenario, path: Path, text: str) -> None:
    """The census must be shipped, the calendar must end, and rates must stay bounded."""

    def fail(loc: tuple[str, ...], reason: str) -> None:
        raise ScenarioError(reason, path=path, line=locate(text, loc), key=".".join(loc))

    meta = scenario.scenario
    censuses = tuple(sorted(p.name for p in data_path("census").iterdir() if p.is_dir()))
    if meta.census not in censuses:
        fail(("scenario", "census"), f'unknown census "{meta.census}": expected '
             f"{expected(censuses)}")
    if (dt.date.max - meta.start_date).days < meta.days - 1:
        fail(("scenario", "start_date"), f"{meta.days} days from {meta.start_date} run past "
             f"the last date a calendar holds ({dt.date.max})")
    boost = 1.0 + scenario.deterrence.positive_max_boost
    for name, spec in scenario.behaviours.items():
        busiest = (largest(spec.rate_per_year) * max(1.0, spec.male_multiplier)
                   * max(1.0, spec.urban_multiplier) * max(1.0, spec.elderly_multiplier)
                   * (1.0 + abs(spec.income_slope)))
        if busiest > MAX_ACTS_PER_YEAR:
            fail(("behaviours", name, "rate_per_year"), f"with its multipliers the busiest "
                 f"citizen would act {busiest:.4g} times a year; at most "
                 f"{MAX_ACTS_PER_YEAR:g} are allowed")
        if busiest * boost > MAX_ACTS_PER_YEAR:
            fail(("deterrence", "positive_max_boost"), f"rewards could raise {name} to "
                 f"{busiest * boost:.4g} acts a year for the busiest citizen; at most "
                 f"{MAX_ACTS_PER_YEAR:g} are allowed")


def _check_free_parameters(scenario: Scenario, path: Path, text: str) -> None:
    """A free parameter must name a number of this schema, outside ``[scenario]``."""
    if scenario.calibration is None:
        return
    tree = scenario.model_dump(mode="json", exclude={"scenario", "calibration"})
    for i, parameter in enumerate(scenario.calibration.parameters):
        node: object = tree
        for part in parameter.key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, bool) or not isinstance(node, float):
            loc = ("calibration", "parameters", i, "key")
            raise ScenarioError(
                f'"{parameter.key}" is not a real-valued key of the scenario (outside '
                "[scenario]); name one such as behaviours.judgment_default.rate_per_year "
                "(or, for a dated rate, behaviours.judgment_default.rate_per_year.2016-01-01)",
                path=path, line=locate(text, loc), key=f"calibration.parameters[{i}].key")
