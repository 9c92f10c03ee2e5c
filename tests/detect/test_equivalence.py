"""The streaming detector against the straightforward one (tests/detect/reference.py), on generated traffic.

The streaming detector judges events as they are read, never sorts them, finds the grant that crossed an hourly
budget only at the end, and reads the common event shape through an inlined fast path. Each of those is an
optimisation that must not change a single alert, problem, count or their order, so every report here is compared
whole with the reference's: alerts (every field, in order), problems (with their lines), events and duplicates.

The generated files mix what exports really contain: bare events and EventBridge envelopes (good and bad), pages of
events on one line, JSON arrays whole and truncated, bad lines, blank and CRLF lines, a byte-order mark, timestamps in
Okta's format, without a fraction, with an offset and without a zone, redelivered and missing uuids, and bursts of
grants with equal timestamps that cross small hourly budgets for several clients in the same hour.
"""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import replace
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from agentid.detect.definitions import (
    GRANT_EVENT_TYPES,
    INVALID_CREDENTIALS_EVENT_TYPES,
    REFUSED_EVENT_TYPES,
    DetectionSet,
)
from agentid.detect.detector import Detector, Report, detect_bytes, detect_events, judge_in_parts
from agentid.detect.events import iter_events, read_events, split_lines
from agentid.detect.synthetic import DEPLOYER_ID, SHADOW_CLIENT_ID, synthetic_day
from tests.conftest import AGENTS_DIR, CATALOG, REPO, SAMPLE_REPO
from tests.detect import reference
from tests.detect.conftest import AFTER_EXPIRY, EVENT_SOURCE, load_event

TEMPLATES = {
    "grant": load_event("grant-meeting-summarizer"),
    "refused": load_event("grant-refused-no-matching-scope"),
    "invalid": load_event("invalid-client-credentials"),
    "tamper": load_event("app-update-by-admin"),
    "log-stream": load_event("log-stream-deactivated"),
    "other": load_event("user-sso"),
}
EVENT_TYPES = {
    "grant": GRANT_EVENT_TYPES,
    "refused": REFUSED_EVENT_TYPES,
    "invalid": INVALID_CREDENTIALS_EVENT_TYPES,
    "tamper": ("application.lifecycle.update", "policy.rule.update", "oauth2.scope.created", "oauth2.as.updated"),
    "log-stream": ("system.log_stream.lifecycle.deactivate",),
    "other": ("user.session.start",),
}
#: Few values, so that collisions (same second, same uuid) are common.
UUIDS = [f"5b1f0c1e-0d1e-4c8a-9b7e-00000000000{i}" for i in range(6)]
SCOPES = ["calendar.read", "transcripts.read", "finance.ledger.read", "okta.users.read", "hr.records.read", "admin.all"]


@pytest.fixture(scope="module")
def tight(detection_set) -> DetectionSet:
    """The sample registry with hourly budgets of 0 to 3 tokens, so a few grants cross them (0 crosses at once)."""
    identities = tuple(
        replace(profile, max_tokens_per_hour=index % 4) for index, profile in enumerate(detection_set.identities)
    )
    return DetectionSet(
        identities=identities,
        today=detection_set.today,
        deployer_ids=(DEPLOYER_ID,),
        allowed_client_ids=(DEPLOYER_ID, "0oa0allowed0reporting"),
    )


def snapshot(report: Report) -> tuple[Any, ...]:
    return report.alerts, report.problems, report.events, report.duplicates, report.to_dict()


def assert_same_as_reference(data: bytes, detections: DetectionSet) -> Report:
    """Every entry point of the streaming detector gives the reference's report for ``data``."""
    expected = snapshot(reference.reference_report(data, detections))
    assert snapshot(detect_bytes(data, detections)) == expected
    assert snapshot(detect_events(io.BufferedReader(io.BytesIO(data)), detections)) == expected
    events, problems = read_events(data)
    assert snapshot(Detector(detections).run(events, problems)) == expected
    ref_events, ref_problems = reference.read_events(data)
    assert [(e.published, e.raw, e.line, e.item) for e in events] == [
        (e.published, e.raw, e.line, e.item) for e in ref_events
    ]
    assert problems == ref_problems
    return detect_bytes(data, detections)


# ----------------------------------------------------------------------------------------------------- generation

