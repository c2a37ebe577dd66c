"""The policy language: what a policy file may say, as pydantic models.

A policy file (TOML) is parsed by :mod:`scorelab.policy._load`, validated here
for shape and types, then checked across keys (grades, sources, conditions) by
the loader. Values that change over time are written as a table of dates, as
OpenFisca parameters are::

    points = -10                                  # always -10
    points = { "2014-01-01" = -10, "2019-01-01" = -20 }   # -20 from 2019

See docs/policy-language.md for every key with an example.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from scorelab._echo import shorten

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
# Bounds that keep every number inside the engine's int64 arithmetic: a score
# (or grade min) within +-1e9, a count of days up to 1,000,000 (2,700 years,
# longer than any run), points per cap or decay step within the 1e6 scale.
ScoreValue = Annotated[int, Field(ge=-1_000_000_000, le=1_000_000_000)]
DayCount = Annotated[int, Field(gt=0, le=1_000_000)]
PointCount = Annotated[int, Field(gt=0, le=1_000_000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Dated(_Strict):
    """A value that may change at dates: sorted (start date, value) steps."""

    steps: tuple[tuple[dt.date, float], ...]

    def on(self, day: dt.date) -> float | None:
        """Value in force on ``day``, or None before the first step.

        >>> Dated.parse({"2014-01-01": -10, "2019-01-01": -20}).on(dt.date(2020, 5, 1))
        -20.0
        """
        value = None
        for start, step_value in self.steps:
            if start <= day:
                value = step_value
        return value

    @classmethod
    def parse(cls, raw: object) -> Dated:
        """Accept a number (in force forever) or a table of ISO dates to numbers."""
        if isinstance(raw, Dated):
            return raw
        if isinstance(raw, bool):
            raise ValueError("expected a number or a table of dates to numbers, got a boolean")
        if isinstance(raw, int | float):
            if not math.isfinite(raw):
                raise ValueError(f"expected a finite number, got {raw}")
            return cls(steps=((dt.date.min, float(raw)),))
        if isinstance(raw, dict) and raw:
            steps = []
            for key, value in raw.items():
                try:
                    start = dt.date.fromisoformat(str(key))
                except ValueError:
                    raise ValueError(f'"{key}" is not a date: expected "YYYY-MM-DD"') from None
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ValueError(f'the value for "{key}" must be a number, got '
                                     f"{shorten(repr(value))}")
                if not math.isfinite(value):
                    raise ValueError(f'the value for "{key}" must be a finite number, got {value}')
                steps.append((start, float(value)))
            return cls(steps=tuple(sorted(steps)))
        raise ValueError(
            'expected a number or a table of dates to numbers such as { "2019-01-01" = -10 }, '
            f"got {shorten(repr(raw))}"
        )


DatedValue = Annotated[Dated, Field(description="number or {date = number}")]


def _dated(value: object) -> Dated:
    return Dated.parse(value)


class Source(_Strict):
    """A citation: every number in a shipped policy points to one."""

    id: Name
    title: str
    url: str | None = None
    note: str | None = None


class Meta(_Strict):
    """Who wrote the policy, where it applies, and where its numbers come from."""

    id: Name
    name: str
    version: str
    jurisdiction: str
    description: str = Field(max_length=200)
    sources: tuple[Source, ...] = ()
    notes: str | None = None


class Decay(_Strict):
    """Every ``every_days`` days, a score away from the start moves ``points`` back toward it."""

    points: PointCount
    every_days: DayCount
    assumed: tuple[str, ...] = ()


class Score(_Strict):
    """The scale: where everyone starts, and the bounds a score never leaves."""

    start: ScoreValue
    floor: ScoreValue
    ceiling: ScoreValue
    decay: Decay | None = None
    assumed: tuple[str, ...] = ()
    source: str | None = None


class Grade(_Strict):
    """A grade band: scores from ``min`` up to the next better grade's ``min``."""

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9+\-]*$", max_length=16)
    min: ScoreValue
    assumed: tuple[str, ...] = ()
    source: str | None = None


class Cap(_Strict):
    """At most ``max_points`` (absolute) from one rule per calendar window of ``period_days``."""

    max_points: PointCount
    period_days: DayCount


class Rule(_Strict):
    """A record of ``behaviour`` from one of ``sensors`` changes the score by ``points``."""

    id: Name
    behaviour: Name
    points: Dated
    sensors: tuple[Name, ...] = Field(min_length=1)
    expiry_days: DayCount | None = None
    cap: Cap | None = None
    sets_grade: str | None = None
    grade_days: DayCount | None = None
    source: str | None = None
    assumed: tuple[str, ...] = ()

    _parse_points = field_validator("points", mode="before")(_dated)


class ListSpec(_Strict):
    """A blacklist: who is put on it, for how long, and what takes them off."""

    title: str
    entry_behaviours: tuple[Name, ...] = ()
    entry_sensors: tuple[Name, ...] = ()
    entry_when: str | None = None
    duration_days: DayCount | None = None
    removed_on_compliance: bool = False
    removal_delay_days: int = Field(default=0, ge=0, le=1_000_000)
    source: str | None = None
    assumed: tuple[str, ...] = ()


class Sanction(_Strict):
    """``service`` is denied to whoever meets ``when``; ``household`` extends it to their family."""

    id: Name
    service: Name
    when: str
    household: bool = False
    source: str | None = None
    assumed: tuple[str, ...] = ()


class Reward(_Strict):
    """Whoever meets ``when`` gets ``service`` on better terms, worth ``value_yuan`` per use."""

    id: Name
    service: Name
    when: str
    effect: str
    value_yuan: float | None = Field(default=None, ge=0, le=1_000_000_000)
    source: str | None = None
    assumed: tuple[str, ...] = ()


class Shaming(_Strict):
    """Records of these behaviours from these sensors put the person's face on public screens."""

    behaviours: tuple[Name, ...] = Field(min_length=1)
    sensors: tuple[Name, ...] = Field(min_length=1)
    source: str | None = None


class Policy(_Strict):
    """A whole policy file."""

    policy: Meta
    score: Score
    grades: tuple[Grade, ...] = Field(min_length=1, max_length=32)
    rules: tuple[Rule, ...] = ()
    lists: dict[Name, ListSpec] = Field(default_factory=dict, max_length=16)
    sanctions: tuple[Sanction, ...] = ()
    rewards: tuple[Reward, ...] = ()
    shaming: Shaming | None = None

    @property
    def grade_names(self) -> tuple[str, ...]:
        """Grade names, best first."""
        return tuple(g.name for g in self.grades)

    @property
    def list_names(self) -> tuple[str, ...]:
        """List names in file order (the bit order of the listed mask)."""
        return tuple(self.lists)

    def grade_of(self, score: int) -> str:
        """Band grade of a score, ignoring overrides."""
        for grade in self.grades:
            if score >= grade.min:
                return grade.name
        return self.grades[-1].name
