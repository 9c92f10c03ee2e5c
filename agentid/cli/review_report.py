"""``agentid review-report``: the access-review sheet (owners, scopes with reasons, last change in git, waivers)."""

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


@click.command("review-report")
@registry_options
@today_option
@click.option("--format", "output_format", type=click.Choice(["md", "csv", "json"]), default="md", show_default=True)
@click.option(
    "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write here instead of standard output."
)
def review_report(paths: RepoPaths, today: dt.date, output_format: str, output: Path | None) -> int:
    """Write the access-review sheet: per agent, owners, each scope with its reason, domain and sensitivity, the
    last change to its file in git (date, commit), and the waivers in force, with a decision column to fill in.

    Outside a git repository the last-change columns are left empty. Definitions that fail to load are left out and
    named on standard error with their problems. Exit status: 0 written, 1 written without a definition that fails
    to load, 2 usage error.

    \b
    Examples:
      agentid review-report --output access-review.md
      agentid review-report --format csv > access-review.csv     # one row per agent and scope
    """
    from agentid.review.access_report import build_sheet, render_csv, render_json, render_markdown
    from agentid.review.gitrev import GitError, last_changes, open_repo, uncommitted

    result = load_or_exit(paths)
    unloaded = report_unloaded("review-report", result)
    files = [agent.file for agent in result.registry]
    try:
        repo = open_repo(paths.root, paths.agents, paths.catalog)
        # agent.file is relative to the repository root; git wants paths relative to its top level.
        prefix = paths.root.resolve().relative_to(repo.toplevel).as_posix()
        to_git = {f: (f if prefix in ("", ".") else f"{prefix}/{f}") for f in files}
        changes = last_changes(repo, list(to_git.values()))
        dirty_git = uncommitted(repo, list(to_git.values()))
        last = {f: changes[g] for f, g in to_git.items() if g in changes}
        dirty = {f for f, g in to_git.items() if g in dirty_git}
    except (GitError, ValueError):
        click.echo("agentid review-report: not in a git repository; last-change columns are empty.", err=True)
        last, dirty = {}, set()
    sheet = build_sheet(result.registry, today, last, dirty)
    if output_format == "csv":
        text = render_csv(sheet)
    elif output_format == "json":
        text = render_json(sheet, today)
    else:
        text = render_markdown(sheet, today)
    write_output(text, output)
    return EXIT_FINDINGS if unloaded else EXIT_OK
