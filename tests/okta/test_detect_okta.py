"""`agentid detect --okta`: the System Log pulled from the emulated org's /api/v1/logs (since/until, Link rel=next
pages, Okta's redeliveries de-duplicated by the detector), with a cursor saved between runs so each event is judged
once even though every run re-reads its starting instant."""

from __future__ import annotations

import json

import pytest

from agentid.cli.main import main
from tests.conftest import TODAY
from tests.okta import emulator as e
from tests.okta.conftest import SHADOW_ID, add_shadow_app


def detect(capsys, *args: str) -> tuple[int, dict, str]:
    status = main(["detect", "--okta", "--today", TODAY.isoformat(), "--format", "json", *args])
    captured = capsys.readouterr()
    return status, json.loads(captured.out) if captured.out.strip() else {}, captured.err


@pytest.fixture
def shadow_tokens(org_state):
    """Five tokens to the shadow app over two pages and more, one of them delivered twice (at-least-once)."""
    add_shadow_app(org_state, last_token=None)
    events = [
        e.token_event(SHADOW_ID, "Nightly invoice export", f"2026-11-30T02:1{i}:00.000Z", uuid=f"shadow-token-{i}")
        for i in range(5)
    ]
    org_state.logs.extend([*events, dict(events[2])])
    return events


def shadow_alerts(document: dict) -> list[dict]:
    return [a for a in document["alerts"] if a["client_id"] == SHADOW_ID]


def test_pulls_every_page_and_judges_each_event_once(org, org_state, shadow_tokens, reader_env, capsys):
    status, document, err = detect(capsys, "--since", "2026-11-30T00:00:00.000Z", "--until", "2026-12-01T00:00:00.000Z")
    assert status == 1, err
    assert document["summary"]["events"] == 5 and document["summary"]["duplicates"] == 1
    (alert,) = shadow_alerts(document)
    assert alert["count"] == 5 and alert["detection"] == "shadow-agent-token"
    assert "read 6 event(s) from the org" in err
    pages = [p for m, p in org_state.requests if p.startswith("/api/v1/logs")]
    assert len(pages) == 3 and all("until=" in p for p in pages)  # followed rel="next" with the same window


def test_the_cursor_carries_on_where_the_last_run_stopped(org, org_state, shadow_tokens, reader_env, capsys, tmp_path):
    cursor = tmp_path / "okta-log.cursor"
    status, document, _ = detect(capsys, "--since", "2026-11-30T00:00:00.000Z", "--cursor", str(cursor))
    assert status == 1 and shadow_alerts(document)[0]["count"] == 5
    saved = json.loads(cursor.read_text())
    assert saved["published"] == "2026-11-30T02:14:00.000Z" and saved["uuids"] == ["shadow-token-4"]
    assert saved["org_url"] == org.url

    # nothing new: the boundary event is read again (since is inclusive) and dropped, no alert repeats
    status, document, err = detect(capsys, "--cursor", str(cursor))
    assert status == 0, document
    assert "read 0 event(s) from the org, 1 already judged by the previous run" in err

    # one new token: only it is judged
    org_state.logs.append(e.token_event(SHADOW_ID, "Nightly invoice export", "2026-11-30T03:00:00.000Z", uuid="late"))
    status, document, _ = detect(capsys, "--cursor", str(cursor))
    assert status == 1 and document["summary"]["events"] == 1
    assert json.loads(cursor.read_text())["uuids"] == ["late"]


def test_a_failed_read_leaves_the_cursor_where_it_was(org, org_state, shadow_tokens, reader_env, capsys, tmp_path):
    cursor = tmp_path / "okta-log.cursor"
    detect(capsys, "--since", "2026-11-30T00:00:00.000Z", "--cursor", str(cursor))
    before = cursor.read_text()
    org_state.failures["/api/v1/logs"] = (403, e.error("E0000006", "You do not have permission"))
    status, _, err = detect(capsys, "--cursor", str(cursor))
    assert status == 2 and "E0000006" in err
    assert cursor.read_text() == before


def test_usage_errors(org, reader_env, capsys, tmp_path):
    status, _, err = detect(capsys)
    assert status == 2 and "--since" in err
    status = main(["detect", "--since", "2026-11-30T00:00:00Z", "--events", "x.jsonl"])
    assert status == 2 and "go with --okta" in capsys.readouterr().err
    other = tmp_path / "other.cursor"
    other.write_text(json.dumps({"org_url": "https://other.okta.com", "published": "2026-11-30T00:00:00Z"}))
    status, _, err = detect(capsys, "--cursor", str(other))
    assert status == 2 and "cursor of https://other.okta.com" in err
