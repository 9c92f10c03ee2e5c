"""The floors do what their docstring claims: the SDK floor registers exactly the plan's resources (type, logical
name, parent, inputs) through the real mock engine, and every floor runs with the cyclic collector off unless asked
for the default. No timing is asserted."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks import floors
from benchmarks.generate import generate
from tests.conftest import CATALOG, REPO, TODAY

#: Runs the SDK floor and records what the mock engine's monitor receives for every registration, and whether the
#: collector was enabled at that moment (the floor must have switched it off before the SDK ran).
RECORDER = """
import gc, json, sys
from google.protobuf import json_format
from pulumi.runtime import mocks
from benchmarks import floors

seen = []
register = mocks.MockMonitor.RegisterResource

def recording(self, request):
    if request.type != "pulumi:pulumi:Stack":
        parent_type = request.parent.split("::")[2] if request.parent else ""
        seen.append({
            "type": request.type,
            "name": request.name,
            "parent": None if parent_type.endswith("pulumi:pulumi:Stack") else request.parent.rsplit("::", 1)[-1],
            "inputs": json_format.MessageToDict(request.object),
            "collector": gc.isenabled(),
        })
    return register(self, request)

mocks.MockMonitor.RegisterResource = recording
status = floors.main(sys.argv[2:])
json.dump({"status": status, "seen": seen}, open(sys.argv[1], "w"))
"""


def floor_registrations(plan: Path, tmp_path: Path, *options: str) -> list[dict[str, Any]]:
    out = tmp_path / "registrations.json"
    run = subprocess.run([sys.executable, "-c", RECORDER, str(out), *options, "sdk", str(plan)],
                         capture_output=True, text=True, cwd=REPO)  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    recorded = json.loads(out.read_text(encoding="utf-8"))
    assert recorded["status"] == 0
    return recorded["seen"]


def assert_floor_registers_the_plan(plan_path: Path, tmp_path: Path) -> list[dict[str, Any]]:
    planned = json.loads(plan_path.read_text(encoding="utf-8"))["resources"]
    seen = floor_registrations(plan_path, tmp_path)
    assert len(seen) == len(planned)
    by_name = {r["name"]: r for r in seen}
    for resource in planned:
        registered = by_name[resource["name"]]
        assert (registered["type"], registered["parent"]) == (resource["type"], resource["parent"]), resource["name"]
        assert registered["inputs"] == resource["inputs"], resource["name"]  # plain values, same shape and keys
    return seen


def test_the_sdk_floor_registers_what_a_generated_plan_registers(tmp_path, repo):
    """Five generated agents planned by the CLI exactly as the benchmark does, then the floor on that plan JSON."""
    generate(tmp_path / "valid", 5, today=TODAY, violation_rate=0.0)
    plan = subprocess.run(
        [sys.executable, "-m", "agentid.cli.main", "plan", "--stack", "prod", "--agents",
         str(tmp_path / "valid" / "agents"), "--catalog", str(CATALOG),
         "--today", TODAY.isoformat(), "--format", "json"],
        capture_output=True, cwd=repo,
    )  # fmt: skip
    assert plan.returncode == 0, plan.stderr[-2000:]
    path = tmp_path / "plan.json"
    path.write_bytes(plan.stdout)
    seen = assert_floor_registers_the_plan(path, tmp_path)
    types = {r["type"] for r in seen}
    assert {"okta:app/oAuth:OAuth", "agentid:okta:AgentIdentity", "pulumi:providers:aws"} <= types
    assert not any(r["collector"] for r in seen)


def test_the_sdk_floor_has_the_real_class_for_every_type_the_program_declares(sample_registry, tmp_path):
    """A type the floor cannot register leaves the plan target unmeasured: the sample registry with detections
    declares every type the program knows (plugins, Okta admin roles, the aws provider and its EventBridge rules)."""
    from agentid.plan import build_plan
    from tests.plan.conftest import EVENTBRIDGE_STACK, make_stack_root

    stack = EVENTBRIDGE_STACK + (
        "  agentid:detections: {enabled: true, targetArn: 'arn:aws:sns:eu-west-1:123456789012:agentid-alerts'}\n"
    )
    plan = build_plan(sample_registry, "dev", today=TODAY, root=make_stack_root(tmp_path, "dev", stack))
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"stack": "dev", "resources": [r.to_dict() for r in plan.resources]}), "utf-8")
    seen = assert_floor_registers_the_plan(path, tmp_path)
    types = {r["type"] for r in seen}
    assert {"okta:app/oauthRoleAssignment:OauthRoleAssignment", "aws:cloudwatch/eventRule:EventRule"} <= types


def test_a_type_without_an_sdk_is_a_component_and_providers_come_from_their_package():
    assert floors._sdk_class("agentid:okta:AgentIdentity") is None
    assert floors._sdk_class("okta:app/oAuth:OAuth").__module__.startswith("pulumi_okta.app")
    assert floors._sdk_class("okta:index/logStream:LogStream").__name__ == "LogStream"
    assert floors._sdk_class("pulumi:providers:aws").__module__.startswith("pulumi_aws")
    assert floors._python_name("accessTokenLifetimeMinutes") == "access_token_lifetime_minutes"
    assert floors._provider_value("false") is False and floors._provider_value("eu-west-1") == "eu-west-1"


def test_the_default_collector_variant_leaves_the_collector_on(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"resources": [
        {"type": "agentid:okta:AgentIdentity", "name": "finance-reconciler", "parent": None, "inputs": {}},
        {"type": "okta:app/oAuth:OAuth", "name": "finance-reconciler-app", "parent": "finance-reconciler",
         "inputs": {"label": "agentid:finance-reconciler", "type": "service"}},
    ]}), encoding="utf-8")  # fmt: skip
    strict = floor_registrations(path, tmp_path)
    default = floor_registrations(path, tmp_path, "--default-collector")
    assert [r["collector"] for r in strict] == [False, False]
    assert [r["collector"] for r in default] == [True, True]
    assert [r["inputs"] for r in strict] == [r["inputs"] for r in default]


@pytest.mark.parametrize("kind", ["yaml", "orjson"])
def test_the_parse_floors_run_with_the_collector_off(kind, tmp_path, monkeypatch):
    generate(tmp_path, 2, today=TODAY, violation_rate=0.0)
    events = tmp_path / "events.jsonl"
    events.write_bytes(b'{"eventType": "app.oauth2.as.token.grant.access_token"}\n')
    argument = str(tmp_path / "agents") if kind == "yaml" else str(events)
    floor = getattr(floors, f"{kind}_floor")
    states: list[bool] = []

    def observed(path: Path) -> int:
        states.append(gc.isenabled())
        return floor(path)

    monkeypatch.setattr(floors, f"{kind}_floor", observed)
    try:
        assert floors.main([kind, argument]) == 0
        gc.enable()  # as a new process starts
        assert floors.main(["--default-collector", kind, argument]) == 0
    finally:
        gc.enable()
    assert states == [False, True]
