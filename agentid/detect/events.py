"""Reading Okta System Log events from what users actually have on disk.

Three shapes arrive: JSON lines (one LogEvent per line, as most exporters write), a JSON array (a page of
``GET /api/v1/logs``), and EventBridge envelopes (the LogEvent in ``detail``), in either container. A bad line is
reported with its line number and skipped; everything else is still read, because triage on a partial export is
better than no triage. Timestamps are normalised to ``YYYY-MM-DDTHH:MM:SS...Z`` so that sorting and hour buckets are
plain string operations (the detector's per-event work must stay close to the JSON parse itself).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

import orjson

from agentid.detect.definitions import DETAIL_TYPE

#: Okta's ``published`` format (ASCII digits only: ``str.isdigit`` accepts superscripts that ``int`` rejects).
_OKTA_TIME = re.compile(
    r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?Z"
)


@dataclass(frozen=True, slots=True)
class Problem:
    """Input that could not be used: where it is (1-based line, or item of an array) and why."""

    message: str
    line: int | None = None
    item: int | None = None

    @property
    def where(self) -> str:
        if self.line is not None:
            return f"line {self.line}"
        if self.item is not None:
            return f"item {self.item}"
        return "input"

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "item": self.item, "message": self.message}


@dataclass(frozen=True, slots=True)
class Event:
    """A usable LogEvent: the normalised ``published`` time, the raw event, and where it was read."""

    published: str
    raw: dict[str, Any]
    line: int | None = None
    item: int | None = None


def normalise_published(value: Any) -> str | None:
    """``published`` as a UTC ISO string ending in ``Z``, or None when it is not a timestamp."""
    if not isinstance(value, str):
        return None
    # Fast path: Okta's own format, 2026-12-01T14:03:22.123Z.
    if _OKTA_TIME.fullmatch(value):
        return value
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None  # a time without a zone cannot be placed in a UTC hour
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _unwrap(obj: Any) -> tuple[dict[str, Any] | None, str | None]:
    """The LogEvent inside ``obj`` (itself, or an EventBridge envelope's detail), or a reason it is not one."""
    if not isinstance(obj, dict):
        return None, f"expected a JSON object (an Okta LogEvent), found {type(obj).__name__}"
    if "detail" in obj and ("detail-type" in obj or "source" in obj):
        if obj.get("detail-type") != DETAIL_TYPE:
            return None, f"EventBridge event with detail-type {obj.get('detail-type')!r}, expected {DETAIL_TYPE!r}"
        obj = obj["detail"]
        if not isinstance(obj, dict):
            return None, "EventBridge envelope whose detail is not an object"
    event_type = obj.get("eventType")
    if not isinstance(event_type, str) or not event_type:
        return None, "no eventType: not an Okta LogEvent"
    return obj, None


def _accept(obj: Any, line: int | None, item: int | None, events: list[Event], problems: list[Problem]) -> None:
    event, reason = _unwrap(obj)
    if event is None:
        problems.append(Problem(reason or "unusable", line, item))
        return
    published = normalise_published(event.get("published"))
    if published is None:
        problems.append(
            Problem(f"{event['eventType']}: published {event.get('published')!r} is not an ISO 8601 time", line, item)
        )
        return
    events.append(Event(published, event, line, item))


def _read_array(data: bytes, events: list[Event], problems: list[Problem]) -> None:
    """A JSON array; a truncated one is read item by item up to the break, which is reported with its line."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        document = None
    if isinstance(document, list):
        for index, obj in enumerate(document, start=1):
            _accept(obj, None, index, events, problems)
        return
    text = data.decode("utf-8", errors="replace")
    decoder = json.JSONDecoder()
    position = text.index("[") + 1
    index = 0
    # Line numbers counted incrementally: positions only move forward, and recounting from the start for every item
    # made a large truncated export quadratic (20,000 pretty-printed events took seconds).
    newlines = counted_to = 0

    def line_at(offset: int) -> int:
        nonlocal newlines, counted_to
        newlines += text.count("\n", counted_to, offset)
        counted_to = offset
        return newlines + 1

    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        if position >= len(text) or text[position] == "]":
            if position >= len(text):
                problems.append(Problem("the JSON array is not closed (truncated file?)", line_at(position)))
            return
        index += 1
        try:
            obj, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            problems.append(
                Problem(f"item {index}: not valid JSON ({exc.msg}); the rest of the array was skipped", exc.lineno)
            )
            return
        except RecursionError:  # the stdlib decoder recurses per nesting level; no LogEvent nests this deep
            problems.append(
                Problem(
                    f"item {index}: nested too deeply to be an Okta LogEvent; the rest of the array was skipped",
                    line_at(position),
                )
            )
            return
        _accept(obj, line_at(position), None, events, problems)


def read_events(data: bytes) -> tuple[list[Event], list[Problem]]:
    """Every usable event in ``data`` and every problem, in input order. Never raises on bad input."""
    events: list[Event] = []
    problems: list[Problem] = []
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    start = data.lstrip()[:1]
    if start == b"[":
        _read_array(data, events, problems)
        return events, problems
    line_problems: list[Problem] = []
    good_lines = 0
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            line_problems.append(Problem(f"not valid JSON ({exc.msg})", number))
            continue
        good_lines += 1
        if isinstance(obj, list):  # one page of /api/v1/logs per line
            for inner in obj:
                _accept(inner, number, None, events, problems)
        else:
            _accept(obj, number, None, events, problems)
    if not good_lines and line_problems and start == b"{":
        try:  # one pretty-printed event or envelope
            _accept(orjson.loads(data), 1, None, events, problems)
            return events, problems
        except orjson.JSONDecodeError:
            pass
    problems.extend(line_problems)
    problems.sort(key=lambda p: (p.line or 0, p.item or 0))
    return events, problems
