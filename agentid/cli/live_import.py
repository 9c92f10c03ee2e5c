"""``agentid import``: adopt existing Okta service apps into the registry without recreating them.

For each client id: a definition in agents/ holding exactly the app's current access (each scope with a ``TODO``
reason, so ``agentid check`` refuses it, rule scaffold-todo, until a person explains it), and an adoption entry in
``Pulumi.<stack>.yaml`` (``agentid:adopt``) that makes the next ``pulumi up`` take the app, and its policy and rule
on the stack's authorization server, over with Pulumi's ``import`` resource option: the client id the running agent
holds is kept. ``agentid plan --stack S`` shows the adoption (``adopts <id>``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import click

from agentid.cli.common import EXIT_OK, EXIT_USAGE, RepoPaths, registry_options, today_option
from agentid.cli.live import connect, find_server, okta_failure, org_options, our_server, stack_org_url
from agentid.output.inert import log_text
from agentid.stackyaml import load_yaml

#: JWK members an agent definition holds (public ones; policies/agent.schema.json)
_PUBLIC_JWK = ("kty", "kid", "use", "alg", "n", "e", "crv", "x", "y")


def identity_name(label: str) -> str | None:
    """A registry name from an app label: lower case, hyphens, 3-63 characters starting with a letter."""
    slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
    slug = re.sub(r"^[^a-z]+", "", slug)[:63].rstrip("-")
    return slug if len(slug) >= 3 else None


def _quoted(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are YAML): org text can never become YAML structure."""
    return json.dumps(value)


def definition_text(
    name: str, app: Any, *, owners: tuple[str, ...], purpose: str, team: str, stack: str, today: dt.date
) -> str:
    """The definition of an imported app: exactly its current access, a TODO wherever a person must answer."""
    lines = [
        "# yaml-language-server: $schema=../policies/agent.schema.json",
        f"# Imported by `agentid import` on {today} from the Okta app {_quoted(log_text(app.label))} "
        f"(client {app.client_id}) of stack {stack}: its access as it stood. Explain every TODO, then narrow.",
        f"name: {name}",
        "description: " + _quoted(f"TODO: say what {name} does and for whom (imported from an existing Okta app)."),
        f"owners: [{', '.join(owners)}]",
        f"team: {team}",
        f"purpose: {purpose}",
        f"environments: [{stack}]",
        "lifecycle:",
        "  kind: persistent",
        f"  review_by: {today + dt.timedelta(days=90)}",
        "credentials:",
    ]
    keys = [{k: key[k] for k in _PUBLIC_JWK if isinstance(key.get(k), str)} for key in app.jwks]
    keys = [k for k in keys if k.get("kty") and k.get("kid")]
    if keys:
        lines.append("  keys:")
        for key in keys:
            first = True
            for member, value in key.items():
                lines.append(f"    {'- ' if first else '  '}{member}: {_quoted(value)}")
                first = False
    else:
        lines += [
            "  # TODO: the app has no public key registered (it authenticates with "
            f"{app.auth_method or 'an unknown method'}): register the agent's key and name it here.",
            "  jwks_uri: " + _quoted(f"https://keys.example.com/agents/{name}/jwks.json"),
        ]
    scopes = app.scopes()
    lifetime = app.lifetime_minutes() or 60
    lines += ["access:", "  scopes:" if scopes else "  scopes: []"]
    for scope in scopes:
        lines.append(f"    - name: {_quoted(scope)}")
        lines.append("      reason: " + _quoted(f"TODO: why {name} needs {scope} (granted in Okta before adoption)."))
    lines.append(f"  token_lifetime_minutes: {min(max(lifetime, 5), 1440)}")
    lines.append(f"  okta_api_scopes: [{', '.join(_quoted(s) for s in app.okta_api_scopes)}]")
    lines.append(f"  okta_admin_roles: [{', '.join(_quoted(r) for r in app.admin_roles)}]")
    lines += [
        "  network_zones: []",
        "plugins: []",
        "profile:",
        "  # Measure these from the System Log (`agentid discover` shows the last token) and narrow them.",
        "  max_tokens_per_hour: 60",
        '  active_hours_utc: "00:00-24:00"',
        "waivers: []",
    ]
    return "\n".join(lines) + "\n"


def adoption_entry(name: str, app: Any, server: dict[str, Any] | None) -> tuple[dict[str, str], list[str]]:
    """The ``agentid:adopt`` entry for ``app`` and what a person must do before ``pulumi up`` (renames)."""
    entry = {"app": app.id, "label": app.label}
    notes = []
    ours = [p for p in app.policies if server is not None and p.server_id == server.get("id")]
    if len(ours) == 1 and len(ours[0].rules) == 1:
        policy, rule = ours[0], ours[0].rules[0]
        entry.update(server=policy.server_id, policy=policy.id, rule=rule.id)
        if policy.name != name:
            notes.append(f"rename policy {_quoted(log_text(policy.name))} to `{name}` in Okta before `pulumi up`")
        if rule.name != f"{name} client credentials":
            notes.append(
                f"rename rule {_quoted(log_text(rule.name))} to `{name} client credentials` in Okta before `pulumi up`"
            )
    elif app.policies:
        notes.append(
            "its policies are not one policy with one rule on the stack's server: `pulumi up` creates a new policy "
            "and rule for it there; delete the old ones once the agent gets its tokens from the new policy"
        )
    return entry, notes


