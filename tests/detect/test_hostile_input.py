"""Hostile event files (issue 15, findings 1, 2 and 11): no line is lost silently, one bad event never costs the report,
and a uuid reused with other content is neither trusted nor hidden.

The fixtures under tests/fixtures/detect/hostile/ are built from this repository's Okta LogEvent fixtures:
``pages-per-line.jsonl`` (one page of /api/v1/logs per line, the first line an array), ``published-overflow.jsonl``
(published times with no UTC equivalent, then a good event), ``conflicting-uuid.jsonl`` (a grant, a tampering event
under the grant's uuid, then a true redelivery of the grant) and ``broken-pretty-array.json`` (a pretty-printed array
broken in its second item).
"""

from __future__ import annotations

import copy
import json

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentid.detect.detector import Detector, detect_bytes, judge_in_parts
from agentid.detect.events import split_lines
from agentid.detect.synthetic import DEPLOYER_ID, SHADOW_CLIENT_ID
from tests.conftest import FIXTURES
from tests.detect.conftest import load_event

HOSTILE = FIXTURES / "detect" / "hostile"
TODAY = ["--today", "2026-12-21"]


def uuids_judged(report) -> set[str]:
    return {key for alert in report.alerts for key in alert.sample}


# ------------------------------------------------------------------------------------------- finding 1: no lost line


def test_pages_of_api_v1_logs_one_per_line_are_all_read(run):
    """The first line is an array: it was read as the whole file, lines 2 and 3 ignored, exit 0. Every line counts."""
    path = HOSTILE / "pages-per-line.jsonl"
    code, out, err = run("detect", "--events", str(path), "--deployer-id", DEPLOYER_ID, "--format", "json", *TODAY)
    document = json.loads(out)
    assert code == 1, err
    assert document["summary"]["events"] == 4 and document["problems"] == []
    by_detection = {a["detection"]: a for a in document["alerts"]}
    assert by_detection["identity-tampering"]["line"] == 2, "the page on line 2 was judged"
    shadow = by_detection["shadow-agent-token"]
    assert shadow["count"] == 2 and shadow["line"] == 1, "line 1's page and line 3's event: one client, two events"
    assert shadow["last"] == "2026-12-01T15:02:11.000Z", "line 3 was judged"


def _shapes() -> dict[str, bytes]:
    """The same four events in every shape the reader accepts."""
    names = ("grant-shadow-client", "app-update-by-admin", "grant-meeting-summarizer")
    names += ("grant-refused-no-matching-scope",)
    events = [load_event(n) for n in names]
    admin = events[1]
    source = "aws.partner/okta.com/acme/agentid"
    envelope = [{"detail-type": "SystemLog", "source": source, "detail": e} for e in events]
    lines = [orjson.dumps(e) for e in events]
    return {
        "json array": orjson.dumps(events),
        "pretty json array": json.dumps(events, indent=2).encode(),
        "json lines": b"\n".join(lines) + b"\n",
        "crlf json lines": b"\r\n".join(lines),
        "eventbridge envelopes, lines": b"\n".join(orjson.dumps(e) for e in envelope),
        "eventbridge envelopes, array": orjson.dumps(envelope),
        "pages per line": orjson.dumps(events[:2]) + b"\n" + orjson.dumps(events[2:]),
        "pages per line after blank lines": b"\n\n" + orjson.dumps(events[:1]) + b"\n\n" + orjson.dumps(events[1:]),
        "pretty pages one after another": (json.dumps(events[:3], indent=2) + "\n" + json.dumps(events[3:])).encode(),
        "pretty events one after another (jq '.[]')": b"\n".join(json.dumps(e, indent=2).encode() for e in events),
        "mixed lines": orjson.dumps(envelope[0]) + b"\n" + orjson.dumps([admin, envelope[2]]) + b"\n" + lines[3],
        "one pretty event per file": b"",  # filled below: one event only, judged alone
    }


