"""``agentid expiring``: agents expiring or due for access review, for a scheduled reminder job."""

from __future__ import annotations

import datetime as dt
import json

import click

from agentid.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    RepoPaths,
    load_or_exit,
    registry_options,
    report_unloaded,
    today_option,
)


def _window(_ctx: click.Context, _param: click.Parameter, value: str) -> int:
    from agentid.lifecycle import parse_window

    try:
        return parse_window(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command()
@registry_options
@today_option
@click.option(
    "--within",
    default="14d",
    show_default=True,
    callback=_window,
    help="How far ahead to look: days or weeks (14d, 2w, 30). Past dates are always included.",
)
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def expiring(paths: RepoPaths, today: dt.date, within: int, output_format: str) -> int:
    """List agents whose `expires` or `review_by` date falls within the window, or has passed, with their owners.

    An expired agent is deployed INACTIVE (its app can mint no token) until its file is deleted or renewed.

    Exit status (for a scheduler): 0 nothing due, 1 something due (reminders to open) or a definition that fails to
    load (its dates cannot be checked: it is named on standard error), 2 usage error.

    \b
    Examples:
      agentid expiring                          # due in the next 14 days
      agentid expiring --within 30d --format json
      agentid expiring --today 2026-12-01       # reproducible: judge as of a fixed day
    """
    from agentid.lifecycle import due_items

    result = load_or_exit(paths)
    unloaded = report_unloaded("expiring", result)
    items = due_items(result.registry, today, within)
    if output_format == "json":
        payload = {
            "today": today.isoformat(),
            "within_days": within,
            "due": [item.to_dict() for item in items],
            "unloaded": unloaded,
        }
        click.echo(json.dumps(payload, indent=2))
    elif not items:
        unchecked = f"; {len(unloaded)} definition(s) could not be checked" if unloaded else ""
        click.echo(f"Nothing due within {within} days of {today} ({len(result.registry)} agents checked{unchecked}).")
    else:
        from rich.table import Table
        from rich.text import Text

        from agentid.cli.console import make_console
        from agentid.output.inert import log_text

        table = Table(title=f"Due within {within} days of {today}", title_justify="left")
        for column in ("agent", "due", "date", "days", "owners", "file"):
            table.add_column(column, overflow="fold")
        for item in items:
            days = (
                f"{-item.days_left} ago" if item.overdue else ("today" if item.days_left == 0 else str(item.days_left))
            )
            # Values from definitions: plain Text (never rich markup), control characters made visible.
            table.add_row(
                *(Text(log_text(v)) for v in (item.agent, item.status, item.date.isoformat(), days)),
                Text(log_text(", ".join(item.owners))),
                Text(log_text(item.file)),
            )
        make_console().print(table)
    return EXIT_FINDINGS if items or unloaded else EXIT_OK
