"""``agentid plan``: what a stack would deploy to Okta, computed offline by the real Pulumi program."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections import Counter
from collections.abc import Iterable
from typing import Any

import click

from agentid.cli.common import EXIT_FINDINGS, EXIT_OK, RepoPaths, cache_option, load_or_exit, registry_options
from agentid.cli.console import (
    colour_for,
    complete_stacks,
    findings_text,
    is_quiet,
    make_console,
    progress,
    quiet_option,
)
from agentid.findings import sorted_findings
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
    from rich.table import Table
    from rich.text import Text

    console = _capture_console(colour)
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
            adopted = plan.adopted() if hasattr(plan, "adopted") else {}
            for resource in resources:
                name = resource.name + (f"\n(adopts {adopted[resource.name]})" if resource.name in adopted else "")
                table.add_row(
                    Text(log_text(resource.type)),
                    Text("\n".join(log_text(line) for line in name.split("\n"))),
                    Text(log_text(resource.parent or "")),
                    _inputs_cell(dict(resource.inputs)),
                )
            console.print(table)
        console.print(log_text(_summary(plan)), markup=False, highlight=False, emoji=False)
    return captured.get()


def _capture_console(colour: bool) -> Any:
    """A console whose output is captured as text: coloured for a terminal, else plain at 160 columns."""
    from rich.console import Console

    if colour:
        return make_console(record=True)
    return Console(record=True, width=160, force_terminal=False, no_color=True, soft_wrap=False, highlight=False)


def _kind(type_token: str) -> str:
    """How ``--summary`` names a resource type: the token's last part (``okta:auth/serverPolicy:ServerPolicy``
    → ``ServerPolicy``)."""
    return type_token.rsplit(":", 1)[-1]


def render_summary(plan: Any, *, colour: bool) -> str:
    """One row per agent: its identities and how many Okta resources of each kind (components, which deploy
    nothing themselves, left out); then the plan's summary line."""
    from rich.table import Table

    console = _capture_console(colour)
    groups: dict[str | None, list[Any]] = {}
    for resource in plan.resources:
        groups.setdefault(resource.agent, []).append(resource)
    table = Table(expand=False)
    table.add_column("agent", no_wrap=True, style="bold")
    table.add_column("identities", justify="right")
    table.add_column("Okta resources", justify="right")
    table.add_column("of which", overflow="fold")
    for agent, resources in groups.items():
        okta = [r for r in resources if r.type.startswith("okta:")]
        apps = sum(1 for r in okta if r.type == "okta:app/oAuth:OAuth")
        kinds = Counter(_kind(r.type) for r in okta)
        held = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
        aws = sum(1 for r in resources if r.type.startswith(("aws:", "pulumi:providers:aws")))
        if aws:
            held += f"; {aws} AWS resources (detections)"
        table.add_row("(shared)" if agent is None else agent, str(apps), str(len(okta)), held)
    with console.capture() as captured:
        console.print(f"stack {plan.stack}: what each agent deploys")
        console.print(table)
        console.print(_summary(plan))
        console.print(f"Every resource with its inputs: agentid plan --stack {plan.stack} (or --format json).")
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
    adopted = plan.adopted() if hasattr(plan, "adopted") else {}
    if adopted:
        line += f"; adopts {len(adopted)} existing object(s) by id (agentid:adopt): " + ", ".join(
            f"{name} <- {ident}" for name, ident in adopted.items()
        )
    return line


def _report_findings(findings: Iterable[Any], headline: str) -> None:
    ordered = sorted_findings(findings)
    click.echo(findings_text(ordered, headline, colour=colour_for(sys.stderr)), err=True, nl=False)


@click.command()
@registry_options
@click.option(
    "--stack",
    default="dev",
    show_default=True,
    shell_complete=complete_stacks,
    help="Stack to plan: reads Pulumi.<stack>.yaml.",
)
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
    help="table for reviewers, json for tools (always every resource and input).",
)
@click.option(
    "--summary",
    is_flag=True,
    help="One line per agent (identities, resources by kind) instead of every resource's inputs.",
)
@quiet_option
@cache_option
def plan(
    paths: RepoPaths, stack: str, today: dt.datetime | None, output_format: str, summary: bool, no_cache: bool
) -> int:
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
      agentid plan --stack dev --summary                # one line per agent
      agentid plan --format json > plan.json
    """
    from agentid.plan import PlanError, StackNotFoundError, prepare, read_stack_file
    from agentid.plan.incremental import PlanCache, build_plan_incremental

    if summary and output_format == "json":
        raise click.UsageError("--summary shortens the table; --format json always lists every resource. Use one.")
    try:
        stack_file = read_stack_file(paths.root, stack)
    except StackNotFoundError as exc:
        raise click.UsageError(str(exc)) from None
    except PlanError as exc:
        click.echo(f"agentid plan: error: {exc}", err=True)
        return EXIT_FINDINGS
    when = _resolve_today(today, stack_file.config, stack)
    with progress("agentid plan", total=2) as steps:
        steps(f"reading {paths.agents}")
        result = load_or_exit(paths, meanwhile=prepare)
        if not result.ok:
            errors = sum(1 for f in result.findings if f.severity == "error")
            _report_findings(
                result.findings,
                f"agentid plan: the agent definitions are invalid ({errors} errors); nothing was planned. "
                "Fix them and re-run (`agentid validate` lists the same findings).",
            )
            return EXIT_FINDINGS
        steps(f"offline plan of stack {stack} ({len(result.registry)} agents)")
        try:
            cache = PlanCache.for_root(paths.root, enabled=not no_cache)
            planned, mode = build_plan_incremental(result.registry, stack, today=when, root=paths.root, cache=cache)
        except PlanError as exc:
            click.echo(f"agentid plan: error: {exc}", err=True)
            return EXIT_FINDINGS
    if not is_quiet():
        click.echo(f"agentid: {mode.note()}", err=True)  # as check prints it
    if output_format == "json":
        click.echo(json.dumps(planned.to_dict(), indent=2))
    elif is_quiet():
        pass  # planned without findings: nothing to print, exit 0 says it
    elif summary:
        click.echo(render_summary(planned, colour=colour_for()), nl=False)
    else:
        click.echo(render_table(planned, colour=colour_for()), nl=False)
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
