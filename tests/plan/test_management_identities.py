"""Okta management access on its own identity: at most 3 Okta resources each, and the policy chain stays serial.

An identity holds custom scopes (app + policy + rule) or Okta management access (app + AppOauthApiScope + one
OauthRoleAssignment per admin role), never both. Two fixtures exercise both shapes against the sample dev registry:
a management-only agent, and an agent with a custom scope whose ``directory-reader`` plugin reads Okta users.
"""

from __future__ import annotations

from collections import Counter

import pytest

from agentid.detect.clientids import offline_client_id
from agentid.plan import Plan, build_plan
from agentid.registry import load_agent_bytes
from agentid.registry.model import Registry
from tests.conftest import STACKS, TODAY
from tests.plan.test_stability import _diff

APP = "okta:app/oAuth:OAuth"
POLICY = "okta:auth/serverPolicy:ServerPolicy"
RULE = "okta:auth/serverPolicyRule:ServerPolicyRule"
API_SCOPES = "okta:index/appOauthApiScope:AppOauthApiScope"
ADMIN_ROLE = "okta:app/oauthRoleAssignment:OauthRoleAssignment"
IDENTITY = "agentid:okta:AgentIdentity"

#: Management only: sorts between hr-onboarding-assistant and meeting-summarizer in dev, so the chain must skip it.
INACTIVE_ACCOUNT_REPORTER = b"""\
name: inactive-account-reporter
description: Lists Okta users who have not signed in for 90 days so their managers can confirm or remove them.
owners: [nina.petrova@example.com, victor.alvarez@example.com]
team: identity-security
purpose: identity-audit
environments: [dev]
lifecycle: {kind: persistent, review_by: 2027-03-31}
credentials: {jwks_uri: "https://keys.example.com/agents/inactive-account-reporter/jwks.json"}
access:
  scopes: []
  token_lifetime_minutes: 15
  okta_api_scopes: [okta.users.read]
  okta_admin_roles: [READ_ONLY_ADMIN]
profile: {max_tokens_per_hour: 4, active_hours_utc: "02:00-04:00"}
"""

#: Custom scope on the agent, Okta management access on its own plugin (and key). Sorts first in dev.
ACCESS_REVIEW_COLLECTOR = b"""\
name: access-review-collector
description: Collects each quarter's access-review evidence and records orphaned accounts as review findings.
owners: [nina.petrova@example.com, victor.alvarez@example.com]
team: identity-security
purpose: identity-audit
environments: [dev]
lifecycle: {kind: persistent, review_by: 2027-03-31}
credentials: {jwks_uri: "https://keys.example.com/agents/access-review-collector/jwks.json"}
access:
  scopes:
    - {name: access-reviews.write, reason: Records orphaned and dormant accounts as access-review findings.}
  token_lifetime_minutes: 30
plugins:
  - name: directory-reader
    description: Reads Okta users and their last sign-in for the review.
    scopes: []
    okta_api_scopes: [okta.users.read]
    okta_admin_roles: [READ_ONLY_ADMIN]
    credentials: {jwks_uri: "https://keys.example.com/agents/access-review-collector/directory-reader/jwks.json"}
profile: {max_tokens_per_hour: 6, active_hours_utc: "02:00-04:00"}
"""

REPORTER = "inactive-account-reporter"
COLLECTOR = "access-review-collector"
READER = "access-review-collector--directory-reader"


def _with(sample_registry: Registry, *definitions: tuple[bytes, str]) -> Registry:
    agents = list(sample_registry.agents)
    for raw, name in definitions:
        agent, findings = load_agent_bytes(raw, f"agents/{name}.yaml", expected_name=name)
        assert agent is not None and not findings, [f.message for f in findings]
        agents.append(agent)
    return Registry(agents=tuple(sorted(agents, key=lambda a: a.name)), catalog=sample_registry.catalog)


@pytest.fixture(scope="module")
def grown(sample_registry) -> Plan:
    registry = _with(sample_registry, (INACTIVE_ACCOUNT_REPORTER, REPORTER), (ACCESS_REVIEW_COLLECTOR, COLLECTOR))
    return build_plan(registry, "dev", today=TODAY, root=STACKS)


def _okta_resources(plan: Plan, identity: str) -> Counter[str]:
    """Okta resources (components excluded) parented to ``identity``'s own component."""
    return Counter(r.type for r in plan.resources if r.parent == identity and r.type != IDENTITY)


