"""What each identity actually did in a window of Okta System Log events: the counters ``agentid rightsize`` judges.

Events are read with the detector's reader (:func:`agentid.detect.events.iter_events`: every accepted shape, bad
lines reported with their line) and deduplicated as the detector does (uuid, then content:
:func:`agentid.detect.detector.content_digest`). Each event is folded into per-identity counters and dropped, so
memory grows with identities and hours, not with events: per identity the scopes granted and requested, tokens per
UTC hour (a dict of at most 24 x N entries: enough for the peak and the percentiles), and a bitmap of the window's
minutes with a token (N x 1,440 bits: the intervals between tokens and the minutes of the day, whatever the order
events arrive in).

A token counts as use only when Okta granted it: a grant event type (``GRANT_EVENT_TYPES``) with outcome
``SUCCESS``. Its scopes are ``debugData.grantedScopes`` when the event carries it, else the request's
``requestedScopes``: Okta writes ``grantedScopes`` on token grants (public sample:
tests/fixtures/detect/public/airbyte-source-okta-token-grant.json, airbytehq/airbyte
``airbyte-integrations/connectors/source-okta/unit_tests/conftest.py`` at 0bdc2774, where ``requestedScopes`` is
empty and ``grantedScopes`` holds the scopes; panther-okta-authorize-code-scopes.json carries both). A refused
request (``REFUSED_EVENT_TYPES`` with outcome ``FAILURE``) is not use, but the scopes it asked for are *seen*: the
agent wants them, so they are never proposed for removal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from agentid.detect.definitions import GRANT_EVENT_TYPES, REFUSED_EVENT_TYPES, IdentityProfile
from agentid.detect.detector import content_digest, scopes_of
from agentid.detect.events import Problem, iter_events

MINUTES_PER_DAY = 1440


@dataclass(frozen=True, slots=True)
class Window:
    """The ``days`` full UTC days before ``today``: from today-N 00:00 UTC (included) to today 00:00 (excluded)."""

    today: dt.date
    days: int

    @property
    def start(self) -> dt.date:
        return self.today - dt.timedelta(days=self.days)

    @property
    def first_day(self) -> str:
        return self.start.isoformat()

    @property
    def end_day(self) -> str:
        """The first day after the window (``today``), as ``YYYY-MM-DD``: a day string below it is inside."""
        return self.today.isoformat()

    def day_offsets(self) -> dict[str, int]:
        """``YYYY-MM-DD`` of each day of the window -> its first minute in the window (a dict lookup per event)."""
        return {(self.start + dt.timedelta(days=n)).isoformat(): n * MINUTES_PER_DAY for n in range(self.days)}

    def to_dict(self) -> dict[str, Any]:
        return {"start": f"{self.first_day}T00:00:00Z", "end": f"{self.end_day}T00:00:00Z", "days": self.days}


@dataclass(slots=True)
class IdentityUsage:
    """The counters of one identity over the window."""

    profile: IdentityProfile
    minutes: bytearray
    granted: set[str] = field(default_factory=set)
    #: scopes named by refused requests (not use, but wanted: never proposed for removal)
    refused: set[str] = field(default_factory=set)
    #: tokens granted per UTC hour (``YYYY-MM-DDTHH``)
    hourly: dict[str, int] = field(default_factory=dict)
    tokens: int = 0
    refusals: int = 0

    def mark(self, minute: int) -> None:
        self.minutes[minute >> 3] |= 1 << (minute & 7)

    def token_minutes(self) -> list[int]:
        """Every minute of the window with at least one token, in time order."""
        found = []
        for index, byte in enumerate(self.minutes):
            if byte:
                base = index << 3
                found.extend(base + bit for bit in range(8) if byte >> bit & 1)
        return found


@dataclass(slots=True)
class Usage:
    """Every identity's counters, the days of the window that hold at least one event, and what was skipped."""

    window: Window
    identities: dict[str, IdentityUsage]
    event_days: set[str] = field(default_factory=set)
    events: int = 0
    in_window: int = 0
    duplicates: int = 0
    problems: list[tuple[str, Problem]] = field(default_factory=list)

    @property
    def covered_days(self) -> int:
        return len(self.event_days)

    @property
    def coverage(self) -> float:
        return self.covered_days / self.window.days if self.window.days else 0.0


