"""Every rule fails a realistic fixture and passes one drawn at its boundary; every registered rule has both."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pytest

from agentid.registry.model import Credentials, Keep, Registry
from agentid.resources import PlannedResource
from policies.engine import default_settings, load_stack_limits
from policies.rules import all_rules, get_rule
from policies.rules.base import RuleContext, RuleKind
from tests.conftest import STACKS, TODAY
from tests.policies import builders as b

Build = Callable[[Registry], Registry]

#: the stacks `environment-has-stack` knows (as load_known_environments reads them from a repository's stack files)
KNOWN_ENVIRONMENTS = frozenset({"dev", "prod"})

HR_SCHEDULER_KEY = "hr-onboarding-assistant"  # its plugin's public key is reused in a failing fixture below


@dataclass(frozen=True)
class Case:
    fails: Build
    passes: Build
    agent: str
    message: str
    stack: str | None = None
    resources: Callable[[], list[PlannedResource]] | None = field(default=None)
    passing_resources: Callable[[], list[PlannedResource]] | None = field(default=None)
    #: per-stack token lifetime ceilings, as read from Pulumi.<stack>.yaml (none: every stack has the default)
    token_limits: Mapping[str, int] | None = None


def _owners(*owners: str) -> Build:
    return lambda r: b.with_agent(r, "meeting-summarizer", owners=owners)


def _reader(
    okta_api_scopes: tuple[str, ...] = ("okta.users.read",),
    okta_admin_roles: tuple[str, ...] = ("READ_ONLY_ADMIN",),
    scopes: tuple[str, ...] = (),
) -> Build:
    """okta-user-auditor as the design has it: its custom scope on the agent, its Okta management access on the
    plugin `directory-reader` (a key of its own)."""
    plugin = b.okta_plugin(scopes=scopes, okta_api_scopes=okta_api_scopes, okta_admin_roles=okta_admin_roles)
    return lambda r: b.okta_access(r, "okta-user-auditor", plugins=(plugin,))


def _auditor_okta(*names: str) -> Build:
    return _reader(okta_api_scopes=names)


def _auditor_roles(*roles: str, scopes: tuple[str, ...] = ("okta.users.read",)) -> Build:
    return _reader(okta_api_scopes=scopes, okta_admin_roles=roles)


def _auditor_on_one_key(r: Registry) -> Registry:
    """okta-user-auditor before the split: access-reviews.write and Okta management access on the agent's key."""
    return b.okta_access(
        r, "okta-user-auditor", okta_api_scopes=("okta.users.read",), okta_admin_roles=("READ_ONLY_ADMIN",)
    )


def _triage_account_lookup(r: Registry) -> Registry:
    """support-triage with a plugin that looks up a customer's Okta account (and may unlock it) on its own key."""
    lookup = b.okta_plugin(
        "account-lookup", "Looks up the customer's Okta account status.", okta_admin_roles=("HELP_DESK_ADMIN",)
    )
    return b.okta_access(r, "support-triage", plugins=(*b.agent(r, "support-triage").plugins, lookup))


def _auditor_dev_only(r: Registry) -> Registry:
    """okta-user-auditor, its directory reader included, deployed to dev only (whose Pulumi.dev.yaml allows 60)."""
    return b.with_agent(_reader()(r), "okta-user-auditor", environments=("dev",))


def _auditor_waiver(rule: str, **kwargs) -> Build:
    return lambda r: b.with_agent(r, "okta-user-auditor", waivers=(b.waiver(rule, **kwargs),))


def _keep(reason: str = "Written only in the January hiring wave, idle the rest of the year.", **kwargs) -> Build:
    entry = {"scope": "hr.onboarding.write", "reason": reason, "until": b.days(60), **kwargs}
    return lambda r: b.with_agent(r, "hr-onboarding-assistant", keep=(Keep(**entry),))


def _reason(reason: str) -> Build:
    def build(r: Registry) -> Registry:
        grants = b.agent(r, "finance-reconciler").access.scopes
        return b.access(r, "finance-reconciler", scopes=(b.ScopeGrant(grants[0].name, reason), *grants[1:]))

    return build


