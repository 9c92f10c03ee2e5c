"""`agentid review-report`: the access-review sheet with each file's last change in git."""

from __future__ import annotations

import csv
import io
import json

from agentid.cli.main import main


def test_sheet_has_owners_scopes_reasons_last_change_and_waivers(workspace, capsys):
    workspace.edit(
        "support-triage",
        "waivers: []",
        "waivers:\n  - rule: token-lifetime\n    reason: Long ticket exports during the CRM migration.\n"
        "    approved_by: ciso@example.com\n    expires: 2026-12-31",
    )
    second = workspace.commit("Waive token lifetime for support triage")
    workspace.edit("meeting-summarizer", "description: Summarizes", "description: Summarises")  # not committed
    assert main(["review-report", "--today", "2026-12-01", "--format", "json"]) == 0
    sheet = {entry["agent"]: entry for entry in json.loads(capsys.readouterr().out)["agents"]}

    triage = sheet["support-triage"]
    assert triage["last_change"] == {"commit": second, "date": "2026-11-09", "uncommitted_changes": False}
    assert triage["waivers"] == [
        {
            "rule": "token-lifetime",
            "reason": "Long ticket exports during the CRM migration.",
            "approved_by": "ciso@example.com",
            "expires": "2026-12-31",
        }
    ]
    crm = next(s for s in triage["scopes"] if s["scope"] == "crm.accounts.read")
    assert crm["domain"] == "sales" and crm["sensitivity"] == "confidential" and crm["reason"]
    assert sheet["finance-reconciler"]["last_change"]["date"] == "2026-11-02"
    assert sheet["meeting-summarizer"]["last_change"]["uncommitted_changes"] is True
    # Every privilege each identity's key carries, the directory-reader plugin's Okta access included.
    auditor = [(s["identity"], s["scope"], s["domain"]) for s in sheet["okta-user-auditor"]["scopes"]]
    assert auditor == [
        ("okta-user-auditor", "access-reviews.write", "identity"),
        ("okta-user-auditor--directory-reader", "okta.users.read", "okta-management"),
        ("okta-user-auditor--directory-reader", "READ_ONLY_ADMIN", "okta-management"),
    ], auditor


def test_waiver_past_its_date_is_not_in_force(workspace, capsys):
    workspace.edit(
        "support-triage",
        "waivers: []",
        "waivers:\n  - rule: token-lifetime\n    reason: Long ticket exports during the CRM migration.\n"
        "    approved_by: ciso@example.com\n    expires: 2026-11-30",
    )
    assert main(["review-report", "--today", "2026-12-01", "--format", "json"]) == 0
    sheet = {entry["agent"]: entry for entry in json.loads(capsys.readouterr().out)["agents"]}
    assert sheet["support-triage"]["waivers"] == []


def test_csv_is_one_row_per_scope_with_a_decision_column(workspace, capsys):
    assert main(["review-report", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    hr = [r for r in rows if r["agent"] == "hr-onboarding-assistant"]
    assert [(r["identity"], r["scope"]) for r in hr] == [
        ("hr-onboarding-assistant", "hr.records.read"),
        ("hr-onboarding-assistant", "hr.onboarding.write"),
        ("hr-onboarding-assistant", "calendar.write"),
        ("hr-onboarding-assistant--scheduler", "calendar.write"),
    ]
    assert all(r["decision"] == "" and len(r["last_change_commit"]) == 40 for r in rows)


def test_markdown_sections_per_agent(workspace, capsys):
    assert main(["review-report", "--today", "2026-12-01"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n## `") == 6
    assert "- Last change in git: 2026-11-02 (" in out


def test_a_definition_that_fails_to_load_is_named(workspace, capsys):
    workspace.agent("expense-auditor").write_text("name: [expense-auditor\n")
    assert main(["review-report", "--today", "2026-12-01"]) == 1  # written without it, and the exit status says so
    captured = capsys.readouterr()
    assert "review-report: 1 definition(s) fail to load and are left out: agents/expense-auditor.yaml" in captured.err
    assert "support-triage" in captured.out
