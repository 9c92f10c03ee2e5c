"""``agentid discover`` and ``agentid drift``: the live org, read-only, judged against the registry.

Both read the org with the read-only service app (``--org-url``/``OKTA_ORG_URL``, ``OKTA_CLIENT_ID``, the key in
``OKTA_PRIVATE_KEY_FILE`` or ``OKTA_PRIVATE_KEY``; docs/adopting.md). Every value read from the org (labels, scope,
policy and rule names) is shown through :mod:`agentid.output.inert`: an org admin chooses them.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from agentid.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    RepoPaths,
    load_or_exit,
    registry_options,
    today_option,
    write_output,
)
from agentid.findings import Finding, has_blocking, sorted_findings
from agentid.output.inert import log_text

F = TypeVar("F", bound=Callable[..., Any])

#: how far back `discover` looks for each identity's last token
ACTIVITY_DAYS = 30


def org_options(func: F) -> F:
    @click.option(
        "--org-url",
        envvar="OKTA_ORG_URL",
        metavar="URL",
        help="The Okta org, https://<org>.okta.com (or OKTA_ORG_URL). The credential: OKTA_CLIENT_ID and the "
        "read-only app's private key in OKTA_PRIVATE_KEY_FILE (or OKTA_PRIVATE_KEY); see docs/adopting.md.",
    )
    @functools.wraps(func)
    def wrapper(*args: Any, org_url: str | None, **kwargs: Any) -> Any:
        return func(*args, org_url=org_url, **kwargs)

    return wrapper  # type: ignore[return-value]


def connect(org_url: str | None, **client_options: Any):
    """An :class:`~agentid.okta.client.OktaClient` for the org, or a usage error saying what is missing."""
    from agentid.okta.client import OktaClient
    from agentid.okta.connection import check_org_url, load_credentials
    from agentid.okta.errors import ConnectionSettingsError

    try:
        return OktaClient(check_org_url(org_url), load_credentials(), **client_options)
    except ConnectionSettingsError as exc:
        raise click.UsageError(str(exc)) from None


def stack_org_url(root: Path, stack: str) -> str | None:
    """The org a stack deploys to (``okta:orgName`` and ``okta:baseUrl`` in its stack file), when --org-url is not
    given: drift and import read the very org the stack's ``pulumi up`` writes to."""
    from agentid.plan.stackfile import PlanError, read_stack_file

    try:
        config = read_stack_file(root, stack).config
    except PlanError:
        return None
    org, base = config.get("okta:orgName"), config.get("okta:baseUrl")
    return f"https://{org}.{base}" if isinstance(org, str) and isinstance(base, str) and org and base else None


def okta_failure(exc: Exception) -> click.exceptions.Exit:
    click.echo(f"agentid: {log_text(exc)}", err=True)
    return click.exceptions.Exit(EXIT_USAGE)


def _fmt(values: Any) -> str:
    return ", ".join(log_text(v) for v in values) or "-"


def render_text(org: Any, judged: list[Any], found: list[Finding], *, colour: bool, heading: str) -> str:
    from agentid.output.text import render_finding

    lines = [heading]
    for item in judged:
        app = item.app
        lines.append(
            f"{item.status:<9} {log_text(app.label)}  ({log_text(app.kind)}, client {log_text(app.client_id)}, "
            f"{log_text(app.status)}, auth {log_text(app.auth_method or '-')}, last token "
            f"{log_text(app.last_token or 'none seen')})"
        )
        lines.append(
            f"          grant types {_fmt(app.grant_types)}; Okta API scopes {_fmt(app.okta_api_scopes)}; "
            f"admin roles {_fmt(app.admin_roles)}"
        )
        for policy in app.policies:
            for rule in policy.rules:
                lifetime = rule.lifetime_minutes if rule.lifetime_minutes is not None else "?"
                lines.append(
                    f"          policy {log_text(policy.server_name)}/{log_text(policy.name)} rule "
                    f"{log_text(rule.name)}: scopes {_fmt(rule.scopes)}, {lifetime} min, {log_text(rule.status)}"
                )
    for finding in sorted_findings(found):
        lines.append(render_finding(finding, colour=colour))
    counts: dict[str, int] = {}
    for item in judged:
        counts[item.status] = counts.get(item.status, 0) + 1
    errors = sum(1 for f in found if f.severity.value == "error")
    lines.append(
        f"{len(judged)} identities that can mint tokens ("
        + ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        + f"): {errors} finding(s)"
    )
    return "\n".join(lines) + "\n"


def _render(org: Any, judged: list[Any], found: list[Finding], output_format: str, heading: str, **extra: Any) -> str:
    from agentid.okta.compare import RULES, to_json

    if output_format == "json":
        return to_json(org, judged, found, **extra)
    if output_format == "sarif":
        from agentid.output.sarif import render

        return render(sorted_findings(found), list(RULES.values()))
    return render_text(org, judged, found, colour=sys.stdout.isatty(), heading=heading)


format_option = click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "sarif"]),
    default="text",
    show_default=True,
    help="text for people, json for tools, sarif for code scanning.",
)
output_option = click.option(
    "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write the report here instead of stdout."
)