def test_management_only_agent_plans_app_grant_and_role(grown):
    assert _okta_resources(grown, REPORTER) == Counter({APP: 1, API_SCOPES: 1, ADMIN_ROLE: 1}), (
        f"{REPORTER}: a management-only identity is app + grant + role, with no custom-server policy or rule"
    )
    grant = grown.named(f"{REPORTER}-okta-api-scopes")
    assert grant.inputs == {
        "appId": f"<{REPORTER}-app.id>",
        "issuer": "https://example-dev.okta.com",
        "scopes": ["okta.users.read"],
    }, f"{grant.urn}: management scopes come from the org authorization server"
    role = grown.named(f"{REPORTER}-admin-role-read-only-admin")
    assert role.inputs == {"clientId": offline_client_id(REPORTER), "type": "READ_ONLY_ADMIN"}, role.urn


def test_agent_with_a_management_plugin_plans_three_plus_three(grown):
    assert _okta_resources(grown, COLLECTOR) == Counter({APP: 1, POLICY: 1, RULE: 1}), (
        f"{COLLECTOR}: the agent keeps its custom scope and no Okta management access"
    )
    assert _okta_resources(grown, READER) == Counter({APP: 1, API_SCOPES: 1, ADMIN_ROLE: 1}), (
        f"{READER}: the plugin holds the Okta management access, on its own app"
    )
    assert grown.named(READER).parent == COLLECTOR, "the plugin's identity is nested in its agent's bundle"
    rule = grown.named(f"{COLLECTOR}-rule")
    assert rule.inputs["scopeWhitelists"] == ["access-reviews.write"], rule.urn
    grant = grown.named(f"{READER}-okta-api-scopes")
    assert grant.inputs["appId"] == f"<{READER}-app.id>", f"{grant.urn}: granted to the plugin's app"
    assert grant.inputs["issuer"] == "https://example-dev.okta.com", grant.urn
    role = grown.named(f"{READER}-admin-role-read-only-admin")
    assert role.inputs == {"clientId": offline_client_id(READER), "type": "READ_ONLY_ADMIN"}, (
        f"{role.urn}: the role goes to the plugin's client, not the agent's"
    )
    assert len(grown.for_agent(COLLECTOR)) == 2 + 6, "two components, 3 + 3 Okta resources"


def test_policy_chain_stays_serial_across_identities_without_policies(grown):
    policies, rules = grown.of_type(POLICY), grown.of_type(RULE)
    rule_names = {r.name for r in rules}
    predecessors = {}
    for policy in policies:
        waits_for = [d for d in grown.options_of(policy).depends_on if d in rule_names]
        assert len(waits_for) <= 1, f"{policy.urn}: waits for several rules {waits_for}"
        predecessors[policy.name] = waits_for[0] if waits_for else None
    assert [name for name, before in predecessors.items() if before is None] == [f"{COLLECTOR}-policy"], (
        f"exactly one policy starts the chain: {predecessors}"
    )
    taken = [before for before in predecessors.values() if before is not None]
    assert len(taken) == len(set(taken)) == len(policies) - 1, f"policies created in parallel: {predecessors}"
    # The plugin and the management-only agent declare no rule: the next policy waits for the last rule declared.
    assert predecessors["finance-reconciler-policy"] == f"{COLLECTOR}-rule", predecessors
    assert predecessors["meeting-summarizer-policy"] == "hr-onboarding-assistant--scheduler-rule", predecessors


def test_adding_management_identities_changes_no_other_agents_resources(sample_registry, dev_plan, grown):
    added, removed, changed, common = _diff(dev_plan, grown)
    assert not removed, f"resources removed: {removed}"
    assert not changed, f"inputs of existing resources changed: {changed}"
    assert common == len(dev_plan.resources), "every existing resource was compared"
    assert {r.agent for r in added.values()} == {REPORTER, COLLECTOR}, f"added: {sorted(added)}"
    assert sorted(r.name for r in added.values()) == [
        COLLECTOR,
        READER,
        f"{READER}-admin-role-read-only-admin",
        f"{READER}-app",
        f"{READER}-okta-api-scopes",
        f"{COLLECTOR}-app",
        f"{COLLECTOR}-policy",
        f"{COLLECTOR}-rule",
        REPORTER,
        f"{REPORTER}-admin-role-read-only-admin",
        f"{REPORTER}-app",
        f"{REPORTER}-okta-api-scopes",
    ], f"added: {sorted(added)}"
