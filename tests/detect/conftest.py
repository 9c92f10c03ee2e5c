"""Shared pieces of the detection tests: the sample registry's detection set and the Okta event fixtures."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from agentid.cli.main import main
from agentid.detect.definitions import DetectionSet, build_detection_set
from agentid.detect.synthetic import DEPLOYER_ID
from tests.conftest import FIXTURES

EVENTS_DIR = FIXTURES / "detect"
#: After incident-responder's expiry (2026-12-20): the day its app is INACTIVE and a grant to it is an anomaly.
AFTER_EXPIRY = dt.date(2026, 12, 21)
ORG = "acme"
EVENT_SOURCE_NAME = "agentid-prod"
EVENT_SOURCE = f"aws.partner/okta.com/{ORG}/{EVENT_SOURCE_NAME}"
#: The gateways of finance-reconciler's network zone, as a stack's agentid:networkZones declares them; by name and by
#: the id the registry named before zones had names (agentid.detect.stackconfig resolves both the same way).
ZONE_GATEWAYS = {"finance-batch": ("203.0.113.0/24",), "nzo1finance0batch0zone": ("203.0.113.0/24",)}
AUTH_SERVERS = ("agents",)


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS_DIR / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def detection_set(sample_registry) -> DetectionSet:
    """Every sample agent, judged the day after incident-responder expired, with the synthetic deployer."""
    return build_detection_set(
        sample_registry,
        today=AFTER_EXPIRY,
        deployer_ids=[DEPLOYER_ID],
        zone_gateways=ZONE_GATEWAYS,
        auth_servers=AUTH_SERVERS,
    )


#: fixture -> the single-event detections (EventBridge rules) it must trigger, judged with :func:`detection_set`.
EVENTBRIDGE_EXPECTED: dict[str, set[str]] = {
    "grant-meeting-summarizer": set(),
    # okta-user-auditor's Okta management access is its directory-reader plugin's: the plugin's org-server token
    # is normal; the agent's own client asking for okta.users.read is outside its scopes (offline detector only).
    "grant-okta-user-auditor-directory-reader-org-server": set(),
    "grant-okta-user-auditor-org-server": set(),
    "grant-shadow-client": {"shadow-agent-token"},
    "grant-refused-no-matching-scope": {"token-refused"},
    "invalid-client-credentials": {"invalid-client-credentials"},
    "grant-incident-responder-after-expiry": {"inactive-agent-token"},
    "app-update-by-admin": {"identity-tampering"},
    "app-update-by-deployer": set(),
    "log-stream-deactivated": {"log-stream-change"},
    "user-sso": set(),
    # Issue 14's blind spots: each firing fixture and its near miss (shaped after tests/fixtures/detect/public/).
    "secret-read-agent-app": {"client-secret-read"},
    "secret-read-other-app": {"client-secret-read"},
    "policy-update-agent-policy": {"identity-tampering"},
    "policy-update-other-policy": {"identity-tampering"},
    "app-update-other-app-by-admin": {"identity-tampering"},
    "api-scope-grant-agent-app": {"agent-api-grant"},
    "api-scope-grant-other-app": {"agent-api-grant"},
    "api-token-create": {"api-token-created"},
    "api-token-revoke": set(),
    "trusted-server-add-by-admin": {"trusted-server-change"},
    "trusted-server-add-by-deployer": set(),
    "zone-update-by-admin": {"network-zone-change"},
    "zone-update-by-deployer": set(),
    "grant-meeting-summarizer-client-secret": {"weak-client-auth"},
    "grant-finance-reconciler-inside-zone": set(),
    "grant-finance-reconciler-outside-zone": set(),
}

#: The offline detector also applies the aggregate/time detections to the same events.
DETECTOR_EXTRA: dict[str, set[str]] = {
    "grant-refused-no-matching-scope": {"scope-outside-profile"},
    "grant-okta-user-auditor-org-server": {"scope-outside-profile"},
    "grant-finance-reconciler-outside-zone": {"token-outside-network-zone"},
}

#: What EventBridge raises and the offline detector (and Sigma) do not: an admin change's target is an array of
#: objects the EventBridge rules cannot look into, so they alert on every app, policy or grant, agent or not.
EVENTBRIDGE_ONLY: dict[str, set[str]] = {
    "secret-read-other-app": {"client-secret-read"},
    "policy-update-other-policy": {"identity-tampering"},
    "app-update-other-app-by-admin": {"identity-tampering"},
    "api-scope-grant-other-app": {"agent-api-grant"},
}


def event_keys(report) -> set[tuple[str, str]]:
    """(detection, key) of every event behind the report's alerts: the uuid (or time#line) of each event an
    aggregated alert counts, and the hour of a rate alert. Complete only when no alert aggregates more events than
    it samples, which is asserted: a test comparing with planted keys must not miss one hidden in a count."""
    keys = set()
    for alert in report.alerts:
        if alert.detection == "token-rate-exceeded":
            keys.add((alert.detection, alert.key))
            continue
        assert alert.count == len(alert.sample), f"{alert.detection} of {alert.identity}: {alert.count} events"
        keys |= {(alert.detection, key) for key in alert.sample}
    return keys


@pytest.fixture()
def run(repo, monkeypatch, capsys):
    """``run(*args)`` -> (exit status, stdout, stderr) of the CLI, run in the sample repository."""
    monkeypatch.chdir(repo)

    def invoke(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return invoke