def _with_private_members(r: Registry) -> Registry:
    key = b.agent(r, "finance-reconciler").credentials.keys[0]
    leaked = Credentials(keys=(b.dataclasses.replace(key, private_members=("d", "p")),))
    return b.with_agent(r, "finance-reconciler", credentials=leaked)


def _kb_key(key) -> Build:
    return lambda r: b.plugin_credentials(r, "support-triage", 0, Credentials(keys=(key,)))


def _hr_scheduler_key_reused(r: Registry) -> Registry:
    scheduler_key = b.agent(r, HR_SCHEDULER_KEY).plugins[0].credentials.keys[0]
    return _kb_key(b.dataclasses.replace(scheduler_key, kid="support-triage-kb-2026-12"))(r)


def _calendar_uri(uri: str) -> Build:
    return lambda r: b.plugin_credentials(r, "meeting-summarizer", 0, Credentials(jwks_uri=uri))


def _agent_uri(uri: str) -> Build:
    return lambda r: b.with_agent(r, "support-triage", credentials=Credentials(jwks_uri=uri))


def _app(agent: str) -> list[PlannedResource]:
    return [
        PlannedResource(
            type="okta:app/oAuth:OAuth", name=f"{agent}-app", agent=agent, inputs={"label": agent, "type": "service"}
        )
    ]


