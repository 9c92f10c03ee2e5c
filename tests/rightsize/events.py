"""The rightsize event fixture: a month of prod System Log events with known use, written to
tests/fixtures/rightsize/events-prod-2026-11.jsonl (regenerate with ``python -m tests.rightsize.events``; a test
holds the committed file to this generator).

Every event takes the shape of our grant fixture tests/fixtures/detect/grant-meeting-summarizer.json, itself shaped
after Okta's public samples (tests/fixtures/detect/public/README.md: ``grantedScopes`` and ``requestedScopes``
written ``"a, b"``; the org authorization server's grants are ``app.oauth2.token.grant.access_token``), trimmed to
the fields rightsize and the detector read. The known use, window 2026-11-01 to 2026-11-30 (``--today 2026-12-01
--days 30``):

* meeting-summarizer: transcripts.read at 09:05, 09:35 and 10:10 each day (09:20 and 09:50 too on the 15th, whose
  09:05 grant is redelivered: the busiest hour holds 4 tokens, not 5); calendar.read only through its calendar plugin;
  one refused request on the 20th (not a token);
* support-triage: tickets.read at HH:15 from 08 to 17; crm.accounts.read once, in the window's first minute
  (2026-11-01T00:00:00.000Z); tickets.write once, in its last (2026-11-30T23:59:59.999Z); its knowledge-base plugin
  never gets a token;
* hr-onboarding-assistant: hr.records.read every 4 minutes 08:00-08:40 (renewals well inside its 10-minute tokens);
  hr.onboarding.write only just outside the window (2026-10-31T23:59:59.999Z and 2026-12-01T00:00:00.000Z); its
  scheduler plugin calendar.write at 08:30 and 08:34;
* finance-reconciler: finance.ledger.read at 02:00; finance.reconciliation.write only in a refused request;
* okta-user-auditor: access-reviews.write at 03:00; its directory-reader okta.users.read at 02:40 from the org
  authorization server;
* incident-responder: nothing (dormant); and an unregistered client's grant, ignored.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid as uuidlib
from pathlib import Path

from tests.conftest import FIXTURES

OUTPUTS = FIXTURES / "rightsize" / "outputs-prod.json"
EVENTS = FIXTURES / "rightsize" / "events-prod-2026-11.jsonl"
CUSTOM_GRANT = "app.oauth2.as.token.grant.access_token"
ORG_GRANT = "app.oauth2.token.grant.access_token"
CUSTOM_REFUSED = "app.oauth2.as.token.grant"


def client_ids() -> dict[str, str]:
    return json.loads(OUTPUTS.read_text())["clientIds"]


def event(identity_or_client: str, published: str, scopes: str, *, event_type: str = CUSTOM_GRANT, ok: bool = True):
    ids = client_ids()
    client = ids.get(identity_or_client, identity_or_client)
    data = {"grantType": "client_credentials", "requestedScopes": scopes, "clientAuthType": "private_key_jwt"}
    if ok:
        data["grantedScopes"] = scopes
    return {
        "actor": {
            "id": client,
            "type": "PublicClientApp",
            "alternateId": client,
            "displayName": f"agentid:{identity_or_client}",
        },
        "client": {"ipAddress": "10.77.202.167"},
        "displayMessage": "OAuth2 access token is granted" if ok else "OAuth2 access token request",
        "eventType": event_type,
        "outcome": {"result": "SUCCESS" if ok else "FAILURE", "reason": None if ok else "no_matching_scope"},
        "published": published,
        "debugContext": {"debugData": data},
        "uuid": str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"{identity_or_client}/{published}/{event_type}")),
        "version": "0",
    }


def month() -> list[dict]:
    events = []
    day = dt.date(2026, 11, 1)
    while day.month == 11:
        d = day.isoformat()
        times = ["09:05", "09:35", "10:10"] + (["09:20", "09:50"] if day.day == 15 else [])
        for hhmm in times:
            events.append(event("meeting-summarizer", f"{d}T{hhmm}:12.000Z", "transcripts.read"))
            if day.day == 15 and hhmm == "09:05":
                events.append(events[-1])  # redelivered: at-least-once delivery
        events.append(event("meeting-summarizer--calendar", f"{d}T09:06:40.000Z", "calendar.read"))
        for hour in range(8, 18):
            events.append(event("support-triage", f"{d}T{hour:02d}:15:00.000Z", "tickets.read"))
        for minute in range(0, 41, 4):
            events.append(event("hr-onboarding-assistant", f"{d}T08:{minute:02d}:30.000Z", "hr.records.read"))
        for minute in (30, 34):
            events.append(event("hr-onboarding-assistant--scheduler", f"{d}T08:{minute}:05.000Z", "calendar.write"))
        events.append(event("finance-reconciler", f"{d}T02:00:09.000Z", "finance.ledger.read"))
        events.append(event("okta-user-auditor", f"{d}T03:00:00.000Z", "access-reviews.write"))
        events.append(
            event("okta-user-auditor--directory-reader", f"{d}T02:40:04.246Z", "okta.users.read", event_type=ORG_GRANT)
        )
        day += dt.timedelta(days=1)
    events += [
        event("support-triage", "2026-11-01T00:00:00.000Z", "crm.accounts.read"),
        event("support-triage", "2026-11-30T23:59:59.999Z", "tickets.write"),
        event("hr-onboarding-assistant", "2026-10-31T23:59:59.999Z", "hr.onboarding.write"),
        event("hr-onboarding-assistant", "2026-12-01T00:00:00.000Z", "hr.onboarding.write"),
        event(
            "finance-reconciler",
            "2026-11-10T02:05:00.000Z",
            "finance.reconciliation.write, payments.execute",
            event_type=CUSTOM_REFUSED,
            ok=False,
        ),
        event(
            "meeting-summarizer",
            "2026-11-20T09:07:00.000Z",
            "transcripts.read, hr.records.read",
            event_type=CUSTOM_REFUSED,
            ok=False,
        ),
        event("0oaUnregistered0Agnt1", "2026-11-12T12:00:00.000Z", "tickets.read"),
    ]
    return events


def text() -> str:
    return "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in month())


def write(path: Path = EVENTS) -> None:
    path.write_text(text(), encoding="utf-8")


if __name__ == "__main__":
    write()
