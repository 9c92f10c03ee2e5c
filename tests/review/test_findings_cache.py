"""The verdict cache (agentid/findings_cache.py): the rules run once per set of inputs, any change to an input runs
them again, and what check and review report is what they report without it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import shutil
from pathlib import Path

import pytest

import policies.engine
from agentid.cli.main import main
from agentid.findings_cache import FindingsCache, Uncacheable, cached_evaluate, evaluation_key
from agentid.registry import load_registry
from agentid.registry.model import Registry, Source
from policies.engine import evaluate, stack_context
from tests.conftest import fixture_repo

TODAY = dt.date(2026, 12, 1)


@pytest.fixture
def repo(tmp_path) -> Path:
    """The sample repository, a copy of this test's own (some tests edit it)."""
    return fixture_repo(tmp_path / "repo")


@pytest.fixture
def judged(monkeypatch) -> list[dict]:
    """Every call the policy engine gets, by its arguments (the engine itself still answers)."""
    calls: list[dict] = []

    @functools.wraps(evaluate)  # the engine's own signature, which the key's arguments are read against
    def counting(registry, **arguments):
        calls.append(arguments)
        return evaluate(registry, **arguments)

    monkeypatch.setattr(policies.engine, "evaluate", counting)
    return calls


def _load(root: Path) -> Registry:
    return load_registry(root / "agents", root / "policies" / "catalog.yaml", root=root).registry


def _outside_owner(root: Path) -> None:
    """The support triage agent gets an owner outside the organisation's domains: a finding to judge."""
    path = root / "agents" / "support-triage.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("omar.haddad@example.com", "omar.haddad@gmail.example.org", 1), encoding="utf-8")


def test_the_same_inputs_are_judged_once_and_read_back_equal(repo, tmp_path, judged):
    _outside_owner(repo)
    cache = FindingsCache(tmp_path / "cache")
    context = stack_context(repo)
    first = cached_evaluate(policies.engine.evaluate, cache, _load(repo), today=TODAY, **context)
    again = cached_evaluate(policies.engine.evaluate, cache, _load(repo), today=TODAY, **context)
    # judged once, in its two parts: the rules that judge every stack alike, and those that read the stack
    assert [sorted(c["rule_ids"]) == sorted(policies.engine.stack_free_rule_ids()) for c in judged] == [True, False]
    assert first, "the fixture must produce findings, or reading them back proves nothing"
    assert again == first
    assert [f.waiver for f in again] == [f.waiver for f in first]
    assert [f.to_dict() for f in again] == [f.to_dict() for f in evaluate(_load(repo), today=TODAY, **context)]


def test_every_input_of_a_verdict_is_in_its_key(repo):
    registry = _load(repo)
    context = stack_context(repo)
    key = evaluation_key(registry, today=TODAY, **context)
    assert evaluation_key(_load(repo), today=TODAY, **context) == key
    assert evaluation_key(registry, today=TODAY + dt.timedelta(days=1), **context) != key
    assert evaluation_key(registry, today=TODAY, stack="prod", **context) != key
    tighter = {**context, "stack_token_limits": {**context["stack_token_limits"], "prod": 5}}
    assert evaluation_key(registry, today=TODAY, **tighter) != key
    settings = dataclasses.replace(policies.engine.default_settings(), max_scopes=2)
    assert evaluation_key(registry, today=TODAY, settings=settings, **context) != key
    # the default settings are what evaluate() uses when none are passed: the same verdict, the same key
    assert evaluation_key(registry, today=TODAY, settings=policies.engine.default_settings(), **context) == key
    # one byte of one file (a trailing comment) is another registry: positions and bytes both decide findings
    path = repo / "agents" / "meeting-summarizer.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "# reviewed\n", encoding="utf-8")
    assert evaluation_key(_load(repo), today=TODAY, **context) != key
    plan_args = {"stack": "prod", "resources": (), "plan_rules_only": True}
    with pytest.raises(Uncacheable):
        evaluation_key(registry, today=TODAY, **plan_args)  # resources without a plan digest say nothing
    assert evaluation_key(registry, today=TODAY, plan_digest="a" * 64, **plan_args) != evaluation_key(
        registry, today=TODAY, plan_digest="b" * 64, **plan_args
    )


def test_agents_built_in_memory_are_never_cached(sample_registry, tmp_path, judged):
    """Nothing says what an agent built in memory was made of: its verdict is never stored."""
    registry = Registry(
        agents=tuple(dataclasses.replace(a, source=Source(a.file, a.source.positions)) for a in sample_registry),
        catalog=sample_registry.catalog,
    )
    cache = FindingsCache(tmp_path / "cache")
    for _ in range(2):
        cached_evaluate(policies.engine.evaluate, cache, registry, today=TODAY)
    assert len(judged) == 2
    assert not list((tmp_path / "cache").rglob("*.json"))


def test_another_evaluator_is_never_cached(repo, tmp_path):
    """The key covers the policy engine's code only: a test's or a plug-in's evaluator always runs."""
    calls = []
    cache = FindingsCache(tmp_path / "cache")
    for _ in range(2):
        cached_evaluate(lambda registry, **kw: calls.append(kw) or [], cache, _load(repo), today=TODAY)
    assert len(calls) == 2


