"""A run request over HTTP: its body, checked and resolved to what determines the run's bytes.

Data flow::

    JSON body --RunBody (pydantic)--> policy (shipped name) | policy_text, scenario | scenario_text,
        citizens, days, seed, baseline, ledger_sample, report
    --resolve--> policy text checked by the policy loader (as a file named policy.toml),
                 scenario checked by the scenario loader, sizes and seed resolved from it,
                 the server's limits applied
    --> JobSpec: the canonical request (JSON, sorted keys) and its sha256 content hash;
        the job id is the hash's first 16 hex digits

The hash covers the request and what else decides the bytes: the scenario file's
sha256, the shipped data, scorelab's code and version. So an identical request
on this server or another one with the same scorelab has the same id and, run,
the same bytes. Clients never name a server path: policies and scenarios are
shipped names (checked against the shipped files, never resolved as paths) or
uploaded text, which goes through the same loaders and condition grammar as a
file. Every refusal is a :class:`RefusedError`: an HTTP status and located errors.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from scorelab._errors import InputFileError, PolicyError, RunRefusedError, ScenarioError
from scorelab._fingerprint import code_sha256, file_sha256
from scorelab._random import SEED_MAX
from scorelab._resources import data_path, policies_dir, scenarios_dir
from scorelab._version import __version__
from scorelab.policy import ValidationSummary, validate
from scorelab.server._settings import Settings
from scorelab.world import LoadedScenario, load_scenario

#: a job id: the first 16 hex digits of its request's sha256, checked before any file is named
JOB_ID = re.compile(r"[0-9a-f]{16}")
#: the names uploaded texts are checked under, so messages read as for a file of that name
POLICY_FILE, SCENARIO_FILE = "policy.toml", "scenario.toml"
#: the name that stands for the embedded default scenario (as leaving the scenario out)
DEFAULT_SCENARIO = "default"


class RefusedError(Exception):
    """A request the server will not run: an HTTP status and errors ``{message, line, key}``."""

    def __init__(self, status: int, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors[0]["message"] if errors else str(status))
        self.status = status
        self.errors = errors

    @classmethod
    def one(cls, status: int, message: str, **where: Any) -> RefusedError:
        """A refusal with one error (``key``, ``line``, ``limit`` as given)."""
        return cls(status, [{"message": message, "line": None, "key": None, **where}])


class RunBody(BaseModel):
    """``POST /api/runs``: the keywords of ``scorelab.run`` that a client may choose.

    ``policy`` (a shipped name) or ``policy_text`` (TOML), not both; ``scenario``
    (a shipped name) or ``scenario_text`` (TOML) or neither (the embedded default).
    Sizes and seed left out are the scenario's. Chunk size and workers are the
    server's: they never change a byte.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    policy: str | None = Field(None, description="a shipped policy (GET /api/policies)")
    policy_text: str | None = Field(None, description="a policy file's text (TOML)")
    scenario: str | None = Field(None, description="a shipped scenario (GET /api/scenarios)")
    scenario_text: str | None = Field(None, description="a scenario file's text (TOML)")
    citizens: int | None = Field(None, ge=1, description="population size")
    days: int | None = Field(None, ge=1, description="days to simulate")
    seed: int | None = Field(None, ge=0, le=SEED_MAX, description="0 to 2**63-1")
    baseline: bool = Field(False, description="also run the same world with no policy")
    ledger_sample: float | None = Field(None, ge=0.0, le=1.0,
                                        description="share of citizens with rows and ledger")
    report: bool = Field(True, description="write audit.parquet and report.html")


class ValidateBody(BaseModel):
    """``POST /api/validate``: a policy's text, and optionally a scenario's."""

    model_config = ConfigDict(extra="forbid", strict=True)

    policy_text: str
    scenario_text: str | None = None


