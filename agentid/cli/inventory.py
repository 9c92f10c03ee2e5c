"""``agentid inventory``: every agent, its owners, what it can touch and its risk level."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from agentid.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    RepoPaths,
    load_or_exit,
    registry_options,
    report_unloaded,
    today_option,
    write_output,
)


@click.command()
@registry_options
@today_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["md", "csv", "json", "html"]),
    default="md",
    show_default=True,
    help="md for a wiki, csv for a spreadsheet, json for tools, html for a self-contained searchable page.",
)
@click.option(
    "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write here instead of standard output."
)
def inventory(paths: RepoPaths, today: dt.date, output_format: str, output: Path | None) -> int:
    """List every agent with owners, team, purpose, environments, scopes (domain, sensitivity), lifecycle dates,
    plugins, waivers in force and a risk level.

    Risk: the most sensitive data the agent or its plugins reach (restricted → high, confidential → medium,
    otherwise low), raised one level each for Okta management scopes, tokens over 60 minutes, plugins and waivers
    in force; okta.*.manage makes an agent at least high; capped at critical.

    Definitions that fail to load are left out and named on standard error with their problems (run
    `agentid validate`). Exit status: 0 written, 1 written without a definition that fails to load, 2 usage error.

    \b
    Examples:
      agentid inventory                               # Markdown table
      agentid inventory --format html --output inventory.html
      agentid inventory --format csv --today 2026-12-01 > inventory.csv
    """
    from agentid.cli.console import progress
    from agentid.inventory import build_inventory, render

    with progress("agentid inventory") as steps:  # on a terminal's stderr only
        steps(f"reading {paths.agents}")
        result = load_or_exit(paths)
    unloaded = report_unloaded("inventory", result)
    write_output(render(build_inventory(result.registry, today), output_format), output)
    return EXIT_FINDINGS if unloaded else EXIT_OK