CASES: dict[str, Case] = {
    "owner-allowed-domain": Case(
        _owners("priya.raman@example.com", "tom.becker@gmail.com"),
        _owners("priya.raman@example.com", "tom.becker@eu.example.com"),
        "meeting-summarizer",
        "owner `tom.becker@gmail.com` is not in an allowed domain (example.com)",
    ),
    "owner-not-agent-identity": Case(
        _owners("priya.raman@example.com", "meeting-summarizer@example.com"),
        _owners("priya.raman@example.com", "agatha.sabot@example.com"),
        "meeting-summarizer",
        "owner `meeting-summarizer@example.com` is this agent's own identity",
    ),
    "single-owner": Case(
        _owners("priya.raman@example.com"),
        _owners("priya.raman@example.com", "tom.becker@example.com"),
        "meeting-summarizer",
        "has a single owner (priya.raman@example.com)",
    ),
    "purpose-data-domain": Case(
        lambda r: b.scopes(r, "meeting-summarizer", ("finance.ledger.read", "Adds spend figures to budget meetings.")),
        lambda r: b.scopes(r, "meeting-summarizer", ("calendar.write", "Books the follow-up meeting it proposes.")),
        "meeting-summarizer",
        "scope `finance.ledger.read` touches the finance data domain, which purpose `summarization` does not allow",
    ),
    "scope-wildcard": Case(
        lambda r: b.scopes(r, "support-triage", ("crm.*", "Reads whatever the CRM has on the customer.")),
        lambda r: b.scopes(r, "support-triage", ("crm.accounts.read.all-fields", "Reads every account field.")),
        "support-triage",
        "scope `crm.*` contains a wildcard",
    ),
    "max-scopes": Case(
        lambda r: b.scopes(
            r,
            "support-triage",
            ("incidents.read", "Links tickets to open incidents."),
            ("calendar.read", "Offers callback slots."),
            ("transcripts.read", "Reads call transcripts."),
        ),
        lambda r: b.scopes(
            r, "support-triage", ("incidents.read", "Links tickets to incidents."), ("calendar.read", "Offers slots.")
        ),
        "support-triage",
        "`support-triage` requests 7 scopes; at most 6 are allowed",
    ),
    "restricted-scope-reason": Case(
        _reason("TODO: why finance-reconciler needs finance.ledger.read."),
        _reason("Reads ledger entries for the accounts being reconciled tonight."),
        "finance-reconciler",
        "the reason for restricted scope `finance.ledger.read` is a placeholder",
    ),
    "restricted-scope-token-lifetime": Case(
        lambda r: b.access(r, "finance-reconciler", token_lifetime_minutes=30),
        lambda r: b.access(r, "finance-reconciler", token_lifetime_minutes=15),
        "finance-reconciler",
        "token lifetime 30 min exceeds 15 min, the maximum for restricted scopes",
    ),
    "plugin-scope-subset": Case(
        lambda r: b.plugin_scopes(r, "meeting-summarizer", 0, ("calendar.read", "calendar.write")),
        lambda r: b.plugin_scopes(r, "meeting-summarizer", 0, ("calendar.read", "transcripts.read")),
        "meeting-summarizer",
        "plugin `calendar` requests scope `calendar.write`, which agent `meeting-summarizer` does not hold",
    ),
    "private-key-material": Case(
        _with_private_members,
        lambda r: r,
        "finance-reconciler",
        "credentials.keys[0] contains private key material (`d`, `p`)",
    ),
    "shared-key": Case(
        _hr_scheduler_key_reused,
        _kb_key(b.KEY_A),
        "support-triage",
        "key `support-triage-kb-2026-12` of `support-triage--knowledge-base`",
    ),
    "shared-jwks-uri": Case(
        _calendar_uri("https://KEYS.example.com/agents/meeting-summarizer/jwks.json/"),
        _calendar_uri("https://keys.example.com/agents/meeting-summarizer/calendar-v2/jwks.json"),
        "meeting-summarizer",
        "is also used by `meeting-summarizer`",
    ),
    "jwks-uri-insecure": Case(
        _agent_uri("https://127.0.0.1:8443/jwks.json"),
        _agent_uri("https://keys.support.example.com:8443/jwks.json"),
        "support-triage",
        "jwks_uri of `support-triage` points at a bare IP address",
    ),
    "ephemeral-max-span": Case(
        lambda r: b.ephemeral(r, "incident-responder", b.days(45)),
        lambda r: b.ephemeral(r, "incident-responder", b.days(30)),
        "incident-responder",
        f"ephemeral agent expires on {b.days(45)}, more than 30 days ahead",
    ),
    "expired-agent-deployed": Case(
        lambda r: b.lifecycle(r, "incident-responder", expires=b.days(-1)),
        lambda r: b.lifecycle(r, "incident-responder", expires=b.days(0)),
        "incident-responder",
        f"`incident-responder` expired on {b.days(-1)}: its Okta app is deployed INACTIVE on prod",
    ),
    "review-overdue": Case(
        lambda r: b.lifecycle(r, "support-triage", review_by=b.days(-1)),
        lambda r: b.lifecycle(r, "support-triage", review_by=b.days(0)),
        "support-triage",
        f"access review was due on {b.days(-1)} (1 days ago)",
    ),
    "review-too-far": Case(
        lambda r: b.lifecycle(r, "support-triage", review_by=b.days(181)),
        lambda r: b.lifecycle(r, "support-triage", review_by=b.days(180)),
        "support-triage",
        f"review_by {b.days(181)} is more than 180 days ahead",
    ),
    "okta-management-scope": Case(
        _auditor_okta("okta.users.read", "okta.groups.manage"),
        _auditor_okta("okta.users.read", "okta.groups.read"),
        "okta-user-auditor",
        "Okta management scope `okta.groups.manage` of plugin `directory-reader` is not read-only",
    ),
    "okta-admin-scope": Case(
        _auditor_okta("okta.users.read", "okta.roles.manage"),
        _auditor_okta("okta.users.read", "okta.roles.read"),
        "okta-user-auditor",
        "Okta management scope `okta.roles.manage` lets plugin `directory-reader` grant itself privileges",
    ),
    "okta-admin-role": Case(
        _auditor_roles("READ_ONLY_ADMIN", "API_ACCESS_MANAGEMENT_ADMIN"),
        _auditor_roles("READ_ONLY_ADMIN", "REPORT_ADMIN"),
        "okta-user-auditor",
        "Okta admin role `API_ACCESS_MANAGEMENT_ADMIN` lets plugin `directory-reader` raise privileges or rewrite "
        "its own access",
    ),
    "okta-api-scopes-without-admin-role": Case(
        _auditor_roles(),
        _auditor_roles("READ_ONLY_ADMIN"),
        "okta-user-auditor",
        "Okta management scopes `okta.users.read` of plugin `directory-reader` without an admin role: Okta refuses "
        "every call (403)",
    ),
    "okta-admin-role-without-api-scopes": Case(
        lambda r: b.access(r, "support-triage", okta_admin_roles=("HELP_DESK_ADMIN",)),
        _triage_account_lookup,
        "support-triage",
        "Okta admin roles `HELP_DESK_ADMIN` without any `okta_api_scopes`: a privilege nothing uses",
    ),
    "okta-management-separate-identity": Case(
        _auditor_on_one_key,
        _reader(),
        "okta-user-auditor",
        "agent `okta-user-auditor` holds custom scopes (`access-reviews.write`) and Okta management access "
        "(`okta.users.read`, `READ_ONLY_ADMIN`) on one key: move the Okta management access to a plugin with its "
        "own key",
    ),
    "token-lifetime-stack-max": Case(
        lambda r: b.access(r, "support-triage", token_lifetime_minutes=61),
        lambda r: b.access(r, "support-triage", token_lifetime_minutes=60),
        "support-triage",
        "token lifetime 61 min exceeds the stack maximum (dev: 60 min, prod: 60 min)",
    ),
    "okta-management-token-lifetime": Case(
        _reader(),  # dev and prod; prod's Pulumi.prod.yaml allows 30 minutes
        _auditor_dev_only,
        "okta-user-auditor",
        "Okta management tokens of plugin `directory-reader` live 60 min (fixed by Okta's org authorization "
        "server), longer than the stack maximum (prod: 30 min); token_lifetime_minutes cannot shorten them",
        token_limits=load_stack_limits(STACKS),
    ),
    "agent-outside-environment": Case(
        lambda r: r,
        lambda r: r,
        "incident-responder",
        "the dev plan deploys `incident-responder` (resource `incident-responder-app`), but its environments are prod",
        stack="dev",
        resources=lambda: _app("incident-responder"),
        passing_resources=lambda: _app("finance-reconciler"),
    ),
    "environment-has-stack": Case(
        lambda r: b.with_agent(r, "incident-responder", environments=("prd",)),
        lambda r: b.with_agent(r, "incident-responder", environments=("prod",)),
        "incident-responder",
        "environment `prd` has no stack: Pulumi.prd.yaml does not exist, so nothing deploys `incident-responder` "
        "there; did you mean `prod`? (configured stacks: `dev`, `prod`)",
    ),
    "scaffold-todo": Case(
        lambda r: b.with_agent(r, "meeting-summarizer", description="TODO: say what meeting-summarizer does."),
        lambda r: b.with_agent(r, "meeting-summarizer", description="Summarises meetings; tracks to-do items."),
        "meeting-summarizer",
        "description of `meeting-summarizer` still holds a TODO from the scaffold",
    ),
    "waiver-expired": Case(
        _auditor_waiver("okta-management-scope", expires=b.days(-1)),
        _auditor_waiver("okta-management-scope", expires=b.days(0)),
        "okta-user-auditor",
        f"waiver for `okta-management-scope` expired on {b.days(-1)}",
    ),
    "waiver-unknown-rule": Case(
        _auditor_waiver("okta-managment-scope"),
        _auditor_waiver("okta-management-scope"),
        "okta-user-auditor",
        "waiver names unknown rule `okta-managment-scope`; did you mean `okta-management-scope`?",
    ),
    "waiver-unwaivable-rule": Case(
        _auditor_waiver("okta-admin-scope"),
        _auditor_waiver("okta-management-scope"),
        "okta-user-auditor",
        "rule `okta-admin-scope` cannot be waived",
    ),
    "waiver-self-approved": Case(
        _auditor_waiver("okta-management-scope", approved_by="Nina.Petrova@example.com"),
        _auditor_waiver("okta-management-scope", approved_by="security-lead@example.com"),
        "okta-user-auditor",
        "is approved by `Nina.Petrova@example.com`, an owner of `okta-user-auditor`",
    ),
    "keep-entry-reviewed": Case(
        _keep("TODO: say why"),
        _keep(until=b.days(0)),
        "hr-onboarding-assistant",
        "keep entry for `hr.onboarding.write` has a placeholder reason",
    ),
    "waiver-too-long": Case(
        _auditor_waiver("okta-management-scope", expires=b.days(91)),
        _auditor_waiver("okta-management-scope", expires=b.days(90)),
        "okta-user-auditor",
        f"expires on {b.days(91)}, more than 90 days ahead",
    ),
}


