"""The plan cache holds each bundle's provider conformance violations (agentid/plan/incremental.py), so `agentid check`
does not check again the resources it reuses: the findings of a plan assembled from cached bundles are the full
plan's, they are the ones the entries hold, and an entry whose violations are damaged is a miss, planned again.

Runs on the sample registry with two inputs pulumi-okta 7.0.1 refuses, as a hand-built registry (the agent schema's
own bounds bypassed) can hold them: hr-onboarding-assistant asks for 2-minute tokens (its rule and its scheduler
plugin's rule; Okta accepts 5..1440), and the ticket scope support-triage reads is catalogued as `okta.tickets.read`,
in the namespace Okta reserves (a shared resource: the authorization server scope).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agentid.conformance import plan_findings
from agentid.conformance.okta import CHECKED_TYPES, CHECKS, CHECKS_BY_ID, check_resources, checks_for
from agentid.plan import build_plan
from agentid.plan.incremental import FORMAT, PlanCache, build_plan_incremental
from agentid.registry.model import Agent, Registry
from tests.conftest import REPO, STACKS, TODAY

RULE_RANGE = "resource_okta_auth_server_policy_rule.go:accessTokenLifetimeMinutes:range"
RESERVED_SCOPE = "resource_okta_auth_server_scope.go:name:okta-namespace"


def _lifetime(agent: Agent, minutes: int) -> Agent:
    return dataclasses.replace(agent, access=dataclasses.replace(agent.access, token_lifetime_minutes=minutes))


def _renamed_scope(agent: Agent, old: str, new: str) -> Agent:
    scopes = tuple(dataclasses.replace(s, name=new) if s.name == old else s for s in agent.access.scopes)
    return dataclasses.replace(agent, access=dataclasses.replace(agent.access, scopes=scopes))


def _edited(registry: Registry, name: str, edit: Any) -> Registry:
    return dataclasses.replace(registry, agents=tuple(edit(a) if a.name == name else a for a in registry.agents))


@pytest.fixture(scope="module")
def violating(sample_registry) -> Registry:
    """The sample registry with a 2-minute token lifetime and a catalog scope in Okta's reserved namespace."""
    info = sample_registry.catalog.scopes["tickets.read"]
    reserved = dataclasses.replace(info, name="okta.tickets.read")
    catalog = dataclasses.replace(
        sample_registry.catalog, scopes={**sample_registry.catalog.scopes, reserved.name: reserved}
    )
    agents = tuple(_renamed_scope(a, "tickets.read", reserved.name) for a in sample_registry.agents)
    registry = dataclasses.replace(sample_registry, agents=agents, catalog=catalog)
    return _edited(registry, "hr-onboarding-assistant", lambda a: _lifetime(a, 2))


def _entries(cache_dir: Path) -> dict[Path, dict[str, Any]]:
    return {path: json.loads(path.read_bytes()) for path in (cache_dir / FORMAT).rglob("*.json")}


def _entry_of(cache_dir: Path, agent: str | None) -> tuple[Path, dict[str, Any]]:
    """The one entry holding ``agent``'s bundle (``None``: the shared resources) in a cache of one stack."""
    [found] = [
        (path, entry)
        for path, entry in _entries(cache_dir).items()
        if ("outputs" in entry) == (agent is None) and all(row[4] == agent for row in entry["resources"])
    ]
    return found


def _index(entry: dict[str, Any], resource_name: str) -> int:
    return next(i for i, row in enumerate(entry["resources"]) if row[1] == resource_name)


def _fill(registry: Registry, stack: str, cache_dir: Path) -> None:
    _plan, mode = build_plan_incremental(registry, stack, today=TODAY, root=STACKS, cache=PlanCache(cache_dir))
    assert not mode.incremental, mode.note()


