"""Active hours at their boundaries, judged directly (issue 15: an end made inclusive was caught only by the
reference-comparison tests). ``active_hours_utc: "01:00-05:00"`` means 01:00:00.000 up to, not including, 05:00:00.000
UTC; a window whose end is earlier wraps past midnight. Expectations are written by hand from those words."""

from __future__ import annotations

import re
from dataclasses import replace

import orjson
import pytest

from agentid.detect import sigma
from agentid.detect.definitions import DetectionSet
from agentid.detect.detector import detect_bytes
from tests.detect.conftest import load_event

#: (window, timestamp, outside the window?)
BOUNDARIES = [
    ("01:00-05:00", "2026-12-01T00:59:59.999Z", True),
    ("01:00-05:00", "2026-12-01T01:00:00.000Z", False),
    ("01:00-05:00", "2026-12-01T04:59:59.999Z", False),
    ("01:00-05:00", "2026-12-01T05:00:00.000Z", True),
    ("01:00-05:00", "2026-12-01T05:00:00Z", True),
    ("22:00-06:00", "2026-12-01T21:59:59.999Z", True),
    ("22:00-06:00", "2026-12-01T22:00:00.000Z", False),
    ("22:00-06:00", "2026-12-01T00:00:00.000Z", False),
    ("22:00-06:00", "2026-12-01T05:59:59.999Z", False),
    ("22:00-06:00", "2026-12-01T06:00:00.000Z", True),
    ("06:30-18:45", "2026-12-01T06:29:59.999Z", True),
    ("06:30-18:45", "2026-12-01T06:30:00.000Z", False),
    ("06:30-18:45", "2026-12-01T18:44:59.999Z", False),
    ("06:30-18:45", "2026-12-01T18:45:00.000Z", True),
    ("00:00-24:00", "2026-12-01T23:59:59.999Z", False),
    ("00:00-24:00", "2026-12-01T00:00:00.000Z", False),
]


def _only(detection_set: DetectionSet, identity: str, window: str) -> DetectionSet:
    profile = next(p for p in detection_set.identities if p.identity == identity)
    return DetectionSet((replace(profile, active_hours_utc=window),), detection_set.today)


@pytest.mark.parametrize(("window", "stamp", "outside"), BOUNDARIES)
def test_the_detector_alerts_exactly_outside_the_window(detection_set, window, stamp, outside):
    detections = _only(detection_set, "meeting-summarizer", window)
    grant = load_event("grant-meeting-summarizer")
    grant["published"] = stamp
    report = detect_bytes(orjson.dumps(grant), detections)
    assert ("token-outside-active-hours" in {a.detection for a in report.alerts}) is outside, (window, stamp)


@pytest.mark.parametrize(("window", "stamp", "outside"), BOUNDARIES)
def test_the_sigma_expression_matches_exactly_outside_the_window(detection_set, window, stamp, outside):
    detections = _only(detection_set, "meeting-summarizer", window)
    expression = sigma.minutes_regex(detections.identities[0].inactive_minutes())
    assert (expression is not None and re.search(expression, stamp) is not None) is outside, (window, stamp)