def violations(
    rule_id: str, registry: Registry, *, stack=None, resources=None, token_limits=None
) -> list[tuple[str | None, str]]:
    """(agent, message) for every violation one rule finds, the way the engine calls it."""
    found = get_rule(rule_id)
    assert found is not None, f"rule {rule_id} is not registered"
    ctx = RuleContext(
        today=TODAY,
        settings=default_settings(),
        registry=registry,
        stack=stack,
        stack_token_limits=dict(token_limits or {}),
        known_environments=KNOWN_ENVIRONMENTS,
    )
    kind = found.meta.kind
    if kind is RuleKind.REGISTRY:
        return [(a.name, v.message) for a in registry for v in found.check(a, ctx)]
    if kind is RuleKind.REGISTRY_WIDE:
        return [(a.name, v.message) for a, v in found.check(registry, ctx)]
    assert kind is RuleKind.STACK, kind
    return [(v.agent, v.message) for v in found.check(resources or [], ctx)]


MINE = [r for r in all_rules() if r.meta.number < 50]


def test_every_registered_rule_has_a_failing_and_a_passing_fixture():
    from tests.policies_resources.cases import cases as resource_cases

    resource_documented = {**resource_cases()["rules"], **resource_cases()["stack_rules"]}
    missing = [
        r.meta.id for r in all_rules() if r.meta.id not in (CASES if r.meta.number < 50 else resource_documented)
    ]
    assert not missing, f"rules without failing and passing fixtures: {missing}"
    assert set(CASES) == {r.meta.id for r in MINE}, "CASES names a rule that is not registered"