@click.command()
@org_options
@click.option(
    "--stack",
    default=None,
    help="Judge against the definitions this stack deploys, in its org unless --org-url says otherwise "
    "(default: every definition).",
)
@click.option(
    "--since",
    default=None,
    metavar="TIME",
    help=f"Look for each identity's last token since this ISO time (default: {ACTIVITY_DAYS} days before --today).",
)
@registry_options
@today_option
@format_option
@output_option
def discover(
    org_url: str | None,
    stack: str | None,
    since: str | None,
    paths: RepoPaths,
    today: dt.date,
    output_format: str,
    output: Path | None,
) -> int:
    """List every non-human identity in the org that can mint tokens, and classify it.

    Service apps (client credentials) and API service integrations, with grant types, client authentication (a
    client secret in use is a finding), Okta API scopes, admin roles, the custom authorization-server policies and
    rules that include each (scopes, token lifetime), status and last token. Each is managed (labelled
    `agentid:<identity>` and in the registry), drifted (managed, but the org differs from its definition), shadow
    (not in the registry), orphaned (labelled `agentid:` without a definition) or the reader agentid signs in with.

    Exit status: 0 nothing found, 1 a shadow agent, drift, an orphan or a client secret, 2 usage error or the org
    could not be read.

    \b
    Examples:
      export OKTA_ORG_URL=https://example.okta.com OKTA_CLIENT_ID=0oa... OKTA_PRIVATE_KEY_FILE=~/.okta/reader.pem
      agentid discover
      agentid discover --stack prod --format sarif --output discover.sarif
    """
    from agentid.okta.compare import desired_from_registry, findings, judge
    from agentid.okta.errors import READ_ERRORS
    from agentid.okta.live import read_org

    result = load_or_exit(paths)
    client = connect(org_url or (stack_org_url(paths.root, stack) if stack else None))
    since = since or f"{today - dt.timedelta(days=ACTIVITY_DAYS)}T00:00:00.000Z"
    try:
        org = read_org(client, activity_since=since, reader_client_id=client.client_id)
    except READ_ERRORS as exc:
        raise okta_failure(exc) from None
    desired = desired_from_registry(result.registry, today, stack)
    judged, _missing = judge(org, desired)
    found = findings(judged, desired=desired)
    heading = f"org {log_text(org.org_url)}: non-human identities (last tokens since {log_text(since)})"
    write_output(_render(org, judged, found, output_format, heading, since=since), output)
    return EXIT_FINDINGS if has_blocking(found) else EXIT_OK


def our_server(root: Path, stack: str) -> tuple[str | None, str | None]:
    """(id, name) of the stack's authorization server from ``agentid:authorizationServer`` in its stack file."""
    from agentid.plan.stackfile import read_stack_file

    value = read_stack_file(root, stack).config.get("agentid:authorizationServer") or "{}"
    try:
        data = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    return data.get("id"), data.get("name")


def find_server(servers: Any, server_id: str | None, server_name: str | None) -> dict[str, Any] | None:
    """The stack's authorization server among the org's ``servers`` (by id, or by name when the stack creates it)."""
    return next(
        (
            s
            for s in servers
            if (server_id and s.get("id") == server_id) or (server_name and s.get("name") == server_name)
        ),
        None,
    )


@click.command()
@click.option("--stack", required=True, help="The stack whose org and offline plan are compared (Pulumi.<stack>.yaml).")
@org_options
@registry_options
@today_option
@format_option
@output_option
def drift(
    stack: str,
    org_url: str | None,
    paths: RepoPaths,
    today: dt.date,
    output_format: str,
    output: Path | None,
) -> int:
    """Compare the live org with the stack's offline plan: what changed in Okta that the registry did not.

    Reports policies or rules on the stack's authorization server that no definition declares, clients added to an
    agent's policy, scopes and token lifetimes changed, Okta API scopes or admin roles no definition declares, apps
    labelled `agentid:` that no definition holds, apps deactivated or reactivated by hand, and declared identities
    missing from the org (a warning). `pulumi refresh` cannot see most of these: Pulumi does not manage an extra rule.
    Shadow apps (no `agentid:` label) are `agentid discover`'s business. Without --org-url (or OKTA_ORG_URL) the
    org is the stack's own (okta:orgName and okta:baseUrl in Pulumi.<stack>.yaml).

    Exit status: 0 no drift, 1 drift, 2 usage error or the org could not be read.

    \b
    Examples:
      agentid drift --stack prod
      agentid drift --stack dev --format json --output drift-dev.json
    """
    from agentid.okta.compare import DRIFTED, ORPHANED, desired_from_plan, findings, judge, server_drift
    from agentid.okta.errors import READ_ERRORS
    from agentid.okta.live import read_org
    from agentid.plan import PlanError, build_plan

    result = load_or_exit(paths)
    if not result.ok:
        from agentid.cli.common import refuse_unloaded

        refuse_unloaded("drift", result, "the plan would leave them out and their apps would read as drift")
    try:
        plan = build_plan(result.registry, stack, today=today, root=paths.root)
    except PlanError as exc:
        raise click.UsageError(f"cannot plan stack {stack}: {exc}") from None
    files = {agent.name: agent.file for agent in result.registry}
    desired = desired_from_plan(plan, files)
    client = connect(org_url or stack_org_url(paths.root, stack))
    try:
        org = read_org(client, reader_client_id=client.client_id, activity_since=None)
    except READ_ERRORS as exc:
        raise okta_failure(exc) from None
    server_id, server_name = our_server(paths.root, stack)
    server = find_server(org.servers, server_id, server_name)
    judged, missing = judge(org, desired)
    judged = [j for j in judged if j.status in (DRIFTED, ORPHANED) or (j.identity and j.app.uses_secret)]
    extra = server_drift(org, str(server["id"]), desired) if server else []
    if server is None:
        extra.append(
            f"authorization server {server_id or server_name} of stack {stack} is not in the org: "
            "`pulumi up` has not run, or it was deleted or renamed"
        )
    found = findings(judged, missing, extra, desired=desired)
    heading = f"org {log_text(org.org_url)} against the offline plan of stack {log_text(stack)}"
    write_output(_render(org, judged, found, output_format, heading, stack=stack), output)
    return EXIT_FINDINGS if has_blocking(found) else EXIT_OK