@pytest.mark.parametrize("shape", [s for s in _shapes() if s != "one pretty event per file"])
def test_every_accepted_shape_gives_every_event(detection_set, shape):
    report = detect_bytes(_shapes()[shape], detection_set)
    assert report.problems == () and report.events == 4, (shape, report.problems)
    assert {a.detection for a in report.alerts} == {
        "shadow-agent-token",
        "identity-tampering",
        "token-refused",
        "scope-outside-profile",
    }


def test_a_pretty_printed_event_alone_is_read(detection_set):
    report = detect_bytes(json.dumps(load_event("grant-shadow-client"), indent=2).encode(), detection_set)
    assert report.events == 1 and [a.detection for a in report.alerts] == ["shadow-agent-token"]


def test_pretty_printed_events_with_lines_that_parse_alone_are_read_whole(detection_set):
    """Inside a pretty-printed event, ``    null`` or ``    "tickets.read"`` (a list's last item) is valid JSON on its
    own line: that must not make the file JSON lines, each other line a warning and no event read."""
    events = [load_event("grant-shadow-client"), load_event("app-update-by-admin")]
    for event in events:
        event["labels"] = ["tickets.read", None]
    data = b"\n".join(json.dumps(e, indent=2).encode() for e in events)
    assert b"\n    null\n" in data
    report = detect_bytes(data, detection_set)
    assert (report.events, report.problems) == (2, ())
    assert {a.detection for a in report.alerts} == {"shadow-agent-token", "identity-tampering"}


def test_a_break_that_cannot_be_read_past_exits_2_naming_the_line_and_keeps_the_report(run):
    path = HOSTILE / "broken-pretty-array.json"
    code, out, err = run("detect", "--events", str(path), *TODAY)
    assert code == 2, (out, err)
    assert "[shadow-agent-token]" in out, "the events before the break are still reported"
    assert f"{path}:150: error: item 2: not valid JSON" in err
    assert f"{path}:150: error: the events file could not be read past this line" in err


def test_a_truncated_last_item_is_a_warning_not_a_lost_line(run, tmp_path):
    whole = json.dumps([load_event("grant-shadow-client"), load_event("app-update-by-admin")], indent=2)
    path = tmp_path / "truncated.json"
    path.write_text(whole[: whole.rindex('"uuid"')])
    code, out, err = run("detect", "--events", str(path), *TODAY)
    assert code == 1 and "[shadow-agent-token]" in out
    assert "warning: item 2: the file ends inside it (truncated file?) (skipped)" in err


# ----------------------------------------------------------------------------- finding 2: a bad event is one event


def test_published_times_outside_utcs_years_are_malformed_events_not_a_crash(run):
    path = HOSTILE / "published-overflow.jsonl"
    code, out, err = run("detect", "--events", str(path), "--format", "json", *TODAY)
    assert code == 1, err
    document = json.loads(out)
    assert [p["line"] for p in document["problems"]] == [1, 2]
    assert "0001-01-01T00:00:00+01:00" in err and f"{path}:1: warning" in err and f"{path}:2: warning" in err
    assert [a["detection"] for a in document["alerts"]] == ["shadow-agent-token"], "line 3 is still judged"


GOOD = load_event("grant-shadow-client")
#: Events the reader must refuse (each one problem), whatever their neighbours.
MALFORMED = [
    {"published": "0001-01-01T00:00:00+01:00"},
    {"published": "9999-12-31T23:59:59-01:00"},
    {"published": 1764597434},
    {"published": 1e400},  # written as Infinity: not JSON
    {"published": None},
    {"published": "2026-12-01T14:03:22"},  # no zone
    {"published": ["2026-12-01T14:03:22Z"]},
    {"eventType": None},
    {"eventType": ""},
    {"eventType": 12},
    {"outcome": {"result": float("nan")}},  # written as NaN: not JSON
    {"actor": {"id": 2**80}},  # beyond 64 bits: refused by the JSON reader
]
#: Wrong types in fields the detections read: still events (counted, judged), never a crash; True when the event
#: is still a shadow client's client-credentials grant.
ODD = [
    ({"actor": "0oa9shadow0scraper4x"}, False),
    ({"actor": {"id": ["0oa9shadow0scraper4x"]}}, False),
    ({"actor": {"id": 2**40}}, False),
    ({"debugContext": {"debugData": ["grantType", "client_credentials"]}}, False),
    ({"debugContext": "client_credentials"}, False),
    ({"outcome": "SUCCESS"}, False),
    ({"target": 7}, True),
    ({"debugContext": {"debugData": {"grantType": "client_credentials", "requestedScopes": {"a": 1}}}}, True),
]