def test_metadata_is_complete_and_in_the_registry_range():
    for r in MINE:
        meta = r.meta
        assert 1 <= meta.number <= 49, meta.id
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", meta.id), meta.id
        assert meta.nhi and all(re.fullmatch(r"NHI([1-9]|10)", t) for t in meta.nhi), meta.id
        assert meta.title and meta.rationale and meta.remediation, meta.id


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fails_its_failing_fixture(rule_id, sample_registry):
    case = CASES[rule_id]
    found = violations(
        rule_id,
        case.fails(sample_registry),
        stack=case.stack,
        resources=case.resources() if case.resources else None,
        token_limits=case.token_limits,
    )
    assert any(agent == case.agent and case.message in message for agent, message in found), found


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_passes_its_passing_fixture(rule_id, sample_registry):
    case = CASES[rule_id]
    resources = case.passing_resources() if case.passing_resources else None
    passes = case.passes(sample_registry)
    assert violations(rule_id, passes, stack=case.stack, resources=resources, token_limits=case.token_limits) == []


def test_the_sample_registry_passes_every_registry_rule(sample_registry):
    for r in MINE:
        if r.meta.kind is not RuleKind.STACK:
            assert violations(r.meta.id, sample_registry) == [], r.meta.id


@pytest.mark.parametrize(
    ("owner", "reason"),
    [
        ("svc-finance@example.com", "looks like a service account or shared mailbox, not a person"),
        ("finance.bot@example.com", "looks like a service account or shared mailbox, not a person"),
        ("noreply@example.com", "looks like a service account or shared mailbox, not a person"),
        ("support-triage@example.com", "is the identity of agent `support-triage`"),
        ("meeting.summarizer+alerts@example.com", "is this agent's own identity"),
        ("meeting-summarizer--calendar@example.com", "is this agent's own identity"),
        ("support-triage--knowledge-base@example.com", "is the identity of plugin `support-triage--knowledge-base`"),
    ],
)
def test_owners_that_are_machines_are_named_as_such(owner, reason, sample_registry):
    registry = _owners("priya.raman@example.com", owner)(sample_registry)
    assert violations("owner-not-agent-identity", registry) == [("meeting-summarizer", f"owner `{owner}` {reason}")]


def test_a_plugin_identity_is_recognised_when_its_agent_name_contains_a_double_hyphen(sample_registry):
    renamed = b.renamed(sample_registry, "support-triage", "it--support-triage")
    owner = "it--support-triage--knowledge-base@example.com"
    registry = _owners("priya.raman@example.com", owner)(renamed)
    assert violations("owner-not-agent-identity", registry) == [
        ("meeting-summarizer", f"owner `{owner}` is the identity of plugin `it--support-triage--knowledge-base`")
    ]


