"""`agentid review` compares the offline plan of every stack at both revisions, on real git repositories."""

from __future__ import annotations

import json
import shutil

import pytest

from agentid.cli.main import main
from agentid.resources import PlannedResource
from agentid.review.plandiff import diff_resources
from tests.conftest import STACKS, TODAY
from tests.review.gitrepo import GitWorkspace
from tests.review.markdown_check import plain


@pytest.fixture
def staged(tmp_path, monkeypatch) -> GitWorkspace:
    """The sample registry with its dev and prod stack files, committed once."""
    ws = GitWorkspace(tmp_path / "repo")
    for stack in ("dev", "prod"):
        shutil.copy(STACKS / f"Pulumi.{stack}.yaml", ws.root / f"Pulumi.{stack}.yaml")
    ws.commit("Stacks")
    monkeypatch.chdir(ws.root)
    return ws


def review(capsys, *args: str) -> tuple[int, str]:
    status = main(["review", "--today", TODAY.isoformat(), *args])
    captured = capsys.readouterr()
    assert status in (0, 1), captured.err
    return status, captured.out


def review_json(capsys, *args: str) -> dict:
    return json.loads(review(capsys, "--format", "json", *args)[1])


def test_added_scope_shows_the_policy_rule_scope_whitelist_change(staged, capsys):
    base = staged.git("rev-parse", "HEAD")
    staged.edit(
        "meeting-summarizer",
        "    - name: calendar.read\n",
        "    - name: calendar.write\n      reason: Books the follow-up meeting the summary proposes.\n"
        "    - name: calendar.read\n",
    )
    head = staged.commit("Summariser books follow-ups")
    data = review_json(capsys, "--base", base, "--head", head)
    plan = data["plan"]
    assert plan["stacks"] == ["dev", "prod"] and plan["notes"] == [] and not plan["skipped"]
    assert data["summary"]["resource_changes"] == len(plan["changes"]) == 2
    rule_changes = [c for c in plan["changes"] if c["name"] == "meeting-summarizer-rule"]
    assert [(c["stack"], c["agent"], c["action"], c["keys"]) for c in rule_changes] == [
        ("dev", "meeting-summarizer", "changed", ["scopeWhitelists"]),
        ("prod", "meeting-summarizer", "changed", ["scopeWhitelists"]),
    ]
    # Nothing else in the plan moves: the plugin's rule, other agents and the shared scopes are untouched.
    assert {c["name"] for c in plan["changes"]} == {"meeting-summarizer-rule"}, plan["changes"]

    _, markdown = review(capsys, "--base", base, "--head", head)
    assert "Offline plan of stacks `dev`, `prod`: 2 resource change(s)." in markdown
    rows = [line for line in markdown.splitlines() if line.startswith("| `dev` |") or line.startswith("| `prod` |")]
    assert rows == [
        "| `dev` | `meeting-summarizer` | ~ `meeting-summarizer-rule` (scopeWhitelists) |",
        "| `prod` | `meeting-summarizer` | ~ `meeting-summarizer-rule` (scopeWhitelists) |",
    ]
    # The registry diff still leads: the escalation row comes before the plan section.
    assert markdown.index("gains scope calendar.write") < markdown.index("Okta resources (offline plan)")


def test_new_agent_adds_its_resources_and_removal_destroys_them(staged, capsys):
    base = staged.git("rev-parse", "HEAD")
    staged.agent("support-triage").unlink()
    head = staged.commit("Retire the support triage agent")
    data = review_json(capsys, "--base", base, "--head", head)
    removed = {(c["stack"], c["name"]) for c in data["plan"]["changes"] if c["action"] == "removed"}
    assert ("dev", "support-triage-app") in removed and ("dev", "support-triage-rule") in removed
    assert all(c["agent"] in ("support-triage", None) for c in data["plan"]["changes"])
    back = review_json(capsys, "--base", head, "--head", base)
    added = {(c["stack"], c["name"]) for c in back["plan"]["changes"] if c["action"] == "added"}
    assert added == removed


