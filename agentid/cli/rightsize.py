"""``agentid rightsize``: propose least-privilege reductions from what each agent actually did (docs/rightsizing.md)."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path
from typing import BinaryIO

import click

from agentid.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    RepoPaths,
    load_or_exit,
    refuse_unloaded,
    registry_options,
    today_option,
    write_atomically,
)
from agentid.cli.okta_options import OKTA_SOURCE, okta_log_options, pull_okta, report_pulled
from agentid.output.inert import log_text


@click.command()
@click.option(
    "--events",
    "events",
    multiple=True,
    metavar="FILE|-",
    help="Okta System Log events (the shapes `agentid detect` reads: JSON lines, JSON arrays, EventBridge "
    "envelopes). Repeatable: one file per day's export is fine; redeliveries across files count once.",
)
@okta_log_options(
    since_help="the first event time (ISO 8601; default: the window's start, today-N 00:00 UTC).",
    until_help="stop before this time (default: the window's end, --today 00:00 UTC).",
)
@click.option(
    "--save-events",
    "save_events",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="With --okta: also write the events read from the org to FILE (JSON lines), so further runs over the same "
    "window (--team, another --format) read --events FILE instead of the org again.",
)
@click.option(
    "--client-ids",
    "client_ids_files",
    type=click.Path(path_type=Path, dir_okay=False),
    multiple=True,
    help="The stack's client ids: `pulumi stack output --json > FILE` (repeatable, one per member stack, as for "
    "`agentid detect`). Without it the offline placeholder ids are used (tests, demos).",
)
@click.option("--stack", help="Only the agents this stack deploys (their `environments` name it).")
@click.option("--team", help="Only the agents of this team (their `team`): one pull request per team.")
@click.option(
    "--days",
    type=click.IntRange(1, 366),
    default=30,
    show_default=True,
    help="The window: the N full UTC days before --today (today-N 00:00 UTC up to today 00:00 UTC).",
)
@click.option(
    "--min-coverage",
    type=click.IntRange(0, 100),
    default=90,
    show_default=True,
    metavar="PERCENT",
    help="Propose nothing unless at least this share of the window's days holds an event.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="text for people, markdown for a pull request body, json for tools.",
)
@click.option(
    "--write",
    is_flag=True,
    help="Apply the scope removals, lower budgets and narrower hours to agents/*.yaml, changing only those lines.",
)
@registry_options
@today_option
def rightsize(
    paths: RepoPaths,
    events: tuple[str, ...],
    from_okta: bool,
    org_url: str | None,
    since: str | None,
    until: str | None,
    save_events: Path | None,
    client_ids_files: tuple[Path, ...],
    stack: str | None,
    team: str | None,
    days: int,
    min_coverage: int,
    output_format: str,
    write: bool,
    today: dt.date,
) -> int:
    """Propose least privilege from observed use: unused scopes, budgets, hours, dormant agents.

    Reads Okta System Log events over the N full days before --today and, per identity (agent and plugin), reports
    the scopes Okta never granted (custom and Okta API scopes), the busiest hour and the 99th percentile of tokens per
    hour against max_tokens_per_hour, the UTC hours tokens were granted in against active_hours_utc, how soon tokens
    are renewed against token_lifetime_minutes, and identities with no token at all (dormant: offboard them). Only a
    grant Okta made (outcome SUCCESS) is use; a scope asked for in a refused request is still never proposed for
    removal, nor is one a plugin holds or one kept on purpose (`keep` in the agent file). Below --min-coverage
    (days of the window with an event) nothing is proposed.

    With --okta the events are read from the org's /api/v1/logs (only token grants and refused token requests,
    the window's days by default) with the read-only reader app, as `agentid detect --okta` reads them; the org is
    --org-url (or OKTA_ORG_URL), else the one --stack's Pulumi.<stack>.yaml deploys to.

    Exit status: 0 nothing to propose, 1 proposals (or a definition that fails to load), 2 usage error or an events
    file that could not be read to its end.

    \b
    Examples:
      pulumi stack output --json > outputs.json
      agentid rightsize --events okta-november.jsonl --client-ids outputs.json --stack prod --today 2026-12-01
      agentid rightsize --events okta-november.jsonl --client-ids outputs.json --stack prod --days 30 \\
        --today 2026-12-01 --format json
      agentid rightsize --events okta-november.jsonl --client-ids outputs.json --stack prod --format markdown --write
      agentid rightsize --okta --client-ids outputs.json --stack prod --today 2026-12-01 --save-events november.jsonl
    """
    from agentid.cli.detect import _open_input
    from agentid.cli.live import stack_org_url
    from agentid.detect.clientids import ClientIdError, merge_client_ids
    from agentid.detect.definitions import GRANT_EVENT_TYPES, REFUSED_EVENT_TYPES, build_detection_set, identity_names
    from agentid.rightsize.analysis import analyse
    from agentid.rightsize.render import render_markdown, render_text
    from agentid.rightsize.usage import UsageCollector, Window
    from policies.engine import default_settings

    window = Window(today, days)
    if from_okta:
        if events:
            raise click.UsageError("pass --events FILE or --okta, not both")
        pulled = pull_okta(
            org_url or (stack_org_url(paths.root, stack) if stack else None),
            since or f"{window.first_day}T00:00:00.000Z",
            until or f"{window.end_day}T00:00:00.000Z",
            event_types=(*GRANT_EVENT_TYPES, *REFUSED_EVENT_TYPES),
        )
        report_pulled("rightsize", pulled)
        if save_events is not None:
            _save(save_events, pulled.data)
        opened: list[tuple[bytes | BinaryIO, str]] = [(pulled.data, OKTA_SOURCE)]
    else:
        if not events:
            raise click.UsageError("pass --events FILE (or - for standard input), or --okta to read the org's log")
        okta_only = {"--since": since, "--until": until, "--save-events": save_events}
        given = [flag for flag, value in okta_only.items() if value is not None]
        if given:
            raise click.UsageError(f"{', '.join(given)} only go with --okta")
        if events.count("-") > 1:
            raise click.UsageError("--events - (standard input) can be given once")
        opened = [_open_input(name) for name in events]
    with contextlib.ExitStack() as stack_of_files:
        for source, name in opened:
            if name not in ("<stdin>", OKTA_SOURCE):
                stack_of_files.enter_context(source)
        result = load_or_exit(paths)
        refuse_unloaded("rightsize", result, "an agent left out would look dormant, or its scopes unused")
        registry = result.registry
        agents = registry.for_stack(stack) if stack else registry.agents
        if stack and not agents:
            named = sorted({env for agent in registry.agents for env in agent.environments})
            raise click.UsageError(
                f"no agent names stack {stack!r} in its environments; pass one of: {', '.join(named) or 'none'}"
            )
        client_ids = None
        everyone = agents
        if team:
            agents = tuple(agent for agent in agents if agent.team == team)
            if not agents:
                teams = sorted({agent.team for agent in everyone})
                raise click.UsageError(f"no agent has team {team!r}; pass one of: {', '.join(teams) or 'none'}")
        if client_ids_files:
            try:
                client_ids = merge_client_ids(client_ids_files, identity_names(everyone))
            except ClientIdError as exc:
                raise click.UsageError(str(exc)) from None
        detections = build_detection_set(registry, today=today, stack=stack, client_ids=client_ids)
        wanted = set(identity_names(agents))
        profiles = [p for p in detections.identities if p.identity in wanted]
        collector = UsageCollector(profiles, window)
        for source, name in opened:
            try:
                collector.read(source, name)
            except OSError as exc:
                raise click.UsageError(f"--events {name}: reading it failed: {exc.strerror or exc}") from None
    usage = collector.usage
    for name, problem in usage.problems:
        location = f"{name}:{problem.line}" if problem.line is not None else f"{name}: {problem.where}"
        level = "error" if problem.fatal else "warning"
        click.echo(f"{log_text(location)}: {level}: {log_text(problem.message)}", err=True)
    unread = next(((n, p) for n, p in usage.problems if p.fatal), None)
    if unread is not None:
        click.echo(
            f"{log_text(unread[0])}:{unread[1].line}: error: the events file could not be read past this line; a "
            "scope used after it would look unused, so nothing is proposed. Fix or re-export the file and run again.",
            err=True,
        )
        return EXIT_USAGE
    settings = default_settings()
    report = analyse(
        usage, agents, stack=stack, min_coverage=min_coverage / 100, waiver_max_days=settings.waiver_max_days
    )
    _reviewers(paths, report)
    if output_format == "json":
        import json

        click.echo(json.dumps(report.to_dict(), indent=2))
    elif output_format == "markdown":
        click.echo(render_markdown(report), nl=False)
    else:
        click.echo(render_text(report), nl=False)
    if write and report.proposals:
        _write(paths, agents, report)
    return EXIT_FINDINGS if report.proposals else EXIT_OK


def _save(target: Path, data: bytes) -> None:
    """The pulled events, written atomically (a half-written file would read as a shorter month)."""
    write_atomically(target, data, f"--save-events {target}: cannot write")


def _reviewers(paths: RepoPaths, report) -> None:
    """Each identity's owners as GitHub handles (policies/owners.yaml, as CODEOWNERS has them), for the pull request
    the scheduled workflow opens; an unreadable map or an unmapped owner adds no reviewer."""
    from agentid.review.codeowners import OwnersMapError, load_owners_map

    try:
        owners = load_owners_map(paths.root / "policies" / "owners.yaml")
    except OwnersMapError:
        return
    for entry in report.identities:
        entry.reviewers = [owners.handles[o.casefold()] for o in entry.owners if o.casefold() in owners.handles]


def _write(paths: RepoPaths, agents, report) -> None:
    """Apply every applicable proposal, file by file; check each edit by loading it again before replacing it."""
    from agentid.registry.loader import load_agent_bytes
    from agentid.rightsize.edit import EditError, edit_text, expected_values, value_at

    by_agent: dict[str, list] = {}
    for proposal in report.proposals:
        if proposal.applies:
            by_agent.setdefault(proposal.agent, []).append(proposal)
    written = []
    for agent in agents:
        proposals = by_agent.get(agent.name)
        if not proposals:
            continue
        target = paths.root / agent.file
        if not target.is_file():
            target = paths.agents / Path(agent.file).name
        raw = target.read_bytes()
        try:
            edited = edit_text(raw.decode("utf-8"), agent, proposals)
        except EditError as exc:
            click.echo(f"agentid rightsize: {log_text(exc)}; {log_text(agent.file)} left as it was", err=True)
            continue
        checked, _findings = load_agent_bytes(edited.encode("utf-8"), agent.file, expected_name=agent.name)
        wrong = checked is None or any(
            value_at(checked, path) != value for path, value in expected_values(agent, proposals).items()
        )
        if wrong:
            click.echo(
                f"agentid rightsize: the edit of {log_text(agent.file)} did not hold the proposed values; the file "
                "was left as it was: apply the proposals by hand",
                err=True,
            )
            continue
        partial = target.with_name(target.name + ".partial")
        partial.write_bytes(edited.encode("utf-8"))
        partial.replace(target)
        written.append(agent.file)
    if written:
        click.echo(f"agentid rightsize: edited {len(written)} file(s): {', '.join(map(log_text, written))}", err=True)
