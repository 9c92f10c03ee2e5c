"""`agentid rightsize` on a month of prod events with known use (tests/rightsize/events.py says what each agent did)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from agentid.cli.main import main
from tests.conftest import fixture_repo
from tests.rightsize import events as fixture

ARGS = ["--client-ids", str(fixture.OUTPUTS), "--stack", "prod"]


def run(capsys, *args: str, events: Path = fixture.EVENTS, today: str = "2026-12-01") -> tuple[int, str, str]:
    status = main(["rightsize", "--events", str(events), *ARGS, "--today", today, *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def report(capsys, *args: str, **kwargs) -> tuple[int, dict]:
    status, out, err = run(capsys, "--format", "json", *args, **kwargs)
    assert status in (0, 1), err
    return status, json.loads(out)


def by_identity(document: dict) -> dict[str, dict]:
    return {entry["identity"]: entry for entry in document["identities"]}


def proposals(entry: dict, kind: str | None = None) -> list[dict]:
    return [p for p in entry["proposed"] if kind is None or p["kind"] == kind]


def test_the_committed_fixture_is_what_the_generator_writes():
    assert fixture.EVENTS.read_text(encoding="utf-8") == fixture.text(), "run python -m tests.rightsize.events"


def test_json_report_per_identity(capsys):
    status, document = report(capsys, "--days", "30")
    assert status == 1
    assert document["window"] == {"start": "2026-11-01T00:00:00Z", "end": "2026-12-01T00:00:00Z", "days": 30}
    assert document["coverage"]["days_with_events"] == 30 and not document["coverage"]["blocked"]
    assert document["events"]["duplicates"] == 1
    found = by_identity(document)
    for entry in found.values():
        assert {"unused_scopes", "observed_peak_tokens_per_hour", "observed_hours", "dormant", "proposed"} <= set(entry)
    meeting = found["meeting-summarizer"]
    # the redelivered grant counts once: 4 tokens in 09:00-10:00 on the 15th, not 5
    assert meeting["observed_peak_tokens_per_hour"] == 4
    assert meeting["observed_hours"] == [9, 10]
    assert meeting["tokens"] == 30 * 3 + 2  # the refused request on the 20th is not a token
    assert [(p["field"], p["old"], p["new"]) for p in proposals(meeting)] == [
        ("profile.max_tokens_per_hour", 12, 6),
        ("profile.active_hours_utc", "06:00-20:00", "09:00-11:00"),
    ]


def test_a_scope_a_plugin_holds_stays_on_its_agent(capsys):
    found = by_identity(report(capsys)[1])
    assert found["meeting-summarizer"]["unused_scopes"] == ["calendar.read"]
    assert not proposals(found["meeting-summarizer"], "remove_scope"), "its calendar plugin uses calendar.read"


def test_scopes_used_once_at_the_windows_edges_are_kept(capsys):
    found = by_identity(report(capsys)[1])
    triage = found["support-triage"]
    assert {"crm.accounts.read", "tickets.write"} <= set(triage["granted_scopes"])
    assert triage["unused_scopes"] == ["docs.public.read"]  # held by its knowledge-base plugin: not proposed
    assert not proposals(triage, "remove_scope")


def test_a_grant_just_outside_the_window_does_not_count(capsys):
    found = by_identity(report(capsys)[1])
    hr = found["hr-onboarding-assistant"]
    assert "hr.onboarding.write" not in hr["granted_scopes"]
    assert [(p["field"], p["old"]) for p in proposals(hr, "remove_scope")] == [("access.scopes", "hr.onboarding.write")]


def test_the_window_moves_with_today(capsys):
    """A day later the first-minute grant of crm.accounts.read falls out and the 2026-12-01T00:00:00 grant of
    hr.onboarding.write falls in: the bounds are today-N 00:00 (included) and today 00:00 (excluded)."""
    found = by_identity(report(capsys, today="2026-12-02")[1])
    assert [p["old"] for p in proposals(found["support-triage"], "remove_scope")] == ["crm.accounts.read"]
    assert not proposals(found["hr-onboarding-assistant"], "remove_scope")


def test_a_refused_request_is_not_use_but_its_scopes_are_never_removed(capsys):
    finance = by_identity(report(capsys)[1])["finance-reconciler"]
    assert finance["refusals"] == 1 and finance["tokens"] == 30
    assert "finance.reconciliation.write" not in finance["granted_scopes"]
    assert finance["unused_scopes"] == [] and not proposals(finance, "remove_scope")


def test_dormant_identities_are_proposed_for_offboarding(capsys):
    found = by_identity(report(capsys)[1])
    assert found["incident-responder"]["dormant"] is True
    assert [p["kind"] for p in proposals(found["incident-responder"])] == ["offboard"]
    assert found["support-triage--knowledge-base"]["dormant"] is True
    assert [p["identity"] for p in proposals(found["support-triage"], "remove_plugin")] == [
        "support-triage--knowledge-base"
    ]


def test_okta_api_scopes_are_judged_on_org_server_grants(capsys):
    reader = by_identity(report(capsys)[1])["okta-user-auditor--directory-reader"]
    assert reader["granted_scopes"] == ["okta.users.read"] and reader["unused_okta_api_scopes"] == []


def test_renewals_inside_the_token_lifetime_propose_a_shorter_one(capsys):
    hr = by_identity(report(capsys)[1])["hr-onboarding-assistant"]
    assert hr["renewal_interval_p99_minutes"] == 4
    lifetime = proposals(hr, "token_lifetime_minutes")
    assert [(p["old"], p["new"], p["applied_by_write"]) for p in lifetime] == [(10, 5, False)]


def test_low_coverage_blocks_every_proposal(capsys):
    """Sixty days before 2026-12-01 hold events on 31 of them: a gap looks like a scope nobody used."""
    status, document = report(capsys, "--days", "60")
    assert status == 0
    assert document["coverage"]["days_with_events"] == 31 and document["coverage"]["blocked"] is True
    assert all(entry["proposed"] == [] for entry in document["identities"])
    assert by_identity(document)["incident-responder"]["dormant"] is True  # observed, but not proposed
    status, document = report(capsys, "--days", "60", "--min-coverage", "50")
    assert status == 1 and not document["coverage"]["blocked"]


def test_exit_2_on_usage_errors(capsys, tmp_path):
    assert run(capsys, events=tmp_path / "missing.jsonl")[0] == 2
    assert run(capsys, "--days", "0")[0] == 2
    status, _out, err = run(capsys, "--stack", "staging")
    assert status == 2 and "no agent names stack" in err


def test_a_truncated_file_proposes_nothing(capsys, tmp_path):
    broken = tmp_path / "events.json"
    first, second = fixture.EVENTS.read_text().splitlines()[:2]
    broken.write_text(f'[\n{first},\n{{"eventType": oops}},\n{second}\n]\n')  # the lines after it are lost
    status, out, err = run(capsys, events=broken)
    assert status == 2 and "could not be read past this line" in err and out == ""


def test_malformed_lines_are_reported_with_their_line(capsys, tmp_path):
    lines = fixture.EVENTS.read_text().splitlines()
    damaged = tmp_path / "events.jsonl"
    damaged.write_text("\n".join([*lines[:3], "{not json", *lines[3:]]) + "\n")
    status, _out, err = run(capsys, events=damaged)
    assert status == 1 and f"{damaged}:4: warning: not valid JSON" in err


def test_markdown_is_a_pull_request_body_with_inert_text(capsys):
    status, out, _err = run(capsys, "--format", "markdown")
    assert status == 1
    assert out.startswith("## Rightsize `prod`")
    row = "| `agents/hr-onboarding-assistant.yaml` | `hr-onboarding-assistant` | remove `hr.onboarding.write` from "
    assert row + "`access.scopes` | edited |" in out
    assert "| offboard `incident-responder`: remove its file" in out and "| owners decide |" in out
    assert "**reduction**" in out


def _keep(agent_file: Path, scope: str, reason: str, until: str) -> None:
    text = agent_file.read_text()
    agent_file.write_text(text + f"keep:\n  - scope: {scope}\n    reason: {json.dumps(reason)}\n    until: {until}\n")


def test_a_keep_entry_holds_a_scope_until_it_lapses(capsys, tmp_path, monkeypatch):
    root = fixture_repo(tmp_path / "repo")
    monkeypatch.chdir(root)
    hr_file = root / "agents" / "hr-onboarding-assistant.yaml"
    reason = "Written only in the January hiring wave; idle the rest of the year."
    _keep(hr_file, "hr.onboarding.write", reason, "2027-01-31")
    hr = by_identity(report(capsys)[1])["hr-onboarding-assistant"]
    assert not proposals(hr, "remove_scope")
    assert hr["kept_scopes"] == [
        {
            "scope": "hr.onboarding.write",
            "reason": "Written only in the January hiring wave; idle the rest of the year.",
            "until": "2027-01-31",
        }
    ]
    shutil.copy2(fixture_repo(tmp_path / "fresh") / "agents" / "hr-onboarding-assistant.yaml", hr_file)
    _keep(hr_file, "hr.onboarding.write", "TODO: explain why this stays", "2027-01-31")
    hr = by_identity(report(capsys)[1])["hr-onboarding-assistant"]
    assert [p["old"] for p in proposals(hr, "remove_scope")] == ["hr.onboarding.write"], "a placeholder keeps nothing"


COMMENTED = """\
  scopes:
    # the ledger is read-only for this agent
    - name: hr.records.read
      reason: Reads the new hire's name, role, manager and start date to personalise the checklist.
    - name: hr.onboarding.write
      # written once per new hire
      reason: Creates and updates the new hire's onboarding checklist.
    - name: calendar.write
      reason: Its calendar plugin books first-week meetings with the manager and buddy.  # see plugins