@dataclass(frozen=True)
class JobSpec:
    """A resolved request: what the job worker runs, its content hash, and labels for lists.

    Attributes:
        request: the canonical request (the share code's content, the worker's input):
            ``policy_text``, ``scenario`` or ``scenario_text``, ``citizens``, ``days``,
            ``seed``, ``baseline``, ``ledger_sample``, ``report``.
        hash: sha256 of the request with the scenario's, data's and code's fingerprints.
        about: the policy's id and name and the scenario's name (not hashed).
    """

    request: dict[str, Any]
    hash: str
    about: dict[str, Any]

    @property
    def id(self) -> str:
        """The job id: the hash's first 16 hex digits."""
        return self.hash[:16]


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: one text for one value.

    >>> canonical_json({"b": 1, "a": [1.5, None, "é"]})
    '{"a":[1.5,null,"é"],"b":1}'
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def shipped_policies() -> dict[str, Path]:
    """Shipped policy files by name: the file's stem and the id (``court-list``, ``court_list``)."""
    found = {}
    for path in sorted(policies_dir().glob("*.toml")):
        found[path.stem] = found[path.stem.replace("-", "_")] = path
    return found


def shipped_scenarios() -> dict[str, Path]:
    """Shipped scenario files by name (the file's stem: ``cameras-2018``)."""
    return {path.stem: path for path in sorted(scenarios_dir().glob("*.toml"))}


def default_scenario_path() -> Path:
    """The embedded default scenario's file (a run with no scenario reads it)."""
    return data_path("default-scenario.toml")


@functools.cache
def data_sha256() -> str:
    """The sha256 of every shipped data file (world defaults, census), by relative path."""
    folder = data_path("world-defaults.toml").parent
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(file_sha256(path).encode())
    return digest.hexdigest()