registered = st.sampled_from(
    [
        "0oaYuiO1lm7YL96wT4XI",  # meeting-summarizer (budget 0 in the tight set)
        "0oaOzElGFG3My1ASLGnS",  # meeting-summarizer--calendar
        "0oapz1BSVdPMndjm7mcQ",  # incident-responder (expired 2026-12-20)
        "0oa2pVMU33MLnKG12NFD",  # okta-user-auditor
        "0oaecMMOguwULjJ0MsZ2",  # support-triage
    ]
)
clients = (
    registered
    | registered
    | st.sampled_from([SHADOW_CLIENT_ID, DEPLOYER_ID, "0oa0allowed0reporting", None, ["0oa"], 7])
)


@st.composite
def published(draw: st.DrawFn) -> Any:
    day = draw(st.sampled_from(["2026-12-20", "2026-12-21"]))
    hour = draw(st.sampled_from([1, 3, 12, 23]))
    minute, second = draw(st.sampled_from([0, 30, 59])), draw(st.sampled_from([0, 7]))
    base = f"{day}T{hour:02d}:{minute:02d}:{second:02d}"
    style = draw(st.integers(0, 19))
    if style <= 11:
        return f"{base}.{draw(st.sampled_from(['000', '500', '123456']))}Z"
    return [f"{base}Z", f"{base}Z", f"{base}+01:00", f"{base}.250-05:30", f"{base}+00:00", base, "yesterday", 17e8][
        style - 12
    ]


@st.composite
def okta_event(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(sorted(TEMPLATES)))
    event = copy.deepcopy(TEMPLATES[kind])
    event["eventType"] = draw(st.sampled_from(EVENT_TYPES[kind]))
    event["published"] = draw(published())
    uuid = draw(st.sampled_from([*UUIDS, None, 7, "missing"]))
    if uuid == "missing":
        del event["uuid"]
    else:
        event["uuid"] = uuid
    actor = draw(st.sampled_from(["client", "client", "no-actor", "not-a-dict"]))
    if actor == "client":
        event.setdefault("actor", {})
        event["actor"] = dict(event["actor"] or {}, id=draw(clients))
    elif actor == "no-actor":
        event.pop("actor", None)
    else:
        event["actor"] = "0oaYuiO1lm7YL96wT4XI"
    result = draw(st.sampled_from(["SUCCESS", "SUCCESS", "FAILURE", "FAILURE", None, "no-outcome"]))
    if result == "no-outcome":
        event.pop("outcome", None)
    else:
        event["outcome"] = {"result": result, "reason": draw(st.sampled_from(["no_matching_scope", None]))}
    requested = draw(
        st.sampled_from(["string", "string", "list", "missing", "no-debug"])
    )  # Okta logs a space-separated string
    scopes = draw(st.lists(st.sampled_from(SCOPES), max_size=3))
    debug = event.setdefault("debugContext", {}).setdefault("debugData", {})
    if requested == "string":
        debug["requestedScopes"] = " ".join(scopes)
    elif requested == "list":
        debug["requestedScopes"] = [*scopes, 3]
    elif requested == "missing":
        debug.pop("requestedScopes", None)
    else:
        event["debugContext"] = None
    if draw(st.booleans()):
        debug_data = (event.get("debugContext") or {}).get("debugData")
        if isinstance(debug_data, dict):
            debug_data["grantType"] = draw(st.sampled_from(["client_credentials", "authorization_code"]))
    if draw(st.integers(0, 30)) == 0:
        del event["eventType"]
    return event


@st.composite
def delivered(draw: st.DrawFn, event: dict[str, Any]) -> Any:
    """The event as it arrives: bare, in an EventBridge envelope, or in an envelope that is not Okta's."""
    wrap = draw(st.sampled_from(["bare"] * 6 + ["envelope"] * 3 + ["wrong-detail-type", "detail-not-object"]))
    if wrap == "bare":
        return event
    envelope = {"version": "0", "detail-type": "SystemLog", "source": EVENT_SOURCE, "detail": event}
    if wrap == "wrong-detail-type":
        envelope["detail-type"] = "AWS API Call via CloudTrail"
    elif wrap == "detail-not-object":
        envelope["detail"] = [event]
    return envelope


