"""``agentid review``: the privilege diff of a change, written for a pull-request comment."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from agentid.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    RepoPaths,
    cache_option,
    registry_options,
    today_option,
    write_output,
)


@click.command()
@registry_options
@today_option
@click.option(
    "--base", "base_ref", required=True, metavar="REF", help="The revision to compare against (e.g. origin/main)."
)
@click.option(
    "--head", "head_ref", default=None, metavar="REF", help="The revision under review. Default: the working tree."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["md", "json"]),
    default="md",
    show_default=True,
    help="md for a PR comment (at most 60,000 characters), json for tools.",
)
@click.option(
    "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write here instead of standard output."
)
@click.option(
    "--fail-on-escalation",
    is_flag=True,
    help="Exit 1 when the change escalates any agent's privileges (default: only new blocking findings fail).",
)
@click.option(
    "--no-plan",
    is_flag=True,
    help="Skip the offline plans (about a second per stack and revision): compare the registry only.",
)
@cache_option
def review(
    paths: RepoPaths,
    today: dt.date,
    base_ref: str,
    head_ref: str | None,
    output_format: str,
    output: Path | None,
    fail_on_escalation: bool,
    no_plan: bool,
    no_cache: bool,
) -> int:
    """Show what a change does to agents' privileges, and the policy findings it introduces or fixes.

    Compares agents/ at two git revisions by agent name (renamed files and reformatting are not changes), and each
    stack's offline plan (Pulumi.<stack>.yaml at each revision): Okta resources added, removed or changed per agent,
    with resource-rule findings in the introduced/fixed comparison. Each
    change is an escalation, a reduction or neutral; escalations come first (restricted data, Okta management
    scopes and longer tokens lead). Plans are incremental: the head re-plans only the agents whose inputs differ
    from the base (or from .agentid-cache/), and says so; --no-cache leaves .agentid-cache/ alone.

    Exit status: 0 reviewed, 1 the change introduces a blocking finding, a definition fails to load at the head
    (its agent is not compared; never reported removed) or, with --fail-on-escalation, the change escalates,
    2 usage error (e.g. a revision that is not a commit).

    \b
    Examples:
      agentid review --base origin/main                    # the working tree against main
      agentid review --base origin/main --head HEAD --format json
      agentid review --base "$BASE_SHA" --output review.md  # then post review.md as the PR comment
    """
    from agentid.cli.console import progress
    from agentid.output.text import problem_line
    from agentid.registry import CatalogError
    from agentid.review import GitError, build_review, open_repo, render_json, render_markdown
    from agentid.review.diff import Impact

    try:
        repo = open_repo(paths.root, paths.agents, paths.catalog)
        with progress("agentid review") as steps:  # on a terminal's stderr only (agentid.cli.console)
            steps(f"{base_ref} → {head_ref}" + ("" if no_plan else ": registries and offline plans"))
            result = build_review(
                repo,
                base_ref,
                head_ref,
                today=today,
                agents_dir=paths.agents,
                catalog_file=paths.catalog,
                root=paths.root,
                with_plan=not no_plan,
                use_cache=not no_cache,
            )
    except GitError as exc:
        raise click.UsageError(str(exc)) from None
    except CatalogError as exc:
        for finding in exc.findings:
            click.echo(problem_line(finding, "error"), err=True)
        raise click.exceptions.Exit(EXIT_USAGE) from None
    except FileNotFoundError as exc:
        raise click.UsageError(f"{exc.filename or exc} does not exist; run agentid from the repository root") from None
    text = render_json(result) if output_format == "json" else render_markdown(result)
    write_output(text, output)
    if result.load_errors_at_head:
        click.echo(
            f"agentid review: {result.load_errors_at_head} definition problem(s) at the head, in "
            f"{', '.join(result.load_error_files) or 'the registry'} (`agentid validate` lists them); exit status 1",
            err=True,
        )
        return EXIT_FINDINGS
    if result.findings.blocking_introduced():
        return EXIT_FINDINGS
    if fail_on_escalation and result.diff.by_impact(Impact.ESCALATION):
        return EXIT_FINDINGS
    return EXIT_OK