def test_stack_config_change_introduces_and_fixes_resource_rule_findings(staged, capsys):
    """No agent file changes, yet the prod plan now breaks a resource rule: the review must say so."""
    base = staged.git("rev-parse", "HEAD")
    path = staged.root / "Pulumi.prod.yaml"
    path.write_text(
        path.read_text().replace('agentid:maxTokenLifetimeMinutes: "30"', 'agentid:maxTokenLifetimeMinutes: "10"')
    )
    head = staged.commit("Tighten prod token lifetime")
    data = review_json(capsys, "--base", base, "--head", head)
    assert data["changes"] == []
    introduced = {(f["rule"], f["agent"]): f["message"] for f in data["findings"]["introduced"]}
    # A stack-aware rule: each revision is judged with its own stack files, so the tighter ceiling is introduced.
    assert "(prod: 10 min)" in introduced[("token-lifetime-stack-max", "meeting-summarizer")], introduced
    assert ("token-lifetime-stack-max", "finance-reconciler") not in introduced  # 5-minute tokens still fit
    assert main(["review", "--today", TODAY.isoformat(), "--base", base, "--head", head]) == 1
    capsys.readouterr()

    reverse = review_json(capsys, "--base", head, "--head", base)
    assert ("token-lifetime-stack-max", "meeting-summarizer") in {
        (f["rule"], f["agent"]) for f in reverse["findings"]["fixed"]
    }
    # only the sample's waived okta-management-token-lifetime finding, re-worded with prod's limit, is "new"
    assert [(f["rule"], f["waived"]) for f in reverse["findings"]["introduced"]] == [
        ("okta-management-token-lifetime", True)
    ]
    # --no-plan compares the registry only, still judged with each revision's stack files (as `agentid check` of
    # that revision judges it): the registry rule sees the tighter ceiling without a plan.
    registry_only = review_json(capsys, "--base", base, "--head", head, "--no-plan")
    introduced_without_plan = {(f["rule"], f["agent"]) for f in registry_only["findings"]["introduced"]}
    assert ("token-lifetime-stack-max", "meeting-summarizer") in introduced_without_plan
    assert ("token-lifetime-stack-max", "finance-reconciler") not in introduced_without_plan
    assert introduced_without_plan <= set(introduced)  # the plan only adds what resource and stack rules find
    assert registry_only["plan"] == {"skipped": True, "stacks": [], "notes": [], "changes": []}


def test_plan_failure_at_base_is_a_note_and_other_stacks_still_compare(staged, capsys):
    (staged.root / "Pulumi.dev.yaml").write_text("config:\n  agentid:authorizationServer: [not, a, mapping\n")
    broken = staged.commit("Break the dev stack file")
    staged.git("revert", "--no-edit", "HEAD")
    staged.edit("support-triage", "  token_lifetime_minutes: 30", "  token_lifetime_minutes: 20")
    status, markdown = review(capsys, "--base", broken)
    assert status == 0
    # Notes carry stack-file text, so they are shown escaped: compare what a reader sees.
    assert "stack `dev`: the plan at base failed, resources not compared: Pulumi.dev.yaml:" in plain(markdown)
    # The agent's policy rule and its plugin's (plugins inherit the agent's lifetime) both change, on one row.
    assert (
        "| `prod` | `support-triage` | ~ `support-triage-rule` (accessTokenLifetimeMinutes); "
        "~ `support-triage--knowledge-base-rule` (accessTokenLifetimeMinutes) |"
    ) in markdown
    assert not any(line.startswith("| `dev` |") for line in markdown.splitlines())


def test_new_stack_at_head_is_noted_with_every_resource_added(staged, capsys):
    base = staged.git("rev-parse", "HEAD")
    text = (staged.root / "Pulumi.dev.yaml").read_text().replace("agents-dev", "agents-staging")
    (staged.root / "Pulumi.staging.yaml").write_text(text)
    data = review_json(capsys, "--base", base)  # head: the working tree
    assert "stack `staging` is new: every resource is added" in data["plan"]["notes"]
    staging = [c for c in data["plan"]["changes"] if c["stack"] == "staging"]
    # No agent lists staging, so only the shared resources are planned there.
    assert staging and {c["action"] for c in staging} == {"added"}
    assert {c["agent"] for c in staging} == {None}


def test_no_stack_files_is_said_once(workspace, capsys):
    for stack_file in workspace.root.glob("Pulumi.*.yaml"):
        workspace.git("rm", "--quiet", stack_file.name)
    workspace.commit("No stacks yet")
    _, markdown = review(capsys, "--base", "HEAD")
    assert "Offline plan not compared: no `Pulumi.<stack>.yaml` at either revision." in markdown


