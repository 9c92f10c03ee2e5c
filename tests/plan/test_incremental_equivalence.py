"""The incremental plan is the full plan: on random registries and random changes, planning a change with a cache
filled from the revision before gives exactly the plan of the whole program, and the same findings and review verdict.

A registry is built from the sample agents as templates (each copy renamed, with its own scopes, token lifetime,
environments, expiry, zones and plugins; some lifetimes the provider refuses); a change is one or two of: add, remove,
edit, rename an agent, add, drop or re-scope a plugin, edit a catalog scope the stack uses, edit the stack file, or
move the day past an expiry.
Derandomised and small (the SDK mock engine costs ~3 ms a resource): a few seconds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentid.conformance import plan_findings, violation_findings
from agentid.findings_cache import FindingsCache
from agentid.plan import Plan, build_plan
from agentid.plan.incremental import PlanCache, build_plan_incremental
from agentid.plan.judged import JudgedPlan, judge_incremental
from agentid.registry.model import Agent, Registry
from agentid.review.findings import compare_findings
from agentid.review.plandiff import diff_resources
from policies.engine import evaluate, load_stack_limits
from policies.rules.base import RuleKind, get_rule
from tests.conftest import STACKS, TODAY

SCOPES = (
    "transcripts.read",
    "calendar.read",
    "tickets.read",
    "crm.accounts.read",
    "finance.ledger.read",
    "hr.records.read",
    "logs.read",
)
KINDS = ("add", "remove", "edit", "rename", "plugin", "catalog", "stack", "today")


def _template(registry: Registry, index: int) -> Agent:
    return registry.agents[index % len(registry.agents)]


@st.composite
def agent_variants(draw: Any) -> dict[str, Any]:
    return {
        "template": draw(st.integers(0, 5)),
        "scopes": tuple(draw(st.lists(st.sampled_from(SCOPES), max_size=2, unique=True))),
        # 2 minutes: below Okta's 5..1440, which the agent schema refuses and the plan does not: a resource the
        # provider conformance checks refuse, so their findings (stored with the cached bundles) are compared too
        "lifetime": draw(st.sampled_from((2, 5, 15, 60))),
        "environments": draw(st.sampled_from((("dev",), ("prod",), ("dev", "prod")))),
        "expires_soon": draw(st.booleans()),
        "zone": draw(st.booleans()),
        "plugins": draw(st.sampled_from(("keep", "none", "rescope"))),
    }


def _agent(registry: Registry, name: str, variant: dict[str, Any]) -> Agent:
    template = _template(registry, variant["template"])
    access = dataclasses.replace(
        template.access,
        scopes=tuple(dataclasses.replace(template.access.scopes[0], name=s) for s in variant["scopes"])
        if template.access.scopes
        else (),
        token_lifetime_minutes=variant["lifetime"],
        network_zones=("finance-batch",) if variant["zone"] else (),
    )
    lifecycle = template.lifecycle
    if variant["expires_soon"]:
        lifecycle = dataclasses.replace(lifecycle, expires=TODAY + dt.timedelta(days=10))
    plugins = template.plugins
    if variant["plugins"] == "none":
        plugins = ()
    elif variant["plugins"] == "rescope":
        plugins = tuple(dataclasses.replace(p, scopes=p.scopes[:1]) for p in plugins)
    return dataclasses.replace(
        template,
        name=name,
        access=access,
        lifecycle=lifecycle,
        environments=variant["environments"],
        plugins=plugins,
    )


def _registry(sample: Registry, agents: dict[str, dict[str, Any]], catalog: Any = None) -> Registry:
    built = tuple(_agent(sample, name, variant) for name, variant in sorted(agents.items()))
    return Registry(agents=built, catalog=catalog or sample.catalog)


@st.composite
def scenarios(draw: Any) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from([f"agent-{i:02d}" for i in range(12)]), min_size=2, max_size=6, unique=True))
    before = {name: draw(agent_variants()) for name in names}
    changes = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=2))
    after = dict(before)
    steps = []
    for kind in changes:
        victim = draw(st.sampled_from(sorted(after))) if after else None
        if kind == "add":
            name = draw(st.sampled_from([f"agent-{i:02d}" for i in range(12, 16)]))
            after[name] = draw(agent_variants())
        elif kind == "remove" and victim and len(after) > 1:
            del after[victim]
        elif kind == "edit" and victim:
            after[victim] = {**after[victim], **{k: v for k, v in draw(agent_variants()).items() if k != "template"}}
        elif kind == "rename" and victim:
            after[victim + "-renamed"] = after.pop(victim)
        elif kind == "plugin" and victim:
            after[victim] = {**after[victim], "plugins": draw(st.sampled_from(("keep", "none", "rescope")))}
        steps.append(kind)
    return {
        "before": before,
        "after": after,
        "steps": steps,
        "stack": draw(st.sampled_from(("dev", "prod"))),
        "catalog_scope": draw(st.sampled_from(SCOPES)),
    }


def _same_plan(incremental: Plan, full: Plan) -> None:
    assert incremental.resources == full.resources, "the incremental plan's resources differ from the full plan's"
    assert dict(incremental.options) == dict(full.options), "resource options (depends_on chain) differ"
    assert dict(incremental.outputs) == dict(full.outputs), "stack outputs differ"
    assert incremental.max_token_lifetime_minutes == full.max_token_lifetime_minutes


def _findings(registry: Registry, plan: Plan, root: Path) -> list[Any]:
    return evaluate(
        registry,
        today=plan.today,
        stack=plan.stack,
        resources=plan.resources,
        stack_token_limits=load_stack_limits(root),
    )


@settings(
    max_examples=8,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenario=scenarios())
def test_incremental_plan_findings_and_review_equal_the_full_ones(sample_registry, scenario):
    stack = scenario["stack"]
    with tempfile.TemporaryDirectory() as tmp:
        base_root, head_root = Path(tmp) / "base", Path(tmp) / "head"
        for root in (base_root, head_root):
            root.mkdir()
            for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"):
                shutil.copy(STACKS / name, root / name)
        catalog = sample_registry.catalog
        today = TODAY
        if "stack" in scenario["steps"]:
            stack_file = head_root / f"Pulumi.{stack}.yaml"
            stack_file.write_text(stack_file.read_text().replace("okta:orgName: example", "okta:orgName: example2"))
        if "catalog" in scenario["steps"]:
            info = catalog.scopes[scenario["catalog_scope"]]
            scopes = {
                **catalog.scopes,
                info.name: dataclasses.replace(info, description=info.description + " (edited)"),
            }
            catalog = dataclasses.replace(catalog, scopes=scopes)
        if "today" in scenario["steps"]:
            today = TODAY + dt.timedelta(days=11)  # past every `expires_soon` agent's last day
        base = _registry(sample_registry, scenario["before"])
        head = _registry(sample_registry, scenario["after"], catalog)
        cache = PlanCache(Path(tmp) / "cache")

        base_incremental, _ = build_plan_incremental(base, stack, today=TODAY, root=base_root, cache=cache)
        head_incremental, mode = build_plan_incremental(head, stack, today=today, root=head_root, cache=cache)
        base_full = build_plan(base, stack, today=TODAY, root=base_root)
        head_full = build_plan(head, stack, today=today, root=head_root)

        _same_plan(base_incremental, base_full)
        _same_plan(head_incremental, head_full)
        # the content digest the verdict cache keys plan findings by: equal digests, equal plans
        assert base_incremental.digest and head_incremental.digest
        if base_incremental.digest == head_incremental.digest:
            assert base_full.resources == head_full.resources
            assert dict(base_full.options) == dict(head_full.options)
        if scenario["steps"] == ["edit"]:
            # one agent edited: at most it and the agent after it in the policy chain are planned again
            assert mode.planned <= 2, mode.note()

        # the provider conformance findings: from the violations stored with the bundles, the full plan's own
        if mode.incremental:
            assert head_incremental.violations is not None, "an assembled plan carries its bundles' violations"
        assert plan_findings(head_incremental, head, root=head_root) == plan_findings(head_full, head, root=head_root)
        assert plan_findings(base_incremental, base, root=base_root) == plan_findings(base_full, base, root=base_root)

        # the findings of check, and the review's verdict (introduced and fixed findings, resource changes)
        head_findings = _findings(head, head_incremental, head_root)
        assert head_findings == _findings(head, head_full, head_root)
        # what `check` keeps from a plan's evaluation, computed without running every registry rule again
        plan_kinds = (RuleKind.RESOURCE, RuleKind.STACK)
        only_plan = evaluate(
            head,
            today=today,
            stack=stack,
            resources=head_incremental.resources,
            stack_token_limits=load_stack_limits(head_root),
            plan_rules_only=True,
        )
        assert only_plan == [f for f in head_findings if (r := get_rule(f.rule)) and r.meta.kind in plan_kinds]
        base_findings = _findings(base, base_incremental, base_root)
        verdict = compare_findings(base_findings, head_findings)
        full_verdict = compare_findings(_findings(base, base_full, base_root), _findings(head, head_full, head_root))
        assert verdict == full_verdict
        assert diff_resources(stack, base_incremental.resources, head_incremental.resources) == diff_resources(
            stack, base_full.resources, head_full.resources
        )

        # judged from its bundles without assembling the plan (agentid/plan/judged.py), the base first (its parts
        # kept), then the head (the unchanged bundles' parts read back): the verdict, resource count and conformance
        # findings of the whole plan
        verdicts = FindingsCache(Path(tmp) / "cache")
        for registry, root, day, full in ((base, base_root, TODAY, base_full), (head, head_root, today, head_full)):
            registry = _with_digests(registry)
            judging = {
                "today": day,
                "stack": stack,
                "stack_token_limits": load_stack_limits(root),
                "plan_rules_only": True,
            }
            judged, _mode = judge_incremental(
                registry, stack, today=day, root=root, cache=cache, verdicts=verdicts, judging=judging
            )
            assert isinstance(judged, JudgedPlan), "every bundle is cached: the plan is judged from them"
            assert judged.findings == evaluate(registry, resources=full.resources, **judging)
            assert judged.resources == len(full.resources)
            conformance = violation_findings(judged.violations, stack, registry, root=root)
            assert conformance == plan_findings(full, registry, root=root)


def _with_digests(registry: Registry) -> Registry:
    """The registry's agents with a content digest, as if loaded from files (the parts of a plan are kept by it)."""
    agents = tuple(
        dataclasses.replace(agent).loaded(hashlib.sha256(repr(agent).encode()).hexdigest()) for agent in registry
    )
    return Registry(agents=agents, catalog=registry.catalog)
