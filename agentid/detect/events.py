"""Reading Okta System Log events from what users actually have on disk.

Three shapes arrive: JSON lines (one LogEvent per line, as most exporters write), a JSON array (a page of
``GET /api/v1/logs``), and EventBridge envelopes (the LogEvent in ``detail``), in either container. A bad line is
reported with its line number and skipped; everything else is still read, because triage on a partial export is
better than no triage. Timestamps are normalised to ``YYYY-MM-DDTHH:MM:SS...Z`` so that time order, dates, minutes
and hour buckets are plain string operations: Okta's own format passes one regular expression and is used as it is
(no datetime per event); only other ISO 8601 forms (offsets) go through :mod:`datetime`. Strings compare in time
order when they share a format; ``...:22Z`` sorts after ``...:22.500Z``, as it always has (tests/detect/reference.py).

JSON lines are read as a stream (see :func:`iter_events`), and a large file can be cut into runs of whole lines
(:func:`split_lines`, :func:`iter_line_range`) that read exactly as the whole file does.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import Any, BinaryIO

import orjson

from agentid.detect.definitions import DETAIL_TYPE

#: Okta's ``published`` format (ASCII digits only: ``str.isdigit`` accepts superscripts that ``int`` rejects).
_OKTA_TIME = re.compile(
    r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?Z"
)
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class Problem:
    """Input that could not be used: where it is (1-based line, or item of an array) and why."""

    message: str
    line: int | None = None
    item: int | None = None
    #: True when the input could not be read past this point: the lines after it were not analysed (the CLI exits 2)
    fatal: bool = False

    @property
    def where(self) -> str:
        if self.line is not None:
            return f"line {self.line}"
        if self.item is not None:
            return f"item {self.item}"
        return "input"

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "item": self.item, "message": self.message, "fatal": self.fatal}


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
    try:
        utc = moment.astimezone(dt.UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 or 9999-12-31T23:59:59-01:00: no UTC year 0 or 10000
        return None
    return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")


#: What the reader hands the detector for each usable event: (normalised ``published``, the LogEvent, line, item,
#: digest). A plain tuple, not an :class:`Event`: building an object per event was a measurable share of the
#: per-event cost. The digest is the event's :func:`content_digest` when the reader had it for the price of hashing
#: the line the event was parsed from (a bare event on a line of its own, see :func:`_line_digest`), else None for
#: whoever needs it to take :func:`content_digest`: the uuid+content dedupe needs a digest of every event with a
#: uuid, and hashing the line costs a fraction of writing the parsed event back out (``orjson.dumps``, a third of the
#: detector's time at 200,000 events). It travels with its event, so records read ahead, interleaved or from
#: several readers cannot take another event's digest.
EventRecord = tuple[str, dict[str, Any], int | None, int | None, int | None]


def content_digest(event: dict[str, Any]) -> int:
    """The digest of an event's content: ``hash`` of orjson's compact form, newline appended. A line that already is
    that form (see :func:`_line_digest`) digests to the same value, so a redelivery is recognised whichever shape
    (bare line, envelope, page) carried each copy."""
    return hash(orjson.dumps(event, option=orjson.OPT_APPEND_NEWLINE))


def _line_digest(line: bytes, event: dict[str, Any]) -> int:
    """:func:`content_digest` of the event parsed from ``line``, from the line's own bytes when they look like what
    orjson writes: an object on a line of its own, compact (no space after the first key's colon, which
    ``json.dumps`` writes by default) and without any escape (a line with a backslash may escape what orjson writes
    raw, ``\\u00e9`` or ``\\/``). Only single-byte scans: a multi-byte search costs several times a ``memchr``.

    Any line digests to the hash of its own bytes or to :func:`content_digest`, never to another event's: two
    copies are taken for one only when their bytes, or orjson's form of their content, are the same. A line that
    passes these checks but is not byte for byte orjson's form (numbers written ``1.50``, a space before a colon)
    keeps a digest of its own: a byte-identical redelivery of it is still recognised, one in another form is
    reported as a conflicting duplicate and judged (never dropped)."""
    if line[:2] == b'{"' and b"\\" not in line:
        colon = line.find(b'":', 2, 1024)
        if colon > 0 and line[colon + 2 : colon + 3] != b" ":
            if line[-2:] == b"}\n":
                return hash(line)
            if line[-3:] == b"}\r\n":
                return hash(line[:-2] + b"\n")
            if line[-1:] == b"}":
                return hash(line + b"\n")
    return content_digest(event)


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


def _record(obj: Any, line: int | None, item: int | None, problems: list[Problem]) -> EventRecord | None:
    """``obj`` as an event record, or None after noting in ``problems`` why it cannot be used."""
    event, reason = _unwrap(obj)
    if event is None:
        problems.append(Problem(reason or "unusable", line, item))
        return None
    published = normalise_published(event.get("published"))
    if published is None:
        problems.append(
            Problem(f"{event['eventType']}: published {event.get('published')!r} is not an ISO 8601 time", line, item)
        )
        return None
    return published, event, line, item, None


def _array_records(data: bytes, problems: list[Problem], broken: list[bool] | None = None) -> Iterator[EventRecord]:
    """A JSON array (one page of ``/api/v1/logs``), or what a pretty-printing exporter writes when it appends pages:
    several arrays (or events) one after another. Whole and valid, the array is parsed at once and its items are
    numbered; otherwise the documents are read one by one, item by item, so a truncated page still gives every
    event before the break. A break that cannot be read past is reported with its line and marked fatal: the lines
    after it were not analysed, and the CLI must not exit 0 as if they had been. ``broken`` (if given) gets True
    appended when the text is not valid JSON somewhere."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        document = None
    if isinstance(document, list):
        for index, obj in enumerate(document, start=1):
            record = _record(obj, None, index, problems)
            if record is not None:
                yield record
        return
    text = data.decode("utf-8", errors="replace")
    decoder = json.JSONDecoder()
    position = 0
    index = 0
    in_array = False
    # Line numbers counted incrementally: positions only move forward, and recounting from the start for every item
    # made a large truncated export quadratic (20,000 pretty-printed events took seconds).
    newlines = counted_to = 0

    def line_at(offset: int) -> int:
        nonlocal newlines, counted_to
        newlines += text.count("\n", counted_to, offset)
        counted_to = offset
        return newlines + 1

    while True:
        while position < len(text) and text[position] in " \t\r\n" + ("," if in_array else ""):
            position += 1
        if position >= len(text):
            if in_array:
                problems.append(Problem("the JSON array is not closed (truncated file?)", line_at(position)))
                if broken is not None:
                    broken.append(True)
            return
        if not in_array and text[position] == "[":
            in_array = True  # the next page: its items follow
            position += 1
            continue
        if in_array and text[position] == "]":
            in_array = False
            position += 1
            continue
        index += 1
        what = f"item {index}" if in_array else f"document {index}"
        try:
            obj, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            if broken is not None:
                broken.append(True)
            if exc.pos >= len(text.rstrip()):  # the file ends inside this item: truncated, nothing after it is lost
                problems.append(Problem(f"{what}: the file ends inside it (truncated file?)", exc.lineno))
            else:
                problems.append(
                    Problem(
                        f"{what}: not valid JSON ({exc.msg}); the rest of the file was not read", exc.lineno, fatal=True
                    )
                )
            return
        except RecursionError:  # the stdlib decoder recurses per nesting level; no LogEvent nests this deep
            if broken is not None:
                broken.append(True)
            problems.append(
                Problem(
                    f"{what}: nested too deeply to be an Okta LogEvent; the rest of the file was not read",
                    line_at(position),
                    fatal=True,
                )
            )
            return
        record = _record(obj, line_at(position), None, problems)
        if record is not None:
            yield record