@pytest.mark.parametrize(
    ("scope", "reason"),
    [
        ("*", "contains a wildcard"),
        ("all", "names everything rather than one permission"),
        ("tickets.all", "names everything rather than one permission"),
        ("crm..read", "has an empty segment"),
        (".read", "has an empty segment"),
        ("crm.accounts.read ", "contains whitespace"),
    ],
)
def test_wildcard_like_scope_names(scope, reason, sample_registry):
    registry = b.scopes(sample_registry, "support-triage", (scope, "Reads what the ticket needs."))
    assert violations("scope-wildcard", registry) == [("support-triage", f"scope `{scope}` {reason}")]


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("http://keys.example.com/jwks.json", "is not https"),
        ("https://localhost/jwks.json", "points at localhost"),
        ("https://keys.localhost/jwks.json", "points at localhost"),
        ("https://[::1]/jwks.json", "points at a bare IP address"),
        ("https://10.0.0.5/jwks.json", "points at a bare IP address"),
        ("https://127.1/jwks.json", "points at a bare IP address"),
        ("https://2130706433/jwks.json", "points at a bare IP address"),
        ("https://0x7f.0.0.1/jwks.json", "points at a bare IP address"),
        ("https://[::ffff:127.0.0.1]/jwks.json", "points at a bare IP address"),
        ("https://localhost./jwks.json", "points at localhost"),
        ("HTTPS://LocalHost:8443/jwks.json", "points at localhost"),
        ("ftp://keys.example.com/jwks.json", "is not https"),
        ("https://deploy:hunter2@keys.example.com/jwks.json", "embeds credentials in the URL"),
    ],
)
def test_insecure_jwks_uris(uri, reason, sample_registry):
    found = violations("jwks-uri-insecure", _agent_uri(uri)(sample_registry))
    assert len(found) == 1 and reason in found[0][1], found
    assert "hunter2" not in found[0][1]


@pytest.mark.parametrize(
    "uri",
    ["https://keys.example.com/jwks.json", "https://keys-2026.example.com./jwks.json", "https://k8s.example.io/jwks"],
)
def test_named_https_hosts_are_not_taken_for_ip_addresses(uri, sample_registry):
    assert violations("jwks-uri-insecure", _agent_uri(uri)(sample_registry)) == []


@pytest.mark.parametrize(
    ("approver", "problem"),
    [
        ("nina.petrova+waivers@EXAMPLE.com", "an owner of `okta-user-auditor`"),
        ("security-lead@gmail.com", "not a person in an allowed domain"),
        ("okta-user-auditor@example.com", "not a person: it is this agent's own identity"),
        ("finance-reconciler@example.com", "not a person: it is the identity of agent `finance-reconciler`"),
        ("svc-security@example.com", "not a person: it looks like a service account"),
    ],
)
def test_waiver_approver_must_be_an_independent_person(approver, problem, sample_registry):
    registry = _auditor_waiver("okta-management-scope", approved_by=approver)(
        _auditor_okta("okta.groups.manage")(sample_registry)
    )
    found = violations("waiver-self-approved", registry)
    assert len(found) == 1 and f"is approved by `{approver}`, {problem}" in found[0][1], found
    assert [m for _, m in violations("okta-management-scope", registry)], "the waiver does not apply"
    from policies.engine import evaluate

    waived = [f for f in evaluate(registry, today=TODAY, settings=default_settings()) if f.waived]
    assert waived == [], "a waiver approved by a non-independent person waives nothing"


def test_key_shared_across_agents_is_reported_in_both_files(sample_registry):
    found = violations("shared-key", _hr_scheduler_key_reused(sample_registry))
    assert sorted(agent for agent, _ in found) == ["hr-onboarding-assistant", "support-triage"]
    assert "also held by `support-triage--knowledge-base`" in dict(found)["hr-onboarding-assistant"]


def test_key_shared_by_an_agent_and_its_own_plugin(sample_registry):
    own = b.agent(sample_registry, "hr-onboarding-assistant").credentials.keys[0]
    registry = b.plugin_credentials(
        sample_registry, "hr-onboarding-assistant", 0, Credentials(keys=(b.dataclasses.replace(own, kid="x"),))
    )
    assert len(violations("shared-key", registry)) == 2