def encoded(text: str, field: str, settings: Settings) -> bytes:
    """``text`` as UTF-8, refused (413) past ``max_policy_bytes``."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        raise RefusedError.one(422, f"{field}: not valid Unicode text (a lone surrogate)",
                               key=field) from None
    if len(data) > settings.max_policy_bytes:
        raise RefusedError.one(
            413, f"{field} is {len(data):,} bytes: over this server's limit max_policy_bytes "
                 f"({settings.max_policy_bytes:,} bytes; scorelab serve --max-policy-bytes)",
            key=field, limit="max_policy_bytes")
    return data


def _located(exc: InputFileError, name: str) -> dict[str, Any]:
    """An input error as it reads for a file called ``name`` (what ``scorelab validate`` says)."""
    named = type(exc)(exc.reason, path=name if exc.path else None, line=exc.line, key=exc.key)
    return {"message": str(named), "line": exc.line, "key": exc.key}


def check_policy_text(text: str, settings: Settings) -> ValidationSummary:
    """Validate uploaded policy text with the policy loader, as a file named ``policy.toml``.

    Raises:
        RefusedError: 413 past ``max_policy_bytes``; 422 with the located error otherwise.
    """
    data = encoded(text, "policy_text", settings)
    with tempfile.TemporaryDirectory(prefix="scorelab-policy-") as folder:
        path = Path(folder) / POLICY_FILE
        path.write_bytes(data)
        try:
            return validate(path)
        except PolicyError as exc:
            raise RefusedError(422, [_located(exc, POLICY_FILE)]) from None


def _policy_text(body: RunBody, settings: Settings) -> tuple[str, ValidationSummary]:
    if (body.policy is None) == (body.policy_text is None):
        both = ", not both" if body.policy is not None else ""
        raise RefusedError.one(422, "give policy (a shipped name, GET /api/policies) or "
                                    f"policy_text (a policy file's TOML){both}", key="policy")
    if body.policy is not None:
        path = shipped_policies().get(body.policy)
        if path is None:
            names = ", ".join(sorted(p.stem for p in set(shipped_policies().values())))
            raise RefusedError.one(422, f"policy: no shipped policy {body.policy[:80]!r}: expected "
                                        f"one of {names} (or send policy_text)", key="policy")
        text = path.read_text(encoding="utf-8")
    else:
        text = body.policy_text or ""
    return text, check_policy_text(text, settings)


def _check_limit(name: str, value: int | None, limit: int) -> None:
    if value is not None and value > limit:
        option = f"--max-{name}"
        raise RefusedError.one(422, f"{name}: {value:,} is over this server's limit max_{name} "
                                    f"({limit:,}; scorelab serve {option})", key=name,
                               limit=f"max_{name}")


def load_world(scenario: str | None, scenario_text: str | None, settings: Settings, *,
               citizens: int | None = None, days: int | None = None,
               seed: int | None = None) -> tuple[LoadedScenario, str | None]:
    """Load a shipped scenario, uploaded scenario text, or (neither) the embedded default.

    Returns:
        The loaded scenario, with ``citizens``, ``days`` and ``seed`` applied, and its
        shipped name (None for uploaded text and for the default).

    Raises:
        RefusedError: both given, an unknown name, text past ``max_policy_bytes`` (413), or a
            scenario the loader refuses (its located error, as for ``scenario.toml``).
    """
    if scenario is not None and scenario_text is not None:
        raise RefusedError.one(422, "give scenario (a shipped name) or scenario_text, not both",
                               key="scenario")
    if scenario == DEFAULT_SCENARIO:
        scenario = None
    with tempfile.TemporaryDirectory(prefix="scorelab-scenario-") as folder:
        if scenario is not None:
            path = shipped_scenarios().get(scenario)
            if path is None:
                names = ", ".join([DEFAULT_SCENARIO, *shipped_scenarios()])
                raise RefusedError.one(422, f"scenario: no shipped scenario {scenario[:80]!r}: "
                                            f"expected one of {names} (or send scenario_text)",
                                       key="scenario")
        elif scenario_text is not None:
            path = Path(folder) / SCENARIO_FILE
            path.write_bytes(encoded(scenario_text, "scenario_text", settings))
        else:
            path = default_scenario_path()
        try:
            loaded = load_scenario(path, citizens=citizens, days=days, seed=seed)
        except ScenarioError as exc:
            name = SCENARIO_FILE if scenario_text is not None else path.name
            raise RefusedError(422, [_located(exc, name)]) from None
        except RunRefusedError as exc:  # an override the schema refuses
            raise RefusedError.one(422, str(exc).removeprefix("--")) from None
    return loaded, scenario


def resolve(body: RunBody, settings: Settings) -> JobSpec:
    """Check a run request and resolve it to its canonical form, content hash and id.

    Raises:
        RefusedError: 413 for a text past ``max_policy_bytes``; 422 for a policy or scenario
            that does not load (the loader's located error), an unknown shipped name, or
            sizes past the server's limits (naming ``max_citizens``, ``max_days``).
    """
    policy_text, summary = _policy_text(body, settings)
    _check_limit("citizens", body.citizens, settings.max_citizens)
    _check_limit("days", body.days, settings.max_days)
    loaded, name = load_world(body.scenario, body.scenario_text, settings,
                              citizens=body.citizens, days=body.days, seed=body.seed)
    meta = loaded.scenario.scenario
    _check_limit("citizens", meta.citizens, settings.max_citizens)
    _check_limit("days", meta.days, settings.max_days)
    request = {
        "policy_text": policy_text, "scenario": name,
        "scenario_text": body.scenario_text, "citizens": meta.citizens, "days": meta.days,
        "seed": meta.seed, "baseline": body.baseline, "ledger_sample": body.ledger_sample,
        "report": body.report,
    }
    return spec_of(request, scenario_sha256=hashlib.sha256(loaded.text.encode()).hexdigest(),
                   about={"policy_id": summary.id, "policy_name": summary.name,
                          "scenario": meta.name})


def spec_of(request: dict[str, Any], *, scenario_sha256: str,
            about: dict[str, Any]) -> JobSpec:
    """The job of a canonical request: its hash over the request and what else decides bytes."""
    fingerprint = {"request": request, "scenario_sha256": scenario_sha256,
                   "data_sha256": data_sha256(), "code_sha256": code_sha256(),
                   "scorelab_version": __version__}
    digest = hashlib.sha256(canonical_json(fingerprint).encode("utf-8")).hexdigest()
    return JobSpec(request=request, hash=digest, about=about)
