"""The offline detector: the same detections as EventBridge and Sigma, over a file of Okta System Log events.

Okta's stream is at-least-once and unordered, so events are deduplicated on ``uuid`` and content (the first copy
counts; a copy with a seen uuid but other content is judged as an event of its own and reported as a conflicting
duplicate) and alerts come out in ``published`` order, as if the events had been sorted first (see :class:`Detector`
for why they need not be). Repeated alerts of one detection for one subject (identity, client or actor) are
aggregated into one alert with a count, first and last times and a bounded sample of event uuids, so memory grows
with subjects, not with events. Hourly counts use UTC clock hours (as Splunk's ``bin _time span=1h`` does for the Sigma
correlation rule), so the detector and the SIEM agree on which hour was too busy. Per-event work is a few dict and
set lookups keyed by client id, all precomputed in :class:`Detector`.
"""

from __future__ import annotations

import ipaddress
from bisect import insort
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any, BinaryIO

from agentid.detect.definitions import (
    API_GRANT_EVENT_TYPES,
    API_TOKEN_EVENT_TYPES,
    CLIENT_CREDENTIALS,
    DETECTIONS,
    GRANT_EVENT_TYPES,
    INVALID_CREDENTIALS_EVENT_TYPES,
    LOG_STREAM_PREFIX,
    PRIVATE_KEY_JWT,
    REFUSED_EVENT_TYPES,
    SECRET_READ_EVENT_TYPES,
    TAMPER_PREFIXES,
    TRUSTED_SERVER_PREFIX,
    ZONE_PREFIX,
    DetectionSet,
    IdentityProfile,
)
from agentid.detect.events import (
    Event,
    EventRecord,
    Problem,
    iter_events,
    iter_line_range,
    split_lines,
)
from agentid.detect.events import (
    content_digest as _event_content_digest,
)
from agentid.detect.labels import AGENT_LABEL_PREFIX
from agentid.gcpause import cyclic_gc_paused
from agentid.registry.forkmap import available_workers, fork_map

if TYPE_CHECKING:
    from agentid.detect.baseline import Baseline

_SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


@dataclass(frozen=True, slots=True)
class Alert:
    """One detection firing. ``key`` identifies it: the event uuid, or the hour for a rate alert."""

    detection: str
    message: str
    published: str
    key: str
    client_id: str | None = None
    identity: str | None = None
    agent: str | None = None
    uuid: str | None = None
    line: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    #: events aggregated into this alert (same detection and subject); ``published``/``uuid``/``line``/``message``
    #: are the earliest one's, ``last`` the latest time, ``sample`` the uuids of the earliest few
    count: int = 1
    last: str | None = None
    sample: tuple[str, ...] = ()

    @property
    def severity(self) -> str:
        return DETECTIONS[self.detection].severity

    @property
    def title(self) -> str:
        return DETECTIONS[self.detection].title

    def to_dict(self) -> dict[str, Any]:
        return {
            "detection": self.detection,
            "severity": self.severity,
            "title": self.title,
            "published": self.published,
            "agent": self.agent,
            "identity": self.identity,
            "client_id": self.client_id,
            "uuid": self.uuid,
            "line": self.line,
            "message": self.message,
            "details": self.details,
            "response": DETECTIONS[self.detection].response,
            "count": self.count,
            "first": self.published,
            "last": self.last or self.published,
            "sample_uuids": list(self.sample),
        }


@dataclass(frozen=True, slots=True)
class Report:
    alerts: tuple[Alert, ...]
    problems: tuple[Problem, ...]
    events: int
    duplicates: int
    #: uuids that arrived with more than one content: each content was judged as an event of its own
    conflicts: tuple[Problem, ...] = ()

    def summary(self) -> dict[str, Any]:
        """The counts alone (the text report's last line), without building every alert's dict. ``alerts`` counts
        aggregated alerts, ``by_detection`` the events behind them."""
        by_detection: dict[str, int] = {}
        for alert in self.alerts:
            by_detection[alert.detection] = by_detection.get(alert.detection, 0) + alert.count
        return {
            "events": self.events,
            "duplicates": self.duplicates,
            "conflicting_duplicates": len(self.conflicts),
            "malformed": len(self.problems),
            "alerts": len(self.alerts),
            "by_detection": dict(sorted(by_detection.items())),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "alerts": [a.to_dict() for a in self.alerts],
            "problems": [p.to_dict() for p in self.problems],
            "conflicts": [p.to_dict() for p in self.conflicts],
            "summary": self.summary(),
        }


def _dig(event: dict[str, Any], *path: str) -> Any:
    value: Any = event
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _actor_name(actor: Any, actor_id: str | None) -> str:
    """Who made an admin change, for the alert: their login, display name or id."""
    name = (actor.get("alternateId") or actor.get("displayName")) if isinstance(actor, dict) else None
    return str(name or actor_id or "an unknown actor")


