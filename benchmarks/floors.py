"""The floors: the least work any tool must do for the same input, each run as its own process.

``python -m benchmarks.floors yaml DIR``      parse every ``DIR/*.yaml`` with PyYAML's libyaml ``CSafeLoader``;
``python -m benchmarks.floors orjson FILE``   parse every line of ``FILE`` with orjson;
``python -m benchmarks.floors sdk PLAN``      register a plan's resources (``agentid plan --format json``) under the
                                              Pulumi SDK mock engine: same types, names, parents and inputs.

They import nothing from agentid and parse their arguments by hand (no click, no argparse), so what they cost is
the interpreter, the parser library and the parsing itself. A tool cannot beat its floor; the benchmark reports how
far above it each command runs.

Every floor runs with Python's cyclic garbage collector disabled before it imports its library: collecting is not
work a tool must do (agentid pauses the collector too while it loads a registry, detects and plans), and an SDK
floor that spent ~40% of its CPU collecting would make the plan's ratio a matter of collector policy.
``--default-collector`` before the floor's name leaves the collector on, so that variant can be shown alongside.
Measured at 1,000 agents (CPU seconds, medians of alternating runs, collector on -> off): sdk 10.75 -> 6.38 (-41%),
yaml 0.273 -> 0.273, orjson 1.34 -> 1.36 (noise); so only the SDK floor's default-collector variant is reported.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any


def yaml_floor(directory: Path) -> int:
    """Parse each file as plain data; unreadable files count as parsed (a checker must read them too)."""
    import yaml

    parsed = 0
    for path in sorted(directory.glob("*.yaml")):
        with contextlib.suppress(yaml.YAMLError):
            yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
        parsed += 1
    return parsed


def orjson_floor(path: Path) -> int:
    """Parse each non-blank line of a JSON-lines file."""
    import orjson

    parsed = 0
    with path.open("rb") as handle:
        for line in handle:
            if line.strip():
                orjson.loads(line)
                parsed += 1
    return parsed


def _sdk_class(type_token: str) -> type | None:
    """The provider SDK's class for ``type_token`` by Pulumi's naming convention, or None for a component type.

    ``okta:app/oAuth:OAuth`` is ``pulumi_okta.app.OAuth``, ``okta:index/logStream:LogStream`` is
    ``pulumi_okta.LogStream``, ``pulumi:providers:aws`` is ``pulumi_aws.Provider``; a type whose package has no
    installed SDK (the program's own ``agentid:okta:AgentIdentity``) is a component. The real classes are used so the
    floor imports and runs what the program does (pulumi_okta, pulumi_aws, their input types).
    """
    package, module, name = type_token.split(":")
    if package == "pulumi" and module == "providers":
        return importlib.import_module(f"pulumi_{name}").Provider
    if importlib.util.find_spec(f"pulumi_{package}") is None:
        return None
    segment = module.split("/")[0]
    sdk = importlib.import_module(f"pulumi_{package}" if segment == "index" else f"pulumi_{package}.{segment}")
    return getattr(sdk, name)


def _python_name(wire_name: str) -> str:
    """``grantTypes`` -> ``grant_types``: the keyword a generated SDK class takes for an engine input name."""
    return _CAMEL_HUMP.sub("_", wire_name).lower()


_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _provider_value(value: Any) -> Any:
    """A provider input as the program passed it: the engine receives a provider's non-string inputs JSON-encoded
    (``False`` arrives as ``"false"``), so the plan shows them that way and the floor decodes them back."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            decoded = json.loads(value)
            if not isinstance(decoded, str):
                return decoded
    return value


def sdk_floor(resources: list[dict[str, Any]]) -> int:
    """Register each resource of a plan (``{"type", "name", "parent", "inputs"}``, as ``agentid plan --format json``
    prints them) under the SDK mock engine: same type, logical name, parent and inputs, nothing else.

    Inputs are passed as the plain values the plan shows (a value the program wires from another resource's output,
    shown as ``<name.id>``, is passed as that string), so the floor does no Output wiring and runs no project code.
    A provider resource is passed as ``provider=`` to the resources of its package under the same parent, as a
    program pins its children to it. Parents are registered before their children whatever the order of the list.
    """
    import pulumi
    from pulumi.runtime import mocks
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    class FloorMocks(mocks.Mocks):
        def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
            return (f"{args.name}.id", dict(args.inputs)) if args.custom else ("", {})

        def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
            return {}, None

    mocks.set_mocks(FloorMocks(), project="floor", stack="floor", preview=True)
    by_name = {resource["name"]: resource for resource in resources}
    registered: dict[str, Any] = {}
    providers: dict[tuple[str | None, str], Any] = {}  # (parent, package) -> provider resource

    def register(resource: dict[str, Any]) -> Any:
        name = resource["name"]
        if name in registered:
            return registered[name]
        parent_name = resource.get("parent")
        parent = register(by_name[parent_name]) if parent_name in by_name else None
        type_token = resource["type"]
        package = type_token.split(":")[0]
        provider = providers.get((parent_name, package)) if package != "pulumi" else None
        opts = pulumi.ResourceOptions(parent=parent, provider=provider) if parent or provider else None
        cls = _sdk_class(type_token)
        if cls is None:
            registered[name] = pulumi.ComponentResource(type_token, name, None, opts)
        else:
            inputs = resource.get("inputs", {})
            if type_token.startswith("pulumi:providers:"):
                inputs = {key: _provider_value(value) for key, value in inputs.items()}
            kwargs = {_python_name(key): value for key, value in inputs.items()}
            registered[name] = cls(name, opts=opts, **kwargs)
            if type_token.startswith("pulumi:providers:"):
                providers[(parent_name, type_token.rsplit(":", 1)[1])] = registered[name]
        return registered[name]

    async def body() -> None:
        # providers first, so a sibling listed before its provider is still pinned to it
        for resource in sorted(resources, key=lambda r: not r["type"].startswith("pulumi:providers:")):
            register(resource)

    _sync_await(run_pulumi_func(body))
    return len(registered)


USAGE = "usage: python -m benchmarks.floors [--default-collector] {yaml DIR | orjson FILE | sdk PLAN_JSON}"


def main(argv: list[str]) -> int:
    """Run one floor with the cyclic collector off (``--default-collector`` leaves it on, for comparison)."""
    default_collector = argv[:1] == ["--default-collector"]
    if default_collector:
        argv = argv[1:]
    if len(argv) != 2 or argv[0] not in ("yaml", "orjson", "sdk"):
        print(USAGE, file=sys.stderr)
        return 2
    if not default_collector:
        gc.disable()  # before the parser libraries are imported: collecting is not work a tool must do
    kind, argument = argv
    if kind == "yaml":
        count = yaml_floor(Path(argument))
    elif kind == "orjson":
        count = orjson_floor(Path(argument))
    else:
        count = sdk_floor(json.loads(Path(argument).read_bytes())["resources"])
    print(count)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