"""


def test_write_removes_exactly_the_proposed_lines(capsys, tmp_path, monkeypatch):
    root = fixture_repo(tmp_path / "repo")
    monkeypatch.chdir(root)
    hr_file = root / "agents" / "hr-onboarding-assistant.yaml"
    original = hr_file.read_text()
    start = original.index("  scopes:\n")
    end = original.index("  token_lifetime_minutes:")
    original = original[:start] + COMMENTED + original[end:]
    original = original.replace("max_tokens_per_hour: 20", "max_tokens_per_hour: 20  # one per checklist step")
    hr_file.write_text(original)
    meeting_file = root / "agents" / "meeting-summarizer.yaml"
    meeting_before = meeting_file.read_bytes()

    status, _out, err = run(capsys, "--write")
    assert status == 1, err
    assert "edited" in err
    after = hr_file.read_text()
    removed = [
        "    - name: hr.onboarding.write\n",
        "      # written once per new hire\n",
        "      reason: Creates and updates the new hire's onboarding checklist.\n",
    ]
    expected = original
    for line in removed:
        expected = expected.replace(line, "", 1)
    expected = expected.replace("max_tokens_per_hour: 20  #", "max_tokens_per_hour: 17  #")
    expected = expected.replace('active_hours_utc: "07:00-19:00"', 'active_hours_utc: "08:00-09:00"')
    assert after == expected
    meeting_expected = meeting_before.replace(b"max_tokens_per_hour: 12", b"max_tokens_per_hour: 6")
    assert meeting_file.read_bytes() == meeting_expected.replace(b'"06:00-20:00"', b'"09:00-11:00"')
    # the edited files load and the same run finds nothing left to remove or lower
    status, document = report(capsys)
    hr = by_identity(document)["hr-onboarding-assistant"]
    assert [p["kind"] for p in proposals(hr)] == ["token_lifetime_minutes"]


def test_write_edits_a_flow_list_on_its_own_line(capsys, tmp_path, monkeypatch):
    """An unused Okta API scope in `okta_api_scopes: [a, b]` is removed from that line alone."""
    root = fixture_repo(tmp_path / "repo")
    monkeypatch.chdir(root)
    auditor = root / "agents" / "okta-user-auditor.yaml"
    before = auditor.read_text().replace("[okta.users.read]", "[okta.users.read, okta.groups.read]")
    auditor.write_text(before)
    found = by_identity(report(capsys)[1])
    removal = proposals(found["okta-user-auditor--directory-reader"], "remove_okta_api_scope")
    assert [(p["field"], p["old"]) for p in removal] == [("plugins.0.okta_api_scopes", "okta.groups.read")]
    run(capsys, "--write")
    after = auditor.read_text()
    assert after == before.replace("[okta.users.read, okta.groups.read]", "[okta.users.read]").replace(
        "max_tokens_per_hour: 6", "max_tokens_per_hour: 2"
    )


@pytest.mark.parametrize("output_format", ["text", "markdown", "json"])
def test_hostile_names_in_events_never_reach_the_output(capsys, tmp_path, output_format):
    """Scope names come from events anyone holding a key can shape: a workflow command in one stays inert."""
    scopes = "transcripts.read, ::set-output name=x::1"
    hostile = fixture.event("meeting-summarizer", "2026-11-03T09:00:00.000Z", scopes)
    path = tmp_path / "events.jsonl"
    path.write_text(fixture.EVENTS.read_text() + json.dumps(hostile) + "\n")
    status, out, _err = run(capsys, "--format", output_format, events=path)
    assert status == 1
    assert "\n::" not in out and not out.startswith("::")


def test_team_selects_one_teams_agents_with_their_reviewers(capsys):
    """The scheduled workflow opens one pull request per team, its owners (as CODEOWNERS maps them) as reviewers."""
    status, document = report(capsys, "--team", "people-operations")
    assert status == 1
    assert {e["agent"] for e in document["identities"]} == {"hr-onboarding-assistant"}
    hr = by_identity(document)["hr-onboarding-assistant"]
    assert hr["team"] == "people-operations" and hr["reviewers"] == ["@aisha-khan", "@dmoreau"]
    assert run(capsys, "--team", "payroll")[0] == 2


def test_a_keep_reason_is_inert_in_the_pull_request_body(capsys, tmp_path, monkeypatch):
    """The reason is an agent author's text, shown in a pull request the workflow opens: no mention, no HTML."""
    root = fixture_repo(tmp_path / "repo")
    monkeypatch.chdir(root)
    reason = "Quarterly close only; ask @example-org/finance <img src=x onerror=alert(1)> [here](https://evil.example)"
    _keep(root / "agents" / "hr-onboarding-assistant.yaml", "hr.onboarding.write", reason, "2027-01-31")
    status, out, _err = run(capsys, "--format", "markdown")
    assert status == 1 and "Kept on purpose" in out
    assert "@example-org/finance" not in out, "a mention would notify the team"
    assert not re.search(r"(?<!\\)<img", out) and not re.search(r"(?<!\\)\]\(https://evil", out)
