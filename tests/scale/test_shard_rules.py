"""The stack rules on a sharded environment: a member stack (``dev-shard-1``) deploys the agents that list its
environment (``dev``) and relies on its core stack's log stream, so neither `agent-outside-environment` nor
`stack-has-log-stream` may fail it; both still fail a member that deploys agents of another environment, and a core
or single stack without a stream."""

from __future__ import annotations

import pytest

from agentid.plan import build_plan
from policies.engine import evaluate, load_stack_shards
from tests.conftest import TODAY
from tests.plan.conftest import EVENTBRIDGE_STACK, make_stack_root
from tests.scale.test_shard_plans import COUNT, core_stack, member_stack

PLAN_RULES = {"agent-outside-environment", "stack-has-log-stream"}


@pytest.fixture(scope="module")
def sharded_root(tmp_path_factory):
    """A project with the core and every member stack of the sample registry's dev environment."""
    root = make_stack_root(tmp_path_factory.mktemp("sharded"), "dev-core", core_stack())
    for index in range(COUNT):
        (root / f"Pulumi.dev-shard-{index}.yaml").write_text(member_stack(index), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def member_plans(sample_registry, sharded_root):
    plans = [build_plan(sample_registry, f"dev-shard-{i}", today=TODAY, root=sharded_root) for i in range(COUNT)]
    assert sum(len(p.resources) for p in plans) > 0
    return plans


def plan_rule_findings(registry, plan, shards):
    found = evaluate(registry, today=TODAY, stack=plan.stack, resources=list(plan.resources), stack_shards=shards)
    return [f for f in found if f.rule in PLAN_RULES]


def test_stack_files_say_which_environment_each_sharded_stack_serves(sharded_root):
    (sharded_root / "Pulumi.staging.yaml").write_text(EVENTBRIDGE_STACK, encoding="utf-8")
    broken = member_stack(0).replace("index: 0", "index: 7")  # index beyond count: infra/config.py reports it
    (sharded_root / "Pulumi.dev-shard-broken.yaml").write_text(broken, encoding="utf-8")
    try:
        environments, members = load_stack_shards(sharded_root)
    finally:
        (sharded_root / "Pulumi.staging.yaml").unlink()
        (sharded_root / "Pulumi.dev-shard-broken.yaml").unlink()
    assert environments == {"dev-core": "dev", **{f"dev-shard-{i}": "dev" for i in range(COUNT)}}
    assert members == {f"dev-shard-{i}" for i in range(COUNT)}


def test_member_stacks_pass_the_environment_and_log_stream_rules(sample_registry, sharded_root, member_plans):
    shards = load_stack_shards(sharded_root)
    for plan in member_plans:
        assert plan_rule_findings(sample_registry, plan, shards) == [], plan.stack


def test_without_the_shard_config_a_member_would_fail_both_rules(sample_registry, member_plans):
    """What the rules said before they read ``agentid:shard``: the test above is not passing vacuously."""
    plan = next(p for p in member_plans if any(r.agent for r in p.resources))
    rules = {f.rule for f in plan_rule_findings(sample_registry, plan, None)}
    assert rules == PLAN_RULES


def test_a_member_deploying_another_environments_agents_fails(sample_registry, sharded_root, member_plans):
    environments, members = load_stack_shards(sharded_root)
    plan = next(p for p in member_plans if any(r.agent for r in p.resources))
    misfiled = ({**environments, plan.stack: "staging"}, members)
    found = plan_rule_findings(sample_registry, plan, misfiled)
    assert {f.rule for f in found} == {"agent-outside-environment"}
    assert f"the {plan.stack} (environment staging) plan deploys" in found[0].message


def test_the_core_stack_is_judged_on_its_own_log_stream(sample_registry, sharded_root):
    shards = load_stack_shards(sharded_root)
    core = build_plan(sample_registry, "dev-core", today=TODAY, root=sharded_root)
    assert plan_rule_findings(sample_registry, core, shards) == []
    streamless = [r for r in core.resources if r.type != "okta:index/logStream:LogStream"]
    found = evaluate(sample_registry, today=TODAY, stack="dev-core", resources=streamless, stack_shards=shards)
    assert "stack-has-log-stream" in {f.rule for f in found}
