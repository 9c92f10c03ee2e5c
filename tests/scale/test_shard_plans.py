"""Core and member stacks under the SDK mock engine: the offline plan of each part of a sharded environment.

The sample registry is small, so it is split into 3 members; the property checked is the one production relies on:
the members together deploy exactly the identities of the single (unsharded) stack, each exactly once, against the
core's authorization server, and the core deploys no agent.
"""

from __future__ import annotations

import pytest

from agentid.plan import PlanError, build_plan
from agentid.stack import shard_of
from tests.conftest import TODAY
from tests.plan.conftest import EVENTBRIDGE_STACK, make_stack_root

COUNT = 3
CORE = "acme/agentid/prod-core"
APP = "okta:app/oAuth:OAuth"


def core_stack() -> str:
    return EVENTBRIDGE_STACK + "  agentid:shard: {mode: core, environment: dev}\n"


def member_stack(index: int) -> str:
    shard = f"{{mode: member, environment: dev, index: {index}, count: {COUNT}, core: {CORE}}}"
    return EVENTBRIDGE_STACK + f"  agentid:shard: {shard}\n"


@pytest.fixture(scope="module")
def single_plan(sample_registry, tmp_path_factory):
    root = make_stack_root(tmp_path_factory.mktemp("single"), "dev", EVENTBRIDGE_STACK)
    return build_plan(sample_registry, "dev", today=TODAY, root=root)


def test_core_declares_the_shared_resources_and_no_agent(sample_registry, single_plan, tmp_path):
    root = make_stack_root(tmp_path, "dev-core", core_stack())
    core = build_plan(sample_registry, "dev-core", today=TODAY, root=root)
    assert not core.of_type(APP), "a core stack deploys no agent"
    assert len(core.of_type("okta:auth/server:Server")) == 1
    assert len(core.of_type("okta:index/logStream:LogStream")) == 1
    scopes = {s.inputs["name"] for s in core.of_type("okta:auth/serverScope:ServerScope")}
    expected = {s.inputs["name"] for s in single_plan.of_type("okta:auth/serverScope:ServerScope")}
    assert scopes == expected, "the core declares every scope the environment's agents use"
    assert set(core.outputs) == {"issuer", "audience", "authorizationServerId"}


def test_members_partition_the_environment_against_the_core_server(sample_registry, single_plan, tmp_path):
    seen: list[str] = []
    for index in range(COUNT):
        (tmp_path / f"m{index}").mkdir()
        root = make_stack_root(tmp_path / f"m{index}", f"dev-shard-{index}", member_stack(index))
        member = build_plan(sample_registry, f"dev-shard-{index}", today=TODAY, root=root)
        assert not member.of_type("okta:auth/server:Server"), "members never create the server"
        assert not member.of_type("okta:auth/serverScope:ServerScope"), "scopes live in the core"
        assert not member.of_type("okta:index/logStream:LogStream"), "one log stream per org, in the core"
        for policy in member.of_type("okta:auth/serverPolicy:ServerPolicy"):
            assert policy.inputs["authServerId"] == f"<{CORE}.authorizationServerId>", policy.urn
        for app in member.of_type(APP):
            agent = app.agent
            assert shard_of(agent, COUNT) == index, f"{app.urn} is in member {index}"
            seen.append(app.inputs["label"])
        assert member.outputs["authorizationServerId"] == f"<{CORE}.authorizationServerId>"
    single = sorted(app.inputs["label"] for app in single_plan.of_type(APP))
    assert sorted(seen) == single, "the members together deploy every identity of the single stack, once"


def test_a_member_without_its_core_reference_is_refused(sample_registry, tmp_path):
    stack = member_stack(0).replace(f", core: {CORE}", "")
    root = make_stack_root(tmp_path, "dev-shard-0", stack)
    with pytest.raises(PlanError, match=r"agentid:shard\.core must name the core stack"):
        build_plan(sample_registry, "dev-shard-0", today=TODAY, root=root)
