#!/usr/bin/env python3
"""The stacks the deploy workflow runs, in order, read from the repository's ``Pulumi.<stack>.yaml`` files.

    scripts/deploy_stacks.py [--root DIR]                    JSON {"unsharded": [...], "sharded": [...]} for a matrix
    scripts/deploy_stacks.py [--root DIR] --environment ENV  ENV's stacks, core then members, one per line
    git diff --name-only --no-renames BASE HEAD | scripts/deploy_stacks.py --changed -
                                                             JSON {"include": [{"stack": ...}]}: the sharded
                                                             stacks a pull request touches, to preview

Why a script: a sharded environment (docs/scale.md, "Outgrowing one stack") is a core stack and N member stacks that
share the core's authorization server, so CI must deploy the core first and the members one at a time by index, then
compile one detection profile from all of them. The order and the grouping come from each file's ``agentid:shard``,
validated by agentid/stack.py, so a broken configuration stops the workflow before anything is deployed.

* ``unsharded``: stacks without ``agentid:shard`` (or ``mode: all``), every other stack first and ``prod`` last
  (dev before prod, as the workflow always deployed them).
* ``sharded``: matrix entries ``{"stack", "environment", "compile_profile"}``, environment by environment (prod last),
  each its core then its members by index; ``compile_profile`` is true on the environment's last member, whose job
  compiles the environment's one detection profile after every member is deployed.

``--changed`` (a file of changed paths, one a line; ``-`` for standard input) selects what a pull request must
preview: an agent file ``agents/<name>.yaml`` touches the member ``shard_of(name, count)`` of each sharded environment
(added, changed or deleted alike); a sharded stack's own ``Pulumi.<stack>.yaml`` touches that stack; the program,
the catalog, the policies or the dependencies (``infra/``, ``agentid/``, ``policies/``, ``Pulumi.yaml``,
``requirements.lock``) touch every sharded stack; anything else (docs, tests, workflows) none.

Exit 0, or 2 with one ``error:`` line per problem naming the stack file and the fix (nothing printed on stdout).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from agentid.stack import (  # noqa: E402
    SHARD_KEY,
    ShardConfig,
    ShardConfigError,
    ShardMode,
    parse_shard_config,
    shard_of,
    shard_setting,
)

#: Paths whose change can alter every stack's plan: the Pulumi program, the registry code, the catalog and policies.
PROGRAM_PREFIXES = ("infra/", "agentid/", "policies/")
PROGRAM_FILES = ("Pulumi.yaml", "requirements.lock")
AGENT_SUFFIXES = (".yaml", ".yml")


class StackOrderError(ValueError):
    """The stack files do not describe a deployable set of stacks; one message per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Environment:
    """A sharded environment: its core stack and its member stacks, ordered by index."""

    name: str
    core: str
    members: tuple[str, ...]

    @property
    def stacks(self) -> tuple[str, ...]:
        return (self.core, *self.members)


def _promotion_key(name: str) -> tuple[bool, str]:
    """``prod`` deploys after everything else (dev, staging, ...): a mistake shows up before production."""
    return (name == "prod", name)


def read_shards(root: Path) -> dict[str, ShardConfig]:
    """Every ``Pulumi.<stack>.yaml`` under ``root`` with its validated ``agentid:shard``."""
    configs: dict[str, ShardConfig] = {}
    problems: list[str] = []
    for path in sorted(root.glob("Pulumi.*.yaml")):
        stack = path.name[len("Pulumi.") : -len(".yaml")]
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            problems.append(f"{path.name}: cannot read it as YAML ({exc}); fix the file")
            continue
        config = document.get("config") if isinstance(document, Mapping) else None
        try:
            configs[stack] = parse_shard_config(shard_setting(config) if isinstance(config, Mapping) else None, stack)
        except ShardConfigError as exc:
            problems.append(str(exc))
    if problems:
        raise StackOrderError(problems)
    return configs


def plan(configs: Mapping[str, ShardConfig]) -> tuple[list[str], list[Environment]]:
    """Unsharded stacks and sharded environments, each checked to be complete and consistent."""
    unsharded = sorted((s for s, c in configs.items() if c.mode is ShardMode.ALL), key=_promotion_key)
    cores: dict[str, list[str]] = {}
    members: dict[str, list[tuple[str, ShardConfig]]] = {}
    for stack, config in configs.items():
        if config.mode is ShardMode.CORE:
            cores.setdefault(config.environment_of(stack), []).append(stack)
        elif config.mode is ShardMode.MEMBER:
            members.setdefault(config.environment_of(stack), []).append((stack, config))
    problems: list[str] = []
    environments = []
    for name in sorted({*cores, *members}, key=_promotion_key):
        problems.extend(_check_environment(name, cores.get(name, []), members.get(name, []), configs))
        if not problems:
            ordered = sorted(members[name], key=lambda item: item[1].index)
            environments.append(Environment(name, cores[name][0], tuple(stack for stack, _ in ordered)))
    if problems:
        raise StackOrderError(problems)
    return unsharded, environments


