"""A definition moved into a subfolder of agents/ is an error at both revisions, never an agent deletion.

The loader reads agents/*.yaml only. Before this was reported, `git mv agents/x.yaml agents/finance/x.yaml` made
`validate` say "valid" and `review` say "agent removed: its identity will be deleted".
"""

from __future__ import annotations

import json

from agentid.cli.main import main
from agentid.review.build import _without_unloaded
from agentid.review.plandiff import PlanDiff, ResourceChange
from tests.conftest import TODAY

MOVED = "agents/finance/meeting-summarizer.yaml"


def _review(capsys, *args: str) -> tuple[int, dict, str]:
    status = main(["review", "--today", TODAY.isoformat(), "--no-plan", "--format", "json", *args])
    captured = capsys.readouterr()
    return status, json.loads(captured.out), captured.err


def _move_into_subfolder(workspace) -> None:
    (workspace.root / "agents" / "finance").mkdir()
    workspace.git("mv", "agents/meeting-summarizer.yaml", MOVED)


def test_a_committed_move_into_a_subfolder_is_an_error_not_a_deletion(workspace, capsys):
    base = workspace.git("rev-parse", "HEAD")
    _move_into_subfolder(workspace)
    workspace.commit("File the summariser under finance/")
    status, data, _ = _review(capsys, "--base", base, "--head", "HEAD")
    assert status == 1  # the misplaced file is a new blocking finding
    assert data["summary"]["agents_removed"] == []
    assert data["summary"]["agents_not_loaded"] == ["meeting-summarizer"]
    assert not [c for c in data["changes"] if c["kind"] == "agent-removed"]
    introduced = [f for f in data["findings"]["introduced"] if f["rule"] == "load.subfolder"]
    assert [f["file"] for f in introduced] == [MOVED], data["findings"]["introduced"]
    assert "agents/meeting-summarizer.yaml" in introduced[0]["remediation"]


def test_a_move_in_the_working_tree_is_reported_in_the_comment(workspace, capsys):
    _move_into_subfolder(workspace)
    status = main(["review", "--today", TODAY.isoformat(), "--no-plan", "--base", "HEAD"])
    out = capsys.readouterr().out
    assert status == 1
    assert "agent removed" not in out
    assert "will be deleted" not in out
    assert "Not compared" in out and "`meeting-summarizer`" in out


def test_a_misplaced_file_at_the_base_is_reported_too(workspace, capsys):
    _move_into_subfolder(workspace)
    base = workspace.commit("Misplaced")
    workspace.git("mv", MOVED, "agents/meeting-summarizer.yaml")
    workspace.commit("Put it back")
    status, data, _ = _review(capsys, "--base", base, "--head", "HEAD")
    # At the base the file did not load; at the head it does: the agent appears, nothing is removed, and the
    # base's error counts as fixed.
    assert status == 0
    assert data["summary"]["agents_added"] == ["meeting-summarizer"]
    assert [f["file"] for f in data["findings"]["fixed"] if f["rule"] == "load.subfolder"] == [MOVED]


def test_validate_names_the_subfolder_file_and_the_yml_file(workspace, capsys):
    _move_into_subfolder(workspace)
    (workspace.root / "agents" / "support-triage.yaml").rename(workspace.root / "agents" / "support-triage.yml")
    (workspace.root / "agents" / "finance" / "notes.md").write_text("not a definition\n")
    status = main(["validate"])
    out = capsys.readouterr().out
    assert status == 1
    assert f"{MOVED}:1:1: error:" in out and "[load.subfolder]" in out
    assert "fix: Move it to agents/meeting-summarizer.yaml" in out
    assert "agents/support-triage.yml:1:1: error:" in out and "Rename it to support-triage.yaml" in out
    assert "notes.md" not in out


def test_plan_removals_of_an_agent_that_fails_to_load_are_left_out():
    changes = (
        ResourceChange("dev", "meeting-summarizer", "meeting-summarizer-app", "okta:app/oAuth:OAuth", "removed"),
        ResourceChange("dev", "support-triage", "support-triage-app", "okta:app/oAuth:OAuth", "removed"),
    )
    plan = _without_unloaded(PlanDiff(changes=changes, stacks=("dev",)), {"meeting-summarizer"})
    assert [c.agent for c in plan.changes] == ["support-triage"]
    assert "not compared: meeting-summarizer" in plan.notes[0]


def test_an_agent_whose_file_breaks_at_head_is_not_reported_removed(workspace, capsys):
    workspace.edit("support-triage", "environments:", "enviroments:")
    status, data, _ = _review(capsys, "--base", "HEAD")
    assert status == 1
    assert data["summary"]["agents_removed"] == [] and data["summary"]["agents_not_loaded"] == ["support-triage"]
    assert any("did you mean `environments`" in f["message"] for f in data["findings"]["introduced"])