def test_checks_for_is_a_lookup_with_the_filters_answer():
    for resource_type in (*sorted(CHECKED_TYPES), "agentid:okta:AgentIdentity", "okta:index/unknown:Unknown"):
        expected = tuple(check for check in CHECKS if check.resource_type == resource_type)
        assert checks_for(resource_type) == expected, resource_type
        assert checks_for(resource_type) is checks_for(resource_type), "built once, not on every call"
    assert set(CHECKS_BY_ID) == {check.id for check in CHECKS} and len(CHECKS_BY_ID) == len(CHECKS)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_findings_of_a_plan_from_cached_bundles_equal_the_full_plans(violating, stack, tmp_path):
    cache_dir = tmp_path / "cache"
    _fill(violating, stack, cache_dir)
    # the pull request: meeting-summarizer now asks for 2-minute tokens too (a new violation, planned afresh)
    head = _edited(violating, "meeting-summarizer", lambda a: _lifetime(a, 2))
    for cache in (PlanCache(cache_dir), PlanCache(cache_dir)):  # read from disk, then again from the first's memo
        incremental, mode = build_plan_incremental(head, stack, today=TODAY, root=STACKS, cache=cache)
        assert mode.incremental and mode.planned <= 2, mode.note()
        full = build_plan(head, stack, today=TODAY, root=STACKS)
        assert full.violations is None, "the whole program's plan leaves them to plan_findings"
        assert incremental.violations == tuple(check_resources(full.resources)), "plan order"
        found = plan_findings(incremental, head, root=STACKS)
        assert found == plan_findings(full, head, root=STACKS)
        assert {(f.agent, f.file) for f in found} == {
            (None, "policies/catalog.yaml"),
            ("hr-onboarding-assistant", "agents/hr-onboarding-assistant.yaml"),
            ("meeting-summarizer", "agents/meeting-summarizer.yaml"),
        }, found
        again, _ = build_plan_incremental(head, stack, today=TODAY, root=STACKS, cache=cache)
        assert plan_findings(again, head, root=STACKS) == found


def test_an_entry_holds_its_violations_compactly(violating, tmp_path):
    cache_dir = tmp_path / "cache"
    _fill(violating, "dev", cache_dir)
    _path, hr = _entry_of(cache_dir, "hr-onboarding-assistant")
    assert hr["violations"] == [
        [_index(hr, name), RULE_RANGE, "`accessTokenLifetimeMinutes` is 2; Okta accepts 5..1440"]
        for name in ("hr-onboarding-assistant-rule", "hr-onboarding-assistant--scheduler-rule")
    ]
    _path, shared = _entry_of(cache_dir, None)
    [(index, check_id, _problem)] = shared["violations"]
    assert (shared["resources"][index][1], check_id) == ("scope-okta.tickets.read", RESERVED_SCOPE)
    _path, finance = _entry_of(cache_dir, "finance-reconciler")
    assert finance["violations"] == []


def test_check_reports_the_violations_the_entries_hold(sample_registry, tmp_path):
    """The cached violations are what is reported: a stored one no check of today's resources finds is reported
    (with the agent file to fix), and a stored entry without the one the resources have hides it."""
    cache_dir = tmp_path / "cache"
    _fill(sample_registry, "prod", cache_dir)
    path, finance = _entry_of(cache_dir, "finance-reconciler")
    stored = "`accessTokenLifetimeMinutes` is 5; Okta accepts 10..1440 (a provider this run did not check)"
    finance["violations"] = [[_index(finance, "finance-reconciler-rule"), RULE_RANGE, stored]]
    path.write_text(json.dumps(finance))

    plan, mode = build_plan_incremental(sample_registry, "prod", today=TODAY, root=STACKS, cache=PlanCache(cache_dir))
    assert mode.incremental and mode.planned == 0, mode.note()
    assert check_resources(plan.resources) == [], "today's checks find nothing in the sample registry"
    [finding] = plan_findings(plan, sample_registry, root=STACKS)
    assert finding.agent == "finance-reconciler" and finding.file == "agents/finance-reconciler.yaml"
    assert stored in finding.message and "finance-reconciler-rule" in finding.message, finding.message


