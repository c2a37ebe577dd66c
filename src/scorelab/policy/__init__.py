"""The policy language: schema, loading with located errors, conditions, shipped policies."""

from __future__ import annotations

from scorelab.policy._conditions import CompiledCondition, ConditionError, compile_condition
from scorelab.policy._load import LoadedPolicy, load_policy
from scorelab.policy._schema import Policy
from scorelab.policy._shipped import PolicyInfo, ValidationSummary, policies, validate

__all__ = [
    "CompiledCondition",
    "ConditionError",
    "LoadedPolicy",
    "Policy",
    "PolicyInfo",
    "ValidationSummary",
    "compile_condition",
    "load_policy",
    "policies",
    "validate",
]
