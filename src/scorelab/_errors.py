r"""Every error scorelab raises on purpose, in one tree.

A user sees these messages, so each one names the file, the line where it is
known, the key path, and what was expected::

    ScorelabError
    ├── InputFileError       an input file is invalid (file, line, key, reason)
    │   ├── PolicyError      a policy file is unreadable or invalid
    │   ├── ScenarioError    a scenario file is unreadable or invalid
    │   ├── ExperimentError  an experiment file is unreadable or invalid
    │   └── TargetsError     a calibration targets file (date,metric,value) is invalid
    ├── RunFolderError       a run folder is missing, incomplete or not a run
    ├── RunRefusedError      a run was refused before it started (bad options, too big)
    ├── RunInterruptedError  a run stopped before it finished; its folder can be resumed
    └── ServerError          ``scorelab serve`` cannot start (its port taken, an option out
                             of range, its runs folder served by another server)

A condition string that does not parse raises ``scorelab.policy.ConditionError``
(a ValueError, so the condition language can be used on its own); the policy
loader turns it into a PolicyError that names the file, line and key.

Whatever a message quotes came from somebody's file, so the text of every error
has its control characters escaped (``\x1b``, never a raw ANSI escape), and an
input file error shortens its key and every long value in its reason
(:mod:`scorelab._echo`).
"""

from __future__ import annotations

from pathlib import Path

from scorelab._echo import REASON_LIMIT, printable, shorten, shorten_values


class ScorelabError(Exception):
    """Base of every error scorelab raises on purpose."""

    def __str__(self) -> str:
        """The message, with control characters escaped (it quotes input text)."""
        return printable(super().__str__())


class InputFileError(ScorelabError):
    """An input file (policy or scenario) is invalid; the message locates the problem.

    Attributes:
        path: the file.
        line: 1-based line number, when known.
        key: dotted key path such as ``rules[2].points``, when known.
        reason: what was wrong and what was expected.
    """

    def __init__(
        self,
        reason: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        self.key = key
        self.reason = reason
        super().__init__(self._format())

    def _format(self) -> str:
        where = self.path or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        if self.key:
            where += f": {shorten(self.key, 120)}"
        return f"{where}: {shorten(shorten_values(self.reason), REASON_LIMIT)}"


class PolicyError(InputFileError):
    """A policy file is unreadable or invalid."""


class ScenarioError(InputFileError):
    """A scenario file is unreadable or invalid."""


class ExperimentError(InputFileError):
    """An experiment file is unreadable or invalid."""


class RunFolderError(ScorelabError):
    """A run folder is missing, incomplete, or not a scorelab run."""


class RunRefusedError(ScorelabError):
    """A run was refused before it started: bad options, or it would not fit."""


class TargetsError(InputFileError):
    """A calibration targets file is unreadable or invalid."""


class RunInterruptedError(ScorelabError):
    """A run stopped before it finished (a signal, a full disk, a lost worker).

    Its folder keeps the last checkpoint; the message says how to continue.

    Attributes:
        exit_code: the exit status the command should end with (128 + signal, or 2).
    """

    def __init__(self, message: str, *, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class ServerError(ScorelabError):
    """``scorelab serve`` cannot start: a port taken, an option out of range, a folder in use."""
