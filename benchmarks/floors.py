"""The floors: the least work any tool must do for the same input, each run as its own process.

``python -m benchmarks.floors yaml DIR``      parse every ``DIR/*.yaml`` with PyYAML's libyaml ``CSafeLoader``;
``python -m benchmarks.floors orjson FILE``   parse every line of ``FILE`` with orjson;
``python -m benchmarks.floors sdk COUNTS``    register resources under the Pulumi SDK mock engine, no project code.

They import nothing from agentid and parse their arguments by hand (no click, no argparse), so what they cost is
the interpreter, the parser library and the parsing itself. A tool cannot beat its floor; the benchmark reports how
far above it each command runs.
"""

from __future__ import annotations

import contextlib
import json
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


def _okta_resource(type_token: str, index: int, parent: Any) -> Any:
    """One resource of ``type_token`` from the real pulumi-okta classes, with inputs shaped like the program's."""
    import pulumi
    import pulumi_okta as okta

    name = f"floor-identity-{index:05d}"
    opts = pulumi.ResourceOptions(parent=parent) if parent is not None else None
    if type_token == "okta:app/oAuth:OAuth":
        return okta.app.OAuth(
            f"{name}-app",
            label=name,
            type="service",
            grant_types=["client_credentials"],
            response_types=["token"],
            token_endpoint_auth_method="private_key_jwt",
            jwks_uri=f"https://keys.example.com/agents/{name}/jwks.json",
            omit_secret=True,
            status="ACTIVE",
            opts=opts,
        )
    if type_token == "okta:auth/serverPolicy:ServerPolicy":
        return okta.auth.ServerPolicy(
            f"{name}-policy",
            auth_server_id="aus0floor",
            name=name,
            description=f"Access for {name}: reads meeting transcripts and writes action items.",
            priority=1,
            client_whitelists=[f"0oa{index:017d}"],
            opts=opts,
        )
    if type_token == "okta:auth/serverPolicyRule:ServerPolicyRule":
        return okta.auth.ServerPolicyRule(
            f"{name}-rule",
            auth_server_id="aus0floor",
            policy_id=f"00p{index:017d}",
            name=f"{name} client credentials",
            priority=1,
            grant_type_whitelists=["client_credentials"],
            scope_whitelists=["transcripts.read", "calendar.read"],
            access_token_lifetime_minutes=15,
            opts=opts,
        )
    if type_token == "okta:auth/serverScope:ServerScope":
        return okta.auth.ServerScope(
            f"scope-{index}", auth_server_id="aus0floor", name=f"scope{index}.read", consent="IMPLICIT", opts=opts
        )
    if type_token == "okta:auth/server:Server":
        return okta.auth.Server(f"server-{index}", name="agents", audiences=["api://agents"], opts=opts)
    if type_token == "okta:index/appOauthApiScope:AppOauthApiScope":
        return okta.AppOauthApiScope(
            f"{name}-api-scopes", app_id=f"0oa{index:017d}", issuer="https://example.okta.com",
            scopes=["okta.users.read"], opts=opts,
        )  # fmt: skip
    if type_token == "okta:app/oauthRoleAssignment:OauthRoleAssignment":
        return okta.app.OauthRoleAssignment(
            f"{name}-admin-role-read-only-admin", client_id=f"0oa{index:017d}", type="READ_ONLY_ADMIN", opts=opts
        )
    if type_token == "okta:index/logStream:LogStream":
        return okta.LogStream(f"log-stream-{index}", name="floor-system-log", type="aws_eventbridge", opts=opts)
    raise ValueError(f"the SDK floor has no stand-in for {type_token}")


def sdk_floor(counts: dict[str, int]) -> int:
    """Register ``counts[type]`` resources of each type directly under the SDK mock engine.

    Component types (no ``okta:`` prefix) become plain ``ComponentResource`` parents and the Okta resources are
    spread over them, as the program parents each identity's resources to its component.
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
    registered = 0

    async def body() -> None:
        nonlocal registered
        parents: list[Any] = []
        for type_token, count in counts.items():
            if not type_token.startswith("okta:"):
                parents += [pulumi.ComponentResource(type_token, f"component-{i:05d}") for i in range(count)]
                registered += count
        for type_token, count in counts.items():
            if type_token.startswith("okta:"):
                for index in range(count):
                    _okta_resource(type_token, index, parents[index % len(parents)] if parents else None)
                registered += count

    _sync_await(run_pulumi_func(body))
    return registered


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("yaml", "orjson", "sdk"):
        print("usage: python -m benchmarks.floors {yaml DIR | orjson FILE | sdk COUNTS_JSON}", file=sys.stderr)
        return 2
    kind, argument = argv
    if kind == "yaml":
        count = yaml_floor(Path(argument))
    elif kind == "orjson":
        count = orjson_floor(Path(argument))
    else:
        count = sdk_floor(json.loads(Path(argument).read_text(encoding="utf-8")))
    print(count)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
