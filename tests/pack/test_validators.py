"""The policy pack's validators, called the way CrossGuard calls them: real ResourceValidationArgs/StackValidationArgs,
properties wrapped in pulumi_policy's own unknown-checking proxy, through the real Policy objects."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Secret,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE, unknown_checking_proxy

from agentid.registry.loader import load_registry
from policies.engine import STACK_FILE_RULES
from policies.pack import validators
from policies.rules import RuleKind, all_rules
from policies.rules.resources import OAUTH_APP, SERVER_POLICY, SERVER_POLICY_RULE
from tests.conftest import AGENTS_DIR, CATALOG, FIXTURES, REPO, SAMPLE_REPO, TODAY
from tests.policies import builders as b
from tests.policies_resources.cases import cases

POLICIES = {p.name: p for p in validators.build_policies()}
IDENTITY = "agentid:okta:AgentIdentity"
#: two agents: finance-reconciler lists `prd` (no stack file names it), incident-responder `prod` (a near miss: a stack)
MISSPELT_ENVIRONMENT = FIXTURES / "pack" / "misspelt-environment"


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch):
    monkeypatch.setenv("AGENTID_TODAY", TODAY.isoformat())
    monkeypatch.delenv("PULUMI_STACK", raising=False)


def urn(name: str, type_: str, stack: str = "dev", parent_type: str | None = None) -> str:
    chain = f"{parent_type}${type_}" if parent_type else type_
    return f"urn:pulumi:{stack}::agentid::{chain}::{name}"


def options(parent: str | None = None) -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], parent)


def resource_args(
    type_: str, name: str, props: dict[str, Any], *, agent: str | None = None, stack: str = "dev", config=None
) -> ResourceValidationArgs:
    """What CrossGuard hands a validator; an agent's resources are children of its AgentIdentity component."""
    parent = urn(agent, IDENTITY, stack) if agent else None
    return ResourceValidationArgs(
        type_,
        unknown_checking_proxy(props),
        urn(name, type_, stack, IDENTITY if agent else None),
        name,
        options(parent),
        None,
        config,
    )


def violations(policy_name: str, args) -> list[str]:
    reported: list[str] = []
    POLICIES[policy_name].validate(args, lambda message, urn=None: reported.append(message))
    return reported


def test_one_mandatory_policy_per_resource_and_stack_rule():
    """And one stack policy per registry rule that reads the stack files (STACK_FILE_RULES)."""
    rules = [
        r for r in all_rules() if r.meta.kind in (RuleKind.RESOURCE, RuleKind.STACK) or r.meta.id in STACK_FILE_RULES
    ]
    assert [p.name for p in validators.build_policies()] == [r.meta.id for r in rules]
    assert {r.meta.kind for r in rules if r.meta.id in STACK_FILE_RULES} == {RuleKind.REGISTRY}
    for r in rules:
        policy = POLICIES[r.meta.id]
        expected = ResourceValidationPolicy if r.meta.kind is RuleKind.RESOURCE else StackValidationPolicy
        assert isinstance(policy, expected), r.meta.id
        assert policy.enforcement_level is EnforcementLevel.MANDATORY
        assert policy.remediation_steps == r.meta.remediation and r.meta.title in policy.description
        assert set(r.meta.nhi) <= set(policy.tags)


FAILING = [
    pytest.param(rule_id, case, id=f"{rule_id}-{i}")
    for rule_id, entry in cases()["rules"].items()
    for i, case in enumerate(entry["fails"])
]


@pytest.mark.parametrize(("rule_id", "case"), FAILING)
def test_policy_reports_what_the_rule_finds(rule_id, case, monkeypatch):
    if rule_id == "expired-agent-app-inactive":
        monkeypatch.setenv("AGENTID_TODAY", "2026-12-21")  # the day after the sample incident-responder expires
    raw = case["resource"]
    args = resource_args(raw["type"], raw["name"], dict(raw.get("inputs", {})), agent=raw.get("agent"))
    messages = violations(rule_id, args)
    assert messages and any(case["message"] in m for m in messages), messages
    if raw.get("agent"):
        assert all(f"(agent {raw['agent']})" in m for m in messages), "the agent comes from the parent component"


