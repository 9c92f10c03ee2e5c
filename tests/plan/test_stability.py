"""Adding an agent changes only that agent's resources; priorities never cascade; creation order is chained."""

from __future__ import annotations

from agentid.plan import build_plan
from agentid.registry import load_agent_bytes
from agentid.registry.model import Registry
from tests.conftest import STACKS, TODAY

POLICY = "okta:auth/serverPolicy:ServerPolicy"
RULE = "okta:auth/serverPolicyRule:ServerPolicyRule"

INVOICE_MATCHER = b"""\
name: invoice-matcher
description: Matches supplier invoices to purchase orders and flags mismatches for accounts payable.
owners: [maria.lopez@example.com, james.okafor@example.com]
team: finance-systems
purpose: reconciliation
environments: [dev]
lifecycle: {kind: persistent, review_by: 2027-03-31}
credentials: {jwks_uri: "https://keys.example.com/agents/invoice-matcher/jwks.json"}
access:
  scopes:
    - {name: finance.ledger.read, reason: Reads purchase orders and invoice lines from the ledger.}
  token_lifetime_minutes: 5
profile: {max_tokens_per_hour: 20, active_hours_utc: "02:00-04:00"}
"""


def _with(sample_registry: Registry, raw: bytes, name: str) -> Registry:
    agent, findings = load_agent_bytes(raw, f"agents/{name}.yaml", expected_name=name)
    assert agent is not None and not findings, [f.message for f in findings]
    return Registry(
        agents=tuple(sorted((*sample_registry.agents, agent), key=lambda a: a.name)), catalog=sample_registry.catalog
    )


def _diff(before, after):
    old = {r.urn: r for r in before.resources}
    new = {r.urn: r for r in after.resources}
    added = {urn: new[urn] for urn in new.keys() - old.keys()}
    removed = sorted(old.keys() - new.keys())
    changed = sorted(
        urn
        for urn in old.keys() & new.keys()
        if (old[urn].inputs, old[urn].parent, old[urn].type) != (new[urn].inputs, new[urn].parent, new[urn].type)
        or before.options[urn].protect != after.options[urn].protect
    )
    # No exemption: the dev stack's EventBridge detections match agents by app label, so they never change either.
    return added, removed, changed, len(old.keys() & new.keys())


def test_adding_an_agent_adds_only_its_own_resources(sample_registry, dev_plan):
    grown = build_plan(_with(sample_registry, INVOICE_MATCHER, "invoice-matcher"), "dev", today=TODAY, root=STACKS)
    added, removed, changed, common = _diff(dev_plan, grown)
    assert not removed, f"resources removed by adding an agent: {removed}"
    assert not changed, f"inputs of existing resources changed by adding an agent: {changed}"
    assert common == len(dev_plan.resources), "every existing resource was compared"
    assert {r.agent for r in added.values()} == {"invoice-matcher"}, f"added: {sorted(added)}"
    assert sorted(r.name for r in added.values()) == [
        "invoice-matcher",
        "invoice-matcher-app",
        "invoice-matcher-policy",
        "invoice-matcher-rule",
    ], f"added: {sorted(added)}"


def test_removing_an_agent_removes_only_its_own_resources(sample_registry, dev_plan):
    smaller = Registry(
        agents=tuple(a for a in sample_registry.agents if a.name != "hr-onboarding-assistant"),
        catalog=sample_registry.catalog,
    )
    shrunk = build_plan(smaller, "dev", today=TODAY, root=STACKS)
    added, removed, changed, _ = _diff(shrunk, dev_plan)  # the plan without the agent, then with it
    assert not removed and not changed, f"removed={removed} changed={changed}"
    names = sorted(r.name for r in added.values())
    # hr-onboarding-assistant is the only user of hr.* scopes and, with its plugin, of calendar.write: offboarding
    # it also retires those scopes, and nothing else.
    assert names == [
        "hr-onboarding-assistant",
        "hr-onboarding-assistant--scheduler",
        "hr-onboarding-assistant--scheduler-app",
        "hr-onboarding-assistant--scheduler-policy",
        "hr-onboarding-assistant--scheduler-rule",
        "hr-onboarding-assistant-app",
        "hr-onboarding-assistant-policy",
        "hr-onboarding-assistant-rule",
        "scope-calendar.write",
        "scope-hr.onboarding.write",
        "scope-hr.records.read",
    ], f"resources only the removed agent needed: {names}"