def _line(changes: dict, uuid: str) -> bytes:
    event = copy.deepcopy(GOOD)
    event.update(changes)
    event["uuid"] = uuid
    # json (not orjson): writes NaN and huge integers, as a careless exporter would; orjson refuses them on read.
    return json.dumps(event).encode()


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.just(("good", {})),
            st.sampled_from(MALFORMED).map(lambda c: ("malformed", c)),
            st.sampled_from(ODD).map(lambda c: ("odd" if not c[1] else "good", c[0])),
            st.just(("not json", {})),
        ),
        max_size=25,
    )
)
def test_planted_bad_events_are_counted_exactly_and_every_good_event_is_judged(detection_set, plan):
    """Property: with any mix of shadow grants (some with oddly typed fields the detection does not read), malformed
    events, oddly typed fields that unmake the grant, and broken lines, the report names exactly the planted
    malformed lines, counts every other event, and alerts on every grant that is still a shadow grant."""
    lines, bad_lines, good_uuids = [], [], set()
    for number, (kind, changes) in enumerate(plan, start=1):
        uuid = f"00000000-0000-4000-8000-{number:012d}"
        if kind == "not json":
            lines.append(b'{"eventType": "app.oauth2.as.token.grant.access_token", "published": ')
        else:
            lines.append(_line(changes, uuid))
        if kind in ("malformed", "not json"):
            bad_lines.append(number)
        if kind == "good":
            good_uuids.add(uuid)
    report = detect_bytes(b"\n".join(lines) + b"\n", detection_set)
    assert [p.line for p in report.problems] == bad_lines
    assert not any(p.fatal for p in report.problems), "a JSON-lines file is always read to its end"
    assert report.events == len(plan) - len(bad_lines)
    shadow = [a for a in report.alerts if a.detection == "shadow-agent-token" and a.client_id == SHADOW_CLIENT_ID]
    assert sum(a.count for a in shadow) == len(good_uuids), "every good grant alerted"
    if good_uuids:
        assert set(shadow[0].sample) <= good_uuids


# ------------------------------------------------------------------------------ finding 11: conflicting duplicates


def test_a_seen_uuid_with_other_content_is_judged_and_reported(run):
    """A SOC must see both: the forged tampering event raises its own alert (it is not dropped as a duplicate), and
    the reuse of the uuid is reported as a conflicting duplicate naming both lines; the exact copy is a redelivery."""
    path = HOSTILE / "conflicting-uuid.jsonl"
    code, out, err = run("detect", "--events", str(path), "--format", "json", *TODAY)
    document = json.loads(out)
    assert code == 1, err
    assert [a["detection"] for a in document["alerts"]] == ["identity-tampering"]
    assert document["summary"]["events"] == 2 and document["summary"]["duplicates"] == 1
    assert document["summary"]["conflicting_duplicates"] == 1
    (conflict,) = document["conflicts"]
    assert conflict["line"] == 2 and "(line 1, line 2)" in conflict["message"]
    code, out, _ = run("detect", "--events", str(path), *TODAY)
    assert "conflicting duplicate: uuid 9a8b7c6d-5e4f-4a3b-8c2d-000000000001 arrived with 2 different contents" in out


