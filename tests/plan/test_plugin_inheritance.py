"""What a plugin inherits from its agent, and what it never does.

No sample agent combines plugins with network zones, Okta management access and an expiry, so this registry adds one
that does: a quarter-close assistant whose plugins post matches and look up the controllers in Okta. Every plugin must
be restricted to the agent's zones and deactivated with the agent; Okta management scopes and admin roles go to the
one plugin that declares them (its own identity), never to the agent or a sibling.
"""

from __future__ import annotations

import datetime as dt

import pytest

from agentid.plan import Plan, build_plan
from agentid.registry import load_agent_bytes
from agentid.registry.model import Registry
from tests.conftest import STACKS

APP = "okta:app/oAuth:OAuth"
API_SCOPES = "okta:index/appOauthApiScope:AppOauthApiScope"
ADMIN_ROLE = "okta:app/oauthRoleAssignment:OauthRoleAssignment"

QUARTER_CLOSE = b"""\
name: quarter-close-assistant
description: Matches bank statement lines to ledger entries during the quarterly close.
owners: [maria.lopez@example.com, james.okafor@example.com]
team: finance-systems
purpose: reconciliation
environments: [dev]
lifecycle: {kind: ephemeral, review_by: 2026-12-15, expires: 2026-12-31}
credentials: {jwks_uri: "https://keys.example.com/agents/quarter-close-assistant/jwks.json"}
access:
  scopes:
    - {name: finance.ledger.read, reason: Reads the quarter's ledger entries and bank statement lines.}
    - {name: finance.reconciliation.write, reason: Its match-writer plugin records matches and exceptions.}
  token_lifetime_minutes: 10
  network_zones: [finance-batch]
plugins:
  - name: match-writer
    description: Records reconciliation matches and exceptions for the controllers.
    scopes: [finance.reconciliation.write]
    credentials: {jwks_uri: "https://keys.example.com/agents/quarter-close-assistant/match-writer/jwks.json"}
  - name: controller-directory
    description: Looks up the controllers in Okta to route each exception to its approver.
    scopes: []
    okta_api_scopes: [okta.users.read]
    okta_admin_roles: [READ_ONLY_ADMIN]
    credentials: {jwks_uri: "https://keys.example.com/agents/quarter-close-assistant/controller-directory/jwks.json"}
profile: {max_tokens_per_hour: 30, active_hours_utc: "01:00-05:00"}
"""

#: finance-batch's zone id in the dev org (Pulumi.dev.yaml agentid:networkZones; this test plans the live dev stack).
DEV_FINANCE_BATCH_ZONE = "nzo1dv7k2m9q4r8s5t3w"

AGENT = "quarter-close-assistant"
PLUGIN = "quarter-close-assistant--match-writer"
DIRECTORY = "quarter-close-assistant--controller-directory"
IDENTITIES = (AGENT, PLUGIN, DIRECTORY)


def _registry_with_quarter_close(sample_registry: Registry) -> Registry:
    agent, findings = load_agent_bytes(QUARTER_CLOSE, f"agents/{AGENT}.yaml", expected_name=AGENT)
    assert agent is not None and not findings, [f.message for f in findings]
    agents = tuple(sorted((*sample_registry.agents, agent), key=lambda a: a.name))
    return Registry(agents=agents, catalog=sample_registry.catalog)


def _plan(sample_registry: Registry, today: dt.date) -> Plan:
    return build_plan(_registry_with_quarter_close(sample_registry), "dev", today=today, root=STACKS)


@pytest.fixture(scope="module")
def before_expiry(sample_registry) -> Plan:
    return _plan(sample_registry, dt.date(2026, 12, 31))


def test_plugin_is_restricted_to_its_agents_network_zones(before_expiry):
    for name in (f"{identity}-app" for identity in IDENTITIES):
        app = before_expiry.named(name)
        assert app.inputs.get("network") == {"connection": "ZONE", "includes": [DEV_FINANCE_BATCH_ZONE]}, (
            f"{app.urn}: a plugin requests tokens from where its agent runs, so the agent's zones bind it too"
        )


def test_okta_management_scopes_go_only_to_the_plugin_declaring_them(before_expiry):
    grants = {r.parent: r for r in before_expiry.of_type(API_SCOPES) if r.agent == AGENT}
    assert set(grants) == {DIRECTORY}, f"AppOauthApiScope declared for {sorted(grants)}; only {DIRECTORY} asked"
    assert grants[DIRECTORY].inputs["scopes"] == ["okta.users.read"], grants[DIRECTORY].urn
    assert grants[DIRECTORY].inputs["appId"] == f"<{DIRECTORY}-app.id>", grants[DIRECTORY].urn


def test_admin_roles_go_only_to_the_plugin_declaring_them(before_expiry):
    roles = {r.parent: r for r in before_expiry.of_type(ADMIN_ROLE) if r.agent == AGENT}
    assert set(roles) == {DIRECTORY}, f"admin roles assigned to {sorted(roles)}; only {DIRECTORY} declared one"
    assert roles[DIRECTORY].name == f"{DIRECTORY}-admin-role-read-only-admin", roles[DIRECTORY].urn
    assert roles[DIRECTORY].inputs["type"] == "READ_ONLY_ADMIN", roles[DIRECTORY].urn


def test_plugin_of_an_expired_agent_is_deployed_inactive(sample_registry, before_expiry):
    for name in (f"{identity}-app" for identity in IDENTITIES):
        app = before_expiry.named(name)
        assert app.inputs["status"] == "ACTIVE", f"{app.urn}: active through the agent's last day (2026-12-31)"
    after = _plan(sample_registry, dt.date(2027, 1, 1))
    for name in (f"{identity}-app" for identity in IDENTITIES):
        app = after.named(name)
        assert app.inputs["status"] == "INACTIVE", f"{app.urn}: the agent expired on 2026-12-31"
    others = [r for r in after.of_type(APP) if r.agent != AGENT]
    assert others and all(r.inputs["status"] == "ACTIVE" for r in others), "only the expired agent's identities"
