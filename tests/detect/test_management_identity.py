"""Expected scopes follow the identity holding them: Okta management scopes on a plugin are that plugin's alone.

An agent keeps Okta management access on a plugin of its own (its own key and app), so a token from the plugin's
client carrying ``okta.users.read`` is normal, and the same scope asked by the agent's own client is an anomaly: its
app holds no such grant. Judged offline, through a compiled profile, and by the Sigma rule.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import orjson
import pytest

from agentid.detect.clientids import offline_client_id
from agentid.detect.definitions import DetectionSet, build_detection_set
from agentid.detect.detector import detect_bytes
from agentid.detect.labels import app_label
from agentid.detect.profile import dump_profile, load_profile
from agentid.detect.sigma import outside_scopes_regex
from agentid.detect.synthetic import DEPLOYER_ID, synthetic_day
from agentid.registry import load_agent_bytes
from agentid.registry.model import Registry
from tests.detect.conftest import AFTER_EXPIRY, event_keys, load_event
from tests.plan.test_management_identities import ACCESS_REVIEW_COLLECTOR, INACTIVE_ACCOUNT_REPORTER

AGENT = "access-review-collector"
READER = "access-review-collector--directory-reader"
REPORTER = "inactive-account-reporter"


@pytest.fixture(scope="module")
def detections(sample_registry) -> DetectionSet:
    agents = list(sample_registry.agents)
    for raw, name in ((ACCESS_REVIEW_COLLECTOR, AGENT), (INACTIVE_ACCOUNT_REPORTER, REPORTER)):
        agent, findings = load_agent_bytes(raw, f"agents/{name}.yaml", expected_name=name)
        assert agent is not None and not findings, [f.message for f in findings]
        agents.append(agent)
    registry = Registry(agents=tuple(sorted(agents, key=lambda a: a.name)), catalog=sample_registry.catalog)
    return build_detection_set(registry, today=AFTER_EXPIRY)


def _org_server_grant(identity: str, scopes: str) -> dict[str, Any]:
    """A real org-server grant event (tests/fixtures/detect), re-issued to ``identity``'s client at 02:40 UTC."""
    event = copy.deepcopy(load_event("grant-okta-user-auditor-org-server"))
    client_id = offline_client_id(identity)
    event["actor"].update(id=client_id, alternateId=client_id, displayName=app_label(identity))
    event["target"][0]["detailEntry"]["subject"] = client_id
    event["debugContext"]["debugData"].update(requestedScopes=scopes, grantedScopes=scopes)
    event["uuid"] = f"0fd630f1-f29d-4da9-953f-{client_id[-12:]}"
    return event


def _detect(events: list[dict[str, Any]], detections: DetectionSet) -> list[tuple[str, str | None]]:
    report = detect_bytes(b"\n".join(orjson.dumps(e) for e in events) + b"\n", detections)
    assert not report.problems, report.problems
    return [(alert.detection, alert.identity) for alert in report.alerts]


def test_expected_scopes_are_each_identitys_own(detections):
    scopes = {p.identity: p.scopes for p in detections.identities}
    assert scopes[AGENT] == {"access-reviews.write"}, "the agent holds no Okta management scope"
    assert scopes[READER] == {"okta.users.read"}, "the plugin may ask the org server for its own Okta scopes"
    assert scopes[REPORTER] == {"okta.users.read"}, "a management-only agent keeps its own Okta scopes"


def test_the_plugin_asking_for_its_okta_scope_is_not_flagged(detections):
    assert _detect([_org_server_grant(READER, "okta.users.read")], detections) == []
    assert _detect([_org_server_grant(REPORTER, "okta.users.read")], detections) == []


def test_the_agent_asking_for_its_plugins_okta_scope_is_flagged(detections):
    alerts = _detect([_org_server_grant(AGENT, "okta.users.read")], detections)
    assert alerts == [("scope-outside-profile", AGENT)], alerts


def test_a_compiled_profile_keeps_each_identitys_own_okta_scopes(detections, tmp_path: Path):
    path = tmp_path / "detection-profile.json"
    path.write_bytes(dump_profile(detections, agentid_version="0.1.0", digest="sha256:" + "cd" * 32))
    compiled = load_profile(path)
    assert {p.identity: p.scopes for p in compiled.identities} == {p.identity: p.scopes for p in detections.identities}
    assert _detect([_org_server_grant(READER, "okta.users.read")], compiled) == []
    assert _detect([_org_server_grant(AGENT, "okta.users.read")], compiled) == [("scope-outside-profile", AGENT)]


def test_sigma_flags_the_agent_and_not_its_plugin(detections):
    by_identity = {p.identity: p for p in detections.identities}
    assert re.search(outside_scopes_regex(by_identity[AGENT].scopes), "okta.users.read"), "agent: outside its set"
    assert not re.search(outside_scopes_regex(by_identity[READER].scopes), "okta.users.read"), "plugin: its own"


def test_a_synthetic_day_asks_the_org_server_for_management_identities_only_okta_scopes(detections):
    """Synthetic traffic (benchmarks, demos) for a management identity: every grant comes from the org server with
    its Okta scopes, the rate burst is planted on an identity with custom scopes, and the day is still judged
    exactly (every planted anomaly found, nothing else), even with a management identity first in the registry."""
    management = {REPORTER, READER}
    first = tuple(p for p in detections.identities if p.identity == REPORTER)
    reordered = DetectionSet(
        identities=first + tuple(p for p in detections.identities if p.identity != REPORTER),
        today=AFTER_EXPIRY,
        deployer_ids=(DEPLOYER_ID,),
        allowed_client_ids=(DEPLOYER_ID,),
    )
    day = synthetic_day(reordered, day=AFTER_EXPIRY, seed=20261205)
    by_client = {p.client_id: p.identity for p in reordered.identities}
    grants = [
        e for e in day.events if by_client.get(e["actor"]["id"]) in management and e["outcome"]["result"] == "SUCCESS"
    ]
    assert grants, "the management identities have normal traffic"
    for event in grants:
        assert event["target"][-1]["id"] == "org", f"{event['actor']['displayName']}: a custom-server token"
        assert event["debugContext"]["debugData"]["requestedScopes"] == "okta.users.read", event["uuid"]
    report = detect_bytes(b"\n".join(orjson.dumps(e) for e in day.events), reordered)
    found = event_keys(report)
    assert found == set(day.planted), (sorted(found - day.planted), sorted(day.planted - found))
