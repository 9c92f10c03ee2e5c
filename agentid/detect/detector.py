"""The offline detector: the same detections as EventBridge and Sigma, over a file of Okta System Log events.

Okta's stream is at-least-once and unordered, so events are deduplicated on ``uuid`` and sorted by ``published``
before anything is counted. Hourly counts use UTC clock hours (as Splunk's ``bin _time span=1h`` does for the Sigma
correlation rule), so the detector and the SIEM agree on which hour was too busy. Per-event work is a few dict and
set lookups keyed by client id, all precomputed in :class:`Detector`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from agentid.detect.definitions import (
    CLIENT_CREDENTIALS,
    DETECTIONS,
    GRANT_EVENT_TYPES,
    INVALID_CREDENTIALS_EVENT_TYPES,
    LOG_STREAM_PREFIX,
    REFUSED_EVENT_TYPES,
    TAMPER_PREFIXES,
    DetectionSet,
    IdentityProfile,
)
from agentid.detect.events import Event, Problem, read_events
from agentid.gcpause import cyclic_gc_paused

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
        }


@dataclass(frozen=True, slots=True)
class Report:
    alerts: tuple[Alert, ...]
    problems: tuple[Problem, ...]
    events: int
    duplicates: int

    def summary(self) -> dict[str, Any]:
        """The counts alone (the text report's last line), without building every alert's dict."""
        by_detection: dict[str, int] = {}
        for alert in self.alerts:
            by_detection[alert.detection] = by_detection.get(alert.detection, 0) + 1
        return {
            "events": self.events,
            "duplicates": self.duplicates,
            "malformed": len(self.problems),
            "alerts": len(self.alerts),
            "by_detection": dict(sorted(by_detection.items())),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "alerts": [a.to_dict() for a in self.alerts],
            "problems": [p.to_dict() for p in self.problems],
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
    """``debugData.requestedScopes``: a space-separated string in Okta's log (a list is accepted too)."""
    value = _dig(event, "debugContext", "debugData", "requestedScopes")
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [s for s in value if isinstance(s, str)]
    return []


class Detector:
    """Evaluates every detection of a :class:`DetectionSet` over a batch of events."""

    def __init__(self, detections: DetectionSet):
        self.detections = detections
        self._by_client = dict(detections.by_client_id)
        self._known = frozenset(detections.known_client_ids)
        self._deployers = frozenset(detections.deployer_ids)
        self._grant = frozenset(GRANT_EVENT_TYPES)
        self._refused = frozenset(REFUSED_EVENT_TYPES)
        self._invalid = frozenset(INVALID_CREDENTIALS_EVENT_TYPES)
        # Per client: active-minute table, expiry as an ISO string (compares as a date), allowed scopes.
        self._active = {p.client_id: p.active_table for p in detections.identities}
        self._expires = {p.client_id: p.expires.isoformat() for p in detections.identities if p.expires}

    def run(self, events: Iterable[Event], problems: Iterable[Problem] = ()) -> Report:
        seen: set[str] = set()
        unique: list[Event] = []
        duplicates = 0
        for event in events:
            uuid = event.raw.get("uuid")
            if isinstance(uuid, str):
                if uuid in seen:
                    duplicates += 1
                    continue
                seen.add(uuid)
            unique.append(event)
        unique.sort(key=lambda e: e.published)
        alerts: list[Alert] = []
        hourly: dict[tuple[str, str], int] = {}
        crossings: dict[tuple[str, str], tuple[Event, IdentityProfile]] = {}
        for event in unique:
            self._judge(event, alerts, hourly, crossings)
        for bucket, (event, profile) in crossings.items():
            alerts.append(_rate_alert(event, profile, hourly[bucket]))
        alerts.sort(key=lambda a: (a.published, _SEVERITY_ORDER.get(a.severity, 9), a.detection, a.key))
        return Report(tuple(alerts), tuple(problems), len(unique), duplicates)

    def _alert(
        self,
        detection: str,
        event: Event,
        profile: IdentityProfile | None,
        client_id: Any,
        message: str,
        **details: Any,
    ) -> Alert:
        uuid = event.raw.get("uuid")
        return Alert(
            detection=detection,
            message=message,
            published=event.published,
            key=uuid if isinstance(uuid, str) else f"{event.published}#{event.line or event.item}",
            client_id=client_id if isinstance(client_id, str) else None,
            identity=profile.identity if profile else None,
            agent=profile.agent if profile else None,
            uuid=uuid if isinstance(uuid, str) else None,
            line=event.line,
            details=details,
        )

    def _judge(
        self,
        event: Event,
        alerts: list[Alert],
        hourly: dict[tuple[str, str], int],
        crossings: dict[tuple[str, str], tuple[Event, IdentityProfile]],
    ) -> None:
        raw = event.raw
        event_type = raw["eventType"]
        actor = raw.get("actor")
        actor_id = actor.get("id") if isinstance(actor, dict) else None
        if not isinstance(actor_id, str):
            actor_id = None  # a malformed id must not reach a set lookup (a list is unhashable)
        outcome = raw.get("outcome")
        result = outcome.get("result") if isinstance(outcome, dict) else None
        if event_type in self._grant:
            if result != "SUCCESS":
                return
            profile = self._by_client.get(actor_id)
            if profile is None:
                grant_type = _dig(raw, "debugContext", "debugData", "grantType")
                if grant_type == CLIENT_CREDENTIALS and actor_id not in self._known:
                    name = actor.get("displayName") if isinstance(actor, dict) else None
                    alerts.append(
                        self._alert(
                            "shadow-agent-token",
                            event,
                            None,
                            actor_id,
                            f"client {actor_id} ({name or 'no name'}) got a client-credentials token "
                            "but no agent definition declares it",
                            display_name=name,
                        )
                    )
                return
            self._judge_grant(event, profile, alerts, hourly, crossings)
        elif event_type in self._refused:
            profile = self._by_client.get(actor_id)
            if profile is not None and result == "FAILURE":
                reason = outcome.get("reason") if isinstance(outcome, dict) else None
                alerts.append(
                    self._alert(
                        "token-refused",
                        event,
                        profile,
                        actor_id,
                        f"{profile.identity}: Okta refused a token ({reason or 'no reason given'})",
                        reason=reason,
                    )
                )
                self._judge_scopes(event, profile, alerts)
        elif event_type in self._invalid:
            profile = self._by_client.get(actor_id)
            if profile is not None:
                alerts.append(
                    self._alert(
                        "invalid-client-credentials",
                        event,
                        profile,
                        actor_id,
                        f"{profile.identity}: a token request failed client authentication",
                    )
                )
        elif event_type.startswith(TAMPER_PREFIXES):
            if actor_id not in self._deployers:
                target = raw.get("target")
                targets = [
                    t.get("displayName") or t.get("id")
                    for t in (target if isinstance(target, list) else ())
                    if isinstance(t, dict)
                ]
                alerts.append(
                    self._alert(
                        "identity-tampering",
                        event,
                        None,
                        None,
                        f"{event_type} by {_actor_name(actor, actor_id)}, not the deploying principal"
                        + (f" (target: {', '.join(str(t) for t in targets)})" if targets else ""),
                        event_type=event_type,
                        actor=actor_id,
                        targets=targets,
                    )
                )
        elif event_type.startswith(LOG_STREAM_PREFIX):
            alerts.append(
                self._alert(
                    "log-stream-change",
                    event,
                    None,
                    None,
                    f"{event_type} by {_actor_name(actor, actor_id)}",
                    event_type=event_type,
                    actor=actor_id,
                )
            )

    def _judge_grant(
        self,
        event: Event,
        profile: IdentityProfile,
        alerts: list[Alert],
        hourly: dict[tuple[str, str], int],
        crossings: dict[tuple[str, str], tuple[Event, IdentityProfile]],
    ) -> None:
        client_id = profile.client_id
        published = event.published
        expires = self._expires.get(client_id)
        if expires is not None and published[:10] > expires:
            alerts.append(
                self._alert(
                    "inactive-agent-token",
                    event,
                    profile,
                    client_id,
                    f"{profile.identity}: token granted on {published[:10]}, but the agent expired on {expires}",
                    expires=expires,
                )
            )
        minute = int(published[11:13]) * 60 + int(published[14:16])
        if not self._active[client_id][minute]:
            alerts.append(
                self._alert(
                    "token-outside-active-hours",
                    event,
                    profile,
                    client_id,
                    f"{profile.identity}: token granted at {published[11:16]} UTC, outside {profile.active_hours_utc}",
                    active_hours_utc=profile.active_hours_utc,
                )
            )
        bucket = (client_id, published[:13])
        count = hourly.get(bucket, 0) + 1
        hourly[bucket] = count
        if count == profile.max_tokens_per_hour + 1:
            crossings[bucket] = (event, profile)
        self._judge_scopes(event, profile, alerts)

    def _judge_scopes(self, event: Event, profile: IdentityProfile, alerts: list[Alert]) -> None:
        requested = _scopes(event.raw)
        outside = [scope for scope in requested if scope not in profile.scopes]
        if outside:
            alerts.append(
                self._alert(
                    "scope-outside-profile",
                    event,
                    profile,
                    profile.client_id,
                    f"{profile.identity}: requested {', '.join(outside)}, not in its declared scopes",
                    outside=outside,
                )
            )


def detect_bytes(data: bytes, detections: DetectionSet) -> Report:
    """Read ``data`` (any supported shape) and run every detection: the CLI's and the benchmark's entry point."""
    with cyclic_gc_paused():  # hundreds of thousands of parsed events stay alive: see agentid.gcpause
        events, problems = read_events(data)
        return Detector(detections).run(events, problems)


def _rate_alert(event: Event, profile: IdentityProfile, count: int) -> Alert:
    """One alert per identity and UTC hour over budget, keyed by the hour, naming the event that crossed it."""
    hour = event.published[:13] + ":00:00Z"
    uuid = event.raw.get("uuid")
    return Alert(
        detection="token-rate-exceeded",
        message=f"{profile.identity}: {count} tokens in the hour from {hour}, "
        f"above its max_tokens_per_hour of {profile.max_tokens_per_hour}",
        published=hour,
        key=hour,
        client_id=profile.client_id,
        identity=profile.identity,
        agent=profile.agent,
        uuid=uuid if isinstance(uuid, str) else None,
        line=event.line,
        details={"count": count, "max_tokens_per_hour": profile.max_tokens_per_hour, "hour": hour},
    )
