"""Every resource and stack rule fails its failing fixtures, passes its passing ones, and passes a compliant bundle."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest

from agentid.resources import PlannedResource
from policies.rules import RuleContext, RuleKind, all_rules, get_rule
from policies.rules import resources as resource_rules
from policies.rules.resources import UNKNOWN
from tests.conftest import TODAY
from tests.policies_resources.cases import cases, compliant, planned

#: the rules of policies/rules/resources.py and stack.py (other modules may define stack rules about the registry)
OURS = [r for r in all_rules() if r.check.__module__ in (resource_rules.__name__, "policies.rules.stack")]
CTX = RuleContext(today=TODAY)


def _registry_with_an_expired_responder():
    """The sample registry, except that incident-responder expired the day before TODAY."""
    from agentid.registry import Registry, load_registry
    from tests.conftest import AGENTS_DIR, CATALOG

    registry = load_registry(AGENTS_DIR, CATALOG).registry
    agents = tuple(
        dataclasses.replace(a, lifecycle=dataclasses.replace(a.lifecycle, expires=TODAY - dt.timedelta(days=1)))
        if a.name == "incident-responder"
        else a
        for a in registry
    )
    return Registry(agents=agents, catalog=registry.catalog)


#: rules that judge a resource against the registry get a context that carries one
REGISTRY_AWARE = {"expired-agent-app-inactive"}

FAILING = [
    pytest.param(rule_id, case, id=f"{rule_id}-fails-{i}")
    for rule_id, entry in cases()["rules"].items()
    for i, case in enumerate(entry["fails"])
]
PASSING = [
    pytest.param(rule_id, raw, id=f"{rule_id}-passes-{i}")
    for rule_id, entry in cases()["rules"].items()
    for i, raw in enumerate(entry["passes"])
]


def run(rule_id: str, resource: PlannedResource, ctx: RuleContext = CTX) -> list[str]:
    if rule_id in REGISTRY_AWARE and ctx is CTX:
        ctx = RuleContext(today=TODAY, registry=_registry_with_an_expired_responder())
    found = get_rule(rule_id)
    assert found is not None, f"rule {rule_id} is not registered"
    return [v.message for v in found.check(resource, ctx)]


def test_every_resource_and_stack_rule_has_failing_and_passing_fixtures():
    documented = {**cases()["rules"], **cases()["stack_rules"]}
    assert len(OURS) >= 12
    assert all(r.meta.kind in (RuleKind.RESOURCE, RuleKind.STACK) for r in OURS)
    for r in OURS:
        assert r.meta.id in documented, f"{r.meta.id} has no fixtures in cases.yaml"
        assert documented[r.meta.id]["fails"] and documented[r.meta.id]["passes"], r.meta.id
    assert set(documented) == {r.meta.id for r in OURS}, "cases.yaml names a rule that is not registered"


def test_metadata_is_complete_and_numbered_in_the_resource_range():
    for r in OURS:
        meta = r.meta
        assert 50 <= meta.number <= 99, meta.id
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", meta.id), meta.id
        assert meta.nhi and all(re.fullmatch(r"NHI([1-9]|10)", tag) for tag in meta.nhi), meta.id
        assert meta.title and meta.rationale and meta.remediation, meta.id
        assert meta.checkov_id == f"CKV_AGENT_{meta.number}"


@pytest.mark.parametrize(("rule_id", "case"), FAILING)
def test_rule_fails_its_failing_fixture(rule_id, case):
    resource = planned(case["resource"])
    messages = run(rule_id, resource)
    assert messages, f"{rule_id} passed {resource.name}: {resource.inputs}"
    assert any(case["message"] in m for m in messages), messages
    for message in messages:
        assert f"`{resource.name}`" in message, "a resource message names the resource"
        if resource.agent:
            assert f"agent {resource.agent}" in message, "a resource message names the agent it belongs to"


@pytest.mark.parametrize(("rule_id", "raw"), PASSING)
def test_rule_passes_its_passing_fixture(rule_id, raw):
    assert run(rule_id, planned(raw)) == []


@pytest.mark.parametrize("case", cases()["stack_rules"]["stack-has-log-stream"]["fails"], ids=["none", "inactive"])
def test_stack_without_an_active_log_stream_fails(case):
    resources = [planned(raw) for raw in case["resources"]]
    ctx = RuleContext(today=TODAY, stack="prod")
    messages = [v.message for v in get_rule("stack-has-log-stream").check(resources, ctx)]
    assert len(messages) == 1 and case["message"] in messages[0] and "stack `prod`" in messages[0]


def test_stack_with_a_log_stream_passes():
    for case in cases()["stack_rules"]["stack-has-log-stream"]["passes"]:
        assert list(get_rule("stack-has-log-stream").check([planned(r) for r in case["resources"]], CTX)) == []


def test_a_compliant_bundle_passes_every_resource_and_stack_rule():
    bundle = compliant()
    for r in OURS:
        if r.meta.kind is RuleKind.STACK:
            assert list(r.check(bundle, CTX)) == [], r.meta.id
        else:
            for resource in bundle:
                assert list(r.check(resource, CTX)) == [], f"{r.meta.id} on {resource.name}"


def test_values_unknown_during_preview_are_not_violations():
    """A client id computed from an app created in the same preview is unknown: not ALL_CLIENTS, not a failure."""
    policy = PlannedResource(
        resource_rules.SERVER_POLICY, "support-triage-policy", {"clientWhitelists": [UNKNOWN], "priority": 2}
    )
    app = PlannedResource(
        resource_rules.OAUTH_APP,
        "support-triage-app",
        {"type": UNKNOWN, "grantTypes": UNKNOWN, "tokenEndpointAuthMethod": UNKNOWN, "omitSecret": UNKNOWN},
    )
    for r in OURS:
        if r.meta.kind is RuleKind.RESOURCE:
            assert list(r.check(policy, CTX)) == [] and list(r.check(app, CTX)) == [], r.meta.id
    # ...while a known ALL_CLIENTS beside an unknown id is still caught
    mixed = PlannedResource(resource_rules.SERVER_POLICY, "p", {"clientWhitelists": [UNKNOWN, "ALL_CLIENTS"]})
    assert run("policy-not-all-clients", mixed)


def test_token_ceiling_follows_the_stack_setting():
    rule_30 = PlannedResource(
        resource_rules.SERVER_POLICY_RULE, "support-triage-rule", {"accessTokenLifetimeMinutes": 30}
    )
    assert (
        run("token-lifetime-bounds", rule_30, RuleContext(today=TODAY, stack="dev", stack_max_token_minutes=60)) == []
    )
    messages = run("token-lifetime-bounds", rule_30, RuleContext(today=TODAY, stack="prod", stack_max_token_minutes=15))
    assert messages == [
        "policy rule `support-triage-rule` issues access tokens for 30 minutes; stack `prod` allows at most 15 minutes"
    ]


def test_unset_token_lifetime_is_judged_as_oktas_default_of_60_minutes():
    unset = PlannedResource(resource_rules.SERVER_POLICY_RULE, "support-triage-rule", {})
    assert run("token-lifetime-bounds", unset) == []
    tight = RuleContext(today=TODAY, stack="prod", stack_max_token_minutes=15)
    assert "60 minutes (Okta's default" in run("token-lifetime-bounds", unset, tight)[0]


def test_hand_written_rule_longer_than_the_agent_file_declares_fails(sample_registry):
    """finance-reconciler declares 5-minute tokens; Pulumi code giving it 30 is caught though the stack allows 60."""
    declared = sample_registry.get("finance-reconciler").access.token_lifetime_minutes
    longer = PlannedResource(
        resource_rules.SERVER_POLICY_RULE,
        "finance-reconciler-rule",
        {"accessTokenLifetimeMinutes": declared + 25},
        agent="finance-reconciler",
    )
    ctx = RuleContext(today=TODAY, registry=sample_registry, stack="prod", stack_max_token_minutes=60)
    (message,) = run("token-lifetime-bounds", longer, ctx)
    assert "agents/finance-reconciler.yaml" in message and f"at most {declared} minutes" in message


def test_client_secret_value_is_never_echoed():
    secret = "nG8xQ2v-super-sensitive-value"
    app = PlannedResource(
        resource_rules.OAUTH_APP, "incident-responder-app", {"omitSecret": True, "clientBasicSecret": secret}
    )
    messages = run("app-omit-secret", app)
    assert messages and all(secret not in m for m in messages)


def test_a_role_assignment_whose_type_is_not_known_yet_is_not_a_violation():
    """During a preview the type may come from another resource's output: unknown is never judged a violation."""
    pending = PlannedResource(
        "okta:app/oauthRoleAssignment:OauthRoleAssignment",
        "okta-user-auditor-admin-role",
        {"clientId": UNKNOWN, "type": UNKNOWN},
    )
    assert run("no-org-admin-role-for-client", pending) == []


@pytest.mark.parametrize("role", ["SUPER_ADMIN", "ORG_ADMIN", "APP_ADMIN", "API_ACCESS_MANAGEMENT_ADMIN"])
def test_every_client_role_resource_of_a_forbidden_role_fails(role):
    """pulumi-okta's per-role resources are matched by their token, so a new one is judged without a code change."""
    token_name = "Oauth2V1ClientsRole" + role.title().replace("_", "")
    resource = PlannedResource(f"okta:index/{token_name[0].lower()}{token_name[1:]}:{token_name}", "hand-written", {})
    assert run("no-org-admin-role-for-client", resource) == [
        f"role assignment `hand-written` gives a client the `{role}` role; agents never hold admin roles that raise "
        "privileges or rewrite their own access"
    ]


def test_the_forbidden_client_roles_follow_the_organisation_setting():
    strict = RuleContext(
        today=TODAY, settings=dataclasses.replace(CTX.settings, forbidden_okta_admin_roles=("REPORT_ADMIN",))
    )
    report = PlannedResource("okta:app/oauthRoleAssignment:OauthRoleAssignment", "report", {"type": "REPORT_ADMIN"})
    assert run("no-org-admin-role-for-client", report, strict)
    assert run("no-org-admin-role-for-client", report) == []
