"""The Detections component as the real program declares it, under the Pulumi SDK mock engine (the offline plan).

Small registries on purpose (the mock engine costs a few ms per resource). The patterns must be exactly what
:func:`build_patterns` makes of the stack's configuration, with no client id in them (agents are recognised by their
app label), so the real deploy gets the same twelve rules whatever Okta mints.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from agentid.detect.definitions import EVENT_DETECTIONS
from agentid.detect.eventbridge import PatternInputs, build_patterns, unsafe_constructs
from agentid.detect.labels import EXPIRED_LABEL_PREFIX, app_label
from agentid.plan import build_plan
from agentid.registry.model import Registry
from tests.detect.conftest import AFTER_EXPIRY
from tests.plan.conftest import SPLUNK_STACK, make_stack_root

TARGET = "arn:aws:sqs:eu-west-1:123456789012:agentid-test-alerts"
DEPLOYER = "0oa5pulumi0deployer7"
EVENTBRIDGE_WITH_DETECTIONS = f"""\
config:
  okta:orgName: example-test
  okta:baseUrl: oktapreview.com
  agentid:authorizationServer: {{name: agents-test, audience: "api://agents-test"}}
  agentid:logStream:
    type: aws_eventbridge
    name: agentid-test-system-log
    accountId: "123456789012"
    region: eu-west-1
    eventSourceName: agentid_test_okta
  agentid:networkZones:
    finance-batch: {{id: nzo1testzone0finance1}}
  agentid:detections:
    enabled: true
    targetArn: {TARGET}
    deployerIds: [{DEPLOYER}]
"""
SOURCE = "aws.partner/okta.com/example-test/agentid_test_okta"
AWS_TYPES = ("aws:", "pulumi:providers:aws", "agentid:aws:")


def _small(registry: Registry, *names: str) -> Registry:
    """A registry of a few sample agents, all deployed to the throwaway `test` stack."""
    from dataclasses import replace

    agents = tuple(replace(registry.get(n), environments=("test",)) for n in names)
    return Registry(agents=agents, catalog=registry.catalog)


@pytest.fixture(scope="module")
def plan(sample_registry, tmp_path_factory):
    root = make_stack_root(tmp_path_factory.mktemp("eventbridge"), "test", EVENTBRIDGE_WITH_DETECTIONS)
    registry = _small(sample_registry, "meeting-summarizer", "incident-responder")
    return build_plan(registry, "test", today=AFTER_EXPIRY, root=root)


def test_rules_and_targets_for_every_single_event_detection(plan):
    rules = {r.name: r for r in plan.of_type("aws:cloudwatch/eventRule:EventRule")}
    targets = {r.name: r for r in plan.of_type("aws:cloudwatch/eventTarget:EventTarget")}
    detections = sorted(name.removeprefix("detections-") for name in rules)
    # incident-responder expired on 2026-12-20: its app is INACTIVE, so a grant to it gets its own rule.
    assert detections == sorted(d.id for d in EVENT_DETECTIONS)
    assert len(detections) == 12
    for detection in detections:
        rule, target = rules[f"detections-{detection}"], targets[f"detections-{detection}-target"]
        assert rule.parent == "detections" and target.parent == "detections", rule.urn
        assert rule.inputs["eventBusName"] == SOURCE, rule.urn
        assert rule.inputs["state"] == "ENABLED", rule.urn
        assert target.inputs["arn"] == TARGET, target.urn
        assert target.inputs["rule"] == f"agentid-{detection}", target.urn
        assert target.inputs["eventBusName"] == SOURCE, target.urn


def test_patterns_come_from_the_stack_configuration_and_name_no_client_id(plan):
    """The rules take no input from the agents' apps: the patterns are what :func:`build_patterns` makes of the
    stack's configuration alone, and no client id Okta mints appears in them."""
    client_ids = plan.outputs["clientIds"]
    assert set(client_ids) == {"meeting-summarizer", "meeting-summarizer--calendar", "incident-responder"}
    expected = build_patterns(PatternInputs.of(allowed_client_ids=(), deployer_ids=[DEPLOYER], event_source=SOURCE))
    for rule in plan.of_type("aws:cloudwatch/eventRule:EventRule"):
        text = rule.inputs["eventPattern"]
        assert isinstance(text, str), f"{rule.urn}: the pattern must be known at preview, not an Output"
        assert json.loads(text) == expected[rule.name.removeprefix("detections-")], rule.urn
        assert unsafe_constructs(json.loads(text)) == [], rule.urn
        assert not any(client_id in text for client_id in client_ids.values()), f"{rule.urn} lists a client id"
        assert plan.options_of(rule).depends_on == ("detections-okta-bus",), f"{rule.urn} waits for its bus only"


def test_the_apps_carry_the_labels_the_rules_match(plan):
    """incident-responder expired on 2026-12-20: its INACTIVE app carries the expired label, which the
    inactive-agent-token rule matches; the live identities carry the agent label the other rules match."""
    labels = {app.name.removesuffix("-app"): app.inputs["label"] for app in plan.of_type("okta:app/oAuth:OAuth")}
    assert labels == {
        "meeting-summarizer": app_label("meeting-summarizer"),
        "meeting-summarizer--calendar": app_label("meeting-summarizer--calendar"),
        "incident-responder": app_label("incident-responder", expired=True),
    }
    inactive = json.loads(plan.named("detections-inactive-agent-token").inputs["eventPattern"])
    assert inactive["detail"]["actor"]["displayName"] == [{"prefix": EXPIRED_LABEL_PREFIX}]
    assert labels["incident-responder"].startswith(EXPIRED_LABEL_PREFIX)
    assert not labels["meeting-summarizer"].startswith(EXPIRED_LABEL_PREFIX)


def test_partner_bus_in_the_stream_region_after_the_stream(plan):
    bus = plan.named("detections-okta-bus")
    assert bus.inputs["name"] == bus.inputs["eventSourceName"] == SOURCE, bus.urn
    provider = plan.named("detections-aws")
    assert provider.inputs["region"] == "eu-west-1", provider.urn
    # Depending on the LogStreaming component means waiting for its stream (the engine expands it to the child).
    assert "okta-system-log" in plan.options_of(bus).depends_on, f"{bus.urn} must wait for the Okta log stream"


def test_a_splunk_stack_declares_no_aws_resource(sample_registry, tmp_path):
    stack = SPLUNK_STACK + f"  agentid:detections: {{enabled: true, targetArn: {TARGET}}}\n"
    root = make_stack_root(tmp_path, "test", stack)
    plan = build_plan(_small(sample_registry, "meeting-summarizer"), "test", today=dt.date(2026, 12, 1), root=root)
    assert plan.of_type("okta:index/logStream:LogStream"), "the plan ran"
    assert [r.urn for r in plan.resources if r.type.startswith(AWS_TYPES)] == []


def test_detections_disabled_declares_no_aws_resource(sample_registry, tmp_path):
    stack = EVENTBRIDGE_WITH_DETECTIONS.replace("enabled: true", "enabled: false")
    root = make_stack_root(tmp_path, "test", stack)
    plan = build_plan(_small(sample_registry, "meeting-summarizer"), "test", today=dt.date(2026, 12, 1), root=root)
    assert plan.of_type("okta:app/oAuth:OAuth"), "the plan ran"
    assert [r.urn for r in plan.resources if r.type.startswith(AWS_TYPES)] == []