def _scopes(event: dict[str, Any]) -> list[str]:
    """``debugData.requestedScopes``: Okta writes ``"a, b, c"`` (comma and space, as public samples show); a
    space-separated string or a list is accepted too."""
    return _scopes_of(_dig(event, "debugContext", "debugData", "requestedScopes"))


def scopes_of(value: Any) -> list[str]:
    """Scope names of a ``requestedScopes``/``grantedScopes`` value: split on commas and whitespace (public: the
    detector and ``agentid rightsize`` read scope lists the same way)."""
    if isinstance(value, str):
        return value.replace(",", " ").split()
    if isinstance(value, list):
        return [s for s in value if isinstance(s, str)]
    return []


_scopes_of = scopes_of  # the name tests and older callers use


@dataclass(slots=True)
class _Client:
    """What judging one registered client's grant needs, gathered once so a grant costs one lookup."""

    profile: IdentityProfile
    #: the agent's expiry as an ISO date (compares with ``published[:10]`` as a date), or None
    expires: str | None
    #: every ``HH:MM`` of the UTC day inside the active window (``published[11:16]`` is one of them or not)
    active: frozenset[str]
    #: ``requestedScopes`` strings already seen to lie wholly inside the declared scopes: the same few strings
    #: arrive thousands of times, and splitting each again would be most of a grant's cost
    inside: set[str]
    #: the gateway networks of the agent's zones, parsed once (empty: no network detection for this identity)
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    #: ``client.ipAddress`` strings already found inside ``networks`` (agents call from a few addresses)
    inside_ips: set[str] = field(default_factory=set)


#: One rate-limit entry per counted grant: (published, order of arrival among unique events, uuid, line). The
#: alert names the grant that took the hour over budget in time order, which is only known once all are read.
_Counted = tuple[str, int, str | None, int | None]

#: One ``HH:MM`` set per distinct activity table (identities share a handful of windows).
_ACTIVE_MINUTES: dict[bytes, frozenset[str]] = {}


def _active_minutes(table: bytes) -> frozenset[str]:
    minutes = _ACTIVE_MINUTES.get(table)
    if minutes is None:
        minutes = frozenset(f"{m // 60:02d}:{m % 60:02d}" for m, on in enumerate(table) if on)
        _ACTIVE_MINUTES[table] = minutes
    return minutes


#: How many event uuids an aggregated alert names (the earliest in time order): enough to start an investigation,
#: bounded so that a million repeats of one alert cost one alert's memory.
SAMPLE_SIZE = 5

#: One event as the deduplication remembers it: (digest of its content, order of arrival, line, item).
_Copy = tuple[int, int, int | None, int | None]
#: What repeated alerts are aggregated by: (detection, subject), the subject being the identity, else the client id,
#: else the actor (tampering, log stream changes).
_GroupKey = tuple[str, Any]


def content_digest(raw: dict[str, Any]) -> int:
    """The content of an event, for telling a redelivery (the same event again) from another event reusing its uuid.
    orjson writes a parsed event back in the order it was read: redeliveries of one event compare equal. A record
    the JSON-lines reader read from a line of its own carries this digest already, taken from the line (the same
    value, see :func:`agentid.detect.events.content_digest`), which spares writing it back out: this is for the
    records that carry None. Public: ``agentid rightsize`` deduplicates the same way."""
    return _event_content_digest(raw)


_content_digest = _event_content_digest  # the hot loop calls it directly, one call fewer


class _Group:
    """Every alert of one detection for one subject: the earliest (its message and details stand for all), how many,
    the latest time, and the earliest few events (published, order, key), kept sorted."""

    __slots__ = ("count", "first", "first_at", "last", "sample")

    def __init__(self, alert: Alert, order: int):
        self.first = alert
        self.first_at = (alert.published, order)
        self.count = 1
        self.last = alert.published
        self.sample = [(alert.published, order, alert.key)]

    def add(self, alert: Alert, order: int) -> None:
        self.count += 1
        at = (alert.published, order)
        if at < self.first_at:
            self.first, self.first_at = alert, at
        if alert.published > self.last:
            self.last = alert.published
        sample = self.sample
        if len(sample) < SAMPLE_SIZE or at < sample[-1][:2]:
            insort(sample, (alert.published, order, alert.key))
            del sample[SAMPLE_SIZE:]

    def absorb(self, other: _Group) -> None:
        """Add a group of the same key from a later run (see :meth:`Tally.merge`)."""
        self.count += other.count
        if other.first_at < self.first_at:
            self.first, self.first_at = other.first, other.first_at
        self.last = max(self.last, other.last)
        self.sample = sorted(self.sample + other.sample)[:SAMPLE_SIZE]

    def alert(self) -> Alert:
        return replace(self.first, count=self.count, last=self.last, sample=tuple(key for _p, _o, key in self.sample))


