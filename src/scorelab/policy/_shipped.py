"""The shipped policies, and the summary ``scorelab validate`` prints."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scorelab._resources import policies_dir
from scorelab.policy._load import load_policy


@dataclass(frozen=True)
class ValidationSummary:
    """What a valid policy contains, in counts."""

    path: Path
    id: str
    name: str
    version: str
    grades: tuple[str, ...]
    rules: int
    lists: tuple[str, ...]
    sanctions: int
    rewards: int
    sources: int
    assumed: int
    sha256: str

    def line(self) -> str:
        """One line for the terminal."""
        return (f"{self.path}: valid policy {self.id!r} v{self.version}: {self.rules} rules, "
                f"grades {'/'.join(self.grades)}, lists [{', '.join(self.lists)}], "
                f"{self.sanctions} sanctions, {self.rewards} rewards, {self.sources} sources, "
                f"{self.assumed} assumed values")


@dataclass(frozen=True)
class PolicyInfo:
    """A shipped policy: its name, one line on what it is, and its file."""

    id: str
    name: str
    description: str
    path: Path


def validate(path: str | Path) -> ValidationSummary:
    """Validate a policy file; raises :class:`~scorelab.PolicyError` naming file, line and key."""
    loaded = load_policy(path)
    policy = loaded.policy
    items = [policy.score, *policy.grades, *policy.rules, *policy.lists.values(),
             *policy.sanctions, *policy.rewards]
    if policy.score.decay:
        items.append(policy.score.decay)
    return ValidationSummary(
        path=Path(path), id=policy.policy.id, name=policy.policy.name,
        version=policy.policy.version, grades=policy.grade_names, rules=len(policy.rules),
        lists=policy.list_names, sanctions=len(policy.sanctions), rewards=len(policy.rewards),
        sources=len(policy.policy.sources), assumed=sum(len(i.assumed) for i in items),
        sha256=loaded.sha256,
    )


def policies() -> list[PolicyInfo]:
    """The policies shipped with scorelab, sorted by id."""
    found = []
    for path in sorted(policies_dir().glob("*.toml")):
        policy = load_policy(path).policy
        found.append(PolicyInfo(policy.policy.id, policy.policy.name,
                                policy.policy.description, path))
    return found
