"""Each sample agent's exact Okta bundle, its plugins' own identities, expiry and the shared scopes."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml

from agentid.detect.clientids import offline_client_id
from agentid.detect.labels import app_label
from agentid.plan import build_plan
from tests.conftest import STACKS, TODAY
from tests.plan.conftest import AFTER_INCIDENT_EXPIRY

APP = "okta:app/oAuth:OAuth"
POLICY = "okta:auth/serverPolicy:ServerPolicy"
RULE = "okta:auth/serverPolicyRule:ServerPolicyRule"
API_SCOPES = "okta:index/appOauthApiScope:AppOauthApiScope"
ADMIN_ROLE = "okta:app/oauthRoleAssignment:OauthRoleAssignment"
IDENTITY = "agentid:okta:AgentIdentity"
SCOPE = "okta:auth/serverScope:ServerScope"

#: (type, logical name) of every resource each sample agent owns in the stack that deploys it. Written out by hand
#: on purpose: a change to the bundle must show up here in review.
EXPECTED_BUNDLES = {
    "finance-reconciler": {
        (IDENTITY, "finance-reconciler"),
        (APP, "finance-reconciler-app"),
        (POLICY, "finance-reconciler-policy"),
        (RULE, "finance-reconciler-rule"),
    },
    "hr-onboarding-assistant": {
        (IDENTITY, "hr-onboarding-assistant"),
        (APP, "hr-onboarding-assistant-app"),
        (POLICY, "hr-onboarding-assistant-policy"),
        (RULE, "hr-onboarding-assistant-rule"),
        (IDENTITY, "hr-onboarding-assistant--scheduler"),
        (APP, "hr-onboarding-assistant--scheduler-app"),
        (POLICY, "hr-onboarding-assistant--scheduler-policy"),
        (RULE, "hr-onboarding-assistant--scheduler-rule"),
    },
    "incident-responder": {
        (IDENTITY, "incident-responder"),
        (APP, "incident-responder-app"),
        (POLICY, "incident-responder-policy"),
        (RULE, "incident-responder-rule"),
    },
    "meeting-summarizer": {
        (IDENTITY, "meeting-summarizer"),
        (APP, "meeting-summarizer-app"),
        (POLICY, "meeting-summarizer-policy"),
        (RULE, "meeting-summarizer-rule"),
        (IDENTITY, "meeting-summarizer--calendar"),
        (APP, "meeting-summarizer--calendar-app"),
        (POLICY, "meeting-summarizer--calendar-policy"),
        (RULE, "meeting-summarizer--calendar-rule"),
    },
    "okta-user-auditor": {
        (IDENTITY, "okta-user-auditor"),
        (APP, "okta-user-auditor-app"),
        (POLICY, "okta-user-auditor-policy"),
        (RULE, "okta-user-auditor-rule"),
        # Okta management access on its own identity: app, scope grant and role, no custom-server policy or rule
        (IDENTITY, "okta-user-auditor--directory-reader"),
        (APP, "okta-user-auditor--directory-reader-app"),
        (API_SCOPES, "okta-user-auditor--directory-reader-okta-api-scopes"),
        (ADMIN_ROLE, "okta-user-auditor--directory-reader-admin-role-read-only-admin"),
    },
    "support-triage": {
        (IDENTITY, "support-triage"),
        (APP, "support-triage-app"),
        (POLICY, "support-triage-policy"),
        (RULE, "support-triage-rule"),
        (IDENTITY, "support-triage--knowledge-base"),
        (APP, "support-triage--knowledge-base-app"),
        (POLICY, "support-triage--knowledge-base-policy"),
        (RULE, "support-triage--knowledge-base-rule"),
    },
}


def _plan_for(agent, dev_plan, prod_plan):
    return dev_plan if agent.deployed_to("dev") else prod_plan


def test_every_sample_agent_has_an_expected_bundle(sample_registry):
    assert set(EXPECTED_BUNDLES) == {a.name for a in sample_registry}, "a sample agent was added or removed"


def _zone_ids(stack: str) -> dict[str, str]:
    config = yaml.safe_load((STACKS / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))["config"]
    return {name: zone["id"] for name, zone in config.get("agentid:networkZones", {}).items()}


@pytest.mark.parametrize("agent_name", sorted(EXPECTED_BUNDLES))
def test_exact_bundle_per_sample_agent(agent_name, sample_registry, dev_plan, prod_plan):
    agent = sample_registry.get(agent_name)
    plan = _plan_for(agent, dev_plan, prod_plan)
    owned = plan.for_agent(agent_name)
    found = Counter((r.type, r.name) for r in owned)
    assert all(n == 1 for n in found.values()), f"{agent_name}: duplicated resources {found}"
    assert set(found) == EXPECTED_BUNDLES[agent_name], f"{agent_name}: bundle differs in the {plan.stack} plan"

    checked = 0
    access = agent.access
    identities = [(agent.name, agent.credentials, access.scope_names, access.okta_api_scopes, access.okta_admin_roles)]
    identities += [
        (p.identity_name(agent.name), p.credentials, p.scopes, p.okta_api_scopes, p.okta_admin_roles)
        for p in agent.plugins
    ]
    for identity, credentials, scopes, okta_scopes, admin_roles in identities:
        app = plan.named(f"{identity}-app")
        where = f"{app.urn}"
        assert app.parent == identity, f"{where}: parent is {app.parent}, expected the {identity} component"
        assert app.inputs["type"] == "service", where
        assert app.inputs["grantTypes"] == ["client_credentials"], where
        assert app.inputs["responseTypes"] == ["token"], where
        # Provider issue 2295 / PR 2403: without it an update of a service app calls the policy API, which 400s.
        assert app.inputs["skipAuthenticationPolicy"] is True, f"{where}: service app updates would get a 400"
        assert app.inputs["tokenEndpointAuthMethod"] == "private_key_jwt", where
        assert app.inputs["omitSecret"] is True, f"{where}: the client secret would land in state"
        assert app.inputs["status"] == "ACTIVE", where
        assert app.inputs["label"] == app_label(identity) == f"agentid:{identity}", where
        if credentials.jwks_uri:
            assert app.inputs["jwksUri"] == credentials.jwks_uri, where
            assert "jwks" not in app.inputs, f"{where}: both jwks and jwksUri"
        else:
            expected_keys = [
                {k: v for k, v in key.public_members().items() if k in ("kid", "kty", "e", "n", "x", "y")}
                for key in credentials.keys
            ]
            assert app.inputs["jwks"] == expected_keys, f"{where}: public keys differ from the definition"
            assert "jwksUri" not in app.inputs, where
        zones = agent.access.network_zones
        if zones:
            # Names resolve to the stack's own zone ids (this reads the live stack file, like dev_plan/prod_plan).
            ids = [_zone_ids(plan.stack)[zone] for zone in zones]
            assert app.inputs["network"] == {"connection": "ZONE", "includes": ids}, where
        else:
            assert "network" not in app.inputs, where

        if not scopes:
            # Management-only identity: its tokens come from the org authorization server, no custom policy.
            names = {r.name for r in owned}
            assert {f"{identity}-policy", f"{identity}-rule"}.isdisjoint(names), f"{identity}: policy without scopes"
        else:
            policy = plan.named(f"{identity}-policy")
            assert policy.inputs["clientWhitelists"] == [offline_client_id(identity)], (
                f"{policy.urn}: must whitelist only its own app's client"
            )
            assert policy.inputs["authServerId"] == "<okta-authorization-server.id>", policy.urn
            assert policy.inputs["priority"] == 1, policy.urn

            rule = plan.named(f"{identity}-rule")
            assert rule.inputs["policyId"] == f"<{identity}-policy.id>", rule.urn
            assert rule.inputs["grantTypeWhitelists"] == ["client_credentials"], rule.urn
            assert rule.inputs["scopeWhitelists"] == list(scopes), f"{rule.urn}: scopes are not exactly the agent's"
            assert rule.inputs["accessTokenLifetimeMinutes"] == agent.access.token_lifetime_minutes, rule.urn
            assert rule.inputs["priority"] == 1, rule.urn

        api_scopes = [r for r in owned if r.type == API_SCOPES and r.parent == identity]
        if okta_scopes:
            assert len(api_scopes) == 1, f"{identity}: expected one AppOauthApiScope"
            assert api_scopes[0].inputs == {
                "appId": f"<{identity}-app.id>",
                "issuer": "https://example-dev.okta.com",
                "scopes": list(okta_scopes),
            }, api_scopes[0].urn
        else:
            assert api_scopes == [], f"{identity}: Okta API scopes it did not ask for"
        # Without an admin role Okta answers 403 to every management call: one assignment per declared role,
        # to this identity's own client and nobody else's.
        roles = {r.inputs["type"]: r for r in owned if r.type == ADMIN_ROLE and r.parent == identity}
        assert sorted(roles) == sorted(admin_roles), f"{identity}: admin roles differ from the definition"
        for role, assignment in roles.items():
            assert assignment.inputs == {"clientId": offline_client_id(identity), "type": role}, assignment.urn
        checked += 1
    assert checked == 1 + len(agent.plugins), f"{agent_name}: not every identity was checked"


def test_plugins_are_identities_of_their_own(dev_plan, sample_registry):
    checked = 0
    for agent in sample_registry.for_stack("dev"):
        for plugin in agent.plugins:
            identity = plugin.identity_name(agent.name)
            component = dev_plan.named(identity)
            assert component.type == IDENTITY and component.parent == agent.name, (
                f"{component.urn}: a plugin identity is nested in its agent's bundle"
            )
            assert component.agent == agent.name, f"{component.urn}: owner should be {agent.name}"
            agent_app, plugin_app = dev_plan.named(f"{agent.name}-app"), dev_plan.named(f"{identity}-app")
            assert agent_app.inputs.get("jwks") != plugin_app.inputs.get("jwks") or agent_app.inputs.get(
                "jwksUri"
            ) != plugin_app.inputs.get("jwksUri"), f"{plugin_app.urn}: shares the agent's credential"
            if plugin.scopes:  # a plugin holding only Okta management access has no custom-server rule
                rule = dev_plan.named(f"{identity}-rule")
                assert rule.inputs["scopeWhitelists"] == list(plugin.scopes), f"{rule.urn}: not the plugin's scopes"
            checked += 1
    assert checked == 4, "the sample registry has four plugins in dev"


def test_expired_agent_is_deployed_inactive(sample_registry):
    after = build_plan(sample_registry, "prod", today=AFTER_INCIDENT_EXPIRY, root=STACKS)
    app = after.named("incident-responder-app")
    assert app.inputs["status"] == "INACTIVE", f"{app.urn}: expired 2026-12-20, judged on {AFTER_INCIDENT_EXPIRY}"
    others = [r for r in after.of_type(APP) if r.agent != "incident-responder"]
    assert others and all(r.inputs["status"] == "ACTIVE" for r in others), "only the expired agent is INACTIVE"
    # The expired label is what EventBridge's inactive-agent-token rule matches (docs/detections.md).
    assert app.inputs["label"] == "agentid:expired:incident-responder", app.urn
    assert all(r.inputs["label"].startswith("agentid:") and ":expired:" not in r.inputs["label"] for r in others)


def test_agent_is_active_through_its_last_day(sample_registry):
    import datetime as dt

    last_day = build_plan(sample_registry, "prod", today=dt.date(2026, 12, 20), root=STACKS)
    app = last_day.named("incident-responder-app")
    assert app.inputs["status"] == "ACTIVE", f"{app.urn}: still active on its expiry date"


def test_a_stack_deploys_exactly_the_agents_naming_it(dev_plan, prod_plan, sample_registry):
    for plan in (dev_plan, prod_plan):
        planned = {r.agent for r in plan.resources if r.agent is not None}
        expected = {a.name for a in sample_registry.for_stack(plan.stack)}
        assert planned == expected, f"{plan.stack}: planned agents {sorted(planned)} != {sorted(expected)}"
    assert "incident-responder" not in {r.agent for r in dev_plan.resources}, "incident-responder is prod-only"


def test_scopes_are_shared_not_duplicated(dev_plan, sample_registry):
    scopes = dev_plan.of_type(SCOPE)
    names = Counter(r.inputs["name"] for r in scopes)
    duplicated = {name: n for name, n in names.items() if n > 1}
    assert not duplicated, f"ServerScopes declared more than once: {duplicated}"
    used = {
        s
        for agent in sample_registry.for_stack("dev")
        for _, _, agent_scopes in agent.identities()
        for s in agent_scopes
    }
    assert set(names) == used, f"scopes declared {sorted(names)} != scopes used {sorted(used)}"
    assert names["calendar.read"] == 1, "calendar.read is used by meeting-summarizer and its plugin: one resource"
    for scope in scopes:
        assert scope.agent is None and scope.parent == "authorization-server", f"{scope.urn}: not shared"
        assert scope.inputs["consent"] == "IMPLICIT", scope.urn
        assert scope.inputs["metadataPublish"] == "NO_CLIENTS", scope.urn
        assert scope.inputs["default"] is False, f"{scope.urn}: a default scope is granted to clients asking none"
        assert scope.inputs["description"] == sample_registry.catalog.scopes[scope.inputs["name"]].description


def test_shared_resources(dev_plan):
    # The Detections component (AWS, on since dev streams to EventBridge) is tested in tests/detect.
    shared = {
        (r.type, r.name) for r in dev_plan.for_agent(None) if r.type != SCOPE and not r.name.startswith("detections")
    }
    assert shared == {
        ("agentid:okta:AuthorizationServer", "authorization-server"),
        ("okta:auth/server:Server", "okta-authorization-server"),
        ("agentid:okta:LogStreaming", "log-streaming"),
        ("okta:index/logStream:LogStream", "okta-system-log"),
    }, f"shared resources of the dev plan: {sorted(shared)}"
    server = dev_plan.named("okta-authorization-server")
    assert server.inputs["audiences"] == ["api://agents-dev"], f"{server.urn}: Okta allows exactly one audience"
    assert server.inputs["name"] == "agents-dev", server.urn


def test_stack_outputs_name_issuer_audience_and_every_client_id(dev_plan, sample_registry):
    outputs = dev_plan.outputs
    assert outputs["issuer"] == "<okta-authorization-server.issuer>", "issuer output"
    assert outputs["audience"] == "api://agents-dev", "audience output"
    expected = {name for agent in sample_registry.for_stack("dev") for name, _, _ in agent.identities()}
    assert set(outputs["clientIds"]) == expected, f"clientIds covers {sorted(outputs['clientIds'])}"
    for identity, client_id in outputs["clientIds"].items():
        assert client_id == offline_client_id(identity), f"clientIds[{identity}]"


def test_plan_is_judged_on_the_given_day(dev_plan):
    assert dev_plan.today == TODAY and dev_plan.stack == "dev", "plan records its stack and day"
    assert dev_plan.max_token_lifetime_minutes == 60, "Pulumi.dev.yaml sets agentid:maxTokenLifetimeMinutes 60"