class _Alerts:
    """The alerts of a run, aggregated as they are raised (the judging code calls :meth:`append`, as on a list).
    ``order`` is the order of the event being judged. With ``track``, the groups each event added to are
    remembered, so that a redelivery found only when runs are merged can be taken back out (:meth:`forget`)."""

    __slots__ = ("groups", "order", "raised")

    def __init__(self, track: bool = False):
        self.groups: dict[_GroupKey, _Group] = {}
        self.order = 0
        self.raised: dict[int, list[_GroupKey]] | None = {} if track else None

    def append(self, alert: Alert) -> None:
        key = (alert.detection, alert.identity or alert.client_id or alert.details.get("actor"))
        group = self.groups.get(key)
        if group is None:
            self.groups[key] = _Group(alert, self.order)
        else:
            group.add(alert, self.order)
        if self.raised is not None:
            self.raised.setdefault(self.order, []).append(key)

    def forget(self, orders: set[int]) -> None:
        """Take back the alerts of the events numbered ``orders``. Only called for redeliveries of an event an
        earlier run judged: that run holds the same alerts with the same times, so the first and last times and
        the sample of the merged groups come out as one reader's would."""
        assert self.raised is not None, "forget needs a run judged with track=True"
        for order in orders:
            for key in self.raised.get(order, ()):
                group = self.groups[key]
                group.count -= 1
                group.sample = [entry for entry in group.sample if entry[1] != order]
                if not group.count:
                    del self.groups[key]

    def absorb(self, later: _Alerts) -> None:
        for key, group in later.groups.items():
            mine = self.groups.get(key)
            if mine is None:
                self.groups[key] = group
            else:
                mine.absorb(group)


@dataclass(slots=True)
class Tally:
    """What judging a run of events leaves before the report: the run's alerts (aggregated) and problems (in input
    order), its counted grants, the uuids it saw (first copy of each, and other contents that reused one), and how
    many unique and redelivered events it held."""

    alerts: _Alerts
    problems: list[Problem]
    counted: dict[tuple[str, str], list[_Counted]]
    seen: dict[str, _Copy]
    variants: dict[str, list[_Copy]]
    unique: int
    duplicates: int
    #: with a baseline only: (client id, "ip" | "asn", value) -> the earliest grant from it, as a rate entry
    sources: dict[tuple[str, str, str], _Counted] = field(default_factory=dict)

    def merge(self, later: Tally) -> None:
        """Add the tally of the run that follows this one in the input, as if one run had read both.

        An event of ``later`` whose uuid and content this run already saw was judged there as new; it is a
        redelivery, so its alerts and counted grant are taken back and it counts as a duplicate. One with a seen uuid
        but new content stays judged, as a conflicting copy. ``later`` must have been numbered after this run
        (``first_order`` above every order here) and judged with ``track=True``."""
        dropped: set[int] = set()
        for uuid in later.seen.keys() & self.seen.keys():
            known = {self.seen[uuid][0], *(copy[0] for copy in self.variants.get(uuid, ()))}
            for copy in (later.seen.pop(uuid), *later.variants.pop(uuid, ())):
                if copy[0] in known:
                    dropped.add(copy[1])
                else:
                    known.add(copy[0])
                    self.variants.setdefault(uuid, []).append(copy)
        if dropped:
            later.alerts.forget(dropped)
            later.counted = {hour: [g for g in grants if g[1] not in dropped] for hour, grants in later.counted.items()}
        self.alerts.absorb(later.alerts)
        self.problems += later.problems
        for hour, grants in later.counted.items():
            if grants:
                self.counted.setdefault(hour, []).extend(grants)
        self.seen.update(later.seen)
        for uuid, copies in later.variants.items():
            self.variants.setdefault(uuid, []).extend(copies)
        for source, entry in later.sources.items():
            if entry[1] in dropped:
                continue  # a redelivery's source is its original's, already here
            if source not in self.sources or entry[:2] < self.sources[source][:2]:
                self.sources[source] = entry
        self.unique += later.unique - len(dropped)
        self.duplicates += later.duplicates + len(dropped)


