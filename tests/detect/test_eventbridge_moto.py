"""The generated EventBridge rules on real moto: each matching Okta event reaches its SQS target, near misses don't.

moto matches everything on an operator it does not implement and treats ``exists: false`` on an object as a match,
and its ``test_event_pattern`` is a stub; so every generated pattern is first checked against the allow-list of
operators moto evaluates faithfully, and delivery is observed end to end (put_events -> rule -> SQS).

moto cannot put rules on a partner bus (it keeps only the last ``/`` segment of the bus name), so the rules live on
a plain custom bus here; what this test proves is the pattern, which is independent of the bus.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from agentid.detect.definitions import EVENT_DETECTIONS
from agentid.detect.detector import detect_bytes
from agentid.detect.eventbridge import PatternInputs, build_patterns, operators_used, pattern_json, unsafe_constructs
from agentid.detect.labels import app_label
from agentid.detect.synthetic import DEPLOYER_ID, SHADOW_CLIENT_ID, synthetic_day
from tests.detect.conftest import AFTER_EXPIRY, EVENT_SOURCE, EVENTBRIDGE_EXPECTED, event_keys, load_event

REGION = "eu-west-1"
BUS = "okta-agentid-test"


@pytest.fixture(scope="module")
def patterns(detection_set) -> dict[str, dict[str, Any]]:
    return build_patterns(PatternInputs.from_detection_set(detection_set, EVENT_SOURCE))


def test_every_single_event_detection_has_a_rule(patterns):
    assert set(patterns) == {d.id for d in EVENT_DETECTIONS}


def test_patterns_use_only_operators_moto_implements_faithfully(patterns):
    for detection, pattern in patterns.items():
        assert unsafe_constructs(pattern) == [], f"{detection}: {unsafe_constructs(pattern)}"


def test_the_operator_check_rejects_what_moto_would_wave_through():
    """The allow-list check itself must fail on the constructs that make moto match everything."""
    assert unsafe_constructs({"detail": {"eventType": [{"wildcard": "policy.*"}]}})
    assert unsafe_constructs({"detail": {"eventType": [{"prefx": "policy."}]}})
    assert unsafe_constructs({"detail": {"actor": [{"exists": False}]}})
    assert unsafe_constructs({"detail": {"actor": {"id": []}}})
    # moto reads a list under anything-but/prefix as "any of"; AWS documents one string there.
    assert unsafe_constructs({"detail": {"actor": {"displayName": [{"anything-but": {"prefix": ["a:", "b:"]}}]}}})
    assert not unsafe_constructs({"detail": {"actor": {"displayName": [{"anything-but": {"prefix": "agentid:"}}]}}})
    assert operators_used({"a": [{"prefix": "x"}, {"anything-but": {"prefix": "y"}}]}) == {"prefix", "anything-but"}


@pytest.fixture(scope="module")
def bus(patterns) -> Iterator[tuple[Any, Any, dict[str, str]]]:
    """A bus with every generated rule, each delivering to its own queue (so we see exactly which rule fired)."""
    with mock_aws():
        events = boto3.client("events", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        events.create_event_bus(Name=BUS)
        queues: dict[str, str] = {}
        for detection, pattern in patterns.items():
            url = sqs.create_queue(QueueName=f"agentid-{detection}")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            events.put_rule(Name=f"agentid-{detection}", EventBusName=BUS, EventPattern=json.dumps(pattern))
            events.put_targets(Rule=f"agentid-{detection}", EventBusName=BUS, Targets=[{"Id": "alerts", "Arn": arn}])
            queues[detection] = url
        yield events, sqs, queues


def deliver(bus, detail: dict[str, Any], *, source: str = EVENT_SOURCE, detail_type: str = "SystemLog") -> set[str]:
    """Put one Okta event on the bus; return the detections whose queue received it (and drain the queues)."""
    events, sqs, queues = bus
    result = events.put_events(
        Entries=[{"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail), "EventBusName": BUS}]
    )
    assert result["FailedEntryCount"] == 0, result
    fired = set()
    for detection, url in queues.items():
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        for message in messages:
            body = json.loads(message["Body"])
            assert body["detail"]["uuid"] == detail["uuid"], "the target received the whole Okta event"
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        if messages:
            fired.add(detection)
    return fired


@pytest.mark.parametrize("fixture", sorted(EVENTBRIDGE_EXPECTED))
def test_each_fixture_reaches_exactly_its_rules(bus, fixture):
    assert deliver(bus, load_event(fixture)) == EVENTBRIDGE_EXPECTED[fixture], fixture


def _mutated(name: str, change) -> dict[str, Any]:
    event = copy.deepcopy(load_event(name))
    change(event)
    return event


NEAR_MISSES = {
    "refused-for-unregistered-client": (
        "grant-refused-no-matching-scope",
        lambda e: e["actor"].update(id=SHADOW_CLIENT_ID, displayName="crm-export-bot"),
    ),
    "refused-outcome-success": ("grant-refused-no-matching-scope", lambda e: e["outcome"].update(result="SUCCESS")),
    "invalid-credentials-unregistered": (
        "invalid-client-credentials",
        lambda e: e["actor"].update(id=SHADOW_CLIENT_ID, displayName="crm-export-bot"),
    ),
    "grant-to-an-agent-deployed-live": (
        "grant-incident-responder-after-expiry",
        lambda e: e["actor"].update(displayName="agentid:incident-responder"),
    ),
    "shadow-grant-failed": ("grant-shadow-client", lambda e: e["outcome"].update(result="FAILURE")),
    "shadow-authorization-code": (
        "grant-shadow-client",
        lambda e: e["debugContext"]["debugData"].update(grantType="authorization_code"),
    ),
    "deployer-own-token": ("grant-shadow-client", lambda e: e["actor"].update(id=DEPLOYER_ID)),
    "expired-agent-refused": ("grant-incident-responder-after-expiry", lambda e: e["outcome"].update(result="FAILURE")),
    "tamper-lookalike-event-type": (
        "app-update-by-admin",
        lambda e: e.update(eventType="app.oauth2.client.read_secret"),
    ),
    "log-stream-lookalike": ("log-stream-deactivated", lambda e: e.update(eventType="system.log_stream.read")),
}


@pytest.mark.parametrize("case", sorted(NEAR_MISSES))
def test_near_misses_reach_no_rule(bus, case):
    fixture, change = NEAR_MISSES[case]
    assert deliver(bus, load_event(fixture)), f"{fixture} must match before the near miss means anything"
    assert deliver(bus, _mutated(fixture, change)) == set(), case


#: One real event type per watched family: apps, credentials, client privileges, policy rules, scopes, log streams.
TAMPER_EVENT_TYPES = {
    "app.oauth2.client.lifecycle.deactivate": "identity-tampering",
    "app.oauth2.credentials.lifecycle.create": "identity-tampering",
    "app.oauth2.client.privilege.grant": "agent-api-grant",
    "app.oauth2.admin.consent.grant": "agent-api-grant",
    "policy.rule.update": "identity-tampering",
    "policy.lifecycle.deactivate": "identity-tampering",
    "app.oauth2.trusted_server.delete": "trusted-server-change",
    "zone.make_blacklist": "network-zone-change",
    "oauth2.scope.updated": "identity-tampering",
    "oauth2.as.deactivated": "identity-tampering",
    "oauth2.claim.updated": "identity-tampering",
    "system.log_stream.lifecycle.delete": "log-stream-change",
}


@pytest.mark.parametrize("event_type", sorted(TAMPER_EVENT_TYPES))
def test_each_watched_change_family_fires_for_an_admin_and_tampering_spares_the_deployer(bus, event_type):
    by_admin = _mutated("app-update-by-admin", lambda e: e.update(eventType=event_type))
    assert deliver(bus, by_admin) == {TAMPER_EVENT_TYPES[event_type]}, event_type
    by_deployer = _mutated("app-update-by-deployer", lambda e: e.update(eventType=event_type))
    # The deployer's own changes are expected, except to the log stream: any change there is worth hearing about.
    expected = {"log-stream-change"} if event_type.startswith("system.log_stream.") else set()
    assert deliver(bus, by_deployer) == expected, event_type


def test_events_from_elsewhere_reach_no_rule(bus):
    shadow = load_event("grant-shadow-client")
    assert deliver(bus, shadow, source="aws.partner/okta.com/other-org/agentid-prod") == set()
    assert deliver(bus, shadow, detail_type="AWS API Call via CloudTrail") == set()
    assert deliver(bus, shadow) == {"shadow-agent-token"}


# ------------------------------------------------------------------------- agents recognised by their app label

#: Okta names the client in actor: displayName is the app's label, id its client id. A non-agent app's grant comes
#: from a client id no rule lists; the deployer's own service app is allowed by id.
LABELS = {
    "agent": ("0oaYuiO1lm7YL96wT4XI", app_label("meeting-summarizer")),
    "plugin": ("0oa7calendar0plugin0", app_label("meeting-summarizer--calendar")),
    "expired agent": ("0oapz1BSVdPMndjm7mcQ", app_label("incident-responder", expired=True)),
    "non-agent app": (SHADOW_CLIENT_ID, "crm-export-bot"),
    "prefix in another case": (SHADOW_CLIENT_ID, "AgentID:crm-export-bot"),
    "prefix without its colon": (SHADOW_CLIENT_ID, "agentid-crm-export-bot"),
    "allowed deployer app": (DEPLOYER_ID, "agentid-deployer"),
}
#: (event fixture, who) -> the rules that must fire. Refusals and bad credentials concern agents only (expired ones
#: too, as in the offline detector); a successful client-credentials grant is a shadow agent unless the label is an
#: agent's or the id is allowed, and an inactive agent's when the label is an expired agent's.
LABEL_MATRIX = {
    "grant-meeting-summarizer": {
        "agent": set(),
        "plugin": set(),
        "expired agent": {"inactive-agent-token"},
        "non-agent app": {"shadow-agent-token"},
        "prefix in another case": {"shadow-agent-token"},
        "prefix without its colon": {"shadow-agent-token"},
        "allowed deployer app": set(),
    },
    "grant-refused-no-matching-scope": {
        "agent": {"token-refused"},
        "plugin": {"token-refused"},
        "expired agent": {"token-refused"},
        "non-agent app": set(),
        "prefix in another case": set(),
        "prefix without its colon": set(),
        "allowed deployer app": set(),
    },
    "invalid-client-credentials": {
        "agent": {"invalid-client-credentials"},
        "plugin": {"invalid-client-credentials"},
        "expired agent": {"invalid-client-credentials"},
        "non-agent app": set(),
        "prefix in another case": set(),
        "prefix without its colon": set(),
        "allowed deployer app": set(),
    },
}


@pytest.mark.parametrize(
    ("fixture", "who"), [(fixture, who) for fixture, row in sorted(LABEL_MATRIX.items()) for who in sorted(row)]
)
def test_rules_tell_agents_expired_agents_and_other_apps_apart_by_label(bus, fixture, who):
    client_id, label = LABELS[who]
    event = _mutated(fixture, lambda e: e["actor"].update(id=client_id, alternateId=client_id, displayName=label))
    assert deliver(bus, event) == LABEL_MATRIX[fixture][who], (fixture, who, label)


def test_a_grant_without_a_display_name_is_no_shadow_agent_for_eventbridge(bus):
    """anything-but never matches a missing field (AWS and moto agree): Okta always names the client, and the
    offline detector, which reads ids, still reports such a grant (test below)."""
    event = _mutated("grant-shadow-client", lambda e: e["actor"].pop("displayName"))
    assert deliver(bus, event) == set()


def test_trade_off_an_app_labelled_as_an_agent_by_hand(bus, detection_set):
    """Someone creates an app outside the registry and labels it `agentid:...`: EventBridge's shadow rule takes it
    for an agent, but its creation is identity tampering, and the offline detector (and Sigma) judge by id."""
    impostor = _mutated("grant-shadow-client", lambda e: e["actor"].update(displayName="agentid:crm-export-bot"))
    assert deliver(bus, impostor) == set(), "the documented blind spot of the label-based shadow rule"
    created = _mutated(
        "app-update-by-admin",
        lambda e: (
            e.update(eventType="app.oauth2.client.lifecycle.create"),
            e["target"][0].update(id=SHADOW_CLIENT_ID, displayName="agentid:crm-export-bot"),
        ),
    )
    assert deliver(bus, created) == {"identity-tampering"}
    report = detect_bytes(json.dumps(impostor).encode(), detection_set)
    assert [a.detection for a in report.alerts] == ["shadow-agent-token"], "the id-based detector still sees it"


# ------------------------------------------------- a whole synthetic day through the rules and the offline detector


def test_a_synthetic_day_fires_the_same_single_event_alerts_in_eventbridge_and_offline(patterns, detection_set):
    """Every event of a realistic day (agents under their labels, the deployer, people, planted anomalies) through
    moto's own pattern matcher (what its EventBridge runs per rule, without SQS so the day stays fast): the rules
    match exactly the planted single-event anomalies, which are also exactly what the offline detector reports."""
    from moto.events.models import EventPattern

    day = synthetic_day(detection_set, day=AFTER_EXPIRY, seed=20261221)
    matchers = {detection: EventPattern.load(pattern_json(pattern)) for detection, pattern in patterns.items()}
    fired = set()
    for event in {e["uuid"]: e for e in day.events}.values():
        envelope = {"source": EVENT_SOURCE, "detail-type": "SystemLog", "detail": event}
        fired |= {
            (detection, event["uuid"]) for detection, matcher in matchers.items() if matcher.matches_event(envelope)
        }
    single_event = {d.id for d in EVENT_DETECTIONS}
    planted = {(detection, key) for detection, key in day.planted if detection in single_event}
    assert {detection for detection, _ in planted} == single_event, "the day plants every single-event detection"
    assert fired == planted, f"missed {sorted(planted - fired)}, false alarms {sorted(fired - planted)}"
    offline = detect_bytes(b"\n".join(json.dumps(e).encode() for e in day.events), detection_set)
    assert {(d, key) for d, key in event_keys(offline) if d in single_event} == fired


def test_no_rule_claims_to_judge_scopes(patterns):
    """EventBridge cannot split Okta's "a, b, c" string: no pattern pretends to (docs/detections.md says where the
    scope detection runs instead)."""
    assert "Scopes" not in json.dumps(patterns)


def test_weak_client_auth_needs_the_field_and_an_agent(bus):
    secret = load_event("grant-meeting-summarizer-client-secret")
    assert deliver(bus, secret) == {"weak-client-auth"}
    assert deliver(bus, _mutated("grant-meeting-summarizer-client-secret", _drop_client_auth)) == set()
    not_agent = _mutated(
        "grant-meeting-summarizer-client-secret", lambda e: e["actor"].update(displayName="Expense portal")
    )
    assert "weak-client-auth" not in deliver(bus, not_agent)


def _drop_client_auth(event: dict[str, Any]) -> None:
    del event["debugContext"]["debugData"]["clientAuthType"]