def iter_events(source: bytes | BinaryIO, problems: list[Problem]) -> Iterator[EventRecord]:
    """Every usable event in ``source`` (bytes, or a binary file read as it goes), in input order.

    Problems are appended to ``problems`` as they are met, in input order; never raises on bad input. JSON lines are
    streamed: only the current line and its event are alive, so memory does not grow with the file (a 400 MB export
    held whole, and every parsed event with it, took 2.4 GB). A JSON array is parsed whole, as it must be.

    A first line that is a whole JSON array on its own is either the whole file (an array written on one line) or
    the first of several pages, one per line: the lines after it tell which, and pages per line are read as JSON
    lines, every line of them (reading them as one array once lost every line after the first, silently).
    """
    stream: BinaryIO = io.BytesIO(source) if isinstance(source, bytes | bytearray | memoryview) else source
    lines = iter(stream)  # one iterator for the head and the rest: a stream need not continue a second one
    head: list[bytes] = []  # the lines up to the first that is not blank, which tells the shape
    for line in lines:
        if not head and line.startswith(_BOM):
            line = line[len(_BOM) :]
        head.append(line)
        if line.strip():
            break
    else:
        return  # empty, or only blank lines
    start = head[-1].lstrip()[:1]
    if start == b"[":
        try:
            first = orjson.loads(head[-1])
        except orjson.JSONDecodeError:
            first = None  # an array spread over lines (pretty-printed), or broken: read as a whole
        if isinstance(first, list):
            for line in lines:  # what follows the first page: nothing (one array) or more lines (pages per line)
                head.append(line)
                if line.strip():
                    yield from _line_records(chain(head, lines), False, problems)
                    return
            for index, obj in enumerate(first, start=1):  # the whole file was this one array
                record = _record(obj, None, index, problems)
                if record is not None:
                    yield record
            return
        yield from _array_records(b"".join(head) + stream.read(), problems)
        return
    yield from _line_records(chain(head, lines), start == b"{", problems)