class Detector:
    """Evaluates every detection of a :class:`DetectionSet` over a stream of events.

    Events are judged as they are read and then dropped (only their uuids with a digest of their content, for each
    registered client's grants the time, uuid and line, and one aggregated alert per detection and subject are kept),
    so memory grows with unique uuids and subjects, never with alerts. The content digest tells a redelivery from
    another event reusing its uuid: for an event read from a line of compact JSON it is the hash of the line's own
    bytes, else orjson writing the parsed event back, hashed (the same value for the same content; writing it back
    cost about two thirds of parsing the event again). Sorting every event by time
    first, as Okta's disorder seems to call for, is not needed: each alert depends on its own event alone, alerts are
    sorted at the end (ties keep input order, as a stable sort of the events would), and the one order-dependent
    detection, the hourly rate, finds the grant that crossed the budget by sorting that hour's grants once at the end.
    tests/detect/test_equivalence.py holds this to the sort-everything-first reference on generated traffic.
    """

    def __init__(self, detections: DetectionSet, baseline: Baseline | None = None):
        self.detections = detections
        #: the sources earlier runs saw (``--baseline``); None: the first-seen detection is off
        self.baseline = baseline
        self._known = frozenset(detections.known_client_ids)
        self._deployers = frozenset(detections.deployer_ids)
        self._grant = frozenset(GRANT_EVENT_TYPES)
        self._refused = frozenset(REFUSED_EVENT_TYPES)
        self._invalid = frozenset(INVALID_CREDENTIALS_EVENT_TYPES)
        self._clients = {
            client_id: _Client(
                profile,
                profile.expires.isoformat() if profile.expires else None,
                _active_minutes(profile.active_table),
                set(),
                tuple(ipaddress.ip_network(cidr, strict=False) for cidr in profile.networks),
            )
            for client_id, profile in detections.by_client_id.items()
        }
        #: what an admin event's target may be called when it is an agent's identity, access policy (named after
        #: the identity), policy rule (``<identity> client credentials``), the agents' authorization server or one
        #: of their custom scopes: an edit of anything else is not tampering with agents
        self._agent_targets = frozenset(
            {
                *detections.by_client_id,
                *detections.auth_servers,
                *(p.identity for p in detections.identities),
                *(f"{p.identity} client credentials" for p in detections.identities),
                *(s for p in detections.identities for s in p.scopes if not s.startswith("okta.")),
            }
        )
        #: admin events judged by exact type: event type -> detection
        self._admin = {
            **dict.fromkeys(SECRET_READ_EVENT_TYPES, "client-secret-read"),
            **dict.fromkeys(API_GRANT_EVENT_TYPES, "agent-api-grant"),
            **dict.fromkeys(API_TOKEN_EVENT_TYPES, "api-token-created"),
        }

    def run(self, events: Iterable[Event], problems: Iterable[Problem] = ()) -> Report:
        """Judge already-read :class:`Event` objects (see :meth:`scan` for the streaming entry point)."""
        return self.scan(((e.published, e.raw, e.line, e.item, None) for e in events), list(problems))

    def scan(self, records: Iterable[EventRecord], problems: list[Problem]) -> Report:
        """Judge every record as it arrives; ``problems`` may still grow while ``records`` is read (it is the list
        :func:`~agentid.detect.events.iter_events` reports into)."""
        return self.report(self.tally(records, problems))

    def report(self, tally: Tally) -> Report:
        """The report once every event is judged: the aggregated alerts and the hourly rate alerts in time order,
        and a conflict for every uuid that arrived with more than one content. With a baseline, the sources never
        seen before are alerted and added to it (the caller saves it)."""
        alerts = [group.alert() for group in tally.alerts.groups.values()] + self._rate_alerts(tally.counted)
        if self.baseline is not None:
            alerts += self._first_seen_alerts(tally.sources)
        alerts.sort(key=lambda a: (a.published, _SEVERITY_ORDER.get(a.severity, 9), a.detection, a.key))
        conflicts = sorted(
            (_conflict(uuid, tally.seen[uuid], copies) for uuid, copies in tally.variants.items()),
            key=lambda p: (p.line or 0, p.item or 0),
        )
        return Report(tuple(alerts), tuple(tally.problems), tally.unique, tally.duplicates, tuple(conflicts))

    def tally(
        self, records: Iterable[EventRecord], problems: list[Problem], first_order: int = 0, *, track: bool = False
    ) -> Tally:
        """Judge a run of records: alerts of single events, and the grants counted per client and hour.
        ``first_order`` numbers the run's events after those of earlier runs, and ``track`` remembers which alerts
        each event raised, for a run that will be merged after another (see :meth:`Tally.merge`)."""
        seen: dict[str, _Copy] = {}
        variants: dict[str, list[_Copy]] = {}
        alerts = _Alerts(track)
        counted: dict[tuple[str, str], list[_Counted]] = {}
        sources: dict[tuple[str, str, str], _Counted] | None = {} if self.baseline is not None else None
        clients = self._clients
        admin = self._admin
        grant_types, refused_types, invalid_types = self._grant, self._refused, self._invalid
        unique = duplicates = 0
        for record in records:
            published, raw, line, item, digest = record
            order = first_order + unique
            uuid = raw.get("uuid")
            if type(uuid) is not str and not isinstance(uuid, str):
                uuid = None  # an event without a usable uuid cannot be recognised when redelivered: judged each time
            else:
                if digest is None:  # not read from a line of its own: written back out (see EventRecord)
                    digest = _content_digest(raw)
                first = seen.get(uuid)
                if first is None:
                    seen[uuid] = (digest, order, line, item)
                elif digest == first[0] or any(digest == copy[0] for copy in variants.get(uuid, ())):
                    duplicates += 1  # a redelivery: the same event again
                    continue
                else:  # the uuid of an event already seen, with other content: judged, and reported as a conflict
                    variants.setdefault(uuid, []).append((digest, order, line, item))
            alerts.order = order
            unique += 1
            event_type = raw["eventType"]
            if event_type in grant_types:
                # A registered client's successful grant, by far the commonest event, is judged inline.
                outcome = raw.get("outcome")
                if not isinstance(outcome, dict) or outcome.get("result") != "SUCCESS":
                    continue
                actor = raw.get("actor")
                actor_id = actor.get("id") if isinstance(actor, dict) else None
                client = clients.get(actor_id) if isinstance(actor_id, str) else None
                if client is None:
                    self._judge_unregistered_grant(record, actor, actor_id, alerts)
                    continue
                if client.expires is not None and published[:10] > client.expires:
                    alerts.append(self._expired(record, client))
                if published[11:16] not in client.active:
                    alerts.append(self._outside_hours(record, client.profile))
                hour = (actor_id, published[:13])
                entry = (published, order, uuid, line)
                grants = counted.get(hour)
                if grants is None:
                    counted[hour] = [entry]
                else:
                    grants.append(entry)
                debug = raw.get("debugContext")
                debug = debug.get("debugData") if isinstance(debug, dict) else None
                requested = debug.get("requestedScopes") if isinstance(debug, dict) else None
                if requested.__class__ is not str or requested not in client.inside:
                    self._judge_scopes(record, client, requested, alerts)
                # Where Okta records how the client authenticated (public samples: debugData.clientAuthType); an
                # event without it cannot be judged and raises nothing.
                auth = debug.get("clientAuthType") if isinstance(debug, dict) else None
                if auth is not None and auth != PRIVATE_KEY_JWT:
                    alerts.append(self._weak_auth(record, client.profile, auth))
                if client.networks or sources is not None:
                    self._judge_source(record, client, entry, sources, alerts)
            elif event_type in admin:
                self._judge_admin(record, admin[event_type], alerts)
            elif event_type in refused_types:
                self._judge_refused(record, alerts)
            elif event_type in invalid_types:
                self._judge_invalid(record, alerts)
            elif event_type.startswith(TAMPER_PREFIXES):
                self._judge_tampering(record, alerts)
            elif event_type.startswith(LOG_STREAM_PREFIX):
                actor = raw.get("actor")
                actor_id = _actor_id(actor)
                alerts.append(
                    self._alert(
                        "log-stream-change",
                        record,
                        None,
                        None,
                        f"{event_type} by {_actor_name(actor, actor_id)}",
                        event_type=event_type,
                        actor=actor_id,
                    )
                )
            elif event_type.startswith(TRUSTED_SERVER_PREFIX):
                self._judge_admin(record, "trusted-server-change", alerts)
            elif event_type.startswith(ZONE_PREFIX):
                self._judge_admin(record, "network-zone-change", alerts)
        return Tally(alerts, problems, counted, seen, variants, unique, duplicates, sources or {})

    def _rate_alerts(self, counted: dict[tuple[str, str], list[_Counted]]) -> list[Alert]:
        """One alert per client and UTC hour over budget, naming the grant that crossed it in time order (ties in
        input order), listed in the order those grants came in time: as counting a time-sorted stream would."""
        crossings = []
        for (client_id, _hour), grants in counted.items():
            profile = self._clients[client_id].profile
            budget = profile.max_tokens_per_hour
            if 0 <= budget < len(grants):
                grants.sort()  # (published, order) is unique: the uuid and line never decide
                crossings.append((grants[budget], profile, len(grants)))
        crossings.sort(key=lambda crossing: crossing[0][:2])
        return [_rate_alert(entry, profile, count) for entry, profile, count in crossings]

    def _alert(
        self,
        detection: str,
        record: EventRecord,
        profile: IdentityProfile | None,
        client_id: Any,
        message: str,
        **details: Any,
    ) -> Alert:
        published, raw, line, item, _ = record
        uuid = raw.get("uuid")
        return Alert(
            detection=detection,
            message=message,
            published=published,
            key=uuid if isinstance(uuid, str) else f"{published}#{line or item}",
            client_id=client_id if isinstance(client_id, str) else None,
            identity=profile.identity if profile else None,
            agent=profile.agent if profile else None,
            uuid=uuid if isinstance(uuid, str) else None,
            line=line,
            details=details,
        )

    def _judge_unregistered_grant(self, record: EventRecord, actor: Any, actor_id: Any, alerts: _Alerts) -> None:
        if not isinstance(actor_id, str):
            actor_id = None  # a malformed id must not reach a set lookup (a list is unhashable)
        grant_type = _dig(record[1], "debugContext", "debugData", "grantType")
        if grant_type == CLIENT_CREDENTIALS and actor_id not in self._known:
            name = actor.get("displayName") if isinstance(actor, dict) else None
            alerts.append(
                self._alert(
                    "shadow-agent-token",
                    record,
                    None,
                    actor_id,
                    f"client {actor_id} ({name or 'no name'}) got a client-credentials token "
                    "but no agent definition declares it",
                    display_name=name,
                )
            )

    def _expired(self, record: EventRecord, client: _Client) -> Alert:
        profile, day = client.profile, record[0][:10]
        return self._alert(
            "inactive-agent-token",
            record,
            profile,
            profile.client_id,
            f"{profile.identity}: token granted on {day}, but the agent expired on {client.expires}",
            expires=client.expires,
        )

    def _outside_hours(self, record: EventRecord, profile: IdentityProfile) -> Alert:
        return self._alert(
            "token-outside-active-hours",
            record,
            profile,
            profile.client_id,
            f"{profile.identity}: token granted at {record[0][11:16]} UTC, outside {profile.active_hours_utc}",
            active_hours_utc=profile.active_hours_utc,
        )

    def _judge_refused(self, record: EventRecord, alerts: _Alerts) -> None:
        raw = record[1]
        actor_id = _actor_id(raw.get("actor"))
        client = self._clients.get(actor_id) if actor_id is not None else None
        outcome = raw.get("outcome")
        if client is None or not isinstance(outcome, dict) or outcome.get("result") != "FAILURE":
            return
        profile = client.profile
        reason = outcome.get("reason")
        alerts.append(
            self._alert(
                "token-refused",
                record,
                profile,
                actor_id,
                f"{profile.identity}: Okta refused a token ({reason or 'no reason given'})",
                reason=reason,
            )
        )
        self._judge_scopes(record, client, _dig(raw, "debugContext", "debugData", "requestedScopes"), alerts)

    def _judge_invalid(self, record: EventRecord, alerts: _Alerts) -> None:
        actor_id = _actor_id(record[1].get("actor"))
        client = self._clients.get(actor_id) if actor_id is not None else None
        if client is not None:
            alerts.append(
                self._alert(
                    "invalid-client-credentials",
                    record,
                    client.profile,
                    actor_id,
                    f"{client.profile.identity}: a token request failed client authentication",
                )
            )

    def _agent_target(self, raw: dict[str, Any]) -> bool:
        """Whether one of the event's targets is an agent's app (client id or ``agentid:`` label), its access policy
        or rule (by name), one of the agents' scopes or their authorization server (name or id)."""
        target = raw.get("target")
        known = self._agent_targets
        for item in target if isinstance(target, list) else ():
            if not isinstance(item, dict):
                continue
            for key in ("id", "displayName", "alternateId"):
                value = item.get(key)
                if isinstance(value, str) and (value in known or value.startswith(AGENT_LABEL_PREFIX)):
                    return True
        return False

    def _judge_tampering(self, record: EventRecord, alerts: _Alerts) -> None:
        raw = record[1]
        actor_id = _actor_id(raw.get("actor"))
        if actor_id in self._deployers or not self._agent_target(raw):
            return
        alerts.append(self._admin_alert("identity-tampering", record, actor_id, ", not the deploying principal"))

    def _judge_admin(self, record: EventRecord, detection: str, alerts: _Alerts) -> None:
        """An admin event of the new blind spots: who may do it, and whether it must name an agent as target."""
        raw = record[1]
        actor_id = _actor_id(raw.get("actor"))
        # Reading an agent app's secret or creating an API token is suspicious whoever does it: the deployer never
        # needs either (agent apps have no secret; it authenticates with its own service app).
        if detection not in ("client-secret-read", "api-token-created") and actor_id in self._deployers:
            return
        if detection in ("client-secret-read", "agent-api-grant") and not self._agent_target(raw):
            return
        alerts.append(self._admin_alert(detection, record, actor_id))

    def _admin_alert(self, detection: str, record: EventRecord, actor_id: str | None, qualifier: str = "") -> Alert:
        """An admin event's alert: its type, who did it (``qualifier`` after the name) and the targets it names."""
        raw = record[1]
        event_type = raw["eventType"]
        targets = _target_names(raw)
        return self._alert(
            detection,
            record,
            None,
            None,
            f"{event_type} by {_actor_name(raw.get('actor'), actor_id)}{qualifier}"
            + (f" (target: {', '.join(str(t) for t in targets)})" if targets else ""),
            event_type=event_type,
            actor=actor_id,
            targets=targets,
        )

    def _weak_auth(self, record: EventRecord, profile: IdentityProfile, auth: Any) -> Alert:
        return self._alert(
            "weak-client-auth",
            record,
            profile,
            profile.client_id,
            f"{profile.identity}: token granted to a client that authenticated with {auth!s:.60}, not "
            f"{PRIVATE_KEY_JWT}",
            client_auth_type=str(auth)[:60],
        )

    def _judge_source(
        self,
        record: EventRecord,
        client: _Client,
        entry: _Counted,
        sources: dict[tuple[str, str, str], _Counted] | None,
        alerts: _Alerts,
    ) -> None:
        """The grant's source: outside the agent's zones (when it declares gateways), and, with a baseline, the
        earliest grant from each IP and ASN (judged against the baseline once all events are read)."""
        raw = record[1]
        client_info = raw.get("client")
        ip = client_info.get("ipAddress") if isinstance(client_info, dict) else None
        ip = ip if isinstance(ip, str) and ip else None
        if client.networks and ip is not None and ip not in client.inside_ips:
            try:
                address = ipaddress.ip_address(ip)
            except ValueError:
                address = None
            if address is not None and any(address in network for network in client.networks):
                client.inside_ips.add(ip)
            else:
                profile = client.profile
                alerts.append(
                    self._alert(
                        "token-outside-network-zone",
                        record,
                        profile,
                        profile.client_id,
                        f"{profile.identity}: token requested from {ip:.60}, outside its zones' gateways "
                        f"{', '.join(profile.networks)}",
                        ip=ip[:60],
                        networks=list(profile.networks),
                    )
                )
        if sources is None:
            return
        client_id = client.profile.client_id
        security = raw.get("securityContext")
        asn = security.get("asNumber") if isinstance(security, dict) else None
        for kind, value in (("ip", ip), ("asn", str(asn) if type(asn) is int and asn > 0 else None)):
            if value is None:
                continue
            key = (client_id, kind, value)
            known = sources.get(key)
            if known is None or entry[:2] < known[:2]:
                sources[key] = entry

    def _first_seen_alerts(self, sources: dict[tuple[str, str, str], _Counted]) -> list[Alert]:
        """One alert per identity and source (IP or ASN) the baseline has not seen, at its earliest grant; every
        source is then recorded. An identity the baseline does not know yet is only recorded (its first run)."""
        baseline = self.baseline
        assert baseline is not None
        alerts = []
        for (client_id, kind, value), (published, _order, uuid, line) in sorted(
            sources.items(), key=lambda item: item[1][:2]
        ):
            profile = self._clients[client_id].profile
            if baseline.knows(client_id) and not baseline.has(client_id, kind, value):
                what = "IP address" if kind == "ip" else "autonomous system (ASN)"
                alerts.append(
                    Alert(
                        detection="first-seen-source",
                        message=f"{profile.identity}: first token from {what} {value:.60} (not in the baseline)",
                        published=published,
                        key=f"{client_id}/{kind}/{value}",
                        client_id=client_id,
                        identity=profile.identity,
                        agent=profile.agent,
                        uuid=uuid,
                        line=line,
                        details={kind: value[:60]},
                    )
                )
        for client_id, kind, value in sources:
            baseline.add(client_id, self._clients[client_id].profile.identity, kind, value)
        return alerts

    def _judge_scopes(self, record: EventRecord, client: _Client, requested: Any, alerts: _Alerts) -> None:
        profile = client.profile
        outside = [scope for scope in _scopes_of(requested) if scope not in profile.scopes]
        if not outside:
            if isinstance(requested, str):
                client.inside.add(requested)
            return
        alerts.append(
            self._alert(
                "scope-outside-profile",
                record,
                profile,
                profile.client_id,
                f"{profile.identity}: requested {', '.join(outside)}, not in its declared scopes",
                outside=outside,
            )
        )


