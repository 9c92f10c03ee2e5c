"""The straightforward detector the streaming one must match: read every event into memory, drop redeliveries,
sort by time, judge each in turn, count hours as they go by.

This is the detector as it was before it streamed (agentid/detect at efa666e), kept small and obvious on purpose: it
is the specification that tests/detect/test_equivalence.py holds :mod:`agentid.detect.detector` and
:mod:`agentid.detect.events` to, alert for alert, problem for problem, in the same order. Only the data classes
(Problem, Alert, Report) and the detection definitions are shared with the code under test.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
from dataclasses import dataclass, replace
from typing import Any

import orjson

from agentid.detect.definitions import (
    API_GRANT_EVENT_TYPES,
    API_TOKEN_EVENT_TYPES,
    CLIENT_CREDENTIALS,
    DETAIL_TYPE,
    GRANT_EVENT_TYPES,
    INVALID_CREDENTIALS_EVENT_TYPES,
    LOG_STREAM_PREFIX,
    REFUSED_EVENT_TYPES,
    SECRET_READ_EVENT_TYPES,
    TAMPER_PREFIXES,
    TRUSTED_SERVER_PREFIX,
    ZONE_PREFIX,
    DetectionSet,
    IdentityProfile,
)
from agentid.detect.detector import Alert, Report
from agentid.detect.events import Problem

_SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
_OKTA_TIME = re.compile(
    r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?Z"
)


@dataclass(frozen=True, slots=True)
class Event:
    published: str
    raw: dict[str, Any]
    line: int | None = None
    item: int | None = None


# ----------------------------------------------------------------------------------------------------- reading


def normalise_published(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    if _OKTA_TIME.fullmatch(value):
        return value
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _unwrap(obj: Any) -> tuple[dict[str, Any] | None, str | None]:
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
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        document = None
    if isinstance(document, list):
        for index, obj in enumerate(document, start=1):
            _accept(obj, None, index, events, problems)
        return
    # Not one valid array: documents one after another (pages appended by a pretty-printing exporter), each array
    # read item by item up to a break.
    text = data.decode("utf-8", errors="replace")
    decoder = json.JSONDecoder()
    position = 0
    index = 0
    depth = 0  # 1 inside an array
    while True:
        while position < len(text) and (text[position] in " \t\r\n" or (depth and text[position] == ",")):
            position += 1
        if position >= len(text):
            if depth:
                problems.append(
                    Problem("the JSON array is not closed (truncated file?)", text.count("\n", 0, position) + 1)
                )
            return
        if text[position] == "[" and not depth:
            depth, position = 1, position + 1
            continue
        if text[position] == "]" and depth:
            depth, position = 0, position + 1
            continue
        index += 1
        what = f"item {index}" if depth else f"document {index}"
        try:
            obj, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            if not text[exc.pos :].strip():
                problems.append(Problem(f"{what}: the file ends inside it (truncated file?)", exc.lineno))
            else:
                problems.append(
                    Problem(
                        f"{what}: not valid JSON ({exc.msg}); the rest of the file was not read", exc.lineno, None, True
                    )
                )
            return
        except RecursionError:
            problems.append(
                Problem(
                    f"{what}: nested too deeply to be an Okta LogEvent; the rest of the file was not read",
                    text.count("\n", 0, position) + 1,
                    None,
                    True,
                )
            )
            return
        _accept(obj, text.count("\n", 0, position) + 1, None, events, problems)


def read_events(data: bytes) -> tuple[list[Event], list[Problem]]:
    events: list[Event] = []
    problems: list[Problem] = []
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    start = data.lstrip()[:1]
    if start == b"[":
        lines = data.split(b"\n")
        number = next(n for n, line in enumerate(lines) if line.strip())
        rest = b"\n".join(lines[number + 1 :])
        try:
            page = orjson.loads(lines[number])
        except orjson.JSONDecodeError:
            page = None
        if not isinstance(page, list) or not rest.strip():  # one array (whole, pretty-printed or broken)
            _read_array(data, events, problems)
            return events, problems
        # else: a whole array on its first line and more lines after it: pages of /api/v1/logs, one per line
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
        good_lines += isinstance(obj, dict | list)  # a scalar line parses inside a pretty-printed document too
        if isinstance(obj, list):
            for inner in obj:
                _accept(inner, number, None, events, problems)
        else:
            _accept(obj, number, None, events, problems)
    if not good_lines and line_problems and start == b"{":  # pretty-printed documents one after another
        whole_events: list[Event] = []
        whole_problems: list[Problem] = []
        _read_array(data, whole_events, whole_problems)
        syntax = re.compile(r"(item|document) \d+: (not valid JSON|the file ends|nested too deeply)|the JSON array")
        if whole_events or not any(syntax.match(p.message) for p in whole_problems):
            return whole_events, whole_problems
    problems.extend(line_problems)
    problems.sort(key=lambda p: (p.line or 0, p.item or 0))
    return events, problems


# ----------------------------------------------------------------------------------------------------- judging


def _dig(event: dict[str, Any], *path: str) -> Any:
    value: Any = event
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _actor_name(actor: Any, actor_id: str | None) -> str:
    name = (actor.get("alternateId") or actor.get("displayName")) if isinstance(actor, dict) else None
    return str(name or actor_id or "an unknown actor")


def _scopes(event: dict[str, Any]) -> list[str]:
    value = _dig(event, "debugContext", "debugData", "requestedScopes")
    if isinstance(value, str):
        return re.split(r"[\s,]+", value.strip(" \t\n\r\f\v,")) if value.strip(" \t\n\r\f\v,") else []
    if isinstance(value, list):
        return [s for s in value if isinstance(s, str)]
    return []


def _alert(detection: str, event: Event, profile: IdentityProfile | None, client_id: Any, message: str, **details: Any):
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


def _scope_alerts(event: Event, profile: IdentityProfile) -> list[Alert]:
    outside = [scope for scope in _scopes(event.raw) if scope not in profile.scopes]
    if not outside:
        return []
    message = f"{profile.identity}: requested {', '.join(outside)}, not in its declared scopes"
    return [_alert("scope-outside-profile", event, profile, profile.client_id, message, outside=outside)]


def _is_active(profile: IdentityProfile, minute: int) -> bool:
    """Straight from the window's bounds (the production detector uses a precomputed table)."""
    start, end = profile.active_hours_utc.split("-")
    lo = int(start[:2]) * 60 + int(start[3:])
    hi = int(end[:2]) * 60 + int(end[3:])
    if lo % 1440 == hi % 1440:
        return True
    if lo < hi:
        return lo <= minute < hi
    return minute >= lo or minute < hi


