"""`agentid review` end to end, on real git repositories built in a temporary directory."""

from __future__ import annotations

import json

from agentid.cli.main import main
from tests.conftest import TODAY
from tests.review.markdown_check import plain


def run_review(capsys, *args: str) -> tuple[int, str, str]:
    status = main(["review", "--today", TODAY.isoformat(), *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def review_json(capsys, *args: str) -> dict:
    status, out, err = run_review(capsys, "--format", "json", *args)
    assert status in (0, 1), err
    return json.loads(out)


def test_unchanged_registry_reports_no_changes(workspace, capsys):
    status, out, _ = run_review(capsys, "--base", "HEAD")
    assert status == 0
    assert "No privilege changes" in out.splitlines()[2]
    assert "| impact |" not in out


def test_reformatting_and_reordering_is_not_a_change(workspace, capsys):
    path = workspace.agent("finance-reconciler")
    text = path.read_text()
    # Flow lists become block lists, keys move, a comment is added: the model is identical.
    text = text.replace("owners: [maria.lopez@example.com, james.okafor@example.com]\n", "")
    text = text.replace("environments: [dev, prod]", "environments:\n  - dev\n  - prod")
    text += "# reviewed with the controller\nowners:\n  - maria.lopez@example.com\n  - james.okafor@example.com\n"
    path.write_text(text)
    data = review_json(capsys, "--base", "HEAD")
    assert data["changes"] == []
    assert data["findings"]["introduced"] == []


def test_escalations_lead_in_severity_order(workspace, capsys):
    base = workspace.git("rev-parse", "HEAD")
    workspace.edit("support-triage", "  token_lifetime_minutes: 30", "  token_lifetime_minutes: 60")
    workspace.edit(
        "okta-user-auditor",
        "okta_api_scopes: [okta.users.read]",
        "okta_api_scopes: [okta.users.read, okta.groups.manage]",
    )
    workspace.edit(
        "meeting-summarizer",
        "    - name: calendar.read\n      reason: Reads the meeting's attendee list to address the summary.\n",
        "    - name: hr.records.read\n      reason: Looks up attendees' managers to copy them on the summary.\n",
    )
    workspace.commit("Widen three agents")
    data = review_json(capsys, "--base", base, "--head", "HEAD")
    kinds = [(c["impact"], c["kind"], c["agent"]) for c in data["changes"]]
    assert kinds[:3] == [
        ("escalation", "scope-added", "meeting-summarizer"),
        ("escalation", "plugin-management-scope-added", "okta-user-auditor"),  # its directory-reader plugin's
        ("escalation", "token-lifetime", "support-triage"),
    ], kinds
    assert ("reduction", "scope-removed", "meeting-summarizer") in kinds
    first = data["changes"][0]
    assert first["after"] == {"scope": "hr.records.read", "domain": "hr", "sensitivity": "restricted"}
    assert data["summary"]["escalations"] == 3
    assert data["changes"][2]["before"] == 30 and data["changes"][2]["after"] == 60

    _, out, _ = run_review(capsys, "--base", base, "--head", "HEAD")
    lines = out.splitlines()
    assert lines[2].startswith(
        "⚠️ **Privilege escalation** (1 touch restricted data; 1 grant Okta management scopes or admin roles)"
    )
    table = [line for line in lines if line.startswith("| 🔺")]
    assert "hr.records.read (hr, restricted)" in table[0]
    assert "okta.groups.manage" in table[1]
    assert "30 → 60 min" in table[2]


def test_token_lifetime_shorter_is_a_reduction(workspace, capsys):
    workspace.edit("okta-user-auditor", "token_lifetime_minutes: 30", "token_lifetime_minutes: 10")
    data = review_json(capsys, "--base", "HEAD")
    assert [(c["impact"], c["kind"]) for c in data["changes"]] == [("reduction", "token-lifetime")]
    assert data["verdict"].startswith("✅ **Privileges reduced**")


def test_renamed_file_is_matched_by_agent_name(workspace, capsys):
    workspace.git("mv", "agents/support-triage.yaml", "agents/support-triage-bot.yaml")
    data = review_json(capsys, "--base", "HEAD")
    assert data["summary"]["agents_added"] == [] and data["summary"]["agents_removed"] == []
    assert data["changes"] == []
    assert data["renamed_files"] == [{"from": "agents/support-triage.yaml", "to": "agents/support-triage-bot.yaml"}]
    # The loader still insists that the file is named after the agent: that finding is new.
    assert [f["rule"] for f in data["findings"]["introduced"]] == ["load.name-mismatch"]


def test_added_and_removed_agents_and_plugins(workspace, capsys):
    source = workspace.agent("finance-reconciler").read_text()
    workspace.agent("finance-reconciler").unlink()
    payroll = source.replace("finance-reconciler", "payroll-reconciler").replace(
        "finance-reconciler-2026-11", "payroll-reconciler-2026-11"
    )
    workspace.agent("payroll-reconciler").write_text(payroll)
    workspace.edit(
        "incident-responder",
        "plugins: []",
        "plugins:\n  - name: status-page\n    description: Posts customer-facing status updates.\n"
        "    scopes: [incidents.write]\n"
        "    credentials: {jwks_uri: https://keys.example.com/agents/incident-responder/status/jwks.json}",
    )
    data = review_json(capsys, "--base", "HEAD")
    assert data["summary"]["agents_added"] == ["payroll-reconciler"]
    assert data["summary"]["agents_removed"] == ["finance-reconciler"]
    by_kind = {c["kind"]: c for c in data["changes"]}
    assert by_kind["agent-added"]["impact"] == "escalation"
    assert "restricted-data" in by_kind["agent-added"]["tags"]
    assert by_kind["agent-removed"]["impact"] == "reduction"
    assert by_kind["plugin-added"]["summary"].startswith("new plugin identity incident-responder--status-page")
    # The payroll agent reuses the finance agent's public key: the diff says so.
    reuse = [c for c in data["changes"] if c["kind"] == "key-reuse"]
    assert reuse == [], "the finance agent is deleted, so nothing shares the key any more"


def test_key_reuse_and_rotation(workspace, capsys):
    finance = workspace.agent("finance-reconciler").read_text()
    finance_key = finance[finance.index("    - kty: RSA") : finance.index("access:")]
    auditor = workspace.agent("okta-user-auditor").read_text()
    auditor_key = auditor[auditor.index("    - kty: RSA") : auditor.index("access:")]
    workspace.agent("okta-user-auditor").write_text(
        auditor.replace(auditor_key, finance_key.replace("kid: finance-reconciler-2026-11", "kid: auditor-2026-12"))
    )
    data = review_json(capsys, "--base", "HEAD")
    kinds = {c["kind"]: c for c in data["changes"]}
    assert kinds["key-reuse"]["impact"] == "escalation"
    assert "finance-reconciler" in kinds["key-reuse"]["summary"]
    assert kinds["key-rotated"]["impact"] == "neutral"


def test_catalog_change_at_head_is_used(workspace, capsys):
    catalog = workspace.root / "policies" / "catalog.yaml"
    catalog.write_text(
        catalog.read_text().replace(
            "domain: operations\n    sensitivity: confidential", "domain: operations\n    sensitivity: restricted"
        )
    )
    data = review_json(capsys, "--base", "HEAD")
    assert [(c["agent"], c["kind"], c["impact"]) for c in data["changes"]] == [
        ("incident-responder", "scope-reclassified", "escalation")
    ]


def test_invalid_definition_at_head_is_reported_not_crashed_on(workspace, capsys):
    workspace.edit("support-triage", "token_lifetime_minutes: 30", "token_lifetime_minutes: [thirty")
    status, out, err = run_review(capsys, "--base", "HEAD")
    assert status == 1, err
    assert "definition problem(s) at head" in out
    assert "| introduced | error |" in out
    assert "agents/support-triage.yaml:" in out


def test_bad_ref_is_a_usage_error(workspace, capsys):
    status, out, err = run_review(capsys, "--base", "origin/does-not-exist")
    assert status == 2
    assert out == ""
    assert "`origin/does-not-exist` is not a commit" in err
    assert "fetch-depth: 0" in err


def test_option_like_ref_is_refused(workspace, capsys):
    status, _, err = run_review(capsys, "--base", "--output=/tmp/x")
    assert status == 2
    assert "not a git revision" in err


def test_outside_a_git_repository_is_a_usage_error(tmp_path, monkeypatch, capsys):
    (tmp_path / "Pulumi.yaml").write_text("name: x\n")
    (tmp_path / "agents").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    status, _, err = run_review(capsys, "--base", "main")
    assert status == 2
    assert "not inside a git repository" in err


def test_json_and_markdown_give_the_same_changes(workspace, capsys):
    workspace.edit("hr-onboarding-assistant", "environments: [dev, prod]", "environments: [dev]")
    workspace.edit(
        "meeting-summarizer",
        "owners: [priya.raman@example.com, tom.becker@example.com]",
        "owners: [priya.raman@example.com, aisha.khan@example.com]",
    )
    data = review_json(capsys, "--base", "HEAD")
    _, out, _ = run_review(capsys, "--base", "HEAD")
    rows = [line for line in out.splitlines() if line.startswith(("| 🔺", "| 🔻", "| ▫️"))]
    assert len(rows) == len(data["changes"]) == 2
    for row, change in zip(rows, data["changes"], strict=True):
        # The row shows the values inert (escaped, mentions broken by a joiner): compare what a reader sees.
        assert change["agent"] in plain(row) and change["summary"] in plain(row)


def test_policy_findings_introduced_then_fixed(workspace, capsys):
    """With the real policy engine: a purpose-violating scope is introduced by one change and fixed by the next."""
    clean = workspace.git("rev-parse", "HEAD")
    workspace.edit(
        "meeting-summarizer",
        "    - name: transcripts.read\n",
        "    - name: hr.records.read\n      reason: Looks up attendees' managers.\n    - name: transcripts.read\n",
    )
    broken = workspace.commit("Give the summariser HR records")
    introduced = review_json(capsys, "--base", clean, "--head", broken)
    rules = {(f["rule"], f["agent"]) for f in introduced["findings"]["introduced"]}
    assert ("purpose-data-domain", "meeting-summarizer") in rules
    assert introduced["findings"]["fixed"] == []
    assert main(["review", "--today", TODAY.isoformat(), "--base", clean, "--head", broken]) == 1
    capsys.readouterr()

    fixed = review_json(capsys, "--base", broken, "--head", clean)
    assert ("purpose-data-domain", "meeting-summarizer") in {
        (f["rule"], f["agent"]) for f in fixed["findings"]["fixed"]
    }
    assert fixed["findings"]["introduced"] == []
