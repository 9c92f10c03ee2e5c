"""The detector never crashes, whatever arrives: arbitrary bytes, arbitrary JSON, and Okta events with any field
replaced by any JSON value."""

from __future__ import annotations

import copy
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentid.detect.detector import detect_bytes
from tests.detect.conftest import EVENTBRIDGE_EXPECTED, load_event

FIXTURES = [load_event(name) for name in sorted(EVENTBRIDGE_EXPECTED)]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
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
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=400))
def test_arbitrary_bytes(detection_set, data):
    report = detect_bytes(data, detection_set)
    assert report.events + len(report.problems) >= 0


@FUZZ
@given(st.lists(json_values, max_size=5), st.booleans())
def test_arbitrary_json(detection_set, values, as_array):
    data = (json.dumps(values) if as_array else "\n".join(json.dumps(v) for v in values)).encode()
    detect_bytes(data, detection_set)


@FUZZ
@given(st.sampled_from(range(len(FIXTURES))), st.sampled_from(FIELDS), json_values)
def test_okta_events_with_a_field_replaced(detection_set, index, field, value):
    event = copy.deepcopy(FIXTURES[index])
    holder = event
    for key in field[:-1]:
        holder = holder.get(key) if isinstance(holder, dict) else None
    if isinstance(holder, dict):
        holder[field[-1]] = value
    report = detect_bytes(json.dumps(event).encode(), detection_set)
    assert report.events + len(report.problems) == 1


#: Every JSON type, empty and not: a deterministic sweep catches what random sampling may take thousands of runs to
#: hit (a number where Okta sends the list of targets crashed the tampering detection once).
AWKWARD_VALUES = [None, True, 0, -1, 1.5, "", "x" * 2000, [], [None], [[]], {}, {"id": ["0oa"]}]


def test_every_fixture_with_every_field_set_to_every_kind_of_value(detection_set):
    runs = 0
    for fixture in FIXTURES:
        for field in FIELDS:
            for value in AWKWARD_VALUES:
                event = copy.deepcopy(fixture)
                holder = event
                for key in field[:-1]:
                    holder = holder.get(key) if isinstance(holder, dict) else None
                if not isinstance(holder, dict):
                    continue
                holder[field[-1]] = value
                envelope = {"detail-type": "SystemLog", "source": "aws.partner/okta.com/acme/agentid", "detail": event}
                for data in (json.dumps(event), json.dumps([event]), json.dumps(envelope)):
                    detect_bytes(data.encode(), detection_set)
                    runs += 1
    assert runs > 3000