def _conflict(uuid: str, first: _Copy, copies: list[_Copy]) -> Problem:
    """The report of a uuid that arrived with more than one content, at the first copy that differed."""

    def where(copy: _Copy) -> str:
        return f"line {copy[2]}" if copy[2] is not None else f"item {copy[3]}"

    return Problem(
        f"uuid {uuid} arrived with {len(copies) + 1} different contents ({', '.join(map(where, (first, *copies)))}): "
        "each was judged as an event of its own. A redelivery repeats an event exactly, so one of them was altered "
        "or forged: check the log pipeline that wrote this file",
        copies[0][2],
        copies[0][3],
    )


def _target_names(raw: dict[str, Any]) -> list[Any]:
    target = raw.get("target")
    return [
        t.get("displayName") or t.get("id") for t in (target if isinstance(target, list) else ()) if isinstance(t, dict)
    ]


def _actor_id(actor: Any) -> str | None:
    """``actor.id`` when it is a string; a malformed id must not reach a set lookup (a list is unhashable)."""
    actor_id = actor.get("id") if isinstance(actor, dict) else None
    return actor_id if isinstance(actor_id, str) else None


#: Files smaller than this are read by one process: below it, forking and merging save too little to matter.
SPLIT_MIN_BYTES = 32 << 20


