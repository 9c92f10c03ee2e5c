"""``check --stack`` and ``review`` judge a plan whose bundles are cached from the bundles' parts
(agentid/plan/judged.py) without assembling it, and report exactly what judging the whole plan reports; a missing,
damaged or unusable table, or a rule that reads across bundles, falls back to the whole plan with the same report.

The sample registry deploys five agents to dev and six to prod; a pull request edits support-triage (in both)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import agentid.plan.incremental as incremental
import agentid.plan.judged as judged
from tests.plan.test_incremental_cli import TODAY, cached, run
from tests.plan.test_plan_ahead import _check, _committed, _edit_support_triage, _report_without_cache

__all__ = ["cached"]  # the fixture, imported for these tests


@pytest.fixture
def assembled(monkeypatch) -> list[str]:
    """Record each plan assembled from the cache (the step judging by parts spares)."""
    calls: list[str] = []
    real = incremental._assemble

    def recording(stack: str, *args: Any) -> Any:
        calls.append(stack)
        return real(stack, *args)

    monkeypatch.setattr(incremental, "_assemble", recording)
    return calls


def _tables(cache: Path) -> list[Path]:
    return sorted(cache.glob(f"findings-v1/*/{judged.TABLE_FORMAT}/*/*.json"))


def _review(capsys, base: str, *extra: str) -> tuple[int, dict]:
    code, out, err = run(capsys, "review", "--base", base, "--today", TODAY, "--format", "json", *extra)
    assert code in (0, 1), err
    return code, json.loads(out)


def _without_modes(review: dict) -> dict:
    review["plan"].pop("modes")
    return review


def test_the_main_branchs_check_keeps_each_stacks_parts(capsys, cached, tmp_path):
    code, _out, err = run(capsys, "check", "--today", TODAY, "--format", "json")
    assert code in (0, 1), err
    tables = _tables(tmp_path / "cache")
    assert len(tables) == 2, "one table per stack judged (dev and prod)"
    rows = [json.loads(table.read_bytes()) for table in tables]
    assert sorted(len(r) for r in rows) == [5 + 1, 6 + 1], "each agent's bundle and the shared one"


def test_a_pull_requests_check_judges_its_plan_without_assembling_it(capsys, cached, assembled):
    run(capsys, "check", "--today", TODAY, "--format", "json")  # the main branch's run
    _edit_support_triage(cached)
    assembled.clear()
    code, out, err = _check(capsys)
    assert "stack `prod`: incremental plan: 1 of 6 agents planned" in err, err
    assert assembled == [], "the plan was assembled although every other bundle's part was kept"
    assert (code, json.loads(out)) == _report_without_cache(capsys)


def test_the_review_after_the_check_assembles_no_plan_and_reports_the_same(capsys, cached, assembled):
    base = _committed(cached)
    run(capsys, "check", "--today", TODAY, "--format", "json")
    _edit_support_triage(cached)
    _check(capsys)
    assembled.clear()
    code, review = _review(capsys, base)
    assert assembled == [], review["plan"]["modes"]
    composed = [mode for mode in review["plan"]["modes"] if "composed from its bundles'" in mode]
    assert composed == [
        "head: stack `dev`: 5 agents keyed, no plan assembled: its verdict composed from its bundles' (1 judged now, "
        "the others' read from the cache)"
    ], review["plan"]["modes"]
    uncached_code, uncached = _review(capsys, base, "--no-cache")
    assert (code, _without_modes(review)) == (uncached_code, _without_modes(uncached))


@pytest.mark.parametrize("damage", ["truncated", "foreign rows", "deleted"])
def test_a_damaged_table_is_judged_again_with_the_same_report(capsys, cached, tmp_path, damage):
    run(capsys, "check", "--today", TODAY, "--format", "json")
    for table in _tables(tmp_path / "cache"):
        if damage == "truncated":
            table.write_bytes(table.read_bytes()[:40])
        elif damage == "foreign rows":
            rows = json.loads(table.read_bytes())
            table.write_text(json.dumps({key: [-1, [["no-such-check"]], [[]], 7] for key in rows}))
        else:
            table.unlink()
    _edit_support_triage(cached)
    code, out, _err = _check(capsys)
    assert (code, json.loads(out)) == _report_without_cache(capsys)


def test_a_rule_reading_across_bundles_makes_the_plan_judged_whole(capsys, cached, assembled, monkeypatch):
    """A resource rule written later that looks at another agent: caught by the view, so the check assembles the plan
    and judges it whole, and reports what a check without any cache reports."""
    import policies.rules.base as base
    from policies.engine import plan_parts
    from tests.policies.test_plan_parts import _reads_another_agent, _rule

    run(capsys, "check", "--today", TODAY, "--format", "json")
    _edit_support_triage(cached)
    monkeypatch.setitem(base._RULES, "reads-across-agents", _rule(_reads_another_agent))
    plan_parts.cache_clear()
    try:
        assembled.clear()
        code, out, _err = _check(capsys)
        report = json.loads(out)
        assert assembled == ["prod"], "judged whole"
        assert any(f["rule"] == "reads-across-agents" for f in report["findings"]), "the new rule's findings count"
        assert (code, report) == _report_without_cache(capsys)
    finally:
        plan_parts.cache_clear()


def test_without_the_cache_no_table_is_written(capsys, cached, tmp_path):
    run(capsys, "check", "--today", TODAY, "--format", "json", "--no-cache")
    assert _tables(tmp_path / "cache") == []


def test_the_table_is_pruned_to_the_parts_in_use_once_it_has_doubled(capsys, cached, tmp_path, monkeypatch):
    run(capsys, "check", "--stack", "prod", "--today", TODAY, "--format", "json")
    (table,) = _tables(tmp_path / "cache")
    rows = json.loads(table.read_bytes())
    stale = {f"{i:064x}": [1, [], [], []] for i in range(100)}
    table.write_text(json.dumps({**rows, **stale}))
    _edit_support_triage(cached)
    _check(capsys)
    kept = json.loads(table.read_bytes())
    assert len(kept) == len(rows), "the stale parts and the base's support-triage part are gone, the head's is kept"
    assert not set(stale) & set(kept)


@pytest.mark.parametrize("workers", [1, 2], ids=["registry rules here", "registry rules in a forked child"])
def test_the_report_is_the_same_whether_the_registry_rules_run_in_a_child_or_not(capsys, cached, monkeypatch, workers):
    from agentid.registry import forkmap

    run(capsys, "check", "--today", TODAY, "--format", "json")
    _edit_support_triage(cached)
    started: list[int] = []
    real = forkmap._start_worker

    def counting(*args: Any) -> Any:
        worker = real(*args)
        started.append(1 if worker is not None else 0)
        return worker

    monkeypatch.setattr(forkmap, "available_workers", lambda: workers)
    monkeypatch.setattr(forkmap, "_start_worker", counting)
    code, out, _err = _check(capsys)
    assert sum(started) == (1 if workers == 2 else 0)
    assert (code, json.loads(out)) == _report_without_cache(capsys)
