"""One invalid definition gives the same exit status, 1, in every command that reads the registry, and each names it.

Before, `inventory` and `review-report` left the agent out and exited 0, `detect` and `detections` exited 2 (a usage
error), the others 1. The convention (README "Exit status"): 0 ok, 1 findings (a definition that fails to load is
one), 2 usage error, 3 a bug in agentid.
"""

from __future__ import annotations

import shutil

import pytest

from agentid.cli.main import main
from tests.cli.repo import INVALID_FIXTURE, commit, copy_repo
from tests.conftest import TODAY

INVALID = "agents/billing-exporter.yaml"
MISPLACED = "agents/finance/billing-exporter.yaml"

#: every command that loads the registry, with arguments that would otherwise succeed
COMMANDS: dict[str, list[str]] = {
    "validate": ["validate"],
    "check": ["check", "--registry-only", "--today", TODAY.isoformat()],
    "check-stack": ["check", "--stack", "dev", "--today", TODAY.isoformat()],
    "plan": ["plan", "--stack", "dev", "--today", TODAY.isoformat()],
    "codeowners": ["codeowners", "--check"],
    "expiring": ["expiring", "--today", TODAY.isoformat(), "--within", "1d"],
    "inventory": ["inventory", "--today", TODAY.isoformat()],
    "review-report": ["review-report", "--today", TODAY.isoformat()],
    "review": ["review", "--base", "HEAD", "--no-plan", "--today", TODAY.isoformat()],
    "detect": ["detect", "--events", "events.jsonl", "--today", TODAY.isoformat()],
    "detections": ["detections", "--out", "out/detections", "--today", TODAY.isoformat()],
    "show": ["show", "finance-reconciler", "--no-plan", "--today", TODAY.isoformat()],
}


@pytest.fixture(params=["schema-error", "subfolder"])
def broken_repo(request, tmp_path, monkeypatch):
    """The fixture repository with one definition that fails to load, committed (so `review` sees it at both
    revisions: it is not *introduced*, and still fails the review)."""
    root = copy_repo(tmp_path / "repo")
    (root / ".github").mkdir()
    (root / "events.jsonl").write_text("")
    if request.param == "schema-error":
        shutil.copy(INVALID_FIXTURE / "billing-exporter.yaml", root / INVALID)
        shown = INVALID
    else:  # a valid definition, but in a subfolder: not loaded
        (root / "agents" / "finance").mkdir()
        text = (INVALID_FIXTURE / "billing-exporter.yaml").read_text()
        (root / MISPLACED).write_text(text.replace("owners: []", "owners: [maria.lopez@example.com]"))
        shown = MISPLACED
    commit(root, "Registry with one definition that fails to load")
    monkeypatch.chdir(root)
    return shown


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_exits_1_and_names_the_file(broken_repo, command, capsys):
    status = main(COMMANDS[command])
    captured = capsys.readouterr()
    assert status == 1, (command, status, captured.err[-2000:])
    assert broken_repo in captured.out + captured.err, (command, captured.out[-1000:], captured.err[-1000:])


@pytest.mark.parametrize("command", ["inventory", "review-report"])
def test_a_report_that_leaves_an_agent_out_says_so(broken_repo, command, capsys):
    status = main(COMMANDS[command])
    captured = capsys.readouterr()
    assert status == 1
    assert "finance-reconciler" in captured.out  # the rest is still reported
    assert "billing-exporter" not in captured.out
    assert f"fail to load and are left out: {broken_repo}" in captured.err
