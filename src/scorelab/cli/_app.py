"""Typer application: one command per public function."""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.core import TyperGroup

import scorelab
from scorelab._echo import printable
from scorelab._errors import ScorelabError
from scorelab.cli._long_run import confirm_long_run, say_if_compiling
from scorelab.cli._render import render_story, render_summary
from scorelab.runner import DEFAULT_CHECKPOINT_EVERY

stdout = Console()  # not `out`: that is a keyword of run, compare and calibrate
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


class _OneLineUsageErrors(TyperGroup):
    """Typer's command group, printing a usage error as one ``error:`` line (exit code 2).

    Typer draws a usage error (``--citizens 1e12``, an unknown option) as a usage
    line, a hint and a box; scorelab's own errors are one line, and so are these:
    ``error: Invalid value for '--citizens': ... (see scorelab run --help)``.
    """

    def make_context(self, info_name: str | None, args: list[str],
                     parent: typer.Context | None = None, **extra: Any) -> typer.Context:
        """Parse the group's own options; a usage error becomes one line."""
        with _one_line_usage_errors():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: typer.Context) -> Any:
        """Parse and run the command; a usage error becomes one line."""
        with _one_line_usage_errors():
            return super().invoke(ctx)


# click's UsageError, the base of BadParameter, NoSuchOption...: typer exports no name for it
# (and since 0.22 ships its own copy of click)
_UsageError = typer.BadParameter.__mro__[1]


@contextlib.contextmanager
def _one_line_usage_errors() -> Iterator[None]:
    try:
        yield
    except _UsageError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":
            raise  # `scorelab` alone: typer prints the help
        hint = f" (see {exc.ctx.command_path} --help)" if exc.ctx is not None else ""
        _print_error(printable(exc.format_message() + hint))
        raise typer.Exit(exc.exit_code) from None


def _print_error(message: str) -> None:
    """The one ``error:`` line on stderr, ``message`` shown as it is (no rich markup)."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


app = typer.Typer(
    name="scorelab", no_args_is_help=True, add_completion=False, cls=_OneLineUsageErrors,
    help="A laboratory for social scoring systems, on synthetic populations.",
)


def _fails_cleanly(command: F) -> F:
    """Turn scorelab's own errors into one line on stderr and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ScorelabError as exc:
            _print_error(str(exc))  # printable already (ScorelabError.__str__)
            raise typer.Exit(getattr(exc, "exit_code", 2)) from None
        except KeyboardInterrupt:  # before a run's own handler was installed, or after it
            err.print("[bold red]interrupted[/]", highlight=False)
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


@app.command()
@_fails_cleanly
def validate(path: Annotated[Path, typer.Argument(help="policy file (TOML)")]) -> None:
    """Check a policy file; print a summary, or the error with file, line and key."""
    stdout.print(printable(scorelab.validate(path).line()), markup=False, highlight=False,
                 soft_wrap=True)


@app.command()
@_fails_cleanly
def policies() -> None:
    """List the shipped policies."""
    table = Table("id", "name", "description", box=None)
    for info in scorelab.policies():
        table.add_row(info.id, info.name, info.description)
    stdout.print(table)


@app.command()
@_fails_cleanly
def run(
    policy: Annotated[str | None, typer.Argument(help="policy file or shipped id")] = None,
    scenario: Annotated[str | None, typer.Option(help="scenario file or shipped name")] = None,
    citizens: Annotated[int | None, typer.Option(help="population size")] = None,
    days: Annotated[int | None, typer.Option(help="days to simulate")] = None,
    seed: Annotated[int | None, typer.Option(help="random seed, 0 to 2**63-1")] = None,
    out: Annotated[Path | None, typer.Option(
        help="run folder to write (default: runs/POLICY, named after the policy file, in the "
             "working directory)")] = None,
    chunk_size: Annotated[int | None, typer.Option(
        help="citizens per unit of work \\[default: about 4 chunks per worker, 262,144 to "
             "1,048,576]")] = None,
    workers: Annotated[int | None, typer.Option(
        help="local worker processes \\[default: one per core above 1,000,000 citizens, "
             "else 1]")] = None,
    ledger_sample: Annotated[float | None, typer.Option(
        help="share of citizens in citizens.parquet and ledger.parquet \\[default: everyone "
             "up to 1,000,000 citizens, else a share keeping 100,000 to 250,000]")] = None,
    baseline: Annotated[bool, typer.Option(help="also run the same world with no policy")] = False,
    force: Annotated[bool, typer.Option(help="replace a non-empty --out")] = False,
    checkpoint_every: Annotated[int, typer.Option(
        help="checkpoint after this many chunks")] = DEFAULT_CHECKPOINT_EVERY,
    resume: Annotated[Path | None, typer.Option(help="continue an interrupted run")] = None,
    report: Annotated[bool, typer.Option(help="write audit.parquet and report.html")] = True,
    backend: Annotated[str, typer.Option(help="local (process pool) or ray")] = "local",
    ray_address: Annotated[str | None, typer.Option(help="Ray cluster to join")] = None,
) -> None:
    """Simulate a policy on a synthetic population and write a run folder."""
    say_if_compiling(err, backend=backend)  # else a minute at 0 citizens, unexplained
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("citizens"), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("[bold]simulating", total=None)

        def progress(event: scorelab.RunProgress) -> None:
            if event.phase == "simulate":
                bar.update(task, completed=event.done, total=event.total)
            else:
                bar.update(task, description=f"[bold]writing {event.phase}")

        result = scorelab.run(
            policy, scenario, citizens=citizens, days=days, seed=seed, out=out,
            chunk_size=chunk_size, workers=workers, ledger_sample=ledger_sample,
            baseline=baseline, force=force, checkpoint_every=checkpoint_every, resume=resume,
            backend=backend, ray_address=ray_address, report=report,
            progress=progress, on_estimate=lambda need: confirm_long_run(need, err, bar))
    stdout.print(render_summary(result))


@app.command()
@_fails_cleanly
def explain(
    folder: Annotated[Path, typer.Argument(help="a run folder")],
    citizen_id: Annotated[int, typer.Argument(help="the citizen to explain")],
) -> None:
    """Tell one citizen's story: who they are, every point change, what they were denied."""
    stdout.print(render_story(scorelab.explain(folder, citizen_id)))


def main() -> None:
    """Entry point for ``python -m scorelab``."""
    sys.exit(app())
