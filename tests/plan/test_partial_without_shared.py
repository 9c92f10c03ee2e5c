"""A partial plan that leaves the shared resources out (``build_plan(..., only=..., shared=False)``, used by the
incremental plan when the shared bundle is cached) gives the named agents exactly the resources, inputs and
dependencies the whole program gives them, and registers nothing else.

The sample registry: prod deploys six agents; finance-reconciler holds restricted scopes and support-triage a plugin."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

import agentid.plan.incremental as incremental
from agentid.plan import build_plan
from infra.program import declare
from tests.conftest import TODAY
from tests.plan.test_incremental_cli import _edit_lifetime, cached, run

__all__ = ["cached"]  # the fixture, imported for these tests

AGENTS = ("finance-reconciler", "support-triage")


def _resources(plan, agents: tuple[str, ...]) -> list[tuple]:
    return [
        (r.type, r.name, r.urn, r.parent, r.agent, json.dumps(r.inputs, sort_keys=True), plan.options[r.urn])
        for r in plan.resources
        if r.agent in agents
    ]


def _plans(registry, root: Path, stack: str = "prod"):
    full = build_plan(registry, stack, today=TODAY, root=root)
    partial = build_plan(registry, stack, today=TODAY, root=root, only=frozenset(AGENTS), shared=False)
    return full, partial


def test_the_named_agents_get_what_the_whole_program_gives_them(sample_registry, repo):
    full, partial = _plans(sample_registry, repo)
    assert {r.agent for r in partial.resources} == set(AGENTS), "no shared resource is registered"
    assert _resources(partial, AGENTS) == _resources(full, AGENTS)
    rules = [r for r in partial.resources if r.type == "okta:auth/serverPolicyRule:ServerPolicyRule"]
    assert rules and all("okta-authorization-server" in partial.options[r.urn].depends_on for r in rules), (
        "a rule still depends on the authorization server it reads the id of"
    )
    assert any(name.startswith("scope-") for r in rules for name in partial.options[r.urn].depends_on), (
        "a rule still waits for its scopes"
    )


def test_an_adopted_server_is_its_id_as_in_the_whole_program(sample_registry, repo, tmp_path):
    """A stack that reuses an existing authorization server (agentid:authorizationServer id) has no server resource:
    the identities get the id itself, in the partial plan as in the whole one."""
    root = tmp_path / "repo"
    shutil.copytree(repo, root, ignore=shutil.ignore_patterns(".venv", ".agentid-cache"))
    stack_file = root / "Pulumi.prod.yaml"
    text = stack_file.read_text(encoding="utf-8")
    reused = "  agentid:authorizationServer:\n    id: aus0reused000000001\n    audience: api://agents\n"
    start = text.index("  agentid:authorizationServer:\n")
    end = text.index("  agentid:logStream:")
    stack_file.write_text(text[:start] + reused + text[end:], encoding="utf-8")
    full, partial = _plans(sample_registry, root)
    assert not any(r.type == "okta:auth/server:Server" for r in full.resources)
    assert _resources(partial, AGENTS) == _resources(full, AGENTS)
    policies = [r for r in partial.resources if r.type == "okta:auth/serverPolicy:ServerPolicy"]
    assert policies and {r.inputs["authServerId"] for r in policies} == {"aus0reused000000001"}


def test_the_shared_resources_are_left_out_only_for_named_agents(sample_registry):
    with pytest.raises(ValueError, match="name the agents"):
        declare(sample_registry, object(), dt.date(2026, 12, 1), shared=False)  # type: ignore[arg-type]


def _registry_here():
    """The registry of the repository in the current directory (the test's own copy)."""
    from agentid.registry import load_registry

    root = Path.cwd()
    return load_registry(root / "agents", root / "policies" / "catalog.yaml", root=root).registry


@pytest.fixture
def partial_plans(monkeypatch) -> list[bool]:
    """Record the ``shared`` argument of every partial plan the incremental plan runs."""
    import agentid.plan

    calls: list[bool] = []
    real = agentid.plan.build_plan

    def recording(*args, only=None, shared=True, **kwargs):
        if only is not None:
            calls.append(shared)
        return real(*args, only=only, shared=shared, **kwargs)

    monkeypatch.setattr(agentid.plan, "build_plan", recording)
    return calls


def test_a_pull_requests_check_declares_no_shared_resource_when_they_are_cached(capsys, cached, partial_plans):
    run(capsys, "check", "--today", TODAY.isoformat(), "--format", "json")  # the main branch's run
    _edit_lifetime(cached, "support-triage", "token_lifetime_minutes: 30", "token_lifetime_minutes: 20")
    partial_plans.clear()
    code, out, err = run(capsys, "check", "--stack", "prod", "--today", TODAY.isoformat(), "--format", "json")
    assert "stack `prod`: incremental plan: 1 of 6 agents planned" in err, err
    assert partial_plans == [False, False], "prod, then dev planned ahead: the shared bundles were cached"
    uncached = run(capsys, "check", "--stack", "prod", "--today", TODAY.isoformat(), "--format", "json", "--no-cache")
    assert (code, json.loads(out)) == (uncached[0], json.loads(uncached[1]))


def test_a_damaged_shared_bundle_is_planned_again_with_the_agents(capsys, cached, partial_plans, tmp_path):
    run(capsys, "check", "--stack", "prod", "--today", TODAY.isoformat(), "--format", "json")
    cache = incremental.PlanCache(tmp_path / "cache")
    registry = _registry_here()
    keys = incremental._keys(registry, "prod", TODAY, cached, cache)
    cache._path(keys.shared_key).write_text("{damaged", encoding="utf-8")
    _edit_lifetime(cached, "support-triage", "token_lifetime_minutes: 30", "token_lifetime_minutes: 20")
    partial_plans.clear()
    code, out, err = run(capsys, "check", "--stack", "prod", "--today", TODAY.isoformat(), "--format", "json")
    assert "stack `prod`: incremental plan: 1 of 6 agents planned" in err, err
    assert partial_plans == [True], "the damaged shared bundle was declared and stored again"
    uncached = run(capsys, "check", "--stack", "prod", "--today", TODAY.isoformat(), "--format", "json", "--no-cache")
    assert (code, json.loads(out)) == (uncached[0], json.loads(uncached[1]))
