"""Sharding an environment's agents over member stacks: stable membership, complete partition, strict config."""

from __future__ import annotations

import collections
import re

import pytest

from agentid.stack import ShardConfig, ShardConfigError, ShardMode, in_shard, parse_shard_config, shard_of
from benchmarks.generate import valid_agent
from tests.conftest import TODAY

NAMES = [valid_agent(i, seed=5, today=TODAY)["name"] for i in range(2000)]
MEMBER = {"mode": "member", "environment": "prod", "index": 3, "count": 20, "core": "acme/agentid/prod-core"}


def test_membership_depends_on_the_name_alone():
    assert shard_of("finance-reconciler", 20) == shard_of("finance-reconciler", 20)
    before = {name: shard_of(name, 20) for name in NAMES[:1000]}
    after = {name: shard_of(name, 20) for name in NAMES}  # a thousand more agents registered
    assert all(after[name] == shard for name, shard in before.items()), "adding agents never moves another one"


def test_every_agent_lands_in_exactly_one_member_and_members_are_balanced():
    members = [ShardConfig(ShardMode.MEMBER, "prod", index, 20, "acme/agentid/prod-core") for index in range(20)]
    parts = [in_shard(NAMES, member, name_of=str) for member in members]
    assert sorted(name for part in parts for name in part) == sorted(NAMES)
    sizes = collections.Counter(shard_of(name, 20) for name in NAMES)
    assert max(sizes.values()) < 1.5 * len(NAMES) / 20, sizes  # 100 per shard expected


def test_core_deploys_no_agent_and_all_deploys_every_agent():
    assert in_shard(NAMES, ShardConfig(ShardMode.CORE, "prod"), name_of=str) == ()
    assert in_shard(NAMES, ShardConfig(), name_of=str) == tuple(NAMES)
    assert ShardConfig(ShardMode.CORE).deploys_shared_resources() and not ShardConfig(ShardMode.CORE).deploys_agents()
    member = parse_shard_config(MEMBER, "prod-shard-03")
    assert member.deploys_agents() and not member.deploys_shared_resources()
    assert member.environment_of("prod-shard-03") == "prod"
    assert ShardConfig().environment_of("dev") == "dev"


def test_absent_config_is_a_single_stack():
    assert parse_shard_config(None, "prod") == ShardConfig()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("member", "must be a mapping"),
        ({"mode": "shard"}, "use all, core or member"),
        ({**MEMBER, "index": 20}, "index must be a whole number from 0 to 19"),
        ({**MEMBER, "count": 0}, "count must be a whole number from 1 to 256"),
        ({**MEMBER, "core": "prod-core"}, "<org>/<project>/<stack>"),
        ({k: v for k, v in MEMBER.items() if k != "environment"}, "environment is required"),
        ({"mode": "core", "index": 1}, "only meaningful with mode: member"),
        ({**MEMBER, "team": "finance-systems"}, "unknown field(s) team"),
    ],
)
def test_bad_config_names_the_file_and_the_fix(value, message):
    with pytest.raises(ShardConfigError, match=re.escape("Pulumi.prod-shard-03.yaml: agentid:shard")) as caught:
        parse_shard_config(value, "prod-shard-03")
    assert message in str(caught.value)
