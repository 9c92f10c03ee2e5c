"""A plan's verdict composed from its bundles' (``evaluate_part`` on each bundle, then ``compose_plan_verdict``: what
agentid/plan/judged.py keeps per bundle) is the engine's verdict on the whole plan, finding for finding and in the same
order; and a rule that reads outside its bundle is caught, never judged wrongly.

The plans are the sample registry's, with hostile resources added the way hand-written Pulumi code would: every
failing fixture of the resource rules (tests/fixtures/policies_resources/cases.yaml), resources handed to an agent
that does not list the stack or to no agent file at all, the log stream removed or made INACTIVE; judged on both
stacks, as a member stack of a sharded environment, with a stack token ceiling that supersedes resource findings, and
with a waiver on a resource rule."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import policies.engine as engine
from agentid.plan import build_plan
from agentid.registry.model import Registry, Waiver
from agentid.resources import PlannedResource
from policies.engine import (
    OutOfPart,
    PartView,
    compose_plan_verdict,
    default_settings,
    evaluate,
    evaluate_part,
    plan_parts,
)
from policies.rules import all_rules
from policies.rules.base import Rule, RuleKind, RuleMeta, Violation
from policies.rules.stack import LOG_STREAM
from tests.conftest import STACKS, TODAY
from tests.policies_resources.cases import cases, planned

#: the agent whose waiver covers a resource rule, and that rule
WAIVED_AGENT, WAIVED_RULE = "okta-user-auditor", "app-private-key-jwt"


@pytest.fixture(scope="module")
def registry(sample_registry) -> Registry:
    """The sample registry, one agent holding a valid waiver for a resource rule as well."""
    agents = []
    for agent in sample_registry:
        if agent.name == WAIVED_AGENT:
            extra = dataclasses.replace(agent.waivers[0], rule=WAIVED_RULE, index=len(agent.waivers))
            agent = dataclasses.replace(agent, waivers=(*agent.waivers, extra))
        agents.append(agent)
    return Registry(agents=tuple(agents), catalog=sample_registry.catalog)


@pytest.fixture(scope="module")
def plans(registry) -> dict[str, tuple[PlannedResource, ...]]:
    return {stack: tuple(build_plan(registry, stack, today=TODAY, root=STACKS).resources) for stack in ("dev", "prod")}


def _waived_app() -> PlannedResource:
    """A hand-written app of the agent whose waiver covers the rule it breaks (a client secret)."""
    return PlannedResource(
        type="okta:app/oAuth:OAuth",
        name=f"{WAIVED_AGENT}-extra-app",
        agent=WAIVED_AGENT,
        inputs={"type": "service", "tokenEndpointAuthMethod": "client_secret_basic"},
        parent=None,
    )


def _hostile() -> list[PlannedResource]:
    """Every failing fixture of the resource rules, each owned by the agent it names (or none)."""
    found = []
    for rule_id, entry in cases()["rules"].items():
        rule = engine.get_rule(rule_id)
        if rule is not None and rule.meta.kind is RuleKind.RESOURCE:
            found.extend(planned(case["resource"]) for case in entry["fails"])
    return found


def _judging(stack: str, *, member: bool = False, ceiling: int | None = None, day: int = 0) -> dict[str, Any]:
    return {
        "today": TODAY + dt.timedelta(days=day),
        "settings": default_settings(),
        "stack": stack,
        "stack_token_limits": {stack: ceiling} if ceiling else {},
        "stack_shards": ({stack: stack}, frozenset({stack})) if member else ({}, frozenset()),
        "known_environments": frozenset({"dev", "prod"}),
        "plan_rules_only": True,
    }


def composed(registry: Registry, resources: list[PlannedResource], judging: dict[str, Any]) -> list:
    """The verdict as agentid.plan.judged composes it: each owner's bundle judged alone, in plan order."""
    parts = plan_parts()
    assert parts is not None
    bundles: dict[str | None, list[PlannedResource]] = {None: []}
    for resource in resources:
        bundles.setdefault(resource.agent, []).append(resource)
    found = []
    for owner in [None, *sorted(name for name in bundles if name is not None)]:
        found.extend(evaluate_part(registry, owner, bundles[owner], rule_ids=parts.by_bundle, **judging))
    typed = [resource for resource in resources if resource.type in parts.types]
    return compose_plan_verdict(registry, found, typed, parts, **judging)


def whole(registry: Registry, resources: list[PlannedResource], judging: dict[str, Any]) -> list:
    return evaluate(registry, resources=resources, **judging)


