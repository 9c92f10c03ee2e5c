"""``agentid show NAME``: one agent's effective access in every stack that deploys it."""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from agentid.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    RepoPaths,
    load_or_exit,
    registry_options,
    report_unloaded,
    text_or_json_option,
    today_option,
)


@click.command()
@click.argument("name")
@registry_options
@today_option
@text_or_json_option
@click.option(
    "--no-plan",
    is_flag=True,
    help="Skip the offline plan of each stack (about a second each): no planned resources.",
)
def show(paths: RepoPaths, name: str, today: dt.date, output_format: str, no_plan: bool) -> int:
    """Show one agent's effective access in every stack that deploys it.

    Each identity (the agent and each plugin) with its scopes (data domain, sensitivity, reason), Okta management
    scopes and admin roles, token lifetimes and credentials; per stack, the token ceiling, the network zones (with
    the zone ids the stack file resolves) and the Okta resources its offline plan creates for the agent; the
    detections watching it and their thresholds; lifecycle dates and waivers with their expiry.

    Exit status: 0 shown, 1 shown but a definition fails to load (or this agent's own file does), 2 usage error
    (e.g. no agent of that name).

    \b
    Examples:
      agentid show finance-reconciler
      agentid show okta-user-auditor --format json --today 2026-12-01
      agentid show meeting-summarizer --no-plan
    """
    result = load_or_exit(paths)
    unloaded = report_unloaded("show", result)
    agent = result.registry.get(name)
    if agent is None:
        failing = [f for f in unloaded if Path(f).stem == name]
        if failing:
            click.echo(f"agentid show: the definition of `{name}` ({failing[0]}) fails to load; see above.", err=True)
            return EXIT_FINDINGS
        close = difflib.get_close_matches(name, [a.name for a in result.registry], n=1)
        hint = f" Did you mean `{close[0]}`?" if close else ""
        raise click.UsageError(
            f"no agent named `{name}` in {paths.agents}.{hint} `agentid inventory` lists every agent."
        )
    from agentid.show import build_view

    views, known = _stack_views(paths.root, result.registry, agent, today, plan=not no_plan)
    view = build_view(agent, result.registry.catalog, today=today, stacks=views, known_stacks=known)
    if output_format == "json":
        click.echo(json.dumps(view, indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(view, colour=sys.stdout.isatty() and not os.environ.get("NO_COLOR")), nl=False)
    return EXIT_FINDINGS if unloaded else EXIT_OK


def _stack_views(root: Path, registry: Any, agent: Any, today: dt.date, *, plan: bool) -> tuple[list[Any], list[str]]:
    """The stacks that deploy ``agent`` (their environment is one it lists), with their plan for it."""
    from agentid.show import StackView, stack_settings, token_limit, zone_ids
    from policies.engine import load_stack_shards

    settings, unreadable = stack_settings(root)
    environments = load_stack_shards(root)[0]
    views = [
        StackView(stack=stack, environment=stack, note=f"not shown: {why} (`agentid plan --stack {stack}` says more)")
        for stack, why in unreadable.items()
        if stack in agent.environments
    ]
    for stack, config in settings.items():
        environment = environments.get(stack, stack)
        if environment not in agent.environments:
            continue
        zones, zones_error = zone_ids(config, stack)
        resources, note = (None, "not planned (--no-plan)")
        if zones_error:
            # The plan reads the zones with the same parser and would fail with the message shown under the zones.
            resources, note = None, f"not planned: its network zones are invalid (see `agentid plan --stack {stack}`)"
        elif plan:
            resources, note = _planned(registry, agent.name, stack, today, root)
        views.append(
            StackView(
                stack=stack,
                environment=environment,
                max_token_lifetime_minutes=token_limit(config),
                network_zones=zones,
                network_zones_error=zones_error,
                resources=resources,
                note=note,
            )
        )
    return sorted(views, key=lambda view: view.stack), sorted([*settings, *unreadable])


def _planned(registry: Any, name: str, stack: str, today: dt.date, root: Path) -> tuple[list[Any] | None, str | None]:
    try:
        from agentid.plan import build_plan

        planned = build_plan(registry, stack, today=today, root=root)
    except Exception as exc:  # a plan that fails is a note on that stack, not a traceback
        return None, f"the offline plan failed: {exc} (run `agentid plan --stack {stack}`)"
    # Component resources (agentid:okta:AgentIdentity) only group the Okta resources below them.
    resources = [{"type": r.type, "name": r.name} for r in planned.for_agent(name) if not r.type.startswith("agentid:")]
    note = None if resources else "the plan creates nothing for this agent here (another shard of the environment?)"
    return resources, note


def _days(days: int | None) -> str:
    if days is None:
        return ""
    if days == 0:
        return " (today)"
    return f" (in {days} days)" if days > 0 else f" ({-days} days ago)"


def render_text(view: dict[str, Any], *, colour: bool) -> str:
    """The view as headings and rich tables. Every value from the registry is a ``Text`` (never markup), so an
    agent file cannot style, hide or forge terminal output."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(
        width=None if colour else 160,
        force_terminal=colour,
        no_color=not colour,
        markup=False,
        emoji=False,
        highlight=False,
        soft_wrap=False,
    )

    def table(title: str, *columns: str) -> Table:
        grid = Table(title=Text(title, style="bold"), title_justify="left", show_lines=True)
        for column in columns:
            grid.add_column(column, overflow="fold")
        return grid

    def cell(*lines: Any) -> Text:
        return Text("\n".join(str(line) for line in lines if line not in (None, "")) or "-")

    life = view["lifecycle"]
    expires = f"expires {life['expires']}{_days(life['expires_in_days'])}" if life["expires"] else "no expiry"
    if life["expired"]:
        expires += ": EXPIRED, deployed INACTIVE"
    header = [
        Text.assemble(("agent ", "bold"), (view["agent"], "bold"), f"  ({view['file']})"),
        Text(view["description"]),
        Text(f"owners: {', '.join(view['owners'])}; team: {view['team']}"),
        Text(f"purpose: {view['purpose']} (data domains: {', '.join(view['purpose_domains']) or 'none'})"),
        Text(f"lifecycle: {life['kind']}, review by {life['review_by']}{_days(life['review_in_days'])}, {expires}"),
        Text(
            f"profile: at most {view['profile']['max_tokens_per_hour']} tokens an hour, active "
            f"{view['profile']['active_hours_utc']} UTC"
        ),
        Text(f"environments: {', '.join(view['environments'])}"),
    ]
    if view["environments_without_stack"]:
        header.append(
            Text(
                f"  no stack deploys {', '.join(view['environments_without_stack'])} "
                f"(configured stacks: {', '.join(view['known_stacks']) or 'none'})",
                style="yellow",
            )
        )
    identities = table(
        "Identities", "identity", "scopes (domain, sensitivity)", "Okta API scopes", "admin roles", "tokens", "key"
    )
    for identity in view["identities"]:
        scopes = [f"{s['name']} ({s['domain'] or '?'}, {s['sensitivity'] or '?'})" for s in identity["scopes"]]
        tokens = []
        if identity["token_lifetime_minutes"] is not None:
            tokens.append(f"{identity['token_lifetime_minutes']} min")
        if identity["okta_token_lifetime_minutes"] is not None:
            tokens.append(f"Okta API: {identity['okta_token_lifetime_minutes']} min (org server)")
        credentials = identity["credentials"]
        key = credentials.get("jwks_uri") or ", ".join(k["kid"] for k in credentials.get("keys", []))
        identities.add_row(
            cell(identity["identity"], f"({identity['kind']})"),
            cell(*scopes),
            cell(*identity["okta_api_scopes"]),
            cell(*identity["okta_admin_roles"]),
            cell(*tokens),
            cell(key),
        )
    stacks = table("Stacks", "stack", "token ceiling", "network zones", "planned resources")
    for stack in view["stacks"]:
        zones = [
            f"{zone}: {zone_id or 'not defined in this stack'}" for zone, zone_id in stack["network_zones"].items()
        ]
        if stack["network_zones_error"]:
            # No zone resolves: one line naming the file and key, not a "not defined" per zone.
            zones = [f"{zone}: not resolved" for zone in stack["network_zones"]]
            zones.append(f"the stack file's zones are invalid: {stack['network_zones_error']}")
        resources = [f"{r['type']}  {r['name']}" for r in stack["resources"] or []]
        ceiling = stack["max_token_lifetime_minutes"]
        stacks.add_row(
            cell(
                stack["stack"],
                f"(environment {stack['environment']})" if stack["environment"] != stack["stack"] else "",
            ),
            cell(f"{ceiling} min" if ceiling is not None else "default"),
            cell(*zones) if zones else cell("any (no zone)"),
            cell(*resources, stack["note"]),
        )
    detections = table("Detections", "detection", "severity", "alerts on")
    for detection in view["detections"]:
        detections.add_row(cell(detection["id"]), cell(detection["severity"]), cell(detection["watches"]))
    with console.capture() as captured:
        for line in header:
            console.print(line)
        console.print(identities)
        if view["stacks"]:
            console.print(stacks)
        else:
            console.print(Text("Stacks: none deploys this agent", style="yellow"))
        console.print(detections)
        if view["waivers"]:
            waivers = table("Waivers", "rule", "approved by", "expires", "reason")
            for waiver in view["waivers"]:
                expiry = waiver["expires"] + (" (EXPIRED)" if waiver["expired"] else _days(waiver["expires_in_days"]))
                waivers.add_row(cell(waiver["rule"]), cell(waiver["approved_by"]), cell(expiry), cell(waiver["reason"]))
            console.print(waivers)
        else:
            console.print(Text("Waivers: none"))
    return captured.get()