def detect_events(
    source: bytes | BinaryIO,
    detections: DetectionSet,
    *,
    workers: int | None = None,
    split_min_bytes: int = SPLIT_MIN_BYTES,
    baseline: Baseline | None = None,
) -> Report:
    """Read ``source`` (bytes, or a binary file streamed as it is read; any supported shape) and run every detection:
    the CLI's and the benchmark's entry point.

    A large JSON-lines file is cut into runs of whole lines judged side by side, one per core (``workers``; by
    default :func:`~agentid.registry.forkmap.available_workers`, which ``AGENTID_LOAD_WORKERS`` caps), and the runs'
    tallies merged in file order: the report is the one a single reader gives (tests/detect/test_equivalence.py).
    """
    with cyclic_gc_paused():  # see agentid.gcpause: the uuids seen and the grants counted stay alive to the end
        detector = Detector(detections, baseline)
        count = available_workers() if workers is None else workers
        split = split_lines(source, count, split_min_bytes) if count > 1 else None
        if split is not None:
            return judge_in_parts(detector, *split, workers=count)
        problems: list[Problem] = []
        return detector.scan(iter_events(source, problems), problems)


def judge_in_parts(detector: Detector, path: str, ranges: list[tuple[int, int | None]], *, workers: int) -> Report:
    """Judge each byte range of ``path`` (from :func:`~agentid.detect.events.split_lines`), the first here and the
    others in forked workers (any that fails is redone here), and merge the tallies in file order.

    A range's events are numbered from its first byte: a range holds fewer events than bytes, so every number in one
    range is below every number in the next, and ties in time still fall in file order after the merge."""

    def tally_range(bounds: tuple[int, int | None]) -> Tally:
        problems: list[Problem] = []
        records = iter_line_range(path, *bounds, problems)
        return detector.tally(records, problems, first_order=bounds[0], track=bounds[0] > 0)

    tallies = fork_map(tally_range, ranges, workers=workers, encode=_encode_tally, decode=_decode_tally)
    total = tallies[0]
    for later in tallies[1:]:
        total.merge(later)
    return detector.report(total)