class UsageCollector:
    """Folds events into :class:`Usage`; feed it every source (:meth:`read`) and take :attr:`usage`."""

    def __init__(self, profiles: Iterable[IdentityProfile], window: Window):
        bitmap_bytes = (window.days * MINUTES_PER_DAY + 7) // 8
        self.window = window
        self.usage = Usage(window, {p.identity: IdentityUsage(p, bytearray(bitmap_bytes)) for p in profiles})
        self._by_client: Mapping[str, IdentityUsage] = {u.profile.client_id: u for u in self.usage.identities.values()}
        #: uuid -> content digests seen (the detector's dedupe: a redelivery repeats an event exactly)
        self._seen: dict[str, int | set[int]] = {}
        self._grant = frozenset(GRANT_EVENT_TYPES)
        self._refused = frozenset(REFUSED_EVENT_TYPES)
        self._days = window.day_offsets()

    def read(self, source: bytes | BinaryIO, name: str) -> None:
        problems: list[Problem] = []
        try:
            for published, raw, _line, _item, digest in iter_events(source, problems):
                self.add(published, raw, digest)
        finally:
            self.usage.problems.extend((name, p) for p in problems)

    def _duplicate(self, raw: dict[str, Any], digest: int | None) -> bool:
        """Whether ``raw`` is a redelivery; ``digest`` is the one its record carried (None: taken here)."""
        uuid = raw.get("uuid")
        if not isinstance(uuid, str):
            return False  # cannot be recognised when redelivered: counted each time, as the detector judges it
        if digest is None:
            digest = content_digest(raw)
        known = self._seen.get(uuid)
        if known is None:
            self._seen[uuid] = digest
            return False
        if known == digest or (isinstance(known, set) and digest in known):
            return True
        # the uuid of another event with other content: counted as an event of its own (as the detector does)
        self._seen[uuid] = {known, digest} if isinstance(known, int) else known | {digest}
        return False

    def add(self, published: str, raw: dict[str, Any], digest: int | None = None) -> None:
        """Fold one event in; ``digest`` is the content digest its record carried, if any (see ``EventRecord``)."""
        usage = self.usage
        usage.events += 1
        day = self._days.get(published[:10])
        if day is None:
            return  # outside the window
        if self._duplicate(raw, digest):
            usage.duplicates += 1
            return
        usage.in_window += 1
        usage.event_days.add(published[:10])
        event_type = raw["eventType"]
        granted = event_type in self._grant
        if not granted and event_type not in self._refused:
            return
        outcome = raw.get("outcome")
        result = outcome.get("result") if isinstance(outcome, dict) else None
        actor = raw.get("actor")
        client_id = actor.get("id") if isinstance(actor, dict) else None
        identity = self._by_client.get(client_id) if isinstance(client_id, str) else None
        if identity is None:
            return
        debug = raw.get("debugContext")
        debug = debug.get("debugData") if isinstance(debug, dict) else None
        debug = debug if isinstance(debug, dict) else {}
        if granted and result == "SUCCESS":
            scopes = debug.get("grantedScopes")
            if scopes is None:
                scopes = debug.get("requestedScopes")
            identity.granted.update(scopes_of(scopes))
            identity.tokens += 1
            hour = published[:13]
            identity.hourly[hour] = identity.hourly.get(hour, 0) + 1
            identity.mark(day + int(published[11:13]) * 60 + int(published[14:16]))
        elif not granted and result == "FAILURE":
            identity.refusals += 1
            identity.refused.update(scopes_of(debug.get("requestedScopes")))


def collect(
    profiles: Iterable[IdentityProfile], window: Window, sources: Iterable[tuple[bytes | BinaryIO, str]]
) -> Usage:
    """The usage of every identity in ``profiles`` over ``window``, from every (source, name) in ``sources``."""
    collector = UsageCollector(profiles, window)
    for source, name in sources:
        collector.read(source, name)
    return collector.usage
