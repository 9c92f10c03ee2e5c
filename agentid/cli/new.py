"""``agentid new``: scaffold a valid, least-privilege definition an author then narrows down."""

from __future__ import annotations

import datetime as dt
import difflib
from pathlib import Path

import click
import yaml

from agentid.cli.common import EXIT_OK, RepoPaths, registry_options, today_option
from agentid.registry import CatalogError, load_agent_bytes, load_catalog
from agentid.registry.loader import valid_agent_name

TEMPLATE = """\
# yaml-language-server: $schema=../policies/agent.schema.json
name: {name}
description: {description}
owners: [{owners}]
team: {team}
purpose: {purpose}
environments: [dev]
lifecycle:
  kind: persistent
  review_by: {review_by}
credentials:
  # Exactly one of jwks_uri (an https URL serving the agent's public JWKS) or keys (public JWKs only).
  jwks_uri: https://keys.example.com/agents/{name}/jwks.json
access:
  scopes:
    - name: {scope}
      reason: {reason}
  token_lifetime_minutes: 15
  network_zones: []
# Okta management API access never sits beside custom scopes (rule okta-management-separate-identity): one key
# minting both would open Okta itself to whoever steals it. If the agent must call the Okta API, give that
# access a plugin with its own key, least scope and least admin role, e.g. (uncomment and narrow):
# plugins:
#   - name: directory-reader
#     description: Reads Okta users for {name}.
#     scopes: []
#     okta_api_scopes: [okta.users.read]
#     okta_admin_roles: [READ_ONLY_ADMIN]
#     credentials:
#       jwks_uri: https://keys.example.com/agents/{name}/directory-reader/jwks.json
plugins: []
profile:
  max_tokens_per_hour: 10
  active_hours_utc: "08:00-18:00"
waivers: []
"""


#: The option that sets each field `new` fills from the command line, to point an error at what to change.
_OPTION_OF_FIELD = {"owners": "set by --owner", "team": "set by --team", "purpose": "set by --purpose"}


