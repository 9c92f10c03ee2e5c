"""The contract the CI workflows rely on (.github/workflows/plan-cache.yml saves, pull-request.yml restores): a
``.agentid-cache/`` written by the main branch's ``agentid check`` in one checkout, copied into a fresh clone at
another path (what ``actions/cache/restore`` does on another runner: new files, new times), serves a pull request's
check and review there. Nothing in the cache may depend on where the checkout was or when its files were written.

The sample registry deploys five agents to dev and six to prod; the pull request edits support-triage (in both)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from agentid.plan.incremental import CACHE_DIR_ENV, CACHE_DIR_NAME, CACHE_ENV
from tests.plan.test_incremental_cli import TODAY, _git, run
from tests.plan.test_plan_ahead import AHEAD, _edit_support_triage


@pytest.fixture
def pull_request_checkout(capsys, monkeypatch, tmp_path) -> tuple[Path, str]:
    """The main branch's run in one checkout, then a pull request's clone elsewhere holding a copy of its cache.
    Returns the clone (the current directory, main's checkout deleted) and main's commit."""
    monkeypatch.delenv(CACHE_ENV, raising=False)
    monkeypatch.delenv(CACHE_DIR_ENV, raising=False)  # the default: .agentid-cache/ in the checkout, as in CI
    main_checkout = tmp_path / "runner-a" / "registry"
    shutil.copytree(Path.cwd(), main_checkout, ignore=shutil.ignore_patterns(CACHE_DIR_NAME, ".venv"))
    _git(main_checkout, "init", "--quiet", "--initial-branch=main")
    _git(main_checkout, "add", "-A")
    _git(main_checkout, "commit", "--quiet", "-m", "Registry on main")
    base = _git(main_checkout, "rev-parse", "HEAD").strip()
    monkeypatch.chdir(main_checkout)
    code, _out, err = run(capsys, "check", "--today", TODAY, "--format", "json")  # plan-cache.yml: every stack
    assert code in (0, 1), err
    assert (main_checkout / CACHE_DIR_NAME).is_dir(), "the main branch's check keeps its cache in the checkout"

    clone = tmp_path / "runner-b" / "work" / "registry"
    clone.parent.mkdir(parents=True)
    _git(clone.parent, "clone", "--quiet", str(main_checkout), str(clone))
    # actions/cache/restore: the files arrive anew (copied, not linked; fresh modification times).
    shutil.copytree(main_checkout / CACHE_DIR_NAME, clone / CACHE_DIR_NAME, copy_function=shutil.copyfile)
    shutil.rmtree(main_checkout.parent)
    monkeypatch.chdir(clone)
    return clone, base


def test_a_restored_cache_serves_the_pull_requests_check(capsys, pull_request_checkout):
    clone, _base = pull_request_checkout
    _edit_support_triage(clone)
    code, out, err = run(capsys, "check", "--stack", "prod", "--today", TODAY, "--format", "json")
    assert "stack `prod`: incremental plan: 1 of 6 agents planned, 5 reused" in err, err
    assert f"stack `dev`: 1 agent {AHEAD}" in err, err
    uncached = run(capsys, "check", "--stack", "prod", "--today", TODAY, "--format", "json", "--no-cache")
    assert (code, json.loads(out)) == (uncached[0], json.loads(uncached[1])), "the restored cache changes no finding"


def test_a_restored_cache_serves_the_pull_requests_review(capsys, pull_request_checkout):
    clone, base = pull_request_checkout
    _edit_support_triage(clone)
    code, out, err = run(capsys, "review", "--base", base, "--today", TODAY, "--format", "json")
    assert code in (0, 1), err
    review = json.loads(out)
    modes = review["plan"].pop("modes")
    base_modes = [mode for mode in modes if mode.startswith("base:")]
    assert len(base_modes) == 2 and all("its verdict is cached" in mode for mode in base_modes), modes
    code_cold, out_cold, _err = run(
        capsys, "review", "--base", base, "--today", TODAY, "--format", "json", "--no-cache"
    )
    cold = json.loads(out_cold)
    cold["plan"].pop("modes")
    assert (code, review) == (code_cold, cold), "the review from the restored cache says what a cold one says"


def test_a_cache_left_by_other_program_code_is_not_read(capsys, pull_request_checkout, monkeypatch):
    """A pull request that changes agentid/ or infra/ restores nothing (the workflows key the cache by that code);
    if it did, the cache's own code digest keeps it from being read: the plan is full."""
    import agentid.plan.incremental as incremental

    monkeypatch.setattr(incremental, "code_digest", lambda: "0" * 64)
    code, _out, err = run(capsys, "check", "--stack", "prod", "--today", TODAY, "--format", "json")
    assert code in (0, 1), err
    assert "stack `prod`: full plan of 6 agents" in err, err
