"""Whatever arrives, the detector neither crashes nor loses track: arbitrary bytes, arbitrary JSON, and Okta events with
any field replaced by any JSON value. Each test states what must hold of the report, judged by an oracle written here
(orjson for "is this line JSON", the shape of the generated values for "is this an event"), not only "no exception".
"""

from __future__ import annotations

import copy
import json

import orjson
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from agentid.detect.detector import detect_bytes
from tests.detect.conftest import EVENTBRIDGE_EXPECTED, load_event

FIXTURES = [load_event(name) for name in sorted(EVENTBRIDGE_EXPECTED)]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)  # what JSON readers agree on; beyond it orjson refuses the line
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
FIELDS = [
    ("eventType",),
    ("published",),
    ("uuid",),
    ("actor",),
    ("actor", "id"),
    ("outcome",),
    ("outcome", "result"),
    ("debugContext",),
    ("debugContext", "debugData"),
    ("debugContext", "debugData", "requestedScopes"),
    ("debugContext", "debugData", "grantType"),
    ("target",),
]
#: Fields whose value decides whether the reader can use the event at all; any other field is judged, never refused.
READER_FIELDS = {("eventType",), ("published",)}
FUZZ = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


def _json_line(line: bytes) -> bool:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


@FUZZ
@given(st.binary(max_size=400))
def test_arbitrary_bytes_every_line_that_is_not_json_is_reported_with_its_number(detection_set, data):
    report = detect_bytes(data, detection_set)
    text = data.removeprefix(b"\xef\xbb\xbf")
    lines = text.split(b"\n")
    filled = [n for n, line in enumerate(lines, start=1) if line.strip()]
    first = text.lstrip()[:1]
    if not filled:
        assert (report.events, report.problems) == (0, ()), "nothing to read, nothing reported"
        return
    bad = [n for n in filled if not _json_line(lines[n - 1])]
    if first == b"[" or (first == b"{" and bad == filled and _json_line(text)):
        return  # an array, or one pretty-printed event: judged as a whole document (tests below and elsewhere)
    reported = [p.line for p in report.problems if p.message.startswith("not valid JSON")]
    assert reported == bad, "each line that is not JSON, and only those, reported as such by line number"
    assert not any(p.fatal for p in report.problems), "JSON lines are always read to the end"


def _is_event_shaped(value: object) -> bool:
    return isinstance(value, dict) and ("eventType" in value or "detail" in value)


@FUZZ
@given(st.lists(json_values, max_size=5), st.booleans())
def test_arbitrary_json_values_are_each_one_problem(detection_set, values, as_array):
    """None of these values is a LogEvent: each (or each item of a list on a line) is reported exactly once, no event
    is counted, no alert raised, and nothing is fatal."""
    assume(not any(_is_event_shaped(v) or (isinstance(v, list) and any(map(_is_event_shaped, v))) for v in values))
    assume(values)
    if as_array:
        data = json.dumps(values).encode()
        expected = len(values)
    else:
        data = "\n".join(json.dumps(v) for v in values).encode()
        expected = sum(len(v) if isinstance(v, list) else 1 for v in values)
        if len(values) == 1 and isinstance(values[0], list):
            expected = len(values[0])  # one line holding one array: the file is that array
    report = detect_bytes(data, detection_set)
    assert (report.events, report.alerts) == (0, ())
    assert len(report.problems) == expected, [p.message for p in report.problems]
    assert not any(p.fatal for p in report.problems)


def _replaced(fixture: dict, field: tuple[str, ...], value: object) -> dict | None:
    event = copy.deepcopy(fixture)
    holder = event
    for key in field[:-1]:
        holder = holder.get(key) if isinstance(holder, dict) else None
    if not isinstance(holder, dict):
        return None
    holder[field[-1]] = value
    return event


@FUZZ
@given(st.sampled_from(range(len(FIXTURES))), st.sampled_from(FIELDS), json_values)
def test_okta_events_with_a_field_replaced_are_one_event_or_one_problem(detection_set, index, field, value):
    event = _replaced(FIXTURES[index], field, value)
    assume(event is not None)
    report = detect_bytes(json.dumps(event).encode(), detection_set)
    assert report.events + len(report.problems) == 1
    if field not in READER_FIELDS:
        assert report.events == 1, f"{field} is judged by the detections, never a reason to drop the event"


#: Every JSON type, empty and not: a deterministic sweep catches what random sampling may take thousands of runs to
#: hit (a number where Okta sends the list of targets crashed the tampering detection once).
AWKWARD_VALUES = [None, True, 0, -1, 1.5, "", "x" * 2000, [], [None], [[]], {}, {"id": ["0oa"]}]


def test_every_fixture_with_every_field_set_to_every_kind_of_value(detection_set):
    """Each variant is one event or one problem, in each container, and the three containers agree exactly."""
    runs = 0
    for fixture in FIXTURES:
        for field in FIELDS:
            for value in AWKWARD_VALUES:
                event = _replaced(fixture, field, value)
                if event is None:
                    continue
                envelope = {"detail-type": "SystemLog", "source": "aws.partner/okta.com/acme/agentid", "detail": event}
                reports = [
                    detect_bytes(data.encode(), detection_set)
                    for data in (json.dumps(event), json.dumps([event]), json.dumps(envelope))
                ]
                for report in reports:
                    assert report.events + len(report.problems) == 1, (field, value)
                    if field not in READER_FIELDS:
                        assert report.events == 1, (field, value)
                alerts = {tuple((a.detection, a.key, a.count) for a in r.alerts) for r in reports}
                assert len(alerts) == 1, f"{field}={value!r}: the containers disagree: {alerts}"
                runs += 1
    assert runs > 1000