def _check_environment(
    name: str, cores: list[str], members: list[tuple[str, ShardConfig]], configs: Mapping[str, ShardConfig]
) -> list[str]:
    """One core, members numbered 0..count-1 exactly once with one count, each reading that core; no unsharded stack
    deploying the same agents beside them."""
    files = ", ".join(f"Pulumi.{s}.yaml" for s in sorted([*cores, *(m for m, _ in members)]))
    if len(cores) != 1:
        what = "no core stack" if not cores else f"{len(cores)} core stacks ({', '.join(sorted(cores))})"
        return [
            f"environment {name} ({files}) has {what}: give exactly one stack agentid:{SHARD_KEY} "
            f"{{mode: core, environment: {name}}} (e.g. Pulumi.{name}-core.yaml)"
        ]
    core = cores[0]
    if not members:
        return [
            f"environment {name}: core stack {core} has no member stack; add Pulumi.{name}-shard-00.yaml with "
            f"agentid:{SHARD_KEY} {{mode: member, environment: {name}, index: 0, count: 1, "
            f"core: <org>/<project>/{core}}}"
        ]
    problems = []
    if name in configs and configs[name].mode is ShardMode.ALL:
        problems.append(
            f"environment {name}: Pulumi.{name}.yaml deploys every {name} agent unsharded beside the core {core} "
            f"and its members, which would create each app twice; move its state to the members "
            "(`pulumi state move`, docs/scale.md) and remove the file"
        )
    counts = sorted({config.count for _, config in members})
    if len(counts) > 1:
        problems.append(
            f"environment {name}: its members disagree on count ({', '.join(map(str, counts))}): every member of an "
            "environment must use the same count, or agents land in two members or none"
        )
        return problems
    count = counts[0]
    by_index: dict[int, list[str]] = {}
    for stack, config in members:
        by_index.setdefault(config.index, []).append(stack)
        if config.core is None or config.core.rsplit("/", 1)[-1] != core:
            problems.append(
                f"Pulumi.{stack}.yaml: agentid:{SHARD_KEY}.core is {config.core}, but the core stack of {name} is "
                f"{core}; write <org>/<project>/{core}"
            )
    for index, stacks in sorted(by_index.items()):
        if len(stacks) > 1:
            problems.append(
                f"environment {name}: index {index} is used by {', '.join(sorted(stacks))}; give each member its own"
            )
    absent = [str(i) for i in range(count) if i not in by_index]
    if absent:
        problems.append(
            f"environment {name}: count is {count} but no member has index {', '.join(absent)}: the agents hashing "
            f"there would be deployed nowhere; add Pulumi.{name}-shard-NN.yaml for each"
        )
    return problems


def matrix(unsharded: list[str], environments: list[Environment]) -> dict[str, Any]:
    entries = [
        {"stack": stack, "environment": env.name, "compile_profile": stack == env.stacks[-1]}
        for env in environments
        for stack in env.stacks
    ]
    return {"unsharded": unsharded, "sharded": entries}


def touched(changed: list[str], environments: list[Environment], configs: Mapping[str, ShardConfig]) -> list[str]:
    """The sharded stacks whose preview a change of ``changed`` (repository-relative paths) can alter, in deploy
    order. Why per member: at 10,000 agents a one-agent pull request previews one member of ~500 agents, not all."""
    wanted: set[str] = set()
    for path in (line.strip() for line in changed):
        if not path:
            continue
        if path.startswith(PROGRAM_PREFIXES) or path in PROGRAM_FILES:
            return [stack for env in environments for stack in env.stacks]
        folder, _, name = path.rpartition("/")
        if folder == "agents" and name.endswith(AGENT_SUFFIXES):
            agent = name.rsplit(".", 1)[0]
            for env in environments:
                wanted.update(s for s in env.members if shard_of(agent, configs[s].count) == configs[s].index)
        elif not folder and name.startswith("Pulumi.") and name.endswith(".yaml"):
            wanted.add(name[len("Pulumi.") : -len(".yaml")])
    return [stack for env in environments for stack in env.stacks if stack in wanted]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--root", type=Path, default=Path(), help="directory holding Pulumi.<stack>.yaml (default: the current one)"
    )
    parser.add_argument("--environment", help="print this sharded environment's stacks, core first, one per line")
    parser.add_argument(
        "--changed",
        type=argparse.FileType("r", encoding="utf-8"),
        help="file of changed paths, one a line (- for standard input): print the sharded stacks to preview",
    )
    args = parser.parse_args(argv)
    try:
        configs = read_shards(args.root)
        unsharded, environments = plan(configs)
    except StackOrderError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    if args.changed is not None:
        stacks = touched(args.changed.read().splitlines(), environments, configs)
        print(json.dumps({"include": [{"stack": stack} for stack in stacks]}))
        return 0
    if args.environment is None:
        print(json.dumps(matrix(unsharded, environments)))
        return 0
    found = [env for env in environments if env.name == args.environment]
    if not found:
        names = ", ".join(env.name for env in environments) or "none"
        print(
            f"error: {args.environment} is not a sharded environment here; sharded environments: {names}",
            file=sys.stderr,
        )
        return 2
    print("\n".join(found[0].stacks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
