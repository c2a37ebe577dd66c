"""Stopping a run cleanly: Ctrl-C and SIGTERM ask it to stop at the next safe point.

A signal handler that raised inside the engine would tear a chunk apart (and
show a long ``SystemError`` from the compiled kernel), so the handlers only
record the signal. The runner checks between chunks and between the phases that write
the outputs; it then saves a checkpoint and raises
:class:`~scorelab._errors.RunInterruptedError`, whose exit code is the shell's
for that signal (130 for SIGINT, 143 for SIGTERM). Handlers are installed only
in the main thread (a server running runs in threads stops them otherwise),
and the previous ones are put back when the run ends.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType

from scorelab._errors import RunInterruptedError

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequests:
    """Records SIGINT and SIGTERM while a run is going; ``check`` turns them into an error."""

    def __init__(self) -> None:
        self.signal: int | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> StopRequests:
        if threading.current_thread() is threading.main_thread():
            for number in STOP_SIGNALS:
                self._previous[number] = signal.signal(number, self._record)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)  # type: ignore[arg-type]
        self._previous.clear()

    def _record(self, number: int, frame: FrameType | None) -> None:
        self.signal = number

    def check(self, note: str) -> None:
        """Raise :class:`RunInterruptedError` (with ``note``: where to go on) if asked to stop."""
        if self.signal is not None:
            name = signal.Signals(self.signal).name
            raise RunInterruptedError(f"stopped by {name}: {note}", exit_code=128 + self.signal)