def _targets(raw: dict[str, Any]) -> list[dict[str, Any]]:
    target = raw.get("target")
    return [t for t in (target if isinstance(target, list) else ()) if isinstance(t, dict)]


def _names_an_agent(raw: dict[str, Any], detections: DetectionSet) -> bool:
    """An agent's app (client id, ``agentid:`` label), its policy or rule (by name), a custom scope of the agents or
    their authorization server, among the event's targets."""
    names = set(detections.by_client_id) | set(detections.auth_servers)
    for p in detections.identities:
        names |= {p.identity, f"{p.identity} client credentials"} | {s for s in p.scopes if not s.startswith("okta.")}
    for target in _targets(raw):
        for key in ("id", "displayName", "alternateId"):
            value = target.get(key)
            if isinstance(value, str) and (value in names or value.startswith("agentid:")):
                return True
    return False


def _admin_alert(detection: str, event: Event, actor: Any, actor_id: str | None) -> Alert:
    event_type = event.raw["eventType"]
    targets = [t.get("displayName") or t.get("id") for t in _targets(event.raw)]
    return _alert(
        detection,
        event,
        None,
        None,
        f"{event_type} by {_actor_name(actor, actor_id)}"
        + (f" (target: {', '.join(str(t) for t in targets)})" if targets else ""),
        event_type=event_type,
        actor=actor_id,
        targets=targets,
    )


