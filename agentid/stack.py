"""Stack configuration read by both the rules and the Pulumi program: how one environment's agents are split over
several Pulumi stacks (a core stack and N member, or shard, stacks).

It lives here, below both, because ``policies`` (the engine judges each stack) and ``infra`` (the program deploys
it) read the same ``agentid:shard`` setting, and policies and infra never import each other
(tests/test_layering.py enforces it).

Why (docs/scale.md): at 10,000 agents one stack holds ~40,000 resources, so a one-agent change previews the whole
registry and a ``--refresh`` reads every resource back from Okta (more than an hour of the management API budget).
Sharded, a change touches one member stack of a few hundred agents.

Stack configuration, ``agentid:shard`` in ``Pulumi.<stack>.yaml``:

* absent, or ``{mode: all}``: today's single stack (the default; nothing changes for small registries);
* ``{mode: core, environment: prod}``: only the shared resources: the authorization server and its scopes, the log
  stream and the detections; its outputs (``authorizationServerId``, ``issuer``, ``audience``) are what members read;
* ``{mode: member, environment: prod, index: 3, count: 20, core: acme/agentid/prod-core}``: only the agents of
  ``environment`` whose name hashes to shard ``index`` of ``count``, using the core's authorization server through a
  ``pulumi.StackReference`` to ``core``.

Membership is a stable hash of the agent name (SHA-256, not Python's salted ``hash``), so adding or removing an
agent never moves another agent to a different stack, and every machine computes the same answer. Changing
``count`` moves agents between stacks: do it with ``pulumi state move`` (see docs/scale.md), never by redeploying.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

#: Stack config key (``agentid:shard``).
SHARD_KEY = "shard"
#: The core stack's outputs a member reads through its StackReference.
CORE_OUTPUTS = ("issuer", "audience", "authorizationServerId")
#: A member may hold at most this many shards: beyond, Okta's org-wide rate limits, not stack size, bind (scale.md).
MAX_SHARDS = 256

T = TypeVar("T")


class ShardConfigError(ValueError):
    """``agentid:shard`` is unusable; the message names the stack file and what to write instead."""


class ShardMode(StrEnum):
    ALL = "all"
    CORE = "core"
    MEMBER = "member"


@dataclass(frozen=True, slots=True)
class ShardConfig:
    """Which part of an environment this stack deploys."""

    mode: ShardMode = ShardMode.ALL
    #: the ``environments`` value agents name (a member stack is called e.g. ``prod-shard-03``, its agents say ``prod``)
    environment: str | None = None
    index: int = 0
    count: int = 1
    #: fully qualified name of the core stack a member reads the authorization server from
    core: str | None = None

    def deploys_shared_resources(self) -> bool:
        return self.mode is not ShardMode.MEMBER

    def deploys_agents(self) -> bool:
        return self.mode is not ShardMode.CORE

    def environment_of(self, stack: str) -> str:
        """The environment whose agents this stack serves: ``environment`` when set, else the stack name."""
        return self.environment or stack


def shard_of(name: str, count: int) -> int:
    """The shard (0..count-1) of an agent: a stable hash of its name, independent of every other agent."""
    if count < 1:
        raise ValueError("count must be at least 1")
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


def in_shard(items: Iterable[T], config: ShardConfig, *, name_of: Any = lambda item: item.name) -> tuple[T, ...]:
    """The items (agents) this stack deploys: all of them unless it is a member stack."""
    if config.mode is ShardMode.CORE:
        return ()
    if config.mode is ShardMode.ALL:
        return tuple(items)
    return tuple(item for item in items if shard_of(name_of(item), config.count) == config.index)


def shard_setting(config: Mapping[str, Any]) -> Any:
    """``agentid:shard`` as a ``Pulumi.<stack>.yaml`` file's ``config`` mapping holds it, for code that reads stack
    files outside the Pulumi program (the policy engine, scripts/deploy_stacks.py): the ``{value: ...}`` form a
    config value may be written in is unwrapped, as Pulumi does."""
    value = config.get(f"agentid:{SHARD_KEY}")
    if isinstance(value, Mapping) and set(value) == {"value"}:
        return value["value"]
    return value


def _where(stack: str) -> str:
    return f"Pulumi.{stack}.yaml: agentid:{SHARD_KEY}"


def parse_shard_config(value: Any, stack: str) -> ShardConfig:
    """Validate ``agentid:shard``; ``None`` means a single, unsharded stack."""
    if value is None:
        return ShardConfig()
    if not isinstance(value, Mapping):
        raise ShardConfigError(
            f"{_where(stack)} must be a mapping, e.g. {{mode: member, environment: prod, index: 0, count: 20, "
            "core: acme/agentid/prod-core}"
        )
    allowed = {"mode", "environment", "index", "count", "core"}
    extra = sorted(set(value) - allowed)
    if extra:
        raise ShardConfigError(f"{_where(stack)} has unknown field(s) {', '.join(extra)}; allowed: {sorted(allowed)}")
    try:
        mode = ShardMode(value.get("mode", "all"))
    except ValueError:
        raise ShardConfigError(f"{_where(stack)}.mode is {value.get('mode')!r}; use all, core or member") from None
    environment = value.get("environment")
    if environment is not None and (not isinstance(environment, str) or not environment):
        raise ShardConfigError(f"{_where(stack)}.environment must be the environment name agents list, e.g. prod")
    if mode is not ShardMode.MEMBER:
        for field in ("index", "count", "core"):
            if field in value:
                raise ShardConfigError(f"{_where(stack)}.{field} is only meaningful with mode: member")
        return ShardConfig(mode=mode, environment=environment)
    count, index, core = value.get("count"), value.get("index"), value.get("core")
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_SHARDS:
        raise ShardConfigError(f"{_where(stack)}.count must be a whole number from 1 to {MAX_SHARDS}")
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < count:
        raise ShardConfigError(f"{_where(stack)}.index must be a whole number from 0 to {count - 1} (count is {count})")
    if not isinstance(core, str) or core.count("/") != 2:
        raise ShardConfigError(
            f"{_where(stack)}.core must name the core stack as <org>/<project>/<stack>, e.g. acme/agentid/prod-core"
        )
    if environment is None:
        raise ShardConfigError(
            f"{_where(stack)}.environment is required for a member stack: the environment its agents list (e.g. prod)"
        )
    return ShardConfig(mode=mode, environment=environment, index=index, count=count, core=core)
