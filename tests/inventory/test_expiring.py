"""`agentid expiring`: what is due, and the exit status a scheduler reads."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from agentid.cli.main import main
from agentid.lifecycle import DueKind, due_items, lifecycle_status, parse_window


def run(capsys, *args: str) -> tuple[int, str, str]:
    status = main(["expiring", *args])
    out = capsys.readouterr()
    return status, out.out, out.err


def test_nothing_due_exits_zero(repo, monkeypatch, capsys):
    monkeypatch.chdir(repo)
    status, out, _ = run(capsys, "--today", "2026-12-01", "--within", "14d")
    assert status == 0
    assert out.startswith("Nothing due within 14 days of 2026-12-01")


def test_expiry_within_window_is_due_with_owners(repo, monkeypatch, capsys):
    monkeypatch.chdir(repo)
    status, out, _ = run(capsys, "--today", "2026-12-01", "--within", "3w", "--format", "json")
    assert status == 1
    due = json.loads(out)["due"]
    assert [(d["agent"], d["kind"], d["days_left"]) for d in due] == [
        ("incident-responder", "expires", 19),
        ("incident-responder", "review", 19),
    ]
    assert due[0]["owners"] == ["sam.oconnor@example.com", "grace.liu@example.com"]
    assert due[0]["status"] == "expires soon"


def test_expired_agent_and_overdue_reviews_are_reported(repo, monkeypatch, capsys):
    monkeypatch.chdir(repo)
    status, out, _ = run(capsys, "--today", "2027-02-16", "--within", "0", "--format", "json")
    assert status == 1
    due = {(d["agent"], d["kind"]): d for d in json.loads(out)["due"]}
    assert due[("incident-responder", "expires")]["status"] == "expired (deployed inactive)"
    assert due[("hr-onboarding-assistant", "review")]["status"] == "review overdue"
    assert due[("finance-reconciler", "review")]["days_left"] == -1
    assert ("meeting-summarizer", "review") not in due


def test_text_output_lists_owners(repo, monkeypatch, capsys):
    monkeypatch.chdir(repo)
    status, out, _ = run(capsys, "--today", "2026-12-01", "--within", "30d")
    assert status == 1
    assert "incident-responder" in out and "sam.oconnor@example.com" in out


def test_bad_window_is_a_usage_error(repo, monkeypatch, capsys):
    monkeypatch.chdir(repo)
    status, _, err = run(capsys, "--within", "fortnight")
    assert status == 2
    assert "e.g. 14d, 2w or 30" in err


@pytest.mark.parametrize(("text", "days"), [("14d", 14), ("2w", 14), ("30", 30), ("0d", 0), (" 7D ", 7)])
def test_parse_window(text, days):
    assert parse_window(text) == days


def test_last_day_is_still_active(sample_registry):
    responder = sample_registry.get("incident-responder")
    assert lifecycle_status(responder, dt.date(2026, 12, 20)) == "expiring"
    assert lifecycle_status(responder, dt.date(2026, 12, 21)) == "expired"
    items = due_items((responder,), dt.date(2026, 12, 20), 0)
    assert [(i.kind, i.overdue) for i in items] == [(DueKind.EXPIRES, False), (DueKind.REVIEW, False)]


def test_a_definition_that_fails_to_load_is_named_and_not_nothing_due(tmp_path, monkeypatch, capsys):
    """A broken file may be the agent about to expire: the scheduler must not be told "nothing due"."""
    import shutil

    from tests.conftest import AGENTS_DIR, CATALOG

    shutil.copytree(AGENTS_DIR, tmp_path / "agents")
    (tmp_path / "policies").mkdir()
    shutil.copy(CATALOG, tmp_path / "policies" / "catalog.yaml")
    (tmp_path / "Pulumi.yaml").write_text("name: agentid\nruntime: python\n")
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "--today", "2026-12-01")[0] == 0
    (tmp_path / "agents" / "expense-auditor.yaml").write_text("name: [expense-auditor\n")
    status, out, err = run(capsys, "--today", "2026-12-01")
    assert status == 1
    assert "1 definition(s) could not be checked" in out
    assert "agents/expense-auditor.yaml" in err and "agentid validate" in err
    status, out, _ = run(capsys, "--today", "2026-12-01", "--format", "json")
    assert status == 1 and json.loads(out)["unloaded"] == ["agents/expense-auditor.yaml"]
