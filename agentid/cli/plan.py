"""``agentid plan``: what a stack would deploy to Okta, computed offline by the real Pulumi program."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterable
from typing import Any

import click

from agentid.cli.common import EXIT_FINDINGS, EXIT_OK, RepoPaths, cache_option, load_or_exit, registry_options
from agentid.findings import sorted_findings
from agentid.output import text
from agentid.output.inert import log_text

#: Input values longer than this are shortened in the table (JWK moduli); ``--format json`` shows them whole.
MAX_VALUE_WIDTH = 72


def _resolve_today(explicit: dt.datetime | None, stack_config: dict[str, str], stack: str) -> dt.date:
    """``--today`` wins, then the stack's ``agentid:today``, then the current UTC date."""
    if explicit is not None:
        return explicit.date()
    configured = stack_config.get("agentid:today")
    if configured:
        try:
            return dt.date.fromisoformat(configured)
        except ValueError:
            raise click.UsageError(
                f"Pulumi.{stack}.yaml: agentid:today must be a date as YYYY-MM-DD, not {configured!r}"
            ) from None
    return dt.datetime.now(dt.UTC).date()


def _compact(value: Any) -> str:
    shown = value if isinstance(value, str) else json.dumps(value, separators=(", ", ": "))
    return shown if len(shown) <= MAX_VALUE_WIDTH else shown[: MAX_VALUE_WIDTH - 1] + "…"


def _inputs_cell(inputs: dict[str, Any]) -> Any:
    """One line per input. Values come from definitions (descriptions, names): a rich ``Text`` is never read as
    markup (``[link=...]`` would become a terminal hyperlink) and :func:`log_text` removes control characters."""
    from rich.text import Text

    return Text("\n".join(f"{log_text(key)}: {log_text(_compact(value))}" for key, value in inputs.items()))


def render_table(plan: Any, *, colour: bool) -> str:
    """Resources grouped by owning agent (shared resources first), one rich table per group."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(record=True, width=None if colour else 160, force_terminal=colour, no_color=not colour)
    groups: dict[str | None, list[Any]] = {}
    for resource in plan.resources:
        groups.setdefault(resource.agent, []).append(resource)
    with console.capture() as captured:
        for agent, resources in groups.items():
            title = "shared resources (not owned by one agent)" if agent is None else f"agent {agent}"
            table = Table(title=Text(log_text(title)), title_justify="left", show_lines=True, expand=False)
            table.add_column("type", no_wrap=True)
            table.add_column("name", no_wrap=True, style="bold")
            table.add_column("parent", no_wrap=True)
            table.add_column("inputs", overflow="fold")
            for resource in resources:
                table.add_row(
                    Text(log_text(resource.type)),
                    Text(log_text(resource.name)),
                    Text(log_text(resource.parent or "")),
                    _inputs_cell(dict(resource.inputs)),
                )
            console.print(table)
        console.print(log_text(_summary(plan)), markup=False, highlight=False, emoji=False)
    return captured.get()


def _summary(plan: Any) -> str:
    custom = [r for r in plan.resources if r.type.startswith("okta:")]
    aws = [r for r in plan.resources if r.type.startswith(("aws:", "pulumi:providers:aws"))]
    agents = {r.agent for r in plan.resources if r.agent is not None}
    apps = [r for r in plan.resources if r.type == "okta:app/oAuth:OAuth"]
    inactive = sorted(r.name for r in apps if r.inputs.get("status") == "INACTIVE")
    line = (
        f"stack {plan.stack} as of {plan.today}: {len(custom)} Okta resources in {len(plan.resources)} "
        f"declarations; {len(apps)} identities for {len(agents)} agents"
    )
    if inactive:
        line += f"; expired, deployed INACTIVE: {', '.join(inactive)}"
    if aws:
        line += f"; {len(aws)} AWS resources for detections"
    return line


def _report_findings(findings: Iterable[Any], headline: str) -> None:
    ordered = sorted_findings(findings)
    click.echo(text.render(ordered, headline, colour=sys.stderr.isatty()), err=True, nl=False)


@click.command()
@registry_options
@click.option("--stack", default="dev", show_default=True, help="Stack to plan: reads Pulumi.<stack>.yaml.")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Deploy date (YYYY-MM-DD) expiry is judged on. Default: agentid:today in the stack file, else today (UTC).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table for reviewers, json for tools.",
)
@cache_option
def plan(paths: RepoPaths, stack: str, today: dt.datetime | None, output_format: str, no_cache: bool) -> int:
    """Show every Okta resource a stack would deploy, without credentials or network.

    Runs the same Pulumi program as `pulumi preview` under the Pulumi SDK's mock engine with the stack's
    configuration, and prints each resource's type, logical name, parent and inputs (secrets masked).
    Every planned input is also held to pulumi-okta 7.0.1's own validators (agentid/conformance): an input the
    provider would refuse fails the run.
    Identities whose inputs are unchanged since a cached plan are reused from .agentid-cache/ (the same resources
    the whole program declares; standard error says which agents were planned); --no-cache plans all of them.
    Exit status: 0 planned, 1 invalid definitions or configuration or an input the provider refuses, 2 usage error
    (e.g. unknown stack).

    \b
    Examples:
      agentid plan
      agentid plan --stack prod --today 2026-12-21
      agentid plan --format json > plan.json
    """
    from agentid.plan import PlanError, StackNotFoundError, read_stack_file
    from agentid.plan.incremental import PlanCache, build_plan_incremental

    try:
        stack_file = read_stack_file(paths.root, stack)
    except StackNotFoundError as exc:
        raise click.UsageError(str(exc)) from None
    except PlanError as exc:
        click.echo(f"agentid plan: error: {exc}", err=True)
        return EXIT_FINDINGS
    when = _resolve_today(today, stack_file.config, stack)
    result = load_or_exit(paths)
    if not result.ok:
        errors = sum(1 for f in result.findings if f.severity == "error")
        _report_findings(
            result.findings,
            f"agentid plan: the agent definitions are invalid ({errors} errors); nothing was planned. "
            "Fix them and re-run (`agentid validate` lists the same findings).",
        )
        return EXIT_FINDINGS
    try:
        cache = PlanCache.for_root(paths.root, enabled=not no_cache)
        planned, mode = build_plan_incremental(result.registry, stack, today=when, root=paths.root, cache=cache)
    except PlanError as exc:
        click.echo(f"agentid plan: error: {exc}", err=True)
        return EXIT_FINDINGS
    click.echo(f"agentid plan: {mode.note()}", err=True)
    if output_format == "json":
        click.echo(json.dumps(planned.to_dict(), indent=2))
    else:
        click.echo(render_table(planned, colour=sys.stdout.isatty()), nl=False)
    # What pulumi-okta would refuse at `pulumi preview`/`pulumi up`: the plan is shown, and the run fails.
    from agentid.conformance import plan_findings

    refused = plan_findings(planned, result.registry, root=paths.root)
    if refused:
        _report_findings(
            refused,
            f"agentid plan: stack {stack} plans {len(refused)} input(s) pulumi-okta 7.0.1 would refuse; "
            "`pulumi preview` would fail. Fix them and re-run.",
        )
        return EXIT_FINDINGS
    return EXIT_OK