#: who a hand-written resource is handed to: an agent that does not list the stack, or a name no agent file defines
OWNERS = ("other-stack", "ghost")


@st.composite
def plan_changes(draw: Any) -> dict[str, Any]:
    return {
        "stack": draw(st.sampled_from(("dev", "prod"))),
        "hostile": draw(st.lists(st.integers(0, len(_hostile()) - 1), max_size=6, unique=True)),
        "reowned": draw(
            st.lists(st.tuples(st.integers(0, 200), st.sampled_from(("other-stack", "ghost"))), max_size=3)
        ),
        "log_stream": draw(st.sampled_from(("keep", "drop", "inactive", "twice"))),
        "member": draw(st.booleans()),
        "ceiling": draw(st.sampled_from((None, 5, 15))),
        "day": draw(st.sampled_from((0, 400))),
    }


def _changed(registry: Registry, plan: tuple[PlannedResource, ...], change: dict[str, Any]) -> list[PlannedResource]:
    resources = list(plan)
    hostile = _hostile()
    resources.extend(hostile[i] for i in change["hostile"])
    outside = next((a.name for a in registry if not a.deployed_to(change["stack"])), "ghost-agent")
    for index, whom in change["reowned"]:
        resource = resources[index % len(resources)]
        owner = outside if whom == "other-stack" else "ghost-agent"
        resources[index % len(resources)] = dataclasses.replace(resource, agent=owner)
    streams = [i for i, r in enumerate(resources) if r.type == LOG_STREAM]
    if change["log_stream"] == "drop":
        resources = [r for r in resources if r.type != LOG_STREAM]
    elif change["log_stream"] == "inactive":
        for i in streams:
            resources[i] = dataclasses.replace(resources[i], inputs={**resources[i].inputs, "status": "INACTIVE"})
    elif change["log_stream"] == "twice":
        resources.extend(dataclasses.replace(resources[i], name=resources[i].name + "-copy") for i in streams)
    return in_plan_order(resources)


def in_plan_order(resources: list[PlannedResource]) -> list[PlannedResource]:
    """The order every plan has, whole or assembled from the cache (tests/plan/test_incremental_equivalence.py): the
    shared resources, then each agent's bundle by agent name, each in declaration order."""
    return sorted(resources, key=lambda r: (r.agent is not None, r.agent or ""))