def test_private_key_message_never_echoes_a_value(sample_registry):
    found = violations("private-key-material", _with_private_members(sample_registry))
    assert found and all("AQAB" not in message for _, message in found)


def test_stack_token_limit_comes_from_the_stack_config(sample_registry):
    found = get_rule("token-lifetime-stack-max")
    ctx = RuleContext(
        today=TODAY, settings=default_settings(), registry=sample_registry, stack_token_limits={"prod": 20}
    )
    judged = {a.name: [v.message for v in found.check(a, ctx)] for a in sample_registry}
    assert judged["support-triage"] == ["token lifetime 30 min exceeds the stack maximum (prod: 20 min)"]
    assert judged["finance-reconciler"] == []
    dev_only = RuleContext(today=TODAY, registry=sample_registry, stack="dev", stack_token_limits={"prod": 20})
    assert list(found.check(b.agent(sample_registry, "support-triage"), dev_only)) == []


def test_expired_agent_does_not_block_the_deploy_that_deactivates_it(sample_registry):
    """incident-responder's review is due the day it expires: the day after, it only warns, so the daily deploy
    (which keeps its app INACTIVE, checked by expired-agent-app-inactive) still runs."""
    from policies.engine import evaluate

    expired = b.agent(sample_registry, "incident-responder").lifecycle
    day_after = expired.expires + b.dt.timedelta(days=1)
    assert expired.review_by <= expired.expires < day_after
    found = evaluate(sample_registry, today=day_after, settings=default_settings())
    assert {(f.rule, f.severity.value) for f in found} == {("expired-agent-deployed", "warning")}
    still_alive = b.lifecycle(sample_registry, "incident-responder", expires=None, kind=b.LifecycleKind.PERSISTENT)
    assert violations_on(still_alive, "review-overdue", day_after)


def test_an_expired_agents_lapsed_waiver_does_not_block_the_deploy_that_deactivates_it(sample_registry):
    """An ephemeral agent's waiver typically ends with the agent. The day after, its app is kept INACTIVE; neither
    the lapsed waiver nor the finding it covered may fail the gate, or the deactivating deploy would never run."""
    from policies.engine import evaluate

    expires = b.agent(sample_registry, "incident-responder").lifecycle.expires
    responder = b.okta_plugin(
        "on-call-groups",
        "Adds the on-call engineer to the incident's Okta group.",
        okta_api_scopes=("okta.groups.manage",),
        okta_admin_roles=("GROUP_MEMBERSHIP_ADMIN",),
    )
    registry = b.okta_access(sample_registry, "incident-responder", plugins=(responder,))
    registry = b.with_agent(
        registry, "incident-responder", waivers=(b.waiver("okta-management-scope", expires=expires),)
    )
    settings = default_settings()
    for day in (expires, expires + b.dt.timedelta(days=1)):
        found = {(f.rule, f.severity.value, f.waived) for f in evaluate(registry, today=day, settings=settings)}
        assert ("okta-management-scope", "error", True) in found, day
        assert not any(sev == "error" and not waived for _, sev, waived in found), found
    persistent = b.lifecycle(registry, "incident-responder", expires=None, kind=b.LifecycleKind.PERSISTENT)
    lapsed = {(f.rule, f.waived) for f in evaluate(persistent, today=expires + b.dt.timedelta(days=1))}
    assert {("waiver-expired", False), ("okta-management-scope", False)} <= lapsed, "a live agent's lapsed waiver"


def violations_on(registry: Registry, rule_id: str, today) -> list[str]:
    ctx = RuleContext(today=today, settings=default_settings(), registry=registry)
    return [v.message for a in registry for v in get_rule(rule_id).check(a, ctx)]


def test_expired_agent_is_judged_per_stack(sample_registry):
    registry = b.lifecycle(sample_registry, "incident-responder", expires=b.days(-1))
    assert violations("expired-agent-deployed", registry, stack="dev") == []
    assert len(violations("expired-agent-deployed", registry, stack="prod")) == 1


def test_plan_resource_for_an_unregistered_agent_is_reported(sample_registry):
    found = violations("agent-outside-environment", sample_registry, stack="dev", resources=_app("payroll-exporter"))
    assert found == [(None, "the dev plan deploys `payroll-exporter` (resource `payroll-exporter-app`), which no "
                      "agent file defines")]  # fmt: skip


