"""The uuid+content dedupe's digest taken from a line's own bytes (agentid/detect/events.py ``_line_digest``).

The detector tells a redelivery (the same event again) from another event reusing its uuid by a digest of the
content. For an event read from a line of compact JSON the digest is the hash of the line's bytes, which must be the
value :func:`content_digest` gives for the parsed event, so copies carried in different shapes (a bare line, an
EventBridge envelope, a page) still compare equal; any other line takes :func:`content_digest` itself. Events are
this repository's fixture of a real grant (tests/fixtures/detect/grant-meeting-summarizer.json).
"""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from agentid.detect.detector import detect_bytes
from agentid.detect.events import _line_digest, content_digest, iter_events

GRANT = json.loads((Path(__file__).parents[1] / "fixtures" / "detect" / "grant-meeting-summarizer.json").read_text())
ENVELOPE_SOURCE = "aws.partner/okta.com/example/agentid"


def _grant(uuid: str, **changes: object) -> dict[str, object]:
    return GRANT | {"uuid": uuid} | changes


def _envelope(event: dict[str, object]) -> bytes:
    return orjson.dumps({"version": "0", "detail-type": "SystemLog", "source": ENVELOPE_SOURCE, "detail": event})


@pytest.mark.parametrize(
    "line",
    [
        orjson.dumps(GRANT) + b"\n",
        orjson.dumps(GRANT) + b"\r\n",
        orjson.dumps(GRANT),  # the last line of a file, without a line feed
        json.dumps(GRANT).encode() + b"\n",  # json.dumps's default separators: not orjson's form
        json.dumps(GRANT, separators=(",", ":")).encode() + b"\n",  # compact, but ensure_ascii escapes
        orjson.dumps(GRANT | {"displayName": 'quoted "name"'}) + b"\n",  # an escape: the slow, exact path
        b"  " + orjson.dumps(GRANT) + b"\n",  # indented
    ],
)
def test_a_line_digests_as_its_content_does(line):
    """Whatever form the line takes, its digest is the content's: the line's bytes when they are orjson's form,
    else the content written out by orjson."""
    assert _line_digest(line, orjson.loads(line)) == content_digest(orjson.loads(line))


def test_a_line_not_in_orjson_form_never_takes_the_shortcut():
    """A compact line whose number orjson writes differently keeps a digest of its own bytes (the documented
    deviation): never another content's digest."""
    line = orjson.dumps(GRANT).replace(b'"lat":39.0469', b'"lat":39.04690') + b"\n"
    assert line != orjson.dumps(GRANT) + b"\n"
    assert _line_digest(line, orjson.loads(line)) == hash(line)


@pytest.mark.parametrize(
    "first, again",
    [
        (orjson.dumps(_grant("u-1")), _envelope(_grant("u-1"))),
        (_envelope(_grant("u-1")), orjson.dumps(_grant("u-1"))),
        (orjson.dumps(_grant("u-1")), orjson.dumps([_grant("u-1")])),  # a page of /api/v1/logs
        (json.dumps(_grant("u-1")).encode(), _envelope(_grant("u-1"))),  # json.dumps's form: digested exactly
    ],
)
def test_a_redelivery_in_another_shape_is_a_duplicate(first, again, detection_set):
    report = detect_bytes(first + b"\n" + again + b"\n", detection_set)
    assert (report.events, report.duplicates, report.conflicts) == (1, 1, ())


def test_a_changed_event_under_a_seen_uuid_is_a_conflict_whatever_the_shape(detection_set):
    changed = _grant("u-1", published="2026-12-01T10:00:01.000Z")
    data = b"\n".join([orjson.dumps(_grant("u-1")), _envelope(changed), orjson.dumps(_grant("u-1"))]) + b"\n"
    report = detect_bytes(data, detection_set)
    assert (report.events, report.duplicates, len(report.conflicts)) == (2, 1, 1)


def test_each_record_carries_the_digest_of_its_own_line():
    """The digest travels in the record, not in module state: records read ahead of judging, or from two readers
    in turn, each keep their own. A bare event on a line of its own carries its line's digest (orjson's form or not);
    an event from an envelope or a page carries None, for the reader of the record to take :func:`content_digest`."""
    lines = [orjson.dumps(_grant("u-1")), json.dumps(_grant("u-2")).encode(), _envelope(_grant("u-3"))]
    first, second = iter_events(b"\n".join(lines) + b"\n", []), iter_events(orjson.dumps(_grant("u-4")) + b"\n", [])
    records = [next(first), next(second), *first]
    assert [(record[1]["uuid"], record[4]) for record in records] == [
        ("u-1", content_digest(_grant("u-1"))),
        ("u-4", content_digest(_grant("u-4"))),
        ("u-2", content_digest(_grant("u-2"))),
        ("u-3", None),
    ]