def test_a_damaged_entry_is_judged_again(repo, tmp_path, judged):
    _outside_owner(repo)
    cache = FindingsCache(tmp_path / "cache")
    first = cached_evaluate(policies.engine.evaluate, cache, _load(repo), today=TODAY)
    entries = list(cache.base.rglob("*.json"))
    assert len(entries) == 2 and len(judged) == 2  # the stack-free rules' part and the stack-bound rules' part
    for damage in (b"{not json", b'[["owner-domain"]]', json.dumps([[1] * 11]).encode()):
        for entry in entries:
            entry.write_bytes(damage)
        assert cached_evaluate(policies.engine.evaluate, cache, _load(repo), today=TODAY) == first
    assert len(judged) == 2 + 3 * 2


def _run(capsys, *args: str) -> dict:
    main(list(args))
    out, _err = capsys.readouterr()
    return json.loads(out)


def test_review_after_check_reads_the_verdicts_check_left_and_says_the_same(workspace, capsys, monkeypatch, judged):
    """The main branch's check judges the base; the pull request's check --stack prod judges the head and its prod
    plan. The review then judges only what neither did (the head's registry without a stack, its dev plan), and its
    verdict is the one a review without any cache gives."""
    monkeypatch.delenv("AGENTID_CACHE", raising=False)
    monkeypatch.setenv("AGENTID_CACHE_DIR", str(workspace.root.parent / "cache"))
    base = workspace.commit("Base")
    today = TODAY.isoformat()
    _run(capsys, "check", "--today", today, "--format", "json")
    _outside_owner(workspace.root)
    workspace.edit("support-triage", "token_lifetime_minutes: 30", "token_lifetime_minutes: 20")
    _run(capsys, "check", "--stack", "prod", "--today", today, "--format", "json")
    judged.clear()
    cached = _run(capsys, "review", "--base", base, "--today", today, "--format", "json")
    # the registry rules that judge every stack alike were judged by the check, only the stack-bound ones are left
    assert [(c.get("stack"), c.get("plan_rules_only", False)) for c in judged] == [(None, False), ("dev", True)]
    assert not set(judged[0]["rule_ids"]) & policies.engine.stack_free_rule_ids()
    uncached = _run(capsys, "review", "--base", base, "--today", today, "--format", "json", "--no-cache")
    assert len(judged) == 2 + 6, "--no-cache judges both registries and all four plans"
    assert cached["findings"] == uncached["findings"]
    assert cached["findings"]["introduced"], "the edit must introduce a finding, or the comparison proves nothing"
    assert cached["plan"]["changes"] == uncached["plan"]["changes"]
    assert cached["plan"]["changes"], "the edit must change a resource, or the comparison proves nothing"
    # the three plans judged before are only keyed; the head's dev plan is judged from its bundles without being
    # assembled, only the edited one judged now: the check of prod planned it ahead
    # (agentid.plan.incremental.plan_ahead), and left the other bundles' parts (agentid.plan.judged)
    modes = cached["plan"]["modes"]
    assert sum("no plan assembled" in m for m in modes) == 4, modes
    composed = "head: stack `dev`: 5 agents keyed, no plan assembled: its verdict composed from its bundles' (1 judged"
    assert any(m.startswith(composed) for m in modes), modes


def _scenario(root: Path, change: str) -> None:
    """One pull request: what a reviewer may meet."""
    agents = root / "agents"
    if change == "edit":
        _outside_owner(root)
    elif change == "add":
        text = (agents / "meeting-summarizer.yaml").read_text(encoding="utf-8")
        (agents / "meeting-notes-drafter.yaml").write_text(
            text.replace("name: meeting-summarizer", "name: meeting-notes-drafter"), encoding="utf-8"
        )
    elif change == "remove":
        (agents / "support-triage.yaml").unlink()
    elif change == "stack":
        path = root / "Pulumi.prod.yaml"
        path.write_text(path.read_text(encoding="utf-8").replace('"30"', '"20"', 1), encoding="utf-8")
    elif change == "catalog":
        path = root / "policies" / "catalog.yaml"
        text = path.read_text(encoding="utf-8")
        scope = "  tickets.read:\n    description: "
        assert scope in text
        path.write_text(text.replace(scope, scope + "Edited. "), encoding="utf-8")


@pytest.mark.parametrize("change", ["edit", "add", "remove", "stack", "catalog"])
@pytest.mark.parametrize("plan_cache_lost", [False, True])
def test_a_review_from_cached_verdicts_says_what_a_review_without_caches_says(
    workspace, capsys, monkeypatch, change, plan_cache_lost
):
    """Plans only keyed (their verdicts cached, only the bundles whose keys differ read) give the review a plan
    without caches gives; when those bundles are gone from the plan cache, the review plans them instead."""
    monkeypatch.delenv("AGENTID_CACHE", raising=False)
    cache = workspace.root.parent / "cache"
    monkeypatch.setenv("AGENTID_CACHE_DIR", str(cache))
    base = workspace.commit("Base")
    today = TODAY.isoformat()
    _run(capsys, "check", "--today", today, "--format", "json")
    _scenario(workspace.root, change)
    _run(capsys, "check", "--stack", "prod", "--today", today, "--format", "json")
    if plan_cache_lost:
        for entries in cache.glob("plan-*"):
            shutil.rmtree(entries)
    cached = _run(capsys, "review", "--base", base, "--today", today, "--format", "json")
    uncached = _run(capsys, "review", "--base", base, "--today", today, "--format", "json", "--no-cache")
    modes = cached["plan"].pop("modes")
    uncached["plan"].pop("modes")
    assert cached == uncached
    if not plan_cache_lost and change in ("edit", "add", "remove"):
        assert any("no plan assembled" in m for m in modes), modes
