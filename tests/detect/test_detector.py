"""The offline detector on Okta's real event shapes and delivery quirks: formats, duplicates, disorder, bad lines."""

from __future__ import annotations

import copy
import json
from typing import Any

import orjson
import pytest

from agentid.detect.detector import Detector, detect_bytes
from agentid.detect.events import normalise_published, read_events
from tests.detect.conftest import DETECTOR_EXTRA, EVENT_SOURCE, EVENTBRIDGE_EXPECTED, EVENTBRIDGE_ONLY, load_event


def jsonl(events: list[dict[str, Any]]) -> bytes:
    return b"\n".join(orjson.dumps(e) for e in events) + b"\n"


def detections_of(report) -> list[str]:
    return sorted(a.detection for a in report.alerts)


@pytest.mark.parametrize("fixture", sorted(EVENTBRIDGE_EXPECTED))
def test_detector_agrees_with_the_eventbridge_rules_on_each_fixture(detection_set, fixture):
    """Same definitions: the single-event detections fire where the EventBridge rules do (moto test), except on the
    admin changes to something that is not an agent's, which only the detector can tell apart (the near misses)."""
    report = detect_bytes(jsonl([load_event(fixture)]), detection_set)
    expected = (EVENTBRIDGE_EXPECTED[fixture] | DETECTOR_EXTRA.get(fixture, set())) - EVENTBRIDGE_ONLY.get(
        fixture, set()
    )
    assert set(detections_of(report)) == expected, fixture
    assert not report.problems


def test_expiry_is_judged_on_the_event_date(detection_set):
    grant = load_event("grant-incident-responder-after-expiry")
    before = copy.deepcopy(grant) | {
        "uuid": "5b1f0c1e-0d1e-4c8a-9b7e-000000000001",
        "published": "2026-12-20T16:04:00.000Z",
    }
    report = detect_bytes(jsonl([grant, before]), detection_set)
    assert [(a.detection, a.uuid) for a in report.alerts] == [("inactive-agent-token", grant["uuid"])]


def _grants(profile, hour: str, count: int) -> list[dict[str, Any]]:
    template = load_event("grant-meeting-summarizer")
    events = []
    for index in range(count):
        event = copy.deepcopy(template)
        event["uuid"] = f"7d3a2b10-{index:04d}-4e5f-8a9b-0c1d2e3f4a{hour}"
        event["published"] = f"2026-12-01T{hour}:{index % 60:02d}:{index % 59:02d}.000Z"
        event["actor"]["id"] = profile.client_id
        events.append(event)
    return events


def test_rate_counts_clock_hours_with_the_threshold_exact(detection_set):
    meeting = next(p for p in detection_set.identities if p.identity == "meeting-summarizer")
    at_limit = _grants(meeting, "11", meeting.max_tokens_per_hour)
    assert detect_bytes(jsonl(at_limit), detection_set).alerts == ()
    over = _grants(meeting, "12", meeting.max_tokens_per_hour + 1)
    report = detect_bytes(jsonl(at_limit + over), detection_set)
    assert [(a.detection, a.key) for a in report.alerts] == [("token-rate-exceeded", "2026-12-01T12:00:00Z")]
    assert report.alerts[0].details["count"] == meeting.max_tokens_per_hour + 1


def test_duplicates_count_once_and_order_does_not_matter(detection_set):
    meeting = next(p for p in detection_set.identities if p.identity == "meeting-summarizer")
    at_limit = _grants(meeting, "11", meeting.max_tokens_per_hour)
    redelivered = at_limit + at_limit[:5]  # at-least-once delivery: same uuids again
    report = detect_bytes(jsonl(list(reversed(redelivered))), detection_set)
    assert report.alerts == () and report.duplicates == 5 and report.events == meeting.max_tokens_per_hour


def test_reads_a_logs_api_array_and_eventbridge_envelopes(detection_set):
    shadow = load_event("grant-shadow-client")
    as_array = json.dumps([load_event("grant-meeting-summarizer"), shadow], indent=2).encode()
    assert detections_of(detect_bytes(as_array, detection_set)) == ["shadow-agent-token"]
    envelope = {
        "version": "0",
        "id": "3f9e1c2a-5b7d-4e8f-9a0b-1c2d3e4f5a6b",
        "detail-type": "SystemLog",
        "source": EVENT_SOURCE,
        "account": "123456789012",
        "time": shadow["published"][:19] + "Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": shadow,
    }
    assert detections_of(detect_bytes(jsonl([envelope]), detection_set)) == ["shadow-agent-token"]
    assert detections_of(detect_bytes(json.dumps([envelope]).encode(), detection_set)) == ["shadow-agent-token"]


def test_malformed_lines_are_reported_with_their_line_and_the_rest_is_read(detection_set):
    good = orjson.dumps(load_event("grant-shadow-client"))
    data = b"\n".join(
        [
            b'{"eventType": "user.session.start", "published": "not a time", "uuid": "x"}',
            good,
            b"{truncated",
            b"",
            b'"just a string"',
            b'{"detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2", "detail": {}}',
            b'{"published": "2026-12-01T10:00:00.000Z"}',
        ]
    )
    report = detect_bytes(data, detection_set)
    assert detections_of(report) == ["shadow-agent-token"]
    assert [p.line for p in report.problems] == [1, 3, 5, 6, 7]
    assert "not an ISO 8601 time" in report.problems[0].message
    assert "not valid JSON" in report.problems[1].message