def bursts(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Grants for two clients in the same hour, several with the same timestamp: budgets crossed on ties."""
    events = []
    for client in draw(st.lists(registered, min_size=1, max_size=3, unique=True)):
        stamp = draw(st.sampled_from(["2026-12-21T12:00:00.000Z", "2026-12-21T12:30:00Z"]))
        for index in range(draw(st.integers(1, 6))):
            event = copy.deepcopy(TEMPLATES["grant"])
            event["actor"]["id"] = client
            event["published"] = stamp if draw(st.booleans()) else f"2026-12-21T12:{index:02d}:00.000Z"
            if draw(st.booleans()):
                del event["uuid"]
            else:
                event["uuid"] = f"{client}-{index}"
            events.append(event)
    return events


BAD_LINES = [b"{truncated", b'"unterminated', b"[[", b"   ", b"", b"\r", b"\t \x0b", b"null", b"42", b'{"detail": 1}']


@st.composite
def export(
    draw: st.DrawFn, shapes: tuple[str, ...] = ("lines", "lines", "lines", "array", "truncated-array", "pretty")
) -> bytes:
    """A file of events in one of the shapes users have on disk."""
    events = draw(st.lists(okta_event(), max_size=25))
    if draw(st.booleans()):
        events += bursts(draw)
    events = draw(st.permutations(events))
    items = [draw(delivered(event)) for event in events]
    shape = draw(st.sampled_from(shapes))
    if shape == "array":
        data = json.dumps(items, indent=draw(st.sampled_from([None, 2]))).encode()
    elif shape == "truncated-array":
        whole = json.dumps(items, indent=2).encode()
        data = whole[: draw(st.integers(1, max(1, len(whole) - 1)))]
    elif shape == "pretty":
        data = json.dumps(items[0] if items else {}, indent=2).encode()
    else:
        lines: list[bytes] = []
        position = 0
        while position < len(items):
            page = draw(st.integers(1, 3)) if draw(st.integers(0, 5)) == 0 else 0
            if page:  # a page of /api/v1/logs on one line
                lines.append(orjson.dumps(items[position : position + page]))
                position += page
            else:
                lines.append(orjson.dumps(items[position]))
                position += 1
            if draw(st.integers(0, 6)) == 0:
                lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(BAD_LINES)))
        ending = draw(st.sampled_from([b"\n", b"\r\n"]))
        data = ending.join(lines) + (ending if draw(st.booleans()) else b"")
    if draw(st.integers(0, 9)) == 0:
        data = b"\xef\xbb\xbf" + data
    if draw(st.integers(0, 9)) == 0:
        data = b"\n \n" + data
    return data


EQUIVALENCE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@EQUIVALENCE
@given(export())
def test_generated_exports_give_the_reference_report(tight, data):
    assert_same_as_reference(data, tight)


@EQUIVALENCE
@given(export())
def test_generated_exports_with_the_real_budgets(detection_set, data):
    assert_same_as_reference(data, detection_set)


# ----------------------------------------------------------------------------------------------------- named cases


@pytest.mark.parametrize("shape", ["jsonl", "array", "eventbridge", "crlf"])
def test_a_synthetic_day_gives_the_reference_report(detection_set, shape):
    """A realistic day (shuffled, partly redelivered, every detection planted) in each shape."""
    events = synthetic_day(detection_set, day=AFTER_EXPIRY, seed=20261221).events
    if shape == "array":
        data = orjson.dumps(list(events))
    elif shape == "eventbridge":
        data = b"\n".join(
            orjson.dumps({"detail-type": "SystemLog", "source": EVENT_SOURCE, "detail": e}) for e in events
        )
    else:
        data = (b"\r\n" if shape == "crlf" else b"\n").join(orjson.dumps(e) for e in events)
    report = assert_same_as_reference(data, detection_set)
    assert report.alerts and report.duplicates


def test_rate_alerts_of_the_same_hour_come_in_the_order_their_budgets_were_crossed(tight):
    """Two clients over budget in the same hour: the alerts tie on every sort key, so their order is the order in
    which the crossing grants come in time, whatever order the file lists them in."""
    meeting, calendar = "0oaYuiO1lm7YL96wT4XI", "0oaOzElGFG3My1ASLGnS"
    events = []
    for client, minute in ((calendar, 40), (meeting, 10), (calendar, 41), (meeting, 11), (calendar, 42)):
        for second in range(4):
            event = copy.deepcopy(TEMPLATES["grant"])
            event["actor"]["id"] = client
            event["uuid"] = f"{client}-{minute}-{second}"
            event["published"] = f"2026-12-21T12:{minute:02d}:{second:02d}.000Z"
            events.append(event)
    events.reverse()
    report = assert_same_as_reference(b"\n".join(orjson.dumps(e) for e in events), tight)
    rate = [a for a in report.alerts if a.detection == "token-rate-exceeded"]
    assert len(rate) == 2 and rate[0].published == rate[1].published
    crossing_times = [next(e["published"] for e in events if e["uuid"] == a.uuid) for a in rate]
    assert crossing_times == sorted(crossing_times)


def test_grants_with_equal_timestamps_cross_the_budget_in_input_order(tight):
    """Ties in time are broken by position in the file, as a stable sort of every event would: the alert names the
    grant that comes budget + 1-th in the file among those at the same instant, and its line."""
    meeting = next(p for p in tight.identities if p.client_id == "0oaYuiO1lm7YL96wT4XI")
    events = []
    for index in range(meeting.max_tokens_per_hour + 3):
        event = copy.deepcopy(TEMPLATES["grant"])
        event["uuid"] = f"same-instant-{index}"
        event["published"] = "2026-12-21T12:00:00.000Z"
        events.append(event)
    report = assert_same_as_reference(b"\n".join(orjson.dumps(e) for e in events), tight)
    (rate,) = [a for a in report.alerts if a.detection == "token-rate-exceeded"]
    assert (rate.uuid, rate.line) == (f"same-instant-{meeting.max_tokens_per_hour}", meeting.max_tokens_per_hour + 1)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xef\xbb\xbf",
        b"\n\n  \n",
        b'"unterminated\n{"eventType": "x"',  # orjson words the first error differently when a newline follows
        json.dumps(TEMPLATES["grant"], indent=2).encode(),  # one pretty-printed event
        b"  " + json.dumps(TEMPLATES["tamper"], indent=2).encode() + b"\n\n",
        json.dumps(
            {"detail-type": "SystemLog", "source": EVENT_SOURCE, "detail": TEMPLATES["refused"]}, indent=1
        ).encode(),
        b"{\n not json\n}\n",  # starts like one pretty-printed event, is not
        b'{\n"x"\n}',  # one line of it parses: not a pretty-printed event any more
        b"[\n" + json.dumps(TEMPLATES["grant"], indent=2).encode() + b',\n{"eventType": ',  # truncated array
        b"[" * 3000,  # deeper than any parser's limit
        b"\n".join(  # bare events whose time is not in Okta's own format: off the inlined path
            orjson.dumps(TEMPLATES["grant"] | {"published": value, "uuid": str(value)})
            for value in ("2026-12-21T13:00:00+01:00", "2026-12-21T12:00:00", "2026-12-21T12:00:00Z", 5, "2026-12-21")
        ),
        b"\r\n".join([orjson.dumps(TEMPLATES["grant"]), b"{bad", orjson.dumps([TEMPLATES["tamper"], 3])]),
    ],
    ids=lambda data: repr(data[:24]),
)
def test_edge_cases_give_the_reference_report(detection_set, data):
    assert_same_as_reference(data, detection_set)


class CountingStream(io.RawIOBase):
    """A stream that counts the lines handed out, to show the reader does not read ahead."""

    def __init__(self, lines: list[bytes]):
        self.lines = lines
        self.handed = 0

    def __iter__(self):
        for line in self.lines:
            self.handed += 1
            yield line


def test_json_lines_are_read_as_they_are_judged():
    """Streaming is what keeps memory flat: the first event comes out after its own line is read, not the file."""
    lines = [orjson.dumps(TEMPLATES["grant"] | {"uuid": f"u{i}"}) + b"\n" for i in range(1000)]
    stream = CountingStream(lines)
    records = iter_events(stream, [])
    first = next(records)
    assert first[2] == 1 and stream.handed == 1
    assert sum(1 for _ in records) == 999 and stream.handed == 1000


# ----------------------------------------------------------------------------------------------------- split files


def judge_split(path: str, detections: DetectionSet, parts: int) -> Report | None:
    """The cut-into-runs path, every run judged in this process (the forked one is tested in a subprocess below)."""
    with open(path, "rb") as handle:
        split = split_lines(handle, parts, 0)
    if split is None:
        return None
    return judge_in_parts(Detector(detections), *split, workers=1)


@settings(EQUIVALENCE, max_examples=100)
@given(export(shapes=("lines",)), st.integers(2, 5))
def test_a_file_cut_into_runs_gives_the_reference_report(tight, data, parts):
    """Redeliveries across runs, budgets crossed by grants from several runs, bad lines and line numbers in later
    runs: merged in file order, the runs give the single reader's report."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "okta-system-log.jsonl")
        with open(path, "wb") as out:
            out.write(data)
        report = judge_split(path, tight, parts)
        if report is None:  # not plain JSON lines (an array, one pretty event, a bad first line), or one line only
            event("kept whole")
            return
        event("cut into runs")
        assert snapshot(report) == snapshot(reference.reference_report(data, tight))


def test_the_cuts_fall_after_a_newline_and_cover_the_file(tmp_path):
    lines = [orjson.dumps(TEMPLATES["grant"] | {"uuid": f"u{i}"}) + b"\n" for i in range(100)]
    path = tmp_path / "okta-system-log.jsonl"
    path.write_bytes(b"".join(lines))
    with path.open("rb") as handle:
        found = split_lines(handle, 3, 0)
    assert found is not None
    _, ranges = found
    data = path.read_bytes()
    assert len(ranges) == 3 and ranges[0][0] == 0 and ranges[-1][1] is None
    assert all(data[start - 1 : start] == b"\n" for start, _end in ranges[1:])
    assert [end for _start, end in ranges[:-1]] == [start for start, _end in ranges[1:]]
    with path.open("rb") as handle:
        assert split_lines(handle, 3, len(data) + 1) is None  # too small to be worth cutting
    assert split_lines(io.BytesIO(data), 3, 0) is None  # not a file that a worker can open


FORKED = """
import json, os, sys
from agentid.detect.detector import Detector, Tally, detect_events
from tests.detect import reference
from tests.detect.test_equivalence import forked_case
path, detections = forked_case(sys.argv[1])
pids = set()
tally = Detector.tally
def tally_and_note(self, *args, **kwargs):
    pids.add(os.getpid())
    result = tally(self, *args, **kwargs)
    if os.getpid() != PARENT:
        result.problems.append(reference.Problem("forked", None, None))  # marks a result that crossed the pipe
    return result
PARENT = os.getpid()
Detector.tally = tally_and_note
got = detect_events(open(path, "rb"), detections, workers=int(sys.argv[2]), split_min_bytes=0)
Detector.tally = tally
expected = reference.reference_report(open(path, "rb").read(), detections)
marks = sum(1 for p in got.problems if p.message == "forked")
problems = tuple(p for p in got.problems if p.message != "forked")
same = (got.alerts, problems, got.events, got.duplicates) == (
    expected.alerts, expected.problems, expected.events, expected.duplicates)
print(json.dumps({"same": same, "forked_results": marks, "alerts": len(got.alerts), "events": got.events}))
"""


def forked_case(folder: str) -> tuple[str, DetectionSet]:
    """A synthetic day written as JSON lines with bad lines and envelopes, for the forked run."""
    from agentid.detect.definitions import build_detection_set
    from agentid.registry import load_registry

    registry = load_registry(AGENTS_DIR, CATALOG, root=SAMPLE_REPO).registry
    detections = build_detection_set(registry, today=AFTER_EXPIRY, deployer_ids=[DEPLOYER_ID])
    events = synthetic_day(detections, day=AFTER_EXPIRY, seed=20261221).events
    lines = [
        orjson.dumps({"detail-type": "SystemLog", "source": EVENT_SOURCE, "detail": e} if i % 5 == 0 else e)
        for i, e in enumerate(events)
    ]
    for position in (700, 1500):
        lines.insert(position, b"{truncated")
    path = os.path.join(folder, "okta-system-log.jsonl")
    with open(path, "wb") as out:
        out.write(b"\n".join(lines) + b"\n")
    return path, detections


@pytest.mark.parametrize("workers", [2, 3])
def test_forked_workers_give_the_reference_report(tmp_path, workers):
    """The real thing, in a fresh process (forking is only sound with one thread, which a test session cannot
    promise): workers judge later runs of the file and send their tallies back through a pipe."""
    done = subprocess.run(
        [sys.executable, "-c", FORKED, str(tmp_path), str(workers)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["same"] and result["alerts"] and result["events"] > 1000
    assert result["forked_results"] == workers - 1, "every later run should have been judged in a worker"


@pytest.mark.parametrize("parts", [2, 3, 4])
def test_ties_in_time_across_runs_fall_in_file_order(tight, tmp_path, parts):
    """Grants at the same instant spread over every run, for clients with budgets of 0 and 1: the crossing grant
    is the first (or second) in the file, even though later runs hold grants whose uuids sort first."""
    events = []
    for index in range(24):
        event = copy.deepcopy(TEMPLATES["grant"])
        event["actor"]["id"] = ("0oaYuiO1lm7YL96wT4XI", "0oaOzElGFG3My1ASLGnS")[index % 2]
        event["uuid"] = f"{99 - index:02d}-grant"
        event["published"] = "2026-12-21T12:00:00.000Z"
        events.append(event)
    data = b"\n".join(orjson.dumps(e) for e in events) + b"\n"
    path = tmp_path / "okta-system-log.jsonl"
    path.write_bytes(data)
    report = judge_split(str(path), tight, parts)
    assert report is not None
    assert snapshot(report) == snapshot(reference.reference_report(data, tight))
    assert [(a.uuid, a.line) for a in report.alerts if a.detection == "token-rate-exceeded"] == [
        ("99-grant", 1),
        ("96-grant", 4),
    ]