def test_priority_bearing_resources_are_created_one_after_another(dev_plan):
    policies, rules = dev_plan.of_type(POLICY), dev_plan.of_type(RULE)
    assert len(policies) == len(rules) == 8, "8 identities with custom scopes in dev (the directory-reader has none)"
    rule_names = {r.name for r in rules}
    predecessors = {}
    for policy in policies:
        waits_for = [d for d in dev_plan.options_of(policy).depends_on if d in rule_names]
        assert len(waits_for) <= 1, f"{policy.urn}: waits for several rules {waits_for}"
        predecessors[policy.name] = waits_for[0] if waits_for else None
        assert dev_plan.options_of(policy).ignore_changes == ("priority",), (
            f"{policy.urn}: Okta re-sorts priorities; reading back another one must not be an update"
        )
    firsts = [name for name, before in predecessors.items() if before is None]
    assert len(firsts) == 1, f"exactly one policy starts the chain, found {firsts}"
    taken = [before for before in predecessors.values() if before is not None]
    assert len(taken) == len(set(taken)) == len(policies) - 1, f"policies created in parallel: {predecessors}"
    for rule in rules:
        policy_name = rule.name.removesuffix("-rule") + "-policy"
        assert rule.inputs["policyId"] == f"<{policy_name}.id>", f"{rule.urn}: created after its policy"


def test_rules_wait_for_their_scopes(dev_plan):
    checked = 0
    for rule in dev_plan.of_type(RULE):
        depends_on = set(dev_plan.options_of(rule).depends_on)
        for scope in rule.inputs["scopeWhitelists"]:
            assert f"scope-{scope}" in depends_on, f"{rule.urn}: may be created before scope {scope} exists"
            checked += 1
    assert checked >= 8, "every rule names at least one scope"


def test_priorities_are_constant_so_nothing_renumbers(dev_plan):
    priorities = {(r.type, r.inputs["priority"]) for r in dev_plan.resources if r.type in (POLICY, RULE)}
    assert priorities == {(POLICY, 1), (RULE, 1)}, f"priorities: {priorities}"


def test_log_stream_and_authorization_server_are_protected(dev_plan):
    stream = dev_plan.named("okta-system-log")
    assert dev_plan.options_of(stream).protect, f"{stream.urn}: deleting it blinds every detection"
    assert dev_plan.options_of(stream).delete_before_replace, f"{stream.urn}: Okta allows two streams per org"
    server = dev_plan.named("okta-authorization-server")
    assert dev_plan.options_of(server).protect, f"{server.urn}: deleting it revokes every agent's access"
    unprotected = [r.urn for r in dev_plan.resources if r.agent is not None and dev_plan.options_of(r).protect]
    assert not unprotected, f"agent resources must be deletable (offboarding): {unprotected}"


def test_scopes_are_deleted_before_they_are_replaced(dev_plan):
    scopes = dev_plan.of_type("okta:auth/serverScope:ServerScope")
    assert scopes, "the dev plan declares scopes"
    for scope in scopes:
        assert dev_plan.options_of(scope).delete_before_replace, (
            f"{scope.urn}: scope names are unique per server, so a replacement must delete the old scope first"
        )


def test_changing_an_agents_scopes_updates_only_its_rule(sample_registry, dev_plan):
    """Same logical names, only the rule's scope list differs: Pulumi updates that rule in place (no new identity,
    no client id change for the agent's runtime)."""
    import dataclasses

    summarizer = sample_registry.get("meeting-summarizer")
    narrower = dataclasses.replace(
        summarizer,
        access=dataclasses.replace(
            summarizer.access, scopes=tuple(g for g in summarizer.access.scopes if g.name == "transcripts.read")
        ),
    )
    changed_registry = Registry(
        agents=tuple(narrower if a.name == summarizer.name else a for a in sample_registry.agents),
        catalog=sample_registry.catalog,
    )
    after = build_plan(changed_registry, "dev", today=TODAY, root=STACKS)
    added, removed, changed, _ = _diff(dev_plan, after)
    assert not added and not removed, f"added={sorted(added)} removed={removed}: a scope change must not replace"
    assert [urn.rsplit("::", 1)[1] for urn in changed] == ["meeting-summarizer-rule"], f"changed: {changed}"
    rule = after.named("meeting-summarizer-rule")
    assert rule.inputs["scopeWhitelists"] == ["transcripts.read"], rule.urn
    assert not after.options_of(rule).delete_before_replace, f"{rule.urn}: would be replaced, not updated"
