#!/usr/bin/env python3
"""The stacks the deploy workflow runs, in order, read from the repository's ``Pulumi.<stack>.yaml`` files.

    scripts/deploy_stacks.py [--root DIR]                    JSON {"unsharded": [...], "sharded": [...]} for a matrix
    scripts/deploy_stacks.py [--root DIR] --environment ENV  ENV's stacks, core then members, one per line
    git diff --name-only --no-renames BASE HEAD | scripts/deploy_stacks.py --changed -
                                                             JSON {"include": [{"stack": ...}]}: the sharded
                                                             stacks a pull request touches, to preview
    scripts/deploy_stacks.py --detection-args STACK          the stack's agentid:detections deployers and allowed
                                                             clients as `agentid detections` options, NUL-delimited
    scripts/deploy_stacks.py [--root DIR] --rightsize        JSON {"include": [{"environment": ..., "stacks": [...]}]}:
                                                             one right-sizing run per deploy environment

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

``--rightsize`` lists what the monthly right-sizing (``.github/workflows/rightsize.yml``, docs/rightsizing.md) runs
on: one entry per deploy environment, an unsharded stack on its own (``{"environment": "dev", "stacks": ["dev"]}``)
and a sharded environment once with its core and every member (``{"environment": "prod", "stacks": ["prod-core",
"prod-shard-00", ...]}``). Per environment, not per stack: the agents name the environment (``--stack prod`` selects
them all), a member's outputs hold only its own agents' client ids, so the run merges every stack's outputs
(``--client-ids`` once per stack) and reads the org's System Log once; a run per member would read the same month
once per member and open one pull request per team per member, and the core deploys no agent at all.

Only reviewed deploy environments deploy (issue 15): ``.github/deploy-stacks.txt`` lists, one a line, the GitHub
environments the deploy workflow may run through: an unsharded stack's name, or a sharded environment's name. Each
must be a GitHub environment with required reviewers; the file is owned by the security team (CODEOWNERS), so a pull
request adding ``Pulumi.qa.yaml`` cannot also make it deployable without that review. A stack file outside the list
stops the listing (and so the deploy and the pull-request gate) with an error naming the file and the fix.

Stack names must be Pulumi stack names (letters, digits, ``-``, ``_``, ``.``), and ``--detection-args`` refuses any
deployer or client id that is not an Okta id (letters and digits only): the workflow reads the output with
``mapfile -d ''``, so no value is word-split, and none can be a newline-separated extra option (issue 15, finding 10).

Exit 0, or 2 with one ``error:`` line per problem naming the stack file and the fix (nothing printed on stdout).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from agentid.output.inert import log_text  # noqa: E402
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
#: The reviewed allow-list of deploy environments (security-owned through CODEOWNERS).
ALLOW_LIST = ".github/deploy-stacks.txt"
#: Pulumi stack names: letters, digits, hyphens, underscores and periods
#: (https://www.pulumi.com/docs/iac/concepts/stacks/#create-stack). Nothing a shell or a YAML key would misread.
STACK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
#: An Okta object id (``0oa...`` apps, ``00u...`` users): letters and digits only, 20 characters in Okta's API; a
#: little slack either side for readable test ids, none for wildcards, spaces, newlines or a leading ``-``.
OKTA_ID = re.compile(r"[A-Za-z0-9]{16,32}")
DETECTION_OPTIONS = (("--deployer-id", "deployerIds"), ("--allow-client", "allowedClientIds"))


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
        if not STACK_NAME.fullmatch(stack):
            problems.append(
                f"{path.name!r}: {stack!r} is not a Pulumi stack name (letters, digits, '-', '_', '.'); rename the file"
            )
            continue
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


def read_allow_list(root: Path) -> set[str]:
    """The deploy environments listed in ``.github/deploy-stacks.txt`` (``#`` comments and blank lines ignored)."""
    path = root / ALLOW_LIST
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StackOrderError(
            [f"{ALLOW_LIST} does not exist: list the deploy environments (e.g. dev and prod), one a line"]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StackOrderError([f"{ALLOW_LIST}: cannot read it ({exc})"]) from None
    names, problems = set(), []
    for number, line in enumerate(text.splitlines(), 1):
        name = line.split("#", 1)[0].strip()
        if not name:
            continue
        if not STACK_NAME.fullmatch(name):
            problems.append(f"{ALLOW_LIST}:{number}: {name!r} is not a stack or environment name")
        names.add(name)
    if problems:
        raise StackOrderError(problems)
    return names


def check_allowed(unsharded: list[str], environments: list[Environment], allowed: set[str]) -> None:
    """Every deploy environment the stack files describe is in the reviewed allow-list, or nothing deploys."""
    problems = [
        f"Pulumi.{stack}.yaml: stack {stack} is not in {ALLOW_LIST}, so it would deploy through a GitHub environment "
        f"nobody reviewed; add {stack} there (a security-owned file) after creating the GitHub environment {stack} "
        "with required reviewers, or remove the stack file"
        for stack in unsharded
        if stack not in allowed
    ]
    problems += [
        f"{', '.join(f'Pulumi.{s}.yaml' for s in env.stacks)}: sharded environment {env.name} is not in {ALLOW_LIST}; "
        f"add {env.name} there (a security-owned file) after creating the GitHub environment {env.name} with "
        "required reviewers, or remove the stack files"
        for env in environments
        if env.name not in allowed
    ]
    if problems:
        raise StackOrderError(problems)


def detection_args(root: Path, stack: str) -> list[str]:
    """``--deployer-id ID`` / ``--allow-client ID`` for every id in ``Pulumi.<stack>.yaml``'s agentid:detections, each
    checked to be an Okta id: the values become command-line arguments in the deploy job."""
    path = root / f"Pulumi.{stack}.yaml"
    if not STACK_NAME.fullmatch(stack):
        raise StackOrderError([f"{stack!r} is not a stack name"])
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise StackOrderError([f"{path.name}: cannot read it as YAML ({exc}); fix the file"]) from None
    config = document.get("config") if isinstance(document, Mapping) else None
    detections = config.get("agentid:detections") if isinstance(config, Mapping) else None
    if isinstance(detections, Mapping) and set(detections) == {"value"}:  # the {value: ...} form of Pulumi config
        detections = detections["value"]
    if detections is None:
        return []
    if not isinstance(detections, Mapping):
        raise StackOrderError([f"{path.name}: agentid:detections must be a mapping"])
    args, problems = [], []
    for option, key in DETECTION_OPTIONS:
        values = detections.get(key) or []
        if not isinstance(values, list):
            problems.append(f"{path.name}: agentid:detections.{key} must be a list of Okta ids")
            continue
        for index, value in enumerate(values):
            if not isinstance(value, str) or not OKTA_ID.fullmatch(value):
                problems.append(
                    f"{path.name}: agentid:detections.{key}[{index}] is {value!r}, not an Okta id (letters and "
                    "digits only, e.g. 0oa1b2c3d4e5f6g7h8i9); fix the stack file"
                )
            else:
                args += [option, value]
    if problems:
        raise StackOrderError(problems)
    return args


def matrix(unsharded: list[str], environments: list[Environment]) -> dict[str, Any]:
    entries = [
        {"stack": stack, "environment": env.name, "compile_profile": stack == env.stacks[-1]}
        for env in environments
        for stack in env.stacks
    ]
    return {"unsharded": unsharded, "sharded": entries}


def rightsize_targets(unsharded: list[str], environments: list[Environment]) -> dict[str, Any]:
    """One matrix entry per deploy environment (prod last): its name, which ``agentid rightsize --stack`` takes and
    the ``<environment>-read`` GitHub environment is named after, and every stack whose outputs hold its client ids.
    An unsharded stack is its own environment."""
    targets = [(stack, [stack]) for stack in unsharded] + [(env.name, list(env.stacks)) for env in environments]
    targets.sort(key=lambda target: _promotion_key(target[0]))
    return {"include": [{"environment": name, "stacks": stacks} for name, stacks in targets]}


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
        "--detection-args",
        metavar="STACK",
        help="print STACK's agentid:detections ids as agentid options, NUL-delimited (read with mapfile -d '')",
    )
    parser.add_argument(
        "--changed",
        type=argparse.FileType("r", encoding="utf-8"),
        help="file of changed paths, one a line (- for standard input): print the sharded stacks to preview",
    )
    parser.add_argument(
        "--rightsize",
        action="store_true",
        help="print one entry per deploy environment with its stacks, for the monthly right-sizing matrix",
    )
    args = parser.parse_args(argv)
    try:
        if args.detection_args is not None:
            options = detection_args(args.root, args.detection_args)
            sys.stdout.write("".join(f"{value}\0" for value in options))
            return 0
        configs = read_shards(args.root)
        unsharded, environments = plan(configs)
        check_allowed(unsharded, environments, read_allow_list(args.root))
    except StackOrderError as exc:
        for problem in exc.problems:  # problems quote stack-file text: one inert line each in the job's log
            print(f"error: {log_text(problem)}", file=sys.stderr)
        return 2
    if args.changed is not None:
        stacks = touched(args.changed.read().splitlines(), environments, configs)
        print(json.dumps({"include": [{"stack": stack} for stack in stacks]}))
        return 0
    if args.rightsize:
        print(json.dumps(rightsize_targets(unsharded, environments)))
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
