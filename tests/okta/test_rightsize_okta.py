"""`agentid rightsize --okta`: a month of prod token events pulled from the emulated org's /api/v1/logs (the reader
app's private_key_jwt, ``Link: rel=next`` pages, the token event types filtered by Okta, the window's since/until)
gives the same report as the same events read from a file (tests/rightsize/events.py says what each agent did)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from agentid.cli.main import main
from tests.okta import emulator as e
from tests.rightsize import events as month

ARGS = ["--client-ids", str(month.OUTPUTS), "--stack", "prod", "--today", "2026-12-01", "--days", "30"]
#: the fixture's two grants just outside 2026-11-01..2026-12-01: the org is asked for the window only
OUTSIDE = 2


def rightsize(capsys, *args: str) -> tuple[int, str, str]:
    status = main(["rightsize", *ARGS, *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def november(org_state):
    """The month in the org's log, with a sign-in a month of every event would also hold (Okta filters it out)."""
    org_state.logs.extend(month.month())
    sign_in = e.token_event("00u0finance0analyst1", "Finance analyst", "2026-11-12T08:00:00.000Z", uuid="sign-in")
    org_state.logs.append({**sign_in, "eventType": "user.session.start"})
    org_state.page_size = 100
    return org_state


def test_a_month_from_the_org_is_the_report_of_the_same_events_in_a_file(org, november, reader_env, capsys):
    status, out, err = rightsize(capsys, "--okta", "--format", "json")
    file_status, file_out, _ = rightsize(capsys, "--events", str(month.EVENTS), "--format", "json")
    assert status == file_status == 1, err
    from_org, from_file = json.loads(out), json.loads(file_out)
    assert from_org["events"].pop("read") == from_file["events"].pop("read") - OUTSIDE
    assert from_org == from_file
    assert from_org["events"]["duplicates"] == 1 and from_org["summary"]["proposals"] > 0
    assert f"agentid rightsize: read {len(month.month()) - OUTSIDE} event(s) from the org" in err

    pages = [parse_qs(urlsplit(path).query) for method, path in november.requests if path.startswith("/api/v1/logs")]
    assert len(pages) > 9  # every rel="next" page followed
    for query in pages:
        assert query["since"] == ["2026-11-01T00:00:00.000Z"] and query["until"] == ["2026-12-01T00:00:00.000Z"]
        assert query["filter"] == [
            'eventType eq "app.oauth2.as.token.grant.access_token" or '
            'eventType eq "app.oauth2.token.grant.access_token" or '
            'eventType eq "app.oauth2.as.token.grant" or eventType eq "app.oauth2.token.grant"'
        ]

    status, markdown, _ = rightsize(capsys, "--okta", "--format", "markdown")
    assert markdown == rightsize(capsys, "--events", str(month.EVENTS), "--format", "markdown")[1]


def test_saved_events_give_the_same_report_without_the_org(org, november, reader_env, capsys, tmp_path):
    saved = tmp_path / "out" / "events-prod.jsonl"
    status, out, _ = rightsize(capsys, "--okta", "--format", "json", "--save-events", str(saved))
    assert status == 1
    assert len(saved.read_bytes().splitlines()) == len(month.month()) - OUTSIDE
    november.failures["/api/v1/logs"] = (500, e.error("E0000009", "Internal Server Error"))
    again = rightsize(capsys, "--events", str(saved), "--format", "json", "--team", "workplace-productivity")
    assert again[0] == 1 and {i["team"] for i in json.loads(again[1])["identities"]} == {"workplace-productivity"}
    assert rightsize(capsys, "--events", str(saved), "--format", "json") == (status, out, "")


def test_since_and_until_narrow_what_is_read(org, november, reader_env, capsys):
    status, out, err = rightsize(
        capsys,
        "--okta",
        "--since",
        "2026-11-30T00:00:00.000Z",
        "--until",
        "2026-11-30T12:00:00.000Z",
        "--format",
        "json",
    )
    document = json.loads(out)
    assert status == 0, err  # one day of thirty: below --min-coverage, nothing is proposed
    assert document["coverage"]["days_with_events"] == 1 and document["coverage"]["blocked"]


def test_org_errors_and_usage_errors_exit_2(org, november, reader_env, capsys):
    november.failures["/api/v1/logs"] = (403, e.error("E0000006", "You do not have permission"))
    status, out, err = rightsize(capsys, "--okta")
    assert status == 2 and "E0000006" in err and out == ""
    status, _, err = rightsize(capsys, "--okta", "--events", str(month.EVENTS))
    assert status == 2 and "not both" in err
    status, _, err = rightsize(capsys)
    assert status == 2 and "--okta" in err
    status, _, err = rightsize(capsys, "--events", str(month.EVENTS), "--since", "2026-11-01T00:00:00Z")
    assert status == 2 and "--since only go with --okta" in err


def test_without_org_url_the_stacks_own_org_is_read(org, november, reader_env, capsys, monkeypatch):
    """As drift and import: the org `--stack`'s Pulumi.<stack>.yaml deploys to (here pointed at the emulator)."""
    asked = []

    def stack_org(root, stack):
        asked.append(stack)
        return org.url

    monkeypatch.delenv("OKTA_ORG_URL")
    monkeypatch.setattr("agentid.cli.live.stack_org_url", stack_org)
    status, out, err = rightsize(capsys, "--okta", "--format", "json")
    assert status == 1, err
    assert asked == ["prod"] and json.loads(out)["events"]["in_window"] > 0