def test_a_truncated_array_keeps_what_came_before_the_break(detection_set):
    shadow = json.dumps(load_event("grant-shadow-client"), indent=2)
    data = ("[\n" + shadow + ",\n" + shadow[: len(shadow) // 2]).encode()
    report = detect_bytes(data, detection_set)
    assert detections_of(report) == ["shadow-agent-token"]
    assert len(report.problems) == 1 and report.problems[0].line is not None


@pytest.mark.parametrize("depth", [5_000, 200_000])
def test_absurdly_nested_input_is_a_problem_not_a_crash(detection_set, depth):
    """An unclosed, deeply nested array falls back to the item-by-item reader, which must not blow the stack."""
    shadow = json.dumps(load_event("grant-shadow-client"))
    data = ("[" + shadow + ",\n" + "[" * depth).encode()
    report = detect_bytes(data, detection_set)
    assert detections_of(report) == ["shadow-agent-token"]
    assert [p.line for p in report.problems] == [2], report.problems
    assert "nested too deeply" in report.problems[0].message or "not valid JSON" in report.problems[0].message
    # In JSON lines the deep line is one bad line among good ones.
    refused = json.dumps(load_event("grant-refused-no-matching-scope"))
    as_lines = detect_bytes("\n".join([shadow, "[" * depth, refused]).encode(), detection_set)
    assert "shadow-agent-token" in detections_of(as_lines) and "token-refused" in detections_of(as_lines)
    assert [p.line for p in as_lines.problems] == [2]


def test_timestamps_with_offsets_are_normalised_to_utc():
    assert normalise_published("2026-12-01T14:03:22.123Z") == "2026-12-01T14:03:22.123Z"
    assert normalise_published("2026-12-01T15:03:22.123+01:00") == "2026-12-01T14:03:22.123Z"
    assert normalise_published("2026-12-01T14:03:22") is None  # no zone: which hour would it be?
    assert normalise_published("2026-13-01T14:03:22Z") is None
    assert normalise_published("2026-12-01T1²:03:22Z") is None


def test_an_event_without_uuid_is_still_judged(detection_set):
    shadow = load_event("grant-shadow-client")
    del shadow["uuid"]
    events, problems = read_events(jsonl([shadow, shadow]))
    report = Detector(detection_set).run(events, problems)
    assert detections_of(report) == ["shadow-agent-token"]
    assert report.alerts[0].count == 2, "each copy judged: without a uuid a redelivery cannot be told apart"


@pytest.mark.parametrize(
    ("event_type", "expected"),
    [
        ("app.oauth2.credentials.lifecycle.create", ["identity-tampering"]),
        # an admin role assigned to (or removed from) an agent's app: the deployer's OauthRoleAssignment is expected
        ("app.oauth2.client.privilege.grant", ["agent-api-grant"]),
        ("app.oauth2.admin.consent.grant", ["agent-api-grant"]),
        ("app.oauth2.client.privilege.revoke", ["identity-tampering"]),
        ("policy.rule.update", ["identity-tampering"]),
        ("policy.lifecycle.update", ["identity-tampering"]),
        ("oauth2.scope.updated", ["identity-tampering"]),
        ("oauth2.as.updated", ["identity-tampering"]),
        ("oauth2.claim.created", ["identity-tampering"]),
        ("app.oauth2.trusted_server.add", ["trusted-server-change"]),
        ("zone.update", ["network-zone-change"]),
        ("app.oauth2.client.read_secret", []),  # a look-alike of the real event type
    ],
)
def test_the_detector_watches_the_same_change_families_as_the_rules(detection_set, event_type, expected):
    by_admin = copy.deepcopy(load_event("app-update-by-admin"))
    by_admin["eventType"] = event_type
    by_deployer = copy.deepcopy(load_event("app-update-by-deployer"))
    by_deployer["eventType"] = event_type
    assert detections_of(detect_bytes(jsonl([by_admin]), detection_set)) == expected
    assert detections_of(detect_bytes(jsonl([by_deployer]), detection_set)) == []


def test_a_truncated_array_numbers_every_item_by_the_line_it_ends_on():
    """The item-by-item fallback counts lines as it goes (once over the text, not once per item): each event keeps
    the line its object closes on, and the break is reported on its own line."""
    shadow = json.dumps(load_event("grant-shadow-client"), indent=2)
    height = shadow.count("\n") + 1
    data = ("[\n" + ",\n".join([shadow] * 3) + ",\n" + shadow[: len(shadow) // 2]).encode()
    events, problems = read_events(data)
    assert [e.line for e in events] == [1 + height, 1 + 2 * height, 1 + 3 * height]
    assert [p.line for p in problems] == [2 + 3 * height + shadow[: len(shadow) // 2].count("\n")]