def judge(events: list[Event], problems: list[Problem], detections: DetectionSet) -> Report:
    by_client = dict(detections.by_client_id)
    known = set(detections.known_client_ids)
    deployers = set(detections.deployer_ids)
    contents: dict[str, list[tuple[bytes, Event]]] = {}  # uuid -> each distinct content, with its first copy
    unique: list[Event] = []
    duplicates = 0
    for event in events:
        uuid = event.raw.get("uuid")
        if isinstance(uuid, str):
            content = orjson.dumps(event.raw)
            copies = contents.setdefault(uuid, [])
            if any(content == seen for seen, _event in copies):
                duplicates += 1
                continue
            copies.append((content, event))
        unique.append(event)
    conflicts = []
    for uuid, copies in contents.items():
        if len(copies) > 1:
            where = ", ".join(f"line {e.line}" if e.line is not None else f"item {e.item}" for _c, e in copies)
            conflicts.append(
                Problem(
                    f"uuid {uuid} arrived with {len(copies)} different contents ({where}): each was judged as an "
                    "event of its own. A redelivery repeats an event exactly, so one of them was altered or forged: "
                    "check the log pipeline that wrote this file",
                    copies[1][1].line,
                    copies[1][1].item,
                )
            )
    conflicts.sort(key=lambda p: (p.line or 0, p.item or 0))
    unique.sort(key=lambda e: e.published)
    alerts: list[Alert] = []
    hourly: dict[tuple[str, str], int] = {}
    crossings: dict[tuple[str, str], tuple[Event, IdentityProfile]] = {}
    for event in unique:
        raw, published = event.raw, event.published
        event_type = raw["eventType"]
        actor = raw.get("actor")
        actor_id = actor.get("id") if isinstance(actor, dict) else None
        if not isinstance(actor_id, str):
            actor_id = None
        outcome = raw.get("outcome")
        result = outcome.get("result") if isinstance(outcome, dict) else None
        profile = by_client.get(actor_id)
        if event_type in GRANT_EVENT_TYPES:
            if result != "SUCCESS":
                continue
            if profile is None:
                if _dig(raw, "debugContext", "debugData", "grantType") == CLIENT_CREDENTIALS and actor_id not in known:
                    name = actor.get("displayName") if isinstance(actor, dict) else None
                    message = (
                        f"client {actor_id} ({name or 'no name'}) got a client-credentials token "
                        "but no agent definition declares it"
                    )
                    alerts.append(_alert("shadow-agent-token", event, None, actor_id, message, display_name=name))
                continue
            expires = profile.expires.isoformat() if profile.expires else None
            if expires is not None and published[:10] > expires:
                message = f"{profile.identity}: token granted on {published[:10]}, but the agent expired on {expires}"
                alerts.append(_alert("inactive-agent-token", event, profile, actor_id, message, expires=expires))
            if not _is_active(profile, int(published[11:13]) * 60 + int(published[14:16])):
                message = (
                    f"{profile.identity}: token granted at {published[11:16]} UTC, outside {profile.active_hours_utc}"
                )
                alerts.append(
                    _alert(
                        "token-outside-active-hours",
                        event,
                        profile,
                        actor_id,
                        message,
                        active_hours_utc=profile.active_hours_utc,
                    )
                )
            bucket = (actor_id, published[:13])
            hourly[bucket] = hourly.get(bucket, 0) + 1
            if hourly[bucket] == profile.max_tokens_per_hour + 1:
                crossings[bucket] = (event, profile)
            alerts.extend(_scope_alerts(event, profile))
            auth = _dig(raw, "debugContext", "debugData", "clientAuthType")
            if auth is not None and auth != "private_key_jwt":
                message = (
                    f"{profile.identity}: token granted to a client that authenticated with {auth!s:.60}, not "
                    "private_key_jwt"
                )
                alerts.append(
                    _alert("weak-client-auth", event, profile, actor_id, message, client_auth_type=str(auth)[:60])
                )
            ip = _dig(raw, "client", "ipAddress")
            if profile.networks and isinstance(ip, str) and ip:
                try:
                    inside = any(
                        ipaddress.ip_address(ip) in ipaddress.ip_network(n, strict=False) for n in profile.networks
                    )
                except ValueError:
                    inside = False
                if not inside:
                    message = (
                        f"{profile.identity}: token requested from {ip:.60}, outside its zones' gateways "
                        f"{', '.join(profile.networks)}"
                    )
                    alerts.append(
                        _alert(
                            "token-outside-network-zone",
                            event,
                            profile,
                            actor_id,
                            message,
                            ip=ip[:60],
                            networks=list(profile.networks),
                        )
                    )
        elif event_type in SECRET_READ_EVENT_TYPES:
            if _names_an_agent(raw, detections):
                alerts.append(_admin_alert("client-secret-read", event, actor, actor_id))
        elif event_type in API_GRANT_EVENT_TYPES:
            if actor_id not in deployers and _names_an_agent(raw, detections):
                alerts.append(_admin_alert("agent-api-grant", event, actor, actor_id))
        elif event_type in API_TOKEN_EVENT_TYPES:
            alerts.append(_admin_alert("api-token-created", event, actor, actor_id))
        elif event_type in REFUSED_EVENT_TYPES:
            if profile is not None and result == "FAILURE":
                reason = outcome.get("reason") if isinstance(outcome, dict) else None
                message = f"{profile.identity}: Okta refused a token ({reason or 'no reason given'})"
                alerts.append(_alert("token-refused", event, profile, actor_id, message, reason=reason))
                alerts.extend(_scope_alerts(event, profile))
        elif event_type in INVALID_CREDENTIALS_EVENT_TYPES:
            if profile is not None:
                message = f"{profile.identity}: a token request failed client authentication"
                alerts.append(_alert("invalid-client-credentials", event, profile, actor_id, message))
        elif event_type.startswith(TAMPER_PREFIXES):
            if actor_id not in deployers and _names_an_agent(raw, detections):
                target = raw.get("target")
                targets = [
                    t.get("displayName") or t.get("id")
                    for t in (target if isinstance(target, list) else ())
                    if isinstance(t, dict)
                ]
                message = f"{event_type} by {_actor_name(actor, actor_id)}, not the deploying principal" + (
                    f" (target: {', '.join(str(t) for t in targets)})" if targets else ""
                )
                alerts.append(
                    _alert(
                        "identity-tampering",
                        event,
                        None,
                        None,
                        message,
                        event_type=event_type,
                        actor=actor_id,
                        targets=targets,
                    )
                )
        elif event_type.startswith(LOG_STREAM_PREFIX):
            message = f"{event_type} by {_actor_name(actor, actor_id)}"
            alerts.append(
                _alert("log-stream-change", event, None, None, message, event_type=event_type, actor=actor_id)
            )
        elif event_type.startswith(TRUSTED_SERVER_PREFIX) and actor_id not in deployers:
            alerts.append(_admin_alert("trusted-server-change", event, actor, actor_id))
        elif event_type.startswith(ZONE_PREFIX) and actor_id not in deployers:
            alerts.append(_admin_alert("network-zone-change", event, actor, actor_id))
    for bucket, (event, profile) in crossings.items():
        count = hourly[bucket]
        hour = event.published[:13] + ":00:00Z"
        uuid = event.raw.get("uuid")
        alerts.append(
            Alert(
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
        )
    alerts = _aggregate(alerts)
    alerts.sort(key=lambda a: (a.published, _SEVERITY_ORDER.get(a.severity, 9), a.detection, a.key))
    return Report(tuple(alerts), tuple(problems), len(unique), duplicates, tuple(conflicts))


def _aggregate(alerts: list[Alert]) -> list[Alert]:
    """One alert per detection and subject (identity, else client, else actor), from alerts raised in time order
    (events sorted stably by time): the first stands for the group, with the count, the last time and the first
    five keys. Rate alerts (one per identity and hour already) are left as they are."""
    groups: dict[tuple[str, Any], list[Alert]] = {}
    kept: list[Alert] = []
    for alert in alerts:
        if alert.detection == "token-rate-exceeded":
            kept.append(alert)
            continue
        subject = alert.identity or alert.client_id or alert.details.get("actor")
        groups.setdefault((alert.detection, subject), []).append(alert)
    for members in groups.values():
        kept.append(
            replace(
                members[0],
                count=len(members),
                last=max(a.published for a in members),
                sample=tuple(a.key for a in members[:5]),
            )
        )
    return kept


def reference_report(data: bytes, detections: DetectionSet) -> Report:
    events, problems = read_events(data)
    return judge(events, problems, detections)