def _line_records(
    lines: Iterable[bytes], may_be_one_document: bool, problems: list[Problem], first_line: int = 1
) -> Iterator[EventRecord]:
    """JSON lines (each an event, an envelope or a page of events). When no line parses and the input starts with
    ``{``, it is re-read whole as pretty-printed events or envelopes, so every line is kept until one parses as an
    object or array."""
    kept: list[bytes] | None = [] if may_be_one_document else None
    first_problem = len(problems)
    parsed_any = False
    loads = orjson.loads
    okta_time = _OKTA_TIME.fullmatch
    for number, line in enumerate(lines, start=first_line):
        if kept is not None:
            kept.append(line)
        if not line or line.isspace():  # the same bytes as ``not line.strip()``, without copying the line
            continue
        try:
            obj = loads(line)
        except orjson.JSONDecodeError:
            obj = _parse_bare(line, number, problems)
            if obj is _UNPARSED:
                continue
        if kept is not None and isinstance(obj, dict | list):  # a line of its own: JSON lines, not one document
            # (a scalar line such as `    "b"` or `    null` parses inside a pretty-printed document too)
            parsed_any = True
            kept = None
        # The common case inlined (a bare LogEvent in Okta's own time format); anything else takes _record, whose
        # checks are the same, so the two paths cannot disagree on what is usable.
        if type(obj) is dict and "detail" not in obj:
            event_type = obj.get("eventType")
            published = obj.get("published")
            if type(event_type) is str and event_type and type(published) is str and okta_time(published):
                yield published, obj, number, None, _line_digest(line, obj)
                continue
        if isinstance(obj, list):  # one page of /api/v1/logs per line
            for inner in obj:
                record = _record(inner, number, None, problems)
                if record is not None:
                    yield record
        else:
            record = _record(obj, number, None, problems)
            if record is not None:
                yield record
    if not parsed_any and kept is not None and len(problems) > first_problem:
        # Pretty-printed events or envelopes, one or several one after another (what `jq '.[]'` writes): read as a
        # sequence of documents. Kept when it is valid JSON throughout or finds an event; else the lines were bad.
        found: list[Problem] = []
        broken: list[bool] = []
        records = list(_array_records(b"".join(kept), found, broken))
        if records or not broken:
            del problems[first_problem:]  # its lines were not bad lines after all
            problems += found
            yield from records


