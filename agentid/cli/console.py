"""How every command talks to a terminal: colour, progress and ``--quiet``, decided in one place.

- **Colour** only for a person at a terminal, and never when they opt out: ``NO_COLOR`` set to anything but the empty
  string (https://no-color.org) or ``TERM=dumb``. Files, pipes and CI logs get plain text.
- **Progress** for long work (loading thousands of agents, the offline plan of each stack) is drawn on standard
  error with rich, only when standard error is a terminal, and erased when the work is done: standard output, and
  anything redirected, stays exactly the report. ``--quiet`` turns it off too.
- **--quiet** prints only findings that need action (errors and warnings, not waived ones): no summary line, no
  tables or progress. Machine formats (``--format json`` and
  the others) are the requested output and are printed whole either way; exit statuses do not change.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from rich.console import Console

F = TypeVar("F", bound=Callable[..., Any])


def no_color() -> bool:
    """The user opted out of colour (https://no-color.org: ``NO_COLOR`` present and not empty), or the terminal
    cannot show it."""
    return os.environ.get("NO_COLOR", "") != "" or os.environ.get("TERM") == "dumb"


def is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream (pytest's capture, a pipe torn down)
        return False


def colour_for(stream: IO[str] | None = None) -> bool:
    """Colour on this stream (default standard output): a terminal, and colour not turned off."""
    return is_terminal(stream or sys.stdout) and not no_color()


def make_console(
    *, stderr: bool = False, width: int | None = None, record: bool = False, live: bool = False
) -> Console:
    """A rich console on standard output (or error) that colours only when :func:`colour_for` says so.

    Off a terminal the width is fixed (``width`` or 160 columns), so redirected output does not depend on whoever's
    window ran it. ``no_color`` is passed only as ``True``: passing ``False`` would override rich's own ``NO_COLOR``
    check. Under ``NO_COLOR`` a report is plain text; a ``live`` display (progress) still draws on a terminal, without
    colour, since it needs cursor movement to redraw and erase itself.
    """
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    colour = colour_for(stream)
    terminal = is_terminal(stream) and os.environ.get("TERM") != "dumb"
    return Console(
        file=stream,
        width=None if terminal else (width or 160),
        force_terminal=terminal if live else colour,
        no_color=True if not colour else None,
        record=record,
        soft_wrap=False,
        highlight=False,
    )


def complete_stacks(_ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[str]:
    """Shell completion for ``--stack``: the stacks the repository configures (its ``Pulumi.<stack>.yaml`` files)."""
    from agentid.cli.common import find_root

    names = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in find_root().glob("Pulumi.*.yaml"))
    return [name for name in names if name.startswith(incomplete)]


# --- --quiet -------------------------------------------------------------------------------------------------------
_QUIET_KEY = "agentid.quiet"


def quiet_option(func: F) -> F:
    """``-q/--quiet``: print only findings (see this module). The command reads it with :func:`is_quiet`."""

    def remember(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
        ctx.meta[_QUIET_KEY] = value
        return value

    option = click.option(
        "-q",
        "--quiet",
        is_flag=True,
        expose_value=False,
        callback=remember,
        is_eager=True,
        help="Print only findings: no summary, tables or progress (machine formats are unchanged).",
    )
    return option(func)


def is_quiet() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.meta.get(_QUIET_KEY))


def findings_text(findings: Any, summary_line: str, *, colour: bool) -> str:
    """Findings as text with the summary line last; under ``--quiet`` the errors and warnings alone (nothing when
    none): waived findings are accepted exceptions, counted in the summary that ``--quiet`` leaves out."""
    from agentid.output import text

    if not is_quiet():
        return text.render(findings, summary_line, colour=colour)
    lines = [text.render_finding(f, colour=colour) for f in findings if not f.waived]
    return "\n".join(lines) + "\n" if lines else ""


# --- progress ------------------------------------------------------------------------------------------------------
class Steps:
    """Named steps of one long command: ``steps("offline plan of stack dev")`` finishes the previous step and
    starts this one."""

    def __init__(self, progress: Any = None, task: Any = None) -> None:
        self._progress, self._task, self._started = progress, task, False

    def __call__(self, description: str) -> None:
        if self._progress is None:
            return
        if self._started:
            self._progress.advance(self._task)
        self._started = True
        from rich.markup import escape  # a path or git ref is text, never rich markup

        self._progress.update(self._task, description=escape(description))


def progress_enabled() -> bool:
    return is_terminal(sys.stderr) and not is_quiet() and os.environ.get("TERM") != "dumb"


@contextlib.contextmanager
def progress(title: str, *, total: int | None = None) -> Iterator[Steps]:
    """Show ``title`` and the current step on standard error while the block runs, with a bar when ``total`` steps
    are known; nothing at all when standard error is not a terminal or ``--quiet`` is given. The display is erased at
    the end (``transient``), so only the command's own output remains on screen."""
    if not progress_enabled():
        yield Steps()
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns: list[Any] = [SpinnerColumn(), TextColumn(f"{title}: [progress.description]{{task.description}}")]
    if total:
        columns += [BarColumn(), MofNCompleteColumn()]
    columns.append(TimeElapsedColumn())
    # stdout is the report: never captured into the display (only stderr messages are drawn above it)
    with Progress(*columns, console=make_console(stderr=True, live=True), transient=True, redirect_stdout=False) as bar:
        task = bar.add_task("starting", total=total)
        yield Steps(bar, task)
