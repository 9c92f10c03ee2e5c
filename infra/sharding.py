"""The program's name for :mod:`agentid.stack`, where the shard configuration lives (the rules read it too, and
policies never import infra). New code imports ``agentid.stack``."""

from agentid.stack import (
    CORE_OUTPUTS,
    MAX_SHARDS,
    SHARD_KEY,
    ShardConfig,
    ShardConfigError,
    ShardMode,
    in_shard,
    parse_shard_config,
    shard_of,
    shard_setting,
)

__all__ = [
    "CORE_OUTPUTS",
    "MAX_SHARDS",
    "SHARD_KEY",
    "ShardConfig",
    "ShardConfigError",
    "ShardMode",
    "in_shard",
    "parse_shard_config",
    "shard_of",
    "shard_setting",
]
