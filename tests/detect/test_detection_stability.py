"""The EventBridge detections do not depend on the registry: planning N or N+1 agents, or an agent expiring, changes
no detection resource, and a sharded environment's core stack can own them (its members know none of its rules).

Under the SDK mock engine with small registries (the mock engine costs a few ms per resource).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from agentid.detect.definitions import EVENT_DETECTIONS
from agentid.plan import Plan, build_plan
from agentid.registry.model import Registry
from tests.detect.test_pulumi_detections import EVENTBRIDGE_WITH_DETECTIONS, _small
from tests.plan.conftest import make_stack_root

DAY = dt.date(2026, 12, 1)
#: After incident-responder's expiry (2026-12-20).
AFTER_EXPIRY = dt.date(2026, 12, 21)
AGENTS = ("meeting-summarizer", "incident-responder", "finance-reconciler")


def _detection_resources(plan: Plan) -> dict[str, tuple]:
    """name -> everything that would make the engine update or replace a resource of the Detections component
    (names, not URNs, so that two stacks compare)."""
    mine = {r.name: r for r in plan.resources if r.parent == "detections" or r.name == "detections"}
    rules = len(EVENT_DETECTIONS)
    assert len(mine) == 1 + 1 + 1 + 2 * rules, f"component, provider, bus, {rules} rules and targets: {sorted(mine)}"
    return {name: (r.type, r.parent, r.inputs, plan.options_of(r)) for name, r in mine.items()}


def _plan(registry: Registry, root, today: dt.date = DAY) -> Plan:
    return build_plan(registry, "test", today=today, root=root)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return make_stack_root(tmp_path_factory.mktemp("stable"), "test", EVENTBRIDGE_WITH_DETECTIONS)


def test_one_more_agent_changes_no_detection_resource(sample_registry, root):
    before = _plan(_small(sample_registry, *AGENTS[:2]), root)
    after = _plan(_small(sample_registry, *AGENTS), root)
    assert len(after.of_type("okta:app/oAuth:OAuth")) > len(before.of_type("okta:app/oAuth:OAuth")), "it grew"
    assert _detection_resources(after) == _detection_resources(before)


def test_an_agent_expiring_changes_only_its_own_app(sample_registry, root):
    """Expiry flips the app's status and label (the inactive-agent-token rule matches the label); no rule changes."""
    registry = _small(sample_registry, *AGENTS[:2])
    live, expired = _plan(registry, root), _plan(registry, root, AFTER_EXPIRY)
    assert _detection_resources(expired) == _detection_resources(live)
    changed = sorted(
        r.name
        for r in expired.resources
        if (r.inputs, r.parent) != (live.named(r.name).inputs, live.named(r.name).parent)
    )
    assert changed == ["incident-responder-app"], changed
    app_before, app_after = live.named("incident-responder-app"), expired.named("incident-responder-app")
    assert (app_before.inputs["label"], app_before.inputs["status"]) == ("agentid:incident-responder", "ACTIVE")
    assert (app_after.inputs["label"], app_after.inputs["status"]) == ("agentid:expired:incident-responder", "INACTIVE")


def test_a_renamed_agent_set_of_another_size_declares_the_same_rules(sample_registry, root):
    """Not just N+1: any registry, here a single agent under another name, gets byte-identical rules."""
    (template,) = _small(sample_registry, "finance-reconciler").agents
    other = Registry(agents=(replace(template, name="payroll-auditor"),), catalog=sample_registry.catalog)
    assert _detection_resources(_plan(other, root)) == _detection_resources(
        _plan(_small(sample_registry, *AGENTS), root)
    )


# ------------------------------------------------------------------------------------------------- sharding

CORE = "acme/agentid/test-core"


def test_a_sharded_environment_core_owns_the_detections_and_members_declare_none(sample_registry, tmp_path):
    registry = _small(sample_registry, *AGENTS)
    for folder in ("core", "member"):
        (tmp_path / folder).mkdir()
    core_root = make_stack_root(
        tmp_path / "core",
        "test-core",
        EVENTBRIDGE_WITH_DETECTIONS + "  agentid:shard: {mode: core, environment: test}\n",
    )
    core = build_plan(registry, "test-core", today=DAY, root=core_root)
    assert not core.of_type("okta:app/oAuth:OAuth"), "the core deploys no agent"
    single_root = make_stack_root(tmp_path, "test", EVENTBRIDGE_WITH_DETECTIONS)
    single = _plan(registry, single_root)
    assert _detection_resources(core) == _detection_resources(single), "the same rules as the unsharded stack"
    member_root = make_stack_root(
        tmp_path / "member",
        "test-shard-0",
        EVENTBRIDGE_WITH_DETECTIONS
        + f"  agentid:shard: {{mode: member, environment: test, index: 0, count: 1, core: {CORE}}}\n",
    )
    member = build_plan(registry, "test-shard-0", today=DAY, root=member_root)
    assert member.of_type("okta:app/oAuth:OAuth"), "the member deploys the agents"
    assert not [r.urn for r in member.resources if r.type.startswith(("aws:", "agentid:aws:"))], (
        "rules live in the core"
    )