@pytest.mark.parametrize("stack", [None, "dev", "prod"])
def test_key_shared_by_a_dev_agent_and_a_prod_agent_breaks_isolation_whichever_stack_is_judged(stack, sample_registry):
    """incident-responder runs in prod only; a dev-only agent reusing its key is reported even for `--stack dev`."""
    key = b.agent(sample_registry, "finance-reconciler").credentials.keys[0]
    registry = b.with_agent(sample_registry, "incident-responder", credentials=Credentials(keys=(key,)))
    registry = b.with_agent(registry, "finance-reconciler", environments=("dev",))
    found = violations("shared-key", registry, stack=stack)
    assert sorted(agent for agent, _ in found) == ["finance-reconciler", "incident-responder"], found


@pytest.mark.parametrize(
    "scope",
    [
        "okta.roles.manage",
        "okta.clients.manage",
        "okta.apps.manage",
        "okta.authorizationServers.manage",
        "okta.policies.manage",
    ],
)
def test_scopes_that_let_an_agent_widen_its_own_access_are_never_allowed(sample_registry, scope):
    """Each of these lets the client grant itself roles, mint clients or rewrite the policies that bound it."""
    registry = _auditor_okta("okta.users.read", scope)(sample_registry)
    assert [agent for agent, _ in violations("okta-admin-scope", registry)] == ["okta-user-auditor"]


@pytest.mark.parametrize("role", ["SUPER_ADMIN", "ORG_ADMIN", "APP_ADMIN", "API_ACCESS_MANAGEMENT_ADMIN"])
def test_admin_roles_that_let_an_agent_widen_its_own_access_are_never_allowed(sample_registry, role):
    """Each of these assigns roles, resets admins, changes the agent's own app or rewrites its token policy."""
    registry = _auditor_roles("READ_ONLY_ADMIN", role)(sample_registry)
    assert violations("okta-admin-role", registry) == [
        (
            "okta-user-auditor",
            f"Okta admin role `{role}` lets plugin `directory-reader` raise privileges or rewrite its own access",
        )
    ]
    assert get_rule("okta-admin-role").meta.waivable is False


@pytest.mark.parametrize("role", ["READ_ONLY_ADMIN", "HELP_DESK_ADMIN", "GROUP_MEMBERSHIP_ADMIN", "REPORT_ADMIN"])
def test_narrow_admin_roles_pass(sample_registry, role):
    assert violations("okta-admin-role", _auditor_roles(role)(sample_registry)) == []


def test_the_forbidden_admin_roles_are_an_organisation_setting(sample_registry):
    """Security can tighten the list in policies/settings.yaml without a code change."""
    settings = dataclasses.replace(default_settings(), forbidden_okta_admin_roles=("SUPER_ADMIN", "REPORT_ADMIN"))
    ctx = RuleContext(today=TODAY, settings=settings, registry=sample_registry)
    auditor = b.agent(_auditor_roles("REPORT_ADMIN")(sample_registry), "okta-user-auditor")
    assert [v.message for v in get_rule("okta-admin-role").check(auditor, ctx)] == [
        "Okta admin role `REPORT_ADMIN` lets plugin `directory-reader` raise privileges or rewrite its own access"
    ]
    assert set(default_settings().forbidden_okta_admin_roles) == {
        "SUPER_ADMIN",
        "ORG_ADMIN",
        "APP_ADMIN",
        "API_ACCESS_MANAGEMENT_ADMIN",
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"until": b.days(-1)}, f"keep entry for `hr.onboarding.write` lapsed on {b.days(-1)}"),
        ({"until": b.days(91)}, f"runs until {b.days(91)}, more than 90 days ahead"),
        ({"scope": "payroll.read"}, "names `payroll.read`, which `hr-onboarding-assistant` does not declare"),
    ],
)
def test_keep_entries_are_reviewed_like_waivers(sample_registry, changes, message):
    """A keep entry past its date, longer than a waiver may run, or for a scope the file does not declare is a
    finding (and rightsize does not honour it: tests/rightsize)."""
    found = violations("keep-entry-reviewed", _keep(**changes)(sample_registry))
    assert [m for _a, m in found if message in m], found