def test_conflicts_and_redeliveries_across_a_split_file_match_one_reader(detection_set, tmp_path):
    data = (HOSTILE / "conflicting-uuid.jsonl").read_bytes()
    path = tmp_path / "events.jsonl"
    path.write_bytes(data * 3)  # every copy again, in later runs
    whole = detect_bytes(path.read_bytes(), detection_set)
    with open(path, "rb") as handle:
        split = split_lines(handle, 3, 0)
    assert split is not None and len(split[1]) == 3
    parts = judge_in_parts(Detector(detection_set), *split, workers=1)
    assert (parts.alerts, parts.events, parts.duplicates, parts.conflicts) == (
        whole.alerts,
        whole.events,
        whole.duplicates,
        whole.conflicts,
    )
    assert whole.events == 2 and whole.duplicates == 7


# ------------------------------------------------------------ tests that would not notice: the parallel path's rate


def test_redelivered_grants_across_a_split_of_the_event_file_give_no_false_token_rate_exceeded(detection_set, tmp_path):
    """At the budget exactly, every grant delivered twice, the copies falling in another run of the split file: a
    merge that counted redeliveries would report token-rate-exceeded."""
    profile = next(p for p in detection_set.identities if p.identity == "meeting-summarizer")
    grants = []
    for index in range(profile.max_tokens_per_hour):
        grant = load_event("grant-meeting-summarizer")
        grant["uuid"] = f"6d5c4b3a-2910-4f8e-9d7c-{index:012d}"
        grant["published"] = f"2026-12-01T12:{index % 60:02d}:00.000Z"
        grants.append(orjson.dumps(grant))
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(grants + grants) + b"\n")
    with open(path, "rb") as handle:
        split = split_lines(handle, 4, 0)
    assert split is not None and len(split[1]) == 4, "the redeliveries fall in other runs than their first copies"
    report = judge_in_parts(Detector(detection_set), *split, workers=1)
    assert [a.detection for a in report.alerts if a.detection == "token-rate-exceeded"] == []
    assert report.events == profile.max_tokens_per_hour and report.duplicates == profile.max_tokens_per_hour


# ------------------------------------------------------------------------------------ weakness: alert aggregation


def test_repeated_alerts_are_aggregated_per_subject_with_counts_and_times(detection_set, tmp_path):
    """A million shadow-token events once took 4.46 GB as alerts; one alert per client now, whatever the count."""
    lines = []
    for index in range(3000):
        event = load_event("grant-shadow-client")
        event["uuid"] = f"2b3c4d5e-6f70-4182-93a4-{index:012d}"
        event["published"] = f"2026-12-01T{index % 24:02d}:{index % 60:02d}:{index % 50:02d}.000Z"
        lines.append(orjson.dumps(event))
    data = b"\n".join(lines) + b"\n"
    report = detect_bytes(data, detection_set)
    (alert,) = report.alerts
    assert (alert.count, alert.published, alert.last) == (3000, "2026-12-01T00:00:00.000Z", "2026-12-01T23:59:49.000Z")
    assert len(alert.sample) == 5 and alert.sample[0] == "2b3c4d5e-6f70-4182-93a4-000000000000"
    assert report.summary()["by_detection"] == {"shadow-agent-token": 3000}
    path = tmp_path / "events.jsonl"
    path.write_bytes(data)
    with open(path, "rb") as handle:
        split = split_lines(handle, 3, 0)
    assert split is not None
    assert judge_in_parts(Detector(detection_set), *split, workers=1).alerts == report.alerts


def test_text_and_json_show_the_count(run, tmp_path):
    lines = []
    for index in range(7):
        event = load_event("grant-shadow-client")
        event["uuid"] = f"8e9f0a1b-2c3d-4e5f-8a6b-{index:012d}"
        lines.append(orjson.dumps(event))
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(lines))
    code, out, _ = run("detect", "--events", str(path), *TODAY)
    assert code == 1
    assert "    x7 events from 2026-12-01T13:37:14.047Z to 2026-12-01T13:37:14.047Z; first events: " in out
    summary = "7 events (0 duplicates, 0 malformed skipped): 1 alerts (shadow-agent-token: 7 events)"
    assert out.rstrip().endswith(summary)
    code, out, _ = run("detect", "--events", str(path), "--format", "json", *TODAY)
    (alert,) = json.loads(out)["alerts"]
    assert alert["count"] == 7 and len(alert["sample_uuids"]) == 5