@settings(max_examples=40, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(change=plan_changes())
def test_the_composed_verdict_is_the_whole_plans(registry, plans, change):
    resources = _changed(registry, plans[change["stack"]], change)
    judging = _judging(change["stack"], member=change["member"], ceiling=change["ceiling"], day=change["day"])
    assert composed(registry, resources, judging) == whole(registry, resources, judging)


def test_the_composition_is_judged_on_findings_of_every_kind(registry, plans):
    """Not a vacuous equality: one plan where every resource rule fails, an agent is outside its stack, the log stream
    is inactive, a stack ceiling supersedes a resource finding and a waiver applies."""
    resources = [*plans["dev"], *_hostile()]
    outside = next(a.name for a in registry if not a.deployed_to("dev"))
    resources[0] = dataclasses.replace(resources[0], agent=outside)
    resources = [
        dataclasses.replace(r, inputs={**r.inputs, "status": "INACTIVE"}) if r.type == LOG_STREAM else r
        for r in resources
    ]
    resources.append(_waived_app())
    resources = in_plan_order(resources)
    judging = _judging("dev", ceiling=5)
    # incident-responder expired yesterday, while the plan (and its hostile copy) still has its app ACTIVE
    registry = Registry(
        agents=tuple(
            dataclasses.replace(a, lifecycle=dataclasses.replace(a.lifecycle, expires=TODAY - dt.timedelta(days=1)))
            if a.name == "incident-responder"
            else a
            for a in registry
        ),
        catalog=registry.catalog,
    )
    verdict = whole(registry, resources, judging)
    assert composed(registry, resources, judging) == verdict
    rules = {f.rule for f in verdict}
    resource_rules = {r.meta.id for r in all_rules() if r.meta.kind is RuleKind.RESOURCE}
    assert resource_rules <= rules, resource_rules - rules
    assert {"agent-outside-environment", "stack-has-log-stream"} <= rules
    assert any(f.waived and f.rule == WAIVED_RULE and f.agent == WAIVED_AGENT for f in verdict)
    alone = whole(registry, resources, {**judging, "rule_ids": frozenset({"token-lifetime-bounds"})})
    bounded = {f.agent for f in verdict if f.rule == "token-lifetime-bounds"}
    assert {f.agent for f in alone if f.agent} - bounded, "the stack ceiling superseded an agent's resource finding"


# --------------------------------------------------------------------------------------------------- the tripwire


def _rule(check: Any, kind: RuleKind = RuleKind.RESOURCE, **meta: Any) -> Rule:
    fields = {
        "id": "reads-across-agents",
        "number": 999,
        "title": "A rule written later",
        "severity": engine.Severity.ERROR,
        "nhi": ("NHI5",),
        "rationale": "For the test.",
        "remediation": "None.",
        "kind": kind,
        **meta,
    }
    return Rule(RuleMeta(**fields), check)


@pytest.fixture
def extra_rule(monkeypatch) -> Iterator[Any]:
    """Register a rule for one test (the split of the rules is recomputed with it, and again after)."""
    import policies.rules.base as base

    def register(rule: Rule) -> None:
        monkeypatch.setitem(base._RULES, rule.meta.id, rule)
        plan_parts.cache_clear()

    yield register
    plan_parts.cache_clear()


def _reads_another_agent(resource: PlannedResource, ctx: Any) -> Iterator[Violation]:
    try:  # swallowing what the view raises must not hide the read
        other = ctx.registry.get("finance-reconciler")
    except Exception:
        other = None
    if other is not None and resource.agent is not None:
        yield Violation(f"{resource.agent} shares an owner with finance-reconciler")


def _counts_agents(resource: PlannedResource, ctx: Any) -> Iterator[Violation]:
    if resource.agent is not None and len(ctx.registry) > 100:
        yield Violation("too many agents")


@pytest.mark.parametrize("check", [_reads_another_agent, _counts_agents], ids=["get-another", "len"])
def test_a_rule_reading_outside_its_bundle_is_caught(registry, plans, extra_rule, check):
    extra_rule(_rule(check))
    parts = plan_parts()
    assert parts is not None and "reads-across-agents" in parts.by_bundle
    bundle = [r for r in plans["prod"] if r.agent == "support-triage"]
    with pytest.raises(OutOfPart):
        evaluate_part(registry, "support-triage", bundle, rule_ids=parts.by_bundle, **_judging("prod"))


def test_the_bundles_own_agent_and_the_catalog_are_readable(registry):
    view = PartView(registry, "support-triage")
    assert view.get("support-triage") is registry.get("support-triage")
    assert view.catalog is registry.catalog
    for read in (lambda: view.get("finance-reconciler"), lambda: list(view), lambda: view.for_stack("prod")):
        with pytest.raises(OutOfPart):
            read()
    assert view.tripped is not None


def test_a_stack_rule_without_a_declared_split_makes_plans_judged_whole(extra_rule):
    assert plan_parts() is not None
    extra_rule(_rule(lambda resources, ctx: iter(()), kind=RuleKind.STACK))
    assert plan_parts() is None


def test_a_stack_rule_reading_declared_types_only_is_judged_on_them(extra_rule):
    extra_rule(_rule(lambda resources, ctx: iter(()), kind=RuleKind.STACK, reads_types=("okta:auth/server:Server",)))
    parts = plan_parts()
    assert parts is not None and "reads-across-agents" in parts.whole
    assert {"okta:auth/server:Server", LOG_STREAM} <= parts.types


def test_every_stack_rule_declares_its_split():
    """A new stack rule must say how its verdict splits (or plans are always judged whole, slowly but rightly)."""
    for rule in all_rules():
        if rule.meta.kind is RuleKind.STACK:
            assert rule.meta.by_bundle or rule.meta.reads_types, rule.meta.id
    assert plan_parts() is not None


def test_waivers_are_not_applied_per_bundle(registry, plans):
    """A waiver's validity reads the whole registry (is its approver an agent?): evaluate_part leaves them to the
    composition, which applies them with the whole registry."""
    bundle = [_waived_app()]
    parts = plan_parts()
    assert parts is not None
    judging = _judging("prod")
    found = evaluate_part(registry, WAIVED_AGENT, bundle, rule_ids=parts.by_bundle, **judging)
    assert [f.waived for f in found if f.rule == WAIVED_RULE] == [False]
    verdict = compose_plan_verdict(registry, found, [], parts, **judging)
    assert [f.waived for f in verdict if f.rule == WAIVED_RULE] == [True]
    assert isinstance(registry.get(WAIVED_AGENT).waivers[-1], Waiver)
