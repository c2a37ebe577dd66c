"""Loading a policy file: TOML, then shape (pydantic), then meaning (cross-checks).

The cross-checks are the ones a schema cannot state alone: grade bands ordered
and covering the floor, rules naming known behaviours and sensors, conditions
that parse, sources that exist, ``assumed`` naming real keys. Each failure is a
:class:`~scorelab._errors.PolicyError` with file, line and key path.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from scorelab._echo import expected
from scorelab._errors import PolicyError
from scorelab._toml import key_path, load_toml, locate, validate
from scorelab.policy._conditions import ConditionError, compile_condition
from scorelab.policy._schema import Policy
from scorelab.world import BEHAVIOUR_NAMES, SENSOR_NAMES, SERVICE_NAMES


@dataclass(frozen=True)
class LoadedPolicy:
    """A validated policy with where it came from and a hash of its exact bytes."""

    policy: Policy
    path: Path
    text: str
    sha256: str


def load_policy(path: str | Path) -> LoadedPolicy:
    """Read, validate and cross-check a policy file.

    Raises:
        PolicyError: naming the file, the line where known, the key path and what
            was expected.
    """
    path = Path(path)
    data, text = load_toml(path, PolicyError)
    policy = validate(Policy, data, path=path, text=text, error=PolicyError)
    _Checker(policy, path, text).run()
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return LoadedPolicy(policy=policy, path=path, text=text, sha256=digest)


class _Checker:
    """Cross-key checks; each failure names the key path of the offending value."""

    def __init__(self, policy: Policy, path: Path, text: str) -> None:
        self.policy, self.path, self.text = policy, path, text
        self.source_ids = {s.id for s in policy.policy.sources}

    def fail(self, loc: tuple[str | int, ...], reason: str) -> None:
        raise PolicyError(
            reason, path=self.path, line=locate(self.text, loc), key=key_path(loc)
        )

    def run(self) -> None:
        self.check_score()
        self.check_grades()
        self.check_rules()
        self.check_lists()
        self.check_gates()
        self.check_shaming()

    def check_source(self, loc: tuple, source: str | None) -> None:
        if source is not None and source not in self.source_ids:
            known = ", ".join(sorted(self.source_ids)) or "none"
            self.fail((*loc, "source"), f'unknown source "{source}": policy.sources has {known}')

    def check_assumed(self, loc: tuple, item: object) -> None:
        fields = set(type(item).model_fields) - {"assumed", "source"}
        for i, name in enumerate(getattr(item, "assumed", ())):
            if name not in fields:
                self.fail((*loc, "assumed", i), f'"{name}" is not a key here: expected one of '
                          + ", ".join(f'"{f}"' for f in sorted(fields)))

    def check_score(self) -> None:
        score = self.policy.score
        if not score.floor < score.ceiling:
            self.fail(("score", "ceiling"), f"ceiling ({score.ceiling}) must be above floor "
                      f"({score.floor})")
        if not score.floor <= score.start <= score.ceiling:
            self.fail(("score", "start"), f"start ({score.start}) must lie between floor "
                      f"({score.floor}) and ceiling ({score.ceiling})")
        if score.decay is not None and any(r.expiry_days for r in self.policy.rules):
            self.fail(("score", "decay"), "decay and rule expiry_days both undo old points and "
                      "would count them twice: use one or the other")
        if score.ceiling - score.floor > 1_000_000:
            self.fail(("score", "ceiling"), "the scale may span at most 1,000,000 points")
        self.check_source(("score",), score.source)
        self.check_assumed(("score",), score)

    def check_grades(self) -> None:
        grades = self.policy.grades
        names = [g.name for g in grades]
        for i, grade in enumerate(grades):
            if names.index(grade.name) != i:
                self.fail(("grades", i, "name"), f'grade "{grade.name}" is defined twice')
            if i and grade.min >= grades[i - 1].min:
                self.fail(("grades", i, "min"), "grades go best first, each min below the one "
                          f"before: {grade.min} is not below {grades[i - 1].min}")
            self.check_source(("grades", i), grade.source)
            self.check_assumed(("grades", i), grade)
        if grades[-1].min > self.policy.score.floor:
            self.fail(("grades", len(grades) - 1, "min"), f"the lowest grade must cover the floor "
                      f"({self.policy.score.floor}): its min is {grades[-1].min}")

    def check_names(self, loc: tuple, names: tuple[str, ...], vocabulary: tuple[str, ...]) -> None:
        for i, name in enumerate(names):
            if name not in vocabulary:
                self.fail((*loc, i), f'unknown name "{name}": expected {expected(vocabulary)}')

    def check_known(self, loc: tuple, what: str, name: str, vocabulary: tuple[str, ...]) -> None:
        if name not in vocabulary:
            self.fail(loc, f'unknown {what} "{name}": expected {expected(vocabulary)}')

    def check_rules(self) -> None:
        seen: set[str] = set()
        for i, rule in enumerate(self.policy.rules):
            loc = ("rules", i)
            if rule.id in seen:
                self.fail((*loc, "id"), f'rule id "{rule.id}" is used twice')
            seen.add(rule.id)
            self.check_known((*loc, "behaviour"), "behaviour", rule.behaviour, BEHAVIOUR_NAMES)
            self.check_names((*loc, "sensors"), rule.sensors, SENSOR_NAMES)
            if rule.sets_grade is not None:
                if rule.sets_grade not in self.policy.grade_names:
                    self.fail((*loc, "sets_grade"), f'unknown grade "{rule.sets_grade}": expected '
                              f"{expected(self.policy.grade_names)}")
                if rule.grade_days is None:
                    self.fail((*loc, "grade_days"), "sets_grade needs grade_days (how long the "
                              "grade is imposed)")
            for value in (v for _, v in rule.points.steps):
                if value != int(value) or abs(value) > 1_000_000:
                    self.fail((*loc, "points"), f"points must be whole numbers within "
                              f"+-1,000,000, got {value}")
            self.check_source(loc, rule.source)
            self.check_assumed(loc, rule)

    def check_lists(self) -> None:
        for name, spec in self.policy.lists.items():
            loc = ("lists", name)
            self.check_names((*loc, "entry_behaviours"), spec.entry_behaviours, BEHAVIOUR_NAMES)
            self.check_names((*loc, "entry_sensors"), spec.entry_sensors, SENSOR_NAMES)
            if not spec.entry_behaviours and spec.entry_when is None:
                self.fail(loc, "a list needs entry_behaviours or entry_when, or nobody is ever "
                          "put on it")
            if spec.entry_when is not None:
                self.check_condition((*loc, "entry_when"), spec.entry_when)
            self.check_source(loc, spec.source)
            self.check_assumed(loc, spec)

    def check_gates(self) -> None:
        for kind, items in (("sanctions", self.policy.sanctions),
                            ("rewards", self.policy.rewards)):
            seen: set[str] = set()
            for i, item in enumerate(items):
                loc = (kind, i)
                if item.id in seen:
                    self.fail((*loc, "id"), f'id "{item.id}" is used twice in {kind}')
                seen.add(item.id)
                self.check_known((*loc, "service"), "service", item.service, SERVICE_NAMES)
                self.check_condition((*loc, "when"), item.when)
                self.check_source(loc, item.source)
                self.check_assumed(loc, item)

    def check_shaming(self) -> None:
        shaming = self.policy.shaming
        if shaming is not None:
            self.check_names(("shaming", "behaviours"), shaming.behaviours, BEHAVIOUR_NAMES)
            self.check_names(("shaming", "sensors"), shaming.sensors, SENSOR_NAMES)
            self.check_source(("shaming",), shaming.source)

    def check_condition(self, loc: tuple, text: str) -> None:
        try:
            compile_condition(text, grades=self.policy.grade_names,
                              lists=self.policy.list_names)
        except ConditionError as exc:
            self.fail(loc, f"invalid condition: {exc}")