_ALERT_FIELDS = tuple(f.name for f in fields(Alert))


def _encode_tally(tally: Tally) -> tuple[Any, ...]:
    """Plain tuples, which pickle quickly, for a worker's tally on its way back to the parent."""
    groups = [
        (key, tuple(getattr(g.first, name) for name in _ALERT_FIELDS), g.first_at, g.count, g.last, g.sample)
        for key, g in tally.alerts.groups.items()
    ]
    return (
        groups,
        tally.alerts.raised,
        [(p.message, p.line, p.item, p.fatal) for p in tally.problems],
        tally.counted,
        tally.seen,
        tally.variants,
        tally.unique,
        tally.duplicates,
        tally.sources,
    )


def _decode_tally(encoded: tuple[Any, ...]) -> Tally:
    groups, raised, problems, counted, seen, variants, unique, duplicates, sources = encoded
    alerts = _Alerts(raised is not None)
    alerts.raised = raised
    for key, first, first_at, count, last, sample in groups:
        group = _Group(Alert(*first), first_at[1])
        group.count, group.last, group.sample = count, last, sample
        alerts.groups[key] = group
    return Tally(alerts, [Problem(*p) for p in problems], counted, seen, variants, unique, duplicates, sources)


def detect_bytes(data: bytes, detections: DetectionSet) -> Report:
    """:func:`detect_events` on bytes already in memory."""
    return detect_events(data, detections)


def _rate_alert(entry: _Counted, profile: IdentityProfile, count: int) -> Alert:
    """The alert for one identity and UTC hour over budget, keyed by the hour, naming the grant that crossed it."""
    published, _order, uuid, line = entry
    hour = published[:13] + ":00:00Z"
    return Alert(
        detection="token-rate-exceeded",
        message=f"{profile.identity}: {count} tokens in the hour from {hour}, "
        f"above its max_tokens_per_hour of {profile.max_tokens_per_hour}",
        published=hour,
        key=hour,
        client_id=profile.client_id,
        identity=profile.identity,
        agent=profile.agent,
        uuid=uuid,
        line=line,
        details={"count": count, "max_tokens_per_hour": profile.max_tokens_per_hour, "hour": hour},
    )