def test_resource_diff_ignores_components_and_names_changed_keys():
    app = "okta:app/oAuth:OAuth"
    base = [
        PlannedResource("agentid:okta:AgentIdentity", "finance-reconciler", {}, agent="finance-reconciler"),
        PlannedResource(app, "finance-reconciler-app", {"label": "a", "status": "ACTIVE"}, agent="finance-reconciler"),
    ]
    head = [
        PlannedResource(
            app, "finance-reconciler-app", {"label": "a", "status": "INACTIVE"}, agent="finance-reconciler"
        ),
    ]
    changes = diff_resources("prod", base, head)
    assert [(c.name, c.action, c.keys) for c in changes] == [("finance-reconciler-app", "changed", ("status",))]


def test_plan_rows_count_against_the_comment_cap(sample_registry):
    """A first deploy of thousands of agents plans tens of thousands of resources: the comment still fits."""
    from agentid.review import MARKDOWN_CAP, Review, compare_findings, diff_registries, render_markdown
    from agentid.review.plandiff import PlanDiff, ResourceChange

    changes = tuple(
        ResourceChange("prod", f"finance-reconciler-{i:05d}", f"finance-reconciler-{i:05d}-{kind}", "t", "added")
        for i in range(3000)
        for kind in ("app", "policy", "rule")
    )
    review_ = Review(
        base_label="origin/main",
        head_label="working tree",
        base_commit="0" * 40,
        head_commit=None,
        diff=diff_registries(sample_registry, sample_registry),
        findings=compare_findings([], []),
        plan=PlanDiff(changes=changes, stacks=("prod",)),
    )
    markdown = render_markdown(review_)
    assert len(markdown) <= MARKDOWN_CAP
    shown = sum(1 for line in markdown.splitlines() if line.startswith("| `prod` |"))
    left = int(next(line for line in markdown.splitlines() if line.startswith("… and ")).split()[2])
    assert shown > 100 and shown + left == 3000  # one row per agent


def test_a_row_with_thousands_of_resources_is_shortened(sample_registry):
    from agentid.review import Review, compare_findings, diff_registries, render_markdown
    from agentid.review.plandiff import PlanDiff, ResourceChange
    from agentid.review.render import MAX_RESOURCES_PER_ROW

    scopes = tuple(ResourceChange("prod", None, f"scope-ledger.{i:05d}.read", "t", "added") for i in range(5000))
    review_ = Review(
        base_label="origin/main",
        head_label="working tree",
        base_commit="0" * 40,
        head_commit=None,
        diff=diff_registries(sample_registry, sample_registry),
        findings=compare_findings([], []),
        plan=PlanDiff(changes=scopes, stacks=("prod",)),
    )
    row = next(line for line in render_markdown(review_).splitlines() if line.startswith("| `prod` |"))
    assert row.count("+ `scope-ledger.") == MAX_RESOURCES_PER_ROW
    assert f"… and {5000 - MAX_RESOURCES_PER_ROW} more (see `--format json`)" in row


def test_member_stack_plans_are_judged_with_the_shard_settings(staged):
    """The review judges each stack's plan with the revision's shard settings, as `agentid check` does: a member
    stack relies on its core's log stream, so its plan is no missing stream (judged without the shard settings, each
    member's plan carried a `stack-has-log-stream` error at both revisions)."""
    from agentid.review.build import build_review
    from agentid.review.gitrev import open_repo
    from tests.scale.test_shard_plans import COUNT, core_stack, member_stack

    staged.git("rm", "--quiet", "Pulumi.dev.yaml")
    (staged.root / "Pulumi.dev-core.yaml").write_text(core_stack(), encoding="utf-8")
    for index in range(COUNT):
        (staged.root / f"Pulumi.dev-shard-{index}.yaml").write_text(member_stack(index), encoding="utf-8")
    base = staged.commit("Shard dev")
    staged.edit("support-triage", "  token_lifetime_minutes: 30", "  token_lifetime_minutes: 20")
    root = staged.root
    result = build_review(
        open_repo(root, root / "agents", root / "policies" / "catalog.yaml"),
        base,
        None,
        today=TODAY,
        agents_dir=root / "agents",
        catalog_file=root / "policies" / "catalog.yaml",
        root=root,
        use_cache=False,
    )
    members = {f"dev-shard-{index}" for index in range(COUNT)}
    assert members <= set(result.plan.stacks) and not result.plan.notes, result.plan.notes
    judged = [*result.plan.base_findings, *result.plan.head_findings]
    assert not [f for f in judged if f.rule == "stack-has-log-stream"], judged
