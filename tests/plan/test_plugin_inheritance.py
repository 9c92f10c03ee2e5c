"""What a plugin inherits from its agent, and what it never does.

No sample agent combines plugins with network zones, Okta management scopes and an expiry, so this registry adds one
that does: a quarter-close assistant whose plugin posts matches. Its plugin must be restricted to the agent's zones,
deactivated with the agent, and never given the agent's Okta management scopes or admin roles.
"""

from __future__ import annotations

import datetime as dt

import pytest

from agentid.plan import Plan, build_plan
from agentid.registry import load_agent_bytes
from agentid.registry.model import Registry
from tests.conftest import REPO

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
  token_lifetime_minutes: 10
  okta_api_scopes: [okta.users.read]
  okta_admin_roles: [READ_ONLY_ADMIN]
  network_zones: [nzo1finance0batch0zone]
plugins:
  - name: match-writer
    description: Records reconciliation matches and exceptions for the controllers.
    scopes: [finance.reconciliation.write]
    credentials: {jwks_uri: "https://keys.example.com/agents/quarter-close-assistant/match-writer/jwks.json"}
profile: {max_tokens_per_hour: 30, active_hours_utc: "01:00-05:00"}
"""

AGENT = "quarter-close-assistant"
PLUGIN = "quarter-close-assistant--match-writer"


def _registry_with_quarter_close(sample_registry: Registry) -> Registry:
    agent, findings = load_agent_bytes(QUARTER_CLOSE, f"agents/{AGENT}.yaml", expected_name=AGENT)
    assert agent is not None and not findings, [f.message for f in findings]
    agents = tuple(sorted((*sample_registry.agents, agent), key=lambda a: a.name))
    return Registry(agents=agents, catalog=sample_registry.catalog)


def _plan(sample_registry: Registry, today: dt.date) -> Plan:
    return build_plan(_registry_with_quarter_close(sample_registry), "dev", today=today, root=REPO)


@pytest.fixture(scope="module")
def before_expiry(sample_registry) -> Plan:
    return _plan(sample_registry, dt.date(2026, 12, 31))


def test_plugin_is_restricted_to_its_agents_network_zones(before_expiry):
    for name in (f"{AGENT}-app", f"{PLUGIN}-app"):
        app = before_expiry.named(name)
        assert app.inputs.get("network") == {"connection": "ZONE", "includes": ["nzo1finance0batch0zone"]}, (
            f"{app.urn}: a plugin requests tokens from where its agent runs, so the agent's zones bind it too"
        )


def test_plugin_never_gets_the_agents_okta_management_scopes(before_expiry):
    grants = {r.parent: r for r in before_expiry.of_type(API_SCOPES) if r.agent == AGENT}
    assert set(grants) == {AGENT}, f"AppOauthApiScope declared for {sorted(grants)}; only {AGENT} asked for them"
    assert grants[AGENT].inputs["scopes"] == ["okta.users.read"], grants[AGENT].urn
    assert grants[AGENT].inputs["appId"] == f"<{AGENT}-app.id>", grants[AGENT].urn


def test_plugin_never_gets_the_agents_admin_roles(before_expiry):
    roles = {r.parent: r for r in before_expiry.of_type(ADMIN_ROLE) if r.agent == AGENT}
    assert set(roles) == {AGENT}, f"admin roles assigned to {sorted(roles)}; only {AGENT} declared one"
    assert roles[AGENT].name == f"{AGENT}-admin-role-read-only-admin", roles[AGENT].urn
    assert roles[AGENT].inputs["type"] == "READ_ONLY_ADMIN", roles[AGENT].urn


def test_plugin_of_an_expired_agent_is_deployed_inactive(sample_registry, before_expiry):
    for name in (f"{AGENT}-app", f"{PLUGIN}-app"):
        app = before_expiry.named(name)
        assert app.inputs["status"] == "ACTIVE", f"{app.urn}: active through the agent's last day (2026-12-31)"
    after = _plan(sample_registry, dt.date(2027, 1, 1))
    for name in (f"{AGENT}-app", f"{PLUGIN}-app"):
        app = after.named(name)
        assert app.inputs["status"] == "INACTIVE", f"{app.urn}: the agent expired on 2026-12-31"
    others = [r for r in after.of_type(APP) if r.agent != AGENT]
    assert others and all(r.inputs["status"] == "ACTIVE" for r in others), "only the expired agent's identities"