def test_compliant_bundle_passes_every_policy():
    for raw in cases()["compliant"]:
        args = resource_args(raw["type"], raw["name"], dict(raw["inputs"]), agent=raw.get("agent"))
        for name, policy in POLICIES.items():
            if isinstance(policy, ResourceValidationPolicy):
                assert violations(name, args) == [], f"{name} on {raw['name']}"


def test_values_unknown_during_preview_are_not_violations_and_do_not_abort_the_policy():
    policy = resource_args(SERVER_POLICY, "support-triage-policy", {"clientWhitelists": [UNKNOWN_STRING_VALUE]})
    assert violations("policy-not-all-clients", policy) == []
    app = resource_args(
        OAUTH_APP,
        "support-triage-app",
        {"type": "service", "omitSecret": UNKNOWN_BOOLEAN_VALUE, "tokenEndpointAuthMethod": UNKNOWN_STRING_VALUE},
    )
    assert violations("app-omit-secret", app) == [] and violations("app-private-key-jwt", app) == []
    mixed = resource_args(SERVER_POLICY, "p", {"clientWhitelists": [UNKNOWN_STRING_VALUE, "ALL_CLIENTS"]})
    assert violations("policy-not-all-clients", mixed)


def test_secret_inputs_are_judged_but_never_echoed():
    value = "Zk3d-not-for-your-eyes-9Qx"
    args = resource_args(
        OAUTH_APP, "incident-responder-app", {"omitSecret": True, "clientBasicSecret": Secret(value)}, agent="x"
    )
    messages = violations("app-omit-secret", args)
    assert messages and all(value not in m for m in messages)


def test_token_ceiling_comes_from_the_stack_in_the_urn_or_the_policy_config():
    """Pulumi.dev.yaml allows 60 minutes and Pulumi.prod.yaml 30; --policy-pack-config may tighten either."""
    assert validators.stack_limits() == {"dev": 60, "prod": 30}
    long = {"grantTypeWhitelists": ["client_credentials"], "accessTokenLifetimeMinutes": 45}
    assert violations("token-lifetime-bounds", resource_args(SERVER_POLICY_RULE, "support-triage-rule", long)) == []
    assert violations("token-lifetime-bounds", resource_args(SERVER_POLICY_RULE, "r", long, stack="prod")) == [
        "policy rule `r` issues access tokens for 45 minutes; stack `prod` allows at most 30 minutes"
    ]
    tight = resource_args(SERVER_POLICY_RULE, "r", long, config={validators.TOKEN_LIMIT_CONFIG: 15})
    assert violations("token-lifetime-bounds", tight) == [
        "policy rule `r` issues access tokens for 45 minutes; stack `dev` allows at most 15 minutes"
    ]


def test_a_valid_waiver_in_the_agent_file_waives_the_resource_finding(tmp_path, monkeypatch):
    agents = tmp_path / "agents"
    agents.mkdir()
    text = (AGENTS_DIR / "finance-reconciler.yaml").read_text()
    assert "waivers: []" in text
    waiver = (
        "waivers:\n  - rule: app-omit-secret\n    reason: Migrating the reconciler's app; secret dropped next sprint.\n"
        "    approved_by: grace.hopper@example.com\n    expires: 2026-12-20\n"
    )
    (agents / "finance-reconciler.yaml").write_text(text.replace("waivers: []\n", waiver))
    registry = load_registry(agents, CATALOG, root=REPO).registry
    monkeypatch.setattr(validators, "checkout_registry", lambda: registry)
    app = {"type": "service", "omitSecret": False}
    assert (
        violations(
            "app-omit-secret", resource_args(OAUTH_APP, "finance-reconciler-app", app, agent="finance-reconciler")
        )
        == []
    )
    # the waiver is the finance reconciler's, not anybody else's
    assert violations(
        "app-omit-secret", resource_args(OAUTH_APP, "hr-onboarding-assistant-app", app, agent="hr-onboarding-assistant")
    )


def policy_resource(type_: str, name: str, props: dict[str, Any], stack: str = "prod") -> PolicyResource:
    return PolicyResource(
        type_, unknown_checking_proxy(props), urn(name, type_, stack), name, options(), None, None, [], {}
    )


