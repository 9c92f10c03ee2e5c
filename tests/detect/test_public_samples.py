"""The detector, the Sigma rules and the synthetic generator held to outside samples of Okta's System Log and of
EventBridge envelopes (tests/fixtures/detect/public/README.md cites each), not only to our own fixtures.

Issue 14: public samples write ``requestedScopes`` / ``grantedScopes`` as ``"a, b, c"``; read with a space split,
every multi-scope grant raised a false ``scope-outside-profile``.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from typing import Any

import orjson
import pytest

from agentid.cli.main import main
from agentid.detect.definitions import DetectionSet, IdentityProfile
from agentid.detect.detector import _scopes_of, detect_bytes
from agentid.detect.events import read_events
from agentid.detect.sigma import outside_scopes_regex
from agentid.detect.synthetic import DEPLOYER_ID, _Builder
from tests.conftest import FIXTURES
from tests.detect.conftest import load_event

PUBLIC = FIXTURES / "detect" / "public"
#: Okta's list format as the samples show it: names separated by a comma and a space.
OKTA_LIST = re.compile(r"^[^,\s]+(, [^,\s]+)*$")


def public(name: str) -> Any:
    return json.loads((PUBLIC / name).read_text(encoding="utf-8"))


def jsonl(events: list[dict[str, Any]]) -> bytes:
    return b"\n".join(orjson.dumps(e) for e in events) + b"\n"


def shape(value: Any) -> Any:
    """The JSON type tree of a value: what a reader depends on, without the values."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return "list"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "null" if value is None else "str"


def mismatches(ours: Any, theirs: Any, path: str = "") -> list[str]:
    """Paths present in both whose types differ (a null on either side is a value not known, not a mismatch)."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        return [m for key in ours.keys() & theirs.keys() for m in mismatches(ours[key], theirs[key], f"{path}.{key}")]
    if "null" in (ours, theirs) or ours == theirs:
        return []
    return [f"{path}: ours {ours if isinstance(ours, str) else 'object'}, theirs {theirs}"]


# ------------------------------------------------------------------------------------------ the scope list format


def test_public_samples_write_scope_lists_with_comma_and_space():
    airbyte = public("airbyte-source-okta-token-grant.json")["debugContext"]["debugData"]
    panther = public("panther-okta-authorize-code-scopes.json")["debugcontext"]["debugData"]
    for value in (airbyte["grantedScopes"], panther["requestedScopes"], panther["grantedScopes"]):
        assert OKTA_LIST.match(value), value
    assert _scopes_of(panther["requestedScopes"]) == ["openid", "profile", "email", "okta.users.read.self"]
    assert _scopes_of(airbyte["grantedScopes"])[-1] == "offline_access"
    assert _scopes_of(airbyte["requestedScopes"]) == []  # the sample's empty request


@pytest.mark.parametrize("separator", [", ", ",", " ", " , ", "\t"])
def test_every_separator_okta_or_an_export_may_use_is_read_the_same(separator):
    assert _scopes_of(separator.join(["calendar.read", "transcripts.read"])) == ["calendar.read", "transcripts.read"]


def test_sigma_regex_reads_the_public_list_format():
    declared = _scopes_of(
        public("panther-okta-authorize-code-scopes.json")["debugcontext"]["debugData"]["grantedScopes"]
    )
    requested = public("panther-okta-authorize-code-scopes.json")["debugcontext"]["debugData"]["requestedScopes"]
    assert not re.search(outside_scopes_regex(declared), requested), "all declared: no match"
    assert re.search(outside_scopes_regex(declared[:-1]), requested), "one undeclared: a match"
    assert not re.search(outside_scopes_regex(["calendar.read", "transcripts.read"]), "calendar.read, transcripts.read")


def _public_grant_for(profile: IdentityProfile, scopes: str) -> dict[str, Any]:
    """The Airbyte sample grant, as Okta logs it, re-issued to ``profile``'s client as a client-credentials grant."""
    event = copy.deepcopy(public("airbyte-source-okta-token-grant.json"))
    event["actor"].update(
        id=profile.client_id, alternateId=profile.client_id, displayName=f"agentid:{profile.identity}"
    )
    event["debugContext"]["debugData"].update(
        requestedScopes=scopes, grantedScopes=scopes, grantType="client_credentials", clientAuthType="private_key_jwt"
    )
    event["published"] = "2026-12-01T10:15:20.970Z"
    event["uuid"] = "0d6c3a8e-5b1f-4c7e-9a2d-public0grant"
    return event


