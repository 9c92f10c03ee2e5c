"""Pull the System Log from ``/api/v1/logs`` for ``agentid detect --okta`` (with a cursor saved between runs) and
``agentid rightsize --okta`` (a fixed window, only the token events).

Okta's log API is read at least once: each run starts at the cursor's ``published`` time *inclusive* (events of the
same millisecond may have arrived after the last read), so boundary events are read again and dropped here by uuid
(the cursor keeps the uuids seen at its instant); copies inside one run are the detector's to deduplicate
(:mod:`agentid.detect.detector`, by uuid and content). The cursor is saved only after the events were judged: a run
that fails is read again by the next one, never skipped. Pages follow ``Link: rel=next``; without ``until`` Okta
keeps offering a next link (polling) and reading stops at the first empty page; 429s wait for ``X-Rate-Limit-Reset``
(:class:`~agentid.okta.client.OktaClient`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from agentid.okta.client import OktaClient

CURSOR_VERSION = 1
_EVENT_TYPE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+")


class CursorError(ValueError):
    """The cursor file is unreadable or belongs to another org."""


@dataclass
class Cursor:
    org_url: str
    published: str
    #: uuids of the events read at ``published`` (read again next time and dropped)
    uuids: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, path: Path, org_url: str) -> Cursor | None:
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            cursor = cls(str(data["org_url"]), str(data["published"]), {str(u) for u in data.get("uuids", [])})
        except (OSError, ValueError, KeyError, TypeError):
            raise CursorError(
                f"{path} is not an agentid log cursor: remove it (the next run starts from --since)"
            ) from None
        if cursor.org_url != org_url:
            raise CursorError(f"{path} is the cursor of {cursor.org_url}, not {org_url}: use one cursor file per org")
        return cursor

    def save(self, path: Path) -> None:
        """Atomically: a crash never leaves half a cursor."""
        document = {"version": CURSOR_VERSION, "org_url": self.org_url, "published": self.published,
                    "uuids": sorted(self.uuids)}  # fmt: skip
        partial = path.with_name(path.name + ".partial")
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        partial.replace(path)


@dataclass
class Pulled:
    data: bytes
    events: int
    redelivered: int
    cursor: Cursor | None


def event_type_filter(event_types: Sequence[str]) -> str | None:
    """Okta's ``filter`` for these event types (``eventType eq "a" or eventType eq "b"``), or None for every event.
    The System Log API's ``filter`` is a SCIM filter expression ("All operators except [ ] are supported", the
    parameter's description in Okta's management OpenAPI spec; developer.okta.com/docs/api/#filter). Event types
    are Okta's catalog names: no quote to escape, anything else is refused."""
    for event_type in event_types:
        if not _EVENT_TYPE.fullmatch(event_type):
            raise ValueError(f"not an Okta event type: {event_type!r}")
    return " or ".join(f'eventType eq "{event_type}"' for event_type in event_types) or None


def pull(
    client: OktaClient,
    *,
    since: str | None,
    until: str | None,
    cursor: Cursor | None,
    event_types: Sequence[str] = (),
) -> Pulled:
    """Every event from the cursor (else ``since``) to ``until`` as JSON lines, and the cursor after them; only
    ``event_types`` when given (Okta filters them, so a month of token grants is not a month of every sign-in)."""
    start = cursor.published if cursor is not None else since
    seen_at_start = cursor.uuids if cursor is not None else set()
    lines: list[bytes] = []
    redelivered = 0
    latest, latest_uuids = (cursor.published, set(cursor.uuids)) if cursor is not None else ("", set())
    for page in client.log_pages(since=start, until=until, filter=event_type_filter(event_types)):
        for event in page:
            if not isinstance(event, dict):
                continue
            uuid, published = event.get("uuid"), event.get("published")
            if isinstance(uuid, str) and uuid in seen_at_start and published == start:
                redelivered += 1
                continue
            lines.append(json.dumps(event, separators=(",", ":")).encode())
            if isinstance(published, str) and published >= latest:
                if published > latest:
                    latest, latest_uuids = published, set()
                if isinstance(uuid, str):
                    latest_uuids.add(uuid)
    new_cursor = Cursor(client.org_url, latest, latest_uuids) if latest else cursor
    return Pulled(b"\n".join(lines) + (b"\n" if lines else b""), len(lines), redelivered, new_cursor)