def add_adoptions(stack_file: Path, entries: dict[str, dict[str, str]]) -> None:
    """Add ``agentid:adopt`` entries to the stack file, keeping its comments (text inserted under the key)."""
    text = stack_file.read_text(encoding="utf-8")
    data = load_yaml(text) or {}
    existing = (data.get("config") or {}).get("agentid:adopt") or {}
    clash = sorted(set(existing) & set(entries))
    if clash:
        raise click.UsageError(f"{stack_file.name}: agentid:adopt already has {', '.join(clash)}; remove it first")
    block = []
    for name, entry in entries.items():
        block.append(f"    {name}:")
        block += [f"      {key}: {_quoted(value)}" for key, value in entry.items()]
    lines = text.splitlines()
    header = next((i for i, line in enumerate(lines) if line.strip() == "agentid:adopt:"), None)
    if header is None:
        if not text.endswith("\n"):
            text += "\n"
        text += (
            "  # Existing Okta objects adopted with Pulumi's import option (`agentid import`, docs/adopting.md): the\n"
            "  # next `pulumi up` takes them over, keeping their ids. Remove an entry after that run.\n"
            "  agentid:adopt:\n" + "\n".join(block) + "\n"
        )
    else:
        lines[header + 1 : header + 1] = block
        text = "\n".join(lines) + "\n"
    stack_file.write_text(text, encoding="utf-8")


@click.command("import")
@click.argument("client_ids", nargs=-1, required=True, metavar="CLIENT_ID...")
@click.option("--stack", required=True, help="The stack whose org holds the apps (Pulumi.<stack>.yaml).")
@click.option("--owner", "owners", required=True, multiple=True, help="An accountable human's login; repeatable.")
@click.option("--purpose", required=True, help="A purpose from policies/catalog.yaml.")
@click.option("--team", default="todo", show_default=True, help="The owning team (left out: a TODO check refuses).")
@click.option(
    "--name", "names", multiple=True, help="The identity name per client id, in order (default: from the label)."
)
@org_options
@registry_options
@today_option
def import_apps(
    client_ids: tuple[str, ...],
    stack: str,
    owners: tuple[str, ...],
    purpose: str,
    team: str,
    names: tuple[str, ...],
    org_url: str | None,
    paths: RepoPaths,
    today: dt.date,
) -> int:
    """Adopt existing service apps: a definition per app and an adoption plan that keeps its client id.

    Writes agents/<name>.yaml holding exactly the app's current access (each scope with a TODO reason: `agentid
    check` refuses it, rule scaffold-todo, until someone explains it) and adds the app, and its policy and rule on
    the stack's authorization server, to `agentid:adopt` in Pulumi.<stack>.yaml: the next `pulumi up` imports them
    (Pulumi's `import` option) instead of creating new ones. `agentid plan --stack S` shows `adopts <id>`.

    \b
    Examples:
      agentid import 0oa8f2invoicexport7 --stack prod --owner maria.lopez@example.com --purpose reconciliation
    """
    from agentid.okta.errors import READ_ERRORS
    from agentid.okta.live import read_org
    from agentid.plan.stackfile import StackNotFoundError, read_stack_file
    from agentid.registry import load_agent_bytes

    if names and len(names) != len(client_ids):
        raise click.UsageError(f"--name given {len(names)} time(s) for {len(client_ids)} client id(s): one per id")
    try:
        read_stack_file(paths.root, stack)
    except StackNotFoundError as exc:
        raise click.UsageError(str(exc)) from None
    client = connect(org_url or stack_org_url(paths.root, stack))
    try:
        org = read_org(client, reader_client_id=client.client_id)
    except READ_ERRORS as exc:
        raise okta_failure(exc) from None
    server_id, server_name = our_server(paths.root, stack)
    server = find_server(org.servers, server_id, server_name)
    written: list[tuple[Path, str]] = []
    entries: dict[str, dict[str, str]] = {}
    notes: dict[str, list[str]] = {}
    for index, client_id in enumerate(client_ids):
        app = org.app_by_client(client_id)
        if app is None:
            raise click.UsageError(f"no app with client id {log_text(client_id)} in the org can mint tokens")
        name = names[index] if names else identity_name(app.label)
        if name is None:
            raise click.UsageError(f"cannot derive a name from the label of {client_id}: pass --name")
        target = paths.agents / f"{name}.yaml"
        if target.exists():
            raise click.UsageError(f"{target} already exists: pass --name with another name, or remove it")
        text = definition_text(name, app, owners=owners, purpose=purpose, team=team, stack=stack, today=today)
        _agent, problems = load_agent_bytes(text.encode(), str(target), expected_name=name)
        if problems:
            for problem in problems:
                click.echo(f"{log_text(target)}: error: {log_text(problem.message)}", err=True)
            click.echo(f"agentid import: the definition for {client_id} would not load; nothing was written", err=True)
            return EXIT_USAGE
        written.append((target, text))
        entries[name], notes[name] = adoption_entry(name, app, server)
    paths.agents.mkdir(parents=True, exist_ok=True)
    for target, text in written:
        target.write_text(text, encoding="utf-8")
        click.echo(f"wrote {target}")
    add_adoptions(paths.root / f"Pulumi.{stack}.yaml", entries)
    for name, entry in entries.items():
        adopted = ", ".join(f"{k} {log_text(v)}" for k, v in entry.items() if k != "label")
        click.echo(f"Pulumi.{stack}.yaml: agentid:adopt.{name}: {adopted}")
        for note in notes[name]:
            click.echo(f"  before `pulumi up`: {note}")
    click.echo(
        "next: explain every TODO (`agentid check` refuses them), add any scope the catalog lacks, run "
        f"`agentid plan --stack {stack}` (it shows `adopts <id>`), open a pull request; after the `pulumi up` that "
        "adopts them, remove the agentid:adopt entries (the apps are then relabelled agentid:<name> in place)."
    )
    return EXIT_OK
