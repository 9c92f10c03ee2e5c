"""A synthetic day for the sample registry with planted anomalies: every one found, no false alarm.

The generator (agentid.detect.synthetic) is deterministic: fixed seed, pinned day (the day after incident-responder
expired, so an inactive-agent grant can be planted), offline client ids. Delivery is shuffled and partly duplicated.
"""

from __future__ import annotations

import json

import orjson
import pytest

from agentid.detect.definitions import BASELINE_DETECTIONS, DETECTIONS
from agentid.detect.detector import detect_bytes
from agentid.detect.synthetic import synthetic_day
from tests.detect.conftest import AFTER_EXPIRY


@pytest.fixture(scope="module")
def day(detection_set):
    return synthetic_day(detection_set, day=AFTER_EXPIRY, seed=20261221)


def precision_recall(found: set, planted: set) -> tuple[float, float]:
    hits = len(found & planted)
    return (hits / len(found) if found else 1.0), (hits / len(planted) if planted else 1.0)


@pytest.mark.parametrize("shape", ["jsonl", "array", "eventbridge"])
def test_every_planted_anomaly_found_and_nothing_else(detection_set, day, shape, capsys):
    if shape == "jsonl":
        data = b"\n".join(orjson.dumps(e) for e in day.events)
    elif shape == "array":
        data = orjson.dumps(list(day.events))
    else:
        data = b"\n".join(
            orjson.dumps({"detail-type": "SystemLog", "source": "aws.partner/okta.com/acme/agentid", "detail": e})
            for e in day.events
        )
    report = detect_bytes(data, detection_set)
    found = {(a.detection, a.key) for a in report.alerts}
    precision, recall = precision_recall(found, set(day.planted))
    with capsys.disabled():
        print(
            f"\n[synthetic day {day.day} {shape}] {len(day.events)} events delivered, {report.events} unique, "
            f"{report.duplicates} duplicates; planted {len(day.planted)}, alerts {len(found)}: "
            f"precision {precision:.2f}, recall {recall:.2f}"
        )
    assert not report.problems
    # Alerts are compared by (detection, key); two alerts sharing a key (e.g. a second identity over its budget in
    # the burst hour) would hide a false alarm in the set, so each alert must be distinct.
    assert len(report.alerts) == len(found), sorted((a.detection, a.key, a.identity) for a in report.alerts)
    assert found - day.planted == set(), f"false alarms: {sorted(found - day.planted)}"
    assert day.planted - found == set(), f"missed: {sorted(day.planted - found)}"
    assert (precision, recall) == (1.0, 1.0)


def test_the_day_plants_every_detection_and_is_realistic(day):
    # Every detection but the first-seen source, which needs a baseline from an earlier run (tested on its own).
    assert {detection for detection, _key in day.planted} == set(DETECTIONS) - {d.id for d in BASELINE_DETECTIONS}
    uuids = [e["uuid"] for e in day.events]
    assert len(uuids) > len(set(uuids)), "some events are delivered twice"
    published = [e["published"] for e in day.events]
    assert published != sorted(published), "delivery is out of order"
    assert len(day.events) > 1000


def test_the_generator_is_deterministic(detection_set, day):
    again = synthetic_day(detection_set, day=AFTER_EXPIRY, seed=20261221)
    assert json.dumps(again.events) == json.dumps(day.events) and again.planted == day.planted
