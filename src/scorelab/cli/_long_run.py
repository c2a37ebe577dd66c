"""What the run command says before a run that will take a while.

* The first run on a machine (or after scorelab's compiled code changed)
  compiles the engine for about a minute, with no chunk finished to show:
  :func:`say_if_compiling` says so before the progress bar appears.
* A run estimated at more than an hour (``runner/_estimate.py``, at the rates
  of docs/performance.md) shows its estimate before it starts
  (:func:`confirm_long_run`, called by the runner with the estimate). In a
  terminal it asks to go on (no by default: an hour is worth a keystroke); a
  command with no terminal to answer (a script, a batch job) goes on, and the
  estimate stays in its log.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.progress import Progress

import scorelab.engine
from scorelab.runner import Estimate

COMPILING = ("compiling the engine for this machine: first run only, about a minute "
             "(the summary will say how long)")


def say_if_compiling(console: Console, *, backend: str) -> None:
    """Print :data:`COMPILING` when the engine is not compiled for this machine.

    A Ray cluster's workers compile on their own machines: nothing is said there.
    """
    if backend == "local" and not scorelab.engine.is_compiled():
        console.print(COMPILING, style="yellow", highlight=False)


def confirm_long_run(need: Estimate, console: Console, bar: Progress | None = None) -> None:
    """Before a run of more than an hour: show its estimate; in a terminal, ask to go on.

    Raises:
        typer.Abort: the person at the terminal said no (nothing has been written).
    """
    if not need.long:
        return
    console.print(f"this run would take {need.sentence()}", highlight=False)
    if not (sys.stdin.isatty() and console.is_terminal):
        return
    if bar is not None:
        bar.stop()  # the prompt needs the terminal line the bar redraws
    typer.confirm("start it?", default=False, abort=True, err=True)
    if bar is not None:
        bar.start()
