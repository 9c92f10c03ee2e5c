"""Shared pieces of the detection tests: the sample registry's detection set and the Okta event fixtures."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from agentid.detect.definitions import DetectionSet, build_detection_set
from agentid.detect.synthetic import DEPLOYER_ID
from tests.conftest import FIXTURES

EVENTS_DIR = FIXTURES / "detect"
#: After incident-responder's expiry (2026-12-20): the day its app is INACTIVE and a grant to it is an anomaly.
AFTER_EXPIRY = dt.date(2026, 12, 21)
ORG = "acme"
EVENT_SOURCE_NAME = "agentid-prod"
EVENT_SOURCE = f"aws.partner/okta.com/{ORG}/{EVENT_SOURCE_NAME}"


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS_DIR / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def detection_set(sample_registry) -> DetectionSet:
    """Every sample agent, judged the day after incident-responder expired, with the synthetic deployer."""
    return build_detection_set(sample_registry, today=AFTER_EXPIRY, deployer_ids=[DEPLOYER_ID])


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
}

#: The offline detector also applies the aggregate/time detections to the same events.
DETECTOR_EXTRA: dict[str, set[str]] = {
    "grant-refused-no-matching-scope": {"scope-outside-profile"},
    "grant-okta-user-auditor-org-server": {"scope-outside-profile"},
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