@click.command()
@click.argument("name")
@click.option("--purpose", required=True, help="A purpose from policies/catalog.yaml.")
@click.option(
    "--owner", "owners", required=True, multiple=True, help="An accountable human's Okta login; repeat for more."
)
@click.option(
    "--team",
    default="todo",
    show_default=True,
    help="The owning team's slug. Left out, it is a TODO that `agentid check` refuses until replaced.",
)
@click.option(
    "--scope",
    default=None,
    help="The first scope to request. Default: the catalog's least sensitive scope in the purpose's domains.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@registry_options
@today_option
def new(
    name: str,
    purpose: str,
    owners: tuple[str, ...],
    team: str,
    scope: str | None,
    force: bool,
    paths: RepoPaths,
    today: dt.date,
) -> int:
    """Write agents/NAME.yaml: a valid definition with the schema modeline, ready to edit.

    \b
    Examples:
      agentid new invoice-matcher --purpose reconciliation \\
        --owner maria.lopez@example.com --owner james.okafor@example.com
      agentid new standup-notes --purpose summarization --owner priya.raman@example.com --scope transcripts.read
    """
    if not valid_agent_name(name):
        raise click.BadParameter(
            "use 3-63 lower-case letters, digits and hyphens, starting with a letter (e.g. invoice-matcher)",
            param_hint="NAME",
        )
    try:
        catalog = load_catalog(paths.catalog, root=paths.root)
    except CatalogError as exc:
        raise click.UsageError(f"the catalog is invalid: {exc}. Run `agentid validate`.") from None
    if purpose not in catalog.purposes:
        raise click.BadParameter(
            f"`{purpose}` is not a purpose in the catalog; choose one of {', '.join(sorted(catalog.purposes))}",
            param_hint="--purpose",
        )
    _refuse_outside_owners(owners, paths)
    domains = catalog.purposes[purpose].domains
    if scope is None:
        candidates = sorted(
            (info.sensitivity.rank, info.name) for info in catalog.scopes.values() if info.domain in domains
        )
        if not candidates:
            raise click.UsageError(f"the catalog has no scope in the domains of `{purpose}`; pass --scope.")
        scope = candidates[0][1]
    elif scope not in catalog.scopes:
        close = difflib.get_close_matches(scope, list(catalog.scopes), n=1)
        hint = f"; did you mean `{close[0]}`?" if close else "; the scopes are listed in policies/catalog.yaml"
        raise click.BadParameter(f"`{scope}` is not a scope in the catalog{hint}", param_hint="--scope")
    elif catalog.scopes[scope].domain not in domains:
        allowed = sorted(info.name for info in catalog.scopes.values() if info.domain in domains)
        raise click.BadParameter(
            f"`{scope}` touches the {catalog.scopes[scope].domain} data domain, which purpose `{purpose}` does not "
            f"allow (its domains: {', '.join(sorted(domains))}). Choose one of: {', '.join(allowed) or 'none'}; "
            "or pick the purpose that justifies that data.",
            param_hint="--scope",
        )
    target = paths.agents / f"{name}.yaml"
    if target.exists() and not force:
        raise click.UsageError(f"{target} already exists; edit it, or pass --force to overwrite it.")
    text = TEMPLATE.format(
        name=name,
        description=yaml.safe_dump(f"TODO: say what {name} does and for whom.", default_style='"').strip(),
        owners=", ".join(owners),
        team=team,
        purpose=purpose,
        review_by=(today + dt.timedelta(days=90)).isoformat(),
        scope=scope,
        reason=yaml.safe_dump(f"TODO: why {name} needs {scope}.", default_style='"').strip(),
    )
    agent, findings = load_agent_bytes(text.encode(), str(target), expected_name=name)
    if agent is None or findings:
        # The file does not exist yet, so the findings are worded by field, with the option that sets it.
        problems = "; ".join(
            f"{f.message} ({_OPTION_OF_FIELD.get(f.message.split('[')[0].split(':')[0], 'an option')})"
            + (f". {f.remediation}" if f.remediation else "")
            for f in findings
        )
        raise click.UsageError(
            f"the values given do not make a valid definition, so nothing was written: {problems} "
            "Correct the option and re-run."
        )
    try:
        paths.agents.mkdir(parents=True, exist_ok=True)
        Path(target).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise click.UsageError(
            f"cannot write {target}: {exc.strerror or exc}. Run agentid from the repository root, "
            "or pass --agents DIR with a directory you can write to."
        ) from None
    click.echo(
        f"wrote {target}\nnext: fill in the TODOs, narrow the scopes to what the agent needs, set its "
        "credentials, then run `agentid validate`."
    )
    return EXIT_OK


def _refuse_outside_owners(owners: tuple[str, ...], paths: RepoPaths) -> None:
    """Owners are people in the company's email domains (``allowed_owner_domains`` in policies/settings.yaml):
    the same judgement as rule `owner-allowed-domain`, made before a file exists."""
    from policies.engine import SettingsError, default_settings, load_settings
    from policies.rules.base import RuleContext
    from policies.rules.owners import in_allowed_domain

    settings_file = paths.root / "policies" / "settings.yaml"
    try:
        settings = load_settings(settings_file) if settings_file.is_file() else default_settings()
    except SettingsError as exc:
        raise click.UsageError(f"the settings are invalid: {exc}. Fix {settings_file}.") from None
    ctx = RuleContext(today=dt.date.min, settings=settings)
    # Not an email at all is the schema's to word (below, with the expected form).
    outside = [owner for owner in owners if "@" in owner and not in_allowed_domain(owner, ctx)]
    if outside:
        domains = ", ".join(sorted(settings.allowed_owner_domains))
        raise click.BadParameter(
            f"{', '.join(f'`{o}`' for o in outside)} {'is' if len(outside) == 1 else 'are'} not in the company's "
            f"email domains ({domains}, allowed_owner_domains in policies/settings.yaml). Give each owner's "
            "company Okta login.",
            param_hint="--owner",
        )