def test_stack_policy_requires_a_log_stream():
    app = policy_resource(OAUTH_APP, "finance-reconciler-app", {"type": "service"})
    stream = policy_resource("okta:index/logStream:LogStream", "system-log", {"type": "aws_eventbridge"})
    reported: list[str] = []
    POLICIES["stack-has-log-stream"].validate(StackValidationArgs([app]), lambda m, urn=None: reported.append(m))
    assert reported == [
        "stack `prod` has no Okta log stream (okta:index/logStream:LogStream); agent activity would go unwatched"
    ]
    reported.clear()
    POLICIES["stack-has-log-stream"].validate(
        StackValidationArgs([app, stream]), lambda m, urn=None: reported.append(m)
    )
    assert reported == []


def test_stack_policy_reports_an_environment_no_stack_file_names(tmp_path, monkeypatch):
    """environment-has-stack, a registry rule, runs at every preview on the checkout's agents, against the stacks of
    the checkout's Pulumi.<stack>.yaml files: the root the registry is read from (here the sample's dev and prod)."""
    loaded = load_registry(MISSPELT_ENVIRONMENT, CATALOG, root=REPO)
    assert loaded.ok, [f.message for f in loaded.findings]
    monkeypatch.setattr(validators, "checkout_registry", lambda: loaded.registry)
    app = policy_resource(OAUTH_APP, "incident-responder-app", {"type": "service"})
    reported: list[str] = []
    POLICIES["environment-has-stack"].validate(StackValidationArgs([app]), lambda m, urn=None: reported.append(m))
    assert reported == [
        "tests/fixtures/pack/misspelt-environment/finance-reconciler.yaml:7: environment `prd` has no stack: "
        "Pulumi.prd.yaml does not exist, so nothing deploys `finance-reconciler` there; did you mean `prod`? "
        "(configured stacks: `dev`, `prod`)"
    ], "`prd` is reported at the line that lists it; `prod`, one letter away, is a stack and is not"
    # a checkout that does configure a prd stack: the same agents pass
    for stack_file in SAMPLE_REPO.glob("Pulumi.*yaml"):
        (tmp_path / stack_file.name).write_bytes(stack_file.read_bytes())
    (tmp_path / "Pulumi.prd.yaml").write_text("config: {}\n")
    monkeypatch.setattr(validators, "REPO_ROOT", tmp_path)
    validators.known_environments.cache_clear()
    reported.clear()
    POLICIES["environment-has-stack"].validate(StackValidationArgs([app]), lambda m, urn=None: reported.append(m))
    assert reported == []


def test_stack_resources_are_attributed_to_their_agent_through_parents():
    identity = PolicyResource(
        IDENTITY, {}, urn("finance-reconciler", IDENTITY, "prod"), "finance-reconciler", options(), None, None, [], {}
    )
    app = PolicyResource(
        OAUTH_APP,
        {},
        urn("finance-reconciler-app", OAUTH_APP, "prod", IDENTITY),
        "finance-reconciler-app",
        options(identity.urn),
        None,
        identity,
        [],
        {},
    )
    (planned_identity, planned_app) = validators.planned_from_stack([identity, app], registry=None)
    assert planned_app.agent == "finance-reconciler" and planned_app.parent == "finance-reconciler"
    assert planned_identity.agent is None


def test_plugin_identities_belong_to_their_agent(sample_registry):
    plugin = next(a for a in sample_registry if a.plugins)
    identity = plugin.plugins[0].identity_name(plugin.name)
    assert validators.identity_owner(identity, sample_registry) == plugin.name
    renamed = b.renamed(sample_registry, "support-triage", "it--support-triage")
    assert validators.identity_owner("it--support-triage--knowledge-base", renamed) == "it--support-triage"
    assert validators.identity_owner("it--support-triage", renamed) == "it--support-triage"
    assert validators.identity_owner("it--support-triage--billing", renamed) == "it--support-triage--billing"


def test_a_malformed_pinned_day_is_named_not_a_bare_fromisoformat_error(monkeypatch):
    monkeypatch.setenv("AGENTID_TODAY", "01/12/2026")
    with pytest.raises(ValueError, match=r"AGENTID_TODAY='01/12/2026' is not a date; use YYYY-MM-DD"):
        validators.context(stack="dev")