_UNPARSED = object()


def _parse_bare(line: bytes, number: int, problems: list[Problem]) -> Any:
    """A line that failed to parse with its newline: parsed (and judged) without it, as lines are split on ``\\n``.
    orjson words some errors differently when a newline follows, and the message must not depend on the reader."""
    try:
        return orjson.loads(line[:-1] if line.endswith(b"\n") else line)
    except orjson.JSONDecodeError as exc:
        problems.append(Problem(f"not valid JSON ({exc.msg})", number))
        return _UNPARSED


def split_lines(source: Any, parts: int, min_bytes: int) -> tuple[str, list[tuple[int, int | None]]] | None:
    """Byte ranges of whole lines that cut a large JSON-lines file into ``parts`` runs, or None to read it whole.

    Only a regular file of at least ``min_bytes`` whose first non-blank line is a JSON object is cut: then the file
    is JSON lines for :func:`iter_events` too (not an array, and not one pretty-printed event, which needs every line
    to fail), so reading the runs one after another with :func:`iter_line_range` yields exactly what
    :func:`iter_events` would. The last range is open-ended, to read whatever the file holds by then, as one reader
    would."""
    path = getattr(source, "name", None)
    if parts < 2 or not isinstance(path, str) or not os.path.isfile(path):
        return None
    size = os.path.getsize(path)
    if size < min_bytes:
        return None
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            if number == 1:
                line = line.removeprefix(_BOM)
            if line.strip():
                if not line.lstrip().startswith(b"{"):
                    return None
                try:
                    orjson.loads(line)
                except orjson.JSONDecodeError:
                    return None
                break
        else:
            return None
        cuts = [0]
        for part in range(1, parts):
            handle.seek(max(size * part // parts - 1, cuts[-1]))
            handle.readline()  # to the end of the line the cut falls in
            cut = handle.tell()
            if cut >= size or cut <= cuts[-1]:
                break
            cuts.append(cut)
    if len(cuts) < 2:
        return None
    return path, [(start, end) for start, end in zip(cuts, [*cuts[1:], None], strict=True)]


def iter_line_range(path: str, start: int, end: int | None, problems: list[Problem]) -> Iterator[EventRecord]:
    """The records of the lines in bytes ``[start, end)`` of a JSON-lines file (see :func:`split_lines`), numbered as
    in the whole file; ``end`` None reads to the end."""
    with open(path, "rb", buffering=1 << 20) as handle:
        first_line = 1
        while handle.tell() < start:  # count the lines before the range: a C scan, no parsing
            chunk = handle.read(min(1 << 20, start - handle.tell()))
            if not chunk:
                return  # the file shrank since it was cut
            first_line += chunk.count(b"\n")
        yield from _line_records(_lines_until(handle, start, end), False, problems, first_line)


def _lines_until(handle: BinaryIO, start: int, end: int | None) -> Iterator[bytes]:
    position = start
    for line in handle:
        length = len(line)
        yield line.removeprefix(_BOM) if position == 0 else line
        position += length
        if end is not None and position >= end:
            return


def read_events(data: bytes) -> tuple[list[Event], list[Problem]]:
    """Every usable event in ``data`` and every problem, in input order, as objects (for callers that want them all
    at once; the detector streams :func:`iter_events`). Never raises on bad input."""
    problems: list[Problem] = []
    events = [Event(published, raw, line, item) for published, raw, line, item, _ in iter_events(data, problems)]
    return events, problems