def test_a_plan_copied_with_other_resources_is_checked_again(violating, sample_registry, tmp_path):
    """``violations`` belong to the resources they were found in: ``dataclasses.replace`` does not carry them."""
    cache_dir = tmp_path / "cache"
    _fill(violating, "dev", cache_dir)
    plan, _mode = build_plan_incremental(violating, "dev", today=TODAY, root=STACKS, cache=PlanCache(cache_dir))
    assert plan.violations
    conforming = build_plan(sample_registry, "dev", today=TODAY, root=STACKS)
    copied = dataclasses.replace(plan, resources=conforming.resources)
    assert copied.violations is None and plan_findings(copied, sample_registry, root=STACKS) == []
    # nor the content digest the verdict cache keys the plan's findings by (it would name the other resources)
    assert plan.digest and copied.digest is None
    # each fact set keeps the other
    assert plan.with_violations(()).digest == plan.digest and plan.with_digest("a" * 64).violations == plan.violations


def _damaged(entry: dict[str, Any], how: str) -> Any:
    rule = _index(entry, "hr-onboarding-assistant-rule")
    app = _index(entry, "hr-onboarding-assistant-app")
    good = entry["violations"]
    return {
        "unknown check id": [[rule, "resource_okta_auth_server_policy_rule.go:retired:check", "too short"], *good[1:]],
        "check of another type": [[app, RULE_RANGE, "too short"], *good[1:]],
        "index past the bundle": [[len(entry["resources"]), RULE_RANGE, "too short"]],
        "negative index": [[-1, RULE_RANGE, "too short"]],
        "index as text": [[str(rule), RULE_RANGE, "too short"]],
        "out of order": list(reversed(good)),
        "problem not text": [[rule, RULE_RANGE, {"minutes": 2}]],
        "short row": [[rule, RULE_RANGE]],
        "not a list": "hr-onboarding-assistant-rule",
        "unhashable id": [[rule, [RULE_RANGE], "too short"]],
        "missing": None,
    }[how]


@pytest.mark.parametrize(
    "how",
    [
        "unknown check id",
        "check of another type",
        "index past the bundle",
        "negative index",
        "index as text",
        "out of order",
        "problem not text",
        "short row",
        "not a list",
        "unhashable id",
        "missing",
    ],
)
def test_damaged_stored_violations_make_the_entry_a_miss(violating, how, tmp_path):
    cache_dir = tmp_path / "cache"
    _fill(violating, "dev", cache_dir)
    path, hr = _entry_of(cache_dir, "hr-onboarding-assistant")
    stored = hr["violations"]
    assert len(stored) == 2
    damaged = _damaged(hr, how)
    if damaged is None:
        del hr["violations"]
    else:
        hr["violations"] = damaged
    path.write_text(json.dumps(hr))

    plan, mode = build_plan_incremental(violating, "dev", today=TODAY, root=STACKS, cache=PlanCache(cache_dir))
    assert mode.incremental and mode.planned == 1, f"{how}: {mode.note()}"
    full = build_plan(violating, "dev", today=TODAY, root=STACKS)
    assert plan_findings(plan, violating, root=STACKS) == plan_findings(full, violating, root=STACKS)
    assert _entry_of(cache_dir, "hr-onboarding-assistant")[1]["violations"] == stored, "written again, whole"


def test_the_code_digest_covers_the_conformance_checks(tmp_path):
    """Stored violations are only valid for the checks that found them: editing the checks changes the digest, so
    a cache written before is never read (a copy of the packages, each digest computed in a fresh interpreter)."""
    for package in ("agentid", "infra"):
        shutil.copytree(REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))

    def digest() -> str:
        code = "from agentid.plan.incremental import code_digest; print(code_digest())"
        run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
        return run.stdout.strip()

    before = digest()
    checks = tmp_path / "agentid" / "conformance" / "okta.py"
    checks.write_text(
        checks.read_text().replace("TOKEN_LIFETIME_MINUTES = (5, 1440)", "TOKEN_LIFETIME_MINUTES = (10, 1440)")
    )
    assert digest() != before
