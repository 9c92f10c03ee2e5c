"""``check --stack`` plans the agents it had to plan for the repository's other stacks too (``plan_ahead``), so the
review of the same pull request, and the gate's check of each other stack, find every bundle cached and start no SDK.

The sample registry deploys five agents to dev and six to prod; support-triage and finance-reconciler are in both."""

from __future__ import annotations

import json

import agentid.plan
import agentid.plan.incremental as incremental
from agentid.plan import PlanError
from tests.plan.test_incremental_cli import TODAY, _edit_lifetime, _git, cached, run

__all__ = ["cached"]  # the fixture, imported for these tests

AHEAD = "planned ahead into .agentid-cache/"


def _check(capsys, *extra: str) -> tuple[int, str, str]:
    return run(capsys, "check", "--stack", "prod", "--today", TODAY, "--format", "json", *extra)


def _plan_dev(capsys, *extra: str) -> tuple[int, dict, str]:
    code, out, err = run(capsys, "plan", "--stack", "dev", "--today", TODAY, "--format", "json", *extra)
    assert code == 0, err
    return code, json.loads(out), err


def _report_without_cache(capsys) -> tuple[int, dict]:
    """What a check of prod without any cache reports: the answer a check from the cache must give."""
    code, out, _err = _check(capsys, "--no-cache")
    return code, json.loads(out)


def _committed(repo) -> str:
    """The repository committed as a pull request's base; returns the commit."""
    _git(repo, "init", "--quiet", "--initial-branch=main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "--quiet", "-m", "Sample registry")
    return _git(repo, "rev-parse", "HEAD").strip()


def _edit_support_triage(repo) -> None:
    _edit_lifetime(repo, "support-triage", "token_lifetime_minutes: 30", "token_lifetime_minutes: 20")


def test_the_check_of_prod_plans_the_edited_agent_for_dev_too(capsys, cached):
    run(capsys, "check", "--today", TODAY, "--format", "json")  # the main branch's run: every stack
    _edit_support_triage(cached)
    code, out, err = _check(capsys)
    assert "stack `prod`: incremental plan: 1 of 6 agents planned" in err, err
    assert f"stack `dev`: 1 agent {AHEAD}" in err, err
    assert (code, json.loads(out)) == _report_without_cache(capsys)

    _code, ahead, err = _plan_dev(capsys)
    assert "stack `dev`: incremental plan: 0 of 5 agents planned, 5 reused" in err, err
    _code, full, _err = _plan_dev(capsys, "--no-cache")
    assert ahead == full, "the bundle planned ahead is the one a plan of dev gives"


def test_the_review_after_the_check_plans_nothing_and_imports_no_sdk_ahead(capsys, cached, monkeypatch):
    base = _committed(cached)
    run(capsys, "check", "--today", TODAY, "--format", "json")
    _edit_support_triage(cached)
    _check(capsys)
    warm_ups: list[str] = []
    with monkeypatch.context() as patch:
        patch.setattr(agentid.plan, "prepare", lambda: warm_ups.append("prepare"))
        code, out, err = run(capsys, "review", "--base", base, "--today", TODAY, "--format", "json")
    assert code in (0, 1), err
    review = json.loads(out)
    assert warm_ups == [], "the SDK was imported ahead although every bundle was cached"
    planned = [mode for mode in review["plan"]["modes"] if "agents planned" in mode and "0 of" not in mode]
    assert planned == [], review["plan"]["modes"]
    _code, full, _err = run(capsys, "review", "--base", base, "--today", TODAY, "--format", "json", "--no-cache")
    uncached = json.loads(full)
    for data in (review, uncached):
        data["plan"].pop("modes")
    assert review == uncached, "the review is the same whether its plans were planned ahead or not"


def test_a_review_without_cached_plans_still_imports_the_sdk_while_reading(capsys, cached, monkeypatch):
    base = _committed(cached)
    warm_ups: list[str] = []
    real = agentid.plan.prepare
    monkeypatch.setattr(agentid.plan, "prepare", lambda: (warm_ups.append("prepare"), real())[1])
    code, _out, err = run(capsys, "review", "--base", base, "--today", TODAY, "--format", "json")
    assert code in (0, 1), err
    assert warm_ups == ["prepare"], "nothing cached: a plan surely runs the program, so the SDK is imported early"


def test_more_edits_than_the_limit_are_left_to_the_other_stack(capsys, cached, monkeypatch):
    run(capsys, "check", "--today", TODAY, "--format", "json")
    monkeypatch.setattr(incremental, "PLAN_AHEAD_LIMIT", 1)
    _edit_support_triage(cached)
    _edit_lifetime(cached, "finance-reconciler", "flags exceptions for", "flags every exception for")
    _code, _out, err = _check(capsys)
    assert "stack `prod`: incremental plan: 2 of 6 agents planned" in err, err
    assert AHEAD not in err, err
    _code, _plan, err = _plan_dev(capsys)
    assert "stack `dev`: incremental plan: 2 of 5 agents planned" in err, err


def test_a_first_run_plans_nothing_ahead(capsys, cached):
    _code, _out, err = _check(capsys)
    assert "stack `prod`: full plan of 6 agents" in err, err
    assert AHEAD not in err, err
    _code, _plan, err = _plan_dev(capsys)
    assert "stack `dev`: full plan of 5 agents" in err, err


def test_a_stack_that_fails_to_plan_ahead_changes_nothing_in_the_check(capsys, cached, monkeypatch):
    run(capsys, "check", "--today", TODAY, "--format", "json")
    _edit_support_triage(cached)
    real = agentid.plan.build_plan

    def dev_fails(registry, stack, **kwargs):
        if stack == "dev":
            raise PlanError("Pulumi.dev.yaml: agentid:adopt names ghost-agent, which stack `dev` does not deploy")
        return real(registry, stack, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(agentid.plan, "build_plan", dev_fails)
        code, out, err = _check(capsys)
    assert AHEAD not in err and "ghost-agent" not in out + err, err
    assert (code, json.loads(out)) == _report_without_cache(capsys)
    _code, _plan, err = _plan_dev(capsys)
    assert "stack `dev`: incremental plan: 1 of 5 agents planned" in err, err


def test_without_the_cache_nothing_is_planned_ahead(capsys, cached):
    run(capsys, "check", "--today", TODAY, "--format", "json")
    _edit_support_triage(cached)
    _code, _out, err = _check(capsys, "--no-cache")
    assert AHEAD not in err, err
    _code, _plan, err = _plan_dev(capsys)
    assert "stack `dev`: incremental plan: 1 of 5 agents planned" in err, err
