"""Report how many fuzz examples ran, per test and in all, at the end of the session."""

from __future__ import annotations

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from .test_fuzz_loaders import OUTCOMES, RUNS

    if not RUNS:
        return
    write = terminalreporter.write_line
    terminalreporter.section("loader fuzzing")
    for name, count in sorted(RUNS.items()):
        write(f"{count:>8,}  {name}")
    write(f"{sum(RUNS.values()):>8,}  examples in all; outcomes: "
          + ", ".join(f"{k} {v:,}" for k, v in sorted(OUTCOMES.items())))