def test_agentid_detect_on_a_comma_separated_grant_raises_no_scope_alert(
    detection_set, repo, monkeypatch, capsys, tmp_path
):
    meeting = next(p for p in detection_set.identities if p.identity == "meeting-summarizer")
    assert len(meeting.scopes) >= 2, "a grant of more than one scope is the case that broke"
    scopes = ", ".join(sorted(meeting.scopes))
    events = tmp_path / "okta.jsonl"
    events.write_bytes(jsonl([_public_grant_for(meeting, scopes)]))
    monkeypatch.chdir(repo)
    code = main(["detect", "--events", str(events), "--format", "json", "--today", "2026-12-21"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert json.loads(out)["alerts"] == []
    # ... and a scope it does not declare, in the same format, is still found.
    events.write_bytes(jsonl([_public_grant_for(meeting, scopes + ", payroll.read")]))
    code = main(["detect", "--events", str(events), "--format", "json", "--today", "2026-12-21"])
    alerts = json.loads(capsys.readouterr().out)["alerts"]
    assert code == 1 and [(a["detection"], a["details"]["outside"]) for a in alerts] == [
        ("scope-outside-profile", ["payroll.read"])
    ]


# ----------------------------------------------------------------------- the generator against the public shapes


@pytest.fixture(scope="module")
def builder() -> _Builder:
    return _Builder(7, dt.date(2026, 12, 1))


def test_generated_grants_have_the_public_grants_shape(builder):
    theirs = public("airbyte-source-okta-token-grant.json")
    ours = builder.token_event("0oaYuiO1lm7YL96wT4XI", "agentid:meeting-summarizer", 600, ["a.read", "b.write"])
    missing = sorted(theirs.keys() - ours.keys())
    assert missing == [], f"top-level members of Okta's event the generator leaves out: {missing}"
    assert mismatches(shape(ours), shape(theirs)) == []
    debug, their_debug = ours["debugContext"]["debugData"], theirs["debugContext"]["debugData"]
    assert {"clientAuthType", "grantedScopes", "requestedScopes", "grantType", "requestUri"} <= their_debug.keys()
    assert {"clientAuthType", "grantedScopes", "requestedScopes", "grantType", "requestUri"} <= debug.keys()
    assert OKTA_LIST.match(debug["requestedScopes"]) and OKTA_LIST.match(debug["grantedScopes"])
    assert OKTA_LIST.match(their_debug["grantedScopes"])
    assert ours["actor"]["type"] == theirs["actor"]["type"] == "PublicClientApp"


def test_generated_admin_changes_have_the_public_admin_changes_shape(builder):
    theirs = public("airbyte-source-okta-admin-change.json")
    actor = builder.user_actor("00u3rogue0admin0x7q2", "j.doe.admin@example.com")
    target = {"id": "0oa1", "type": "AppInstance", "alternateId": "x", "displayName": "agentid:x", "detailEntry": None}
    ours = builder.admin_change("app.oauth2.client.lifecycle.update", actor, 600, target)
    assert mismatches(shape(ours), shape(theirs)) == []
    assert ours["actor"].keys() == theirs["actor"].keys()
    assert all(t.keys() == theirs["target"][0].keys() for t in ours["target"])
    # Panther's sample of the API token event has the same actor members.
    assert public("panther-okta-api-token-create.json")["actor"].keys() <= ours["actor"].keys()


def test_generated_events_have_elastics_security_context_and_client_types(builder):
    session = [json.loads(line) for line in (PUBLIC / "elastic-okta-system-events.jsonl").read_text().splitlines()][1]
    ours = builder.token_event("0oaYuiO1lm7YL96wT4XI", "agentid:meeting-summarizer", 600, ["a.read"])
    assert isinstance(session["securityContext"]["asNumber"], int) and isinstance(
        ours["securityContext"]["asNumber"], int
    )
    assert mismatches(shape(ours["securityContext"]), shape(session["securityContext"])) == []
    assert mismatches(shape(ours["client"]), shape(session["client"])) == []
    assert mismatches(shape(ours["request"]), shape(session["request"])) == []


def test_our_fixtures_write_scope_lists_as_okta_does():
    for path in sorted((FIXTURES / "detect").glob("*.json")):
        debug = json.loads(path.read_text())["debugContext"]["debugData"]
        for key in ("requestedScopes", "grantedScopes"):
            if debug.get(key):
                assert OKTA_LIST.match(debug[key]), f"{path.name}: {key} {debug[key]!r}"


# ------------------------------------------------------------------- the public samples through the detections


def _identity(client_id: str, identity: str, scopes: set[str], networks: tuple[str, ...] = ()) -> IdentityProfile:
    return IdentityProfile(identity, identity, client_id, frozenset(scopes), 100, "00:00-00:00", None, "x", networks)


def test_the_public_grant_authenticated_with_a_client_secret_is_weak_for_an_agent():
    """The Airbyte sample as it is, its client taken for an agent's: client_secret_basic is not private_key_jwt."""
    sample = public("airbyte-source-okta-token-grant.json")
    scopes = set(_scopes_of(sample["debugContext"]["debugData"]["grantedScopes"]))
    detections = DetectionSet((_identity("test_client_app_id", "okta-log-reader", scopes),), dt.date(2022, 7, 19))
    report = detect_bytes(jsonl([sample]), detections)
    assert [a.detection for a in report.alerts] == ["weak-client-auth"]
    assert report.alerts[0].details == {"client_auth_type": "client_secret_basic"}


def test_the_public_eventbridge_envelope_is_read_and_judged():
    aws, okta = public("aws-eventbridge-event-structure.json"), public("eventbridge-okta-token-grant.json")
    assert okta.keys() == aws.keys(), "the envelope Okta's stream arrives in is AWS's"
    assert okta["source"].startswith("aws.partner/okta.com/")
    events, problems = read_events(orjson.dumps(okta) + b"\n")
    assert problems == [] and [e.raw["uuid"] for e in events] == ["test_uuid"]
    detections = DetectionSet(
        (_identity("test_client_app_id", "okta-log-reader", {"okta.users.read"}),), dt.date(2022, 7, 19)
    )
    assert [a.detection for a in detect_bytes(orjson.dumps(okta) + b"\n", detections).alerts] == ["weak-client-auth"]


def test_panthers_api_token_event_fires_api_token_created():
    """Panther stores ``published`` without T and Z; Okta's API writes ISO 8601 UTC, restored here."""
    sample = public("panther-okta-api-token-create.json")
    sample["published"] = sample["published"].replace(" ", "T") + "Z"
    report = detect_bytes(jsonl([sample]), DetectionSet((), dt.date(2021, 1, 8), deployer_ids=(DEPLOYER_ID,)))
    assert [a.detection for a in report.alerts] == ["api-token-created"]


@pytest.mark.parametrize(
    ("policy_name", "expected"), [("Default Policy", []), ("meeting-summarizer", ["identity-tampering"])]
)
def test_elastics_policy_targets_tell_an_agents_policy_from_another(detection_set, policy_name, expected):
    """Elastic's event names its policy and rule as targets (PolicyEntity, PolicyRule): the same shape, as an admin's
    policy update, is tampering only when the policy is an agent's (named after the identity, as infra names it)."""
    line = (PUBLIC / "elastic-okta-system-events.jsonl").read_text().splitlines()[0]
    event = json.loads(line)
    event.update(eventType="policy.lifecycle.update", outcome={"result": "SUCCESS", "reason": None})
    event["target"][0]["displayName"] = policy_name
    assert [a.detection for a in detect_bytes(jsonl([event]), detection_set).alerts] == expected


def test_a_grant_without_client_auth_type_is_not_judged(detection_set):
    event = load_event("grant-meeting-summarizer")
    del event["debugContext"]["debugData"]["clientAuthType"]
    assert detect_bytes(jsonl([event]), detection_set).alerts == ()
