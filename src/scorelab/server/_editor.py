"""The policy editor's routes under ``/api``: controls of a text, values written in, checks, diff.

The editor page keeps a policy's text as the one source of truth and calls
these to show it as controls (``POST /api/policy/controls``), to write a
control's value into it in place (``POST /api/edit``, which also sets a
scenario's start date), to check it as you type (``POST /api/policy/check``:
``POST /api/validate``'s answer, the loader ``scorelab validate`` runs, with
an invalid policy's errors in a 200 answer, since an invalid text is the
editor's ordinary state and not a failed request), and to show what differs
from the shipped file (``POST /api/policy/diff``). The work is ``_editing``'s.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from scorelab.policy import ValidationSummary
from scorelab.server._editing import controls, edit_text, policy_diff
from scorelab.server._lookup import settings_of
from scorelab.server._requests import (
    POLICY_FILE,
    RefusedError,
    check_policy_text,
    encoded,
    shipped_policies,
)

router = APIRouter()  # included by _api.router, under /api


class ControlsBody(BaseModel):
    """``POST /api/policy/controls``: a policy's text."""

    model_config = ConfigDict(extra="forbid", strict=True)

    policy_text: str


class EditBody(BaseModel):
    """``POST /api/edit``: a TOML text and the values to write into it, by key."""

    model_config = ConfigDict(extra="forbid", strict=True)

    text: str = Field(description="a policy's or a scenario's TOML text")
    set: dict[str, bool | int | float | str | list[str] | None] = Field(
        description="values by key as the loader's errors name them (rules[0].points, "
                    "lists.court.duration_days, scenario.start_date); null removes the key",
        max_length=256)


class DiffBody(BaseModel):
    """``POST /api/policy/diff``: a shipped policy's name and a policy text."""

    model_config = ConfigDict(extra="forbid", strict=True)

    policy: str
    policy_text: str


def validated(summary: ValidationSummary) -> dict[str, Any]:
    """A valid policy's answer: ``scorelab validate``'s line and the summary's counts."""
    return {"ok": True, "line": summary.line().replace(str(summary.path), POLICY_FILE),
            "errors": [],
            "policy": {"id": summary.id, "name": summary.name, "version": summary.version,
                       "grades": summary.grades, "rules": summary.rules,
                       "lists": summary.lists, "sanctions": summary.sanctions,
                       "rewards": summary.rewards, "sources": summary.sources,
                       "assumed": summary.assumed, "sha256": summary.sha256}}


@router.post("/policy/check")
def check(body: ControlsBody, request: Request) -> dict[str, Any]:
    """``POST /api/validate``'s check, answered 200 either way: ``ok`` and the located ``errors``.

    413 past ``max_policy_bytes`` still; the errors are those ``/api/validate`` gives.
    """
    try:
        return validated(check_policy_text(body.policy_text, settings_of(request)))
    except RefusedError as exc:
        if exc.status != 422:
            raise
        return {"ok": False, "line": None, "errors": exc.errors, "policy": None}


@router.post("/policy/controls")
def policy_controls(body: ControlsBody, request: Request) -> dict[str, Any]:
    """A policy text's rules, lists, sanctions and rewards as the editor's controls.

    Each control names its key as the loader's errors do (``rules[0].points``), its
    TOML path by id (``policy.rules.fraud.points``, as experiments name factors),
    its kind, value and line. 422 when the text is not TOML.
    """
    encoded(body.policy_text, "policy_text", settings_of(request))
    return {"sections": controls(body.policy_text)}


@router.post("/edit")
def edit(body: EditBody, request: Request) -> dict[str, Any]:
    """The text with each value written in place (only its characters change), not validated.

    422 when a value cannot be written in place (an array, a multi-line string):
    the TOML text is where to make that change.
    """
    encoded(body.text, "text", settings_of(request))
    return {"text": edit_text(body.text, body.set)}


@router.post("/policy/diff")
def diff(body: DiffBody, request: Request) -> dict[str, Any]:
    """The unified diff of a policy text against a shipped policy (``policy``: its name)."""
    encoded(body.policy_text, "policy_text", settings_of(request))
    path = shipped_policies().get(body.policy)
    if path is None:
        raise HTTPException(404, f"no shipped policy {body.policy[:80]!r} (GET /api/policies)")
    text = policy_diff(path.read_text(encoding="utf-8"), body.policy_text, path.stem)
    changed = sum(1 for line in text.splitlines()
                  if line[:1] in "+-" and not line.startswith(("+++", "---")))
    return {"policy": path.stem, "diff": text, "changed_lines": changed}
