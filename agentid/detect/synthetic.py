"""A deterministic synthetic day of Okta System Log traffic for a registry, with planted anomalies.

It proves the detections end to end (every planted anomaly found, no alarm on normal traffic: precision and recall)
and gives benchmarks a realistic workload. Events follow Okta's LogEvent shape (actor, client, outcome,
authenticationContext, securityContext, debugContext.debugData, target, transaction, uuid, published, ...), because a
detector tested on minimal dicts proves little about real exports.

Each agent app appears under its label (:func:`agentid.detect.labels.app_label`, ``agentid:<identity>``, or
``agentid:expired:<identity>`` for an expired agent's app), as Okta names the client in ``actor.displayName``: the
EventBridge rules recognise agents by it, so the same day can be put through them (tests/detect).

Normal traffic keeps to each profile: grants only inside ``active_hours_utc``, at most half of
``max_tokens_per_hour`` per hour, scopes from the declared set; plus noise a real org has (deployer changes, the
deployer's own tokens, people signing in). Delivery is made realistic too: some events are delivered twice and the
whole day is shuffled (Okta's stream is at-least-once and unordered).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import random
import uuid as uuid_mod
from dataclasses import dataclass
from typing import Any

from agentid.detect.definitions import DetectionSet, IdentityProfile
from agentid.detect.labels import app_label

AUTH_SERVER_ID = "aus8agents0registry7"
AUTH_SERVER_NAME = "agents"
DEPLOYER_ID = "0oa5pulumi0deployer7"
ADMIN_USER_ID = "00u3rogue0admin0x7q2"
SHADOW_CLIENT_ID = "0oa9shadow0scraper4x"
USER_IDS = ("00u1priya0raman0a1b", "00u2tom0becker00c3d", "00u4maria0lopez0e5f")


@dataclass(frozen=True, slots=True)
class SyntheticDay:
    """The events (in delivery order, duplicates included) and the alerts a correct detector must raise."""

    day: dt.date
    events: tuple[dict[str, Any], ...]
    #: (detection id, alert key): the event uuid, or ``YYYY-MM-DDTHH:00:00Z`` for a rate alert
    planted: frozenset[tuple[str, str]]


class _Builder:
    def __init__(self, seed: int, day: dt.date) -> None:
        self.rng = random.Random(seed)
        self.day = day

    def uuid(self) -> str:
        return str(uuid_mod.UUID(int=self.rng.getrandbits(128), version=4))

    def at(self, minute_of_day: int) -> str:
        second, milli = self.rng.randrange(60), self.rng.randrange(1000)
        return f"{self.day.isoformat()}T{minute_of_day // 60:02d}:{minute_of_day % 60:02d}:{second:02d}.{milli:03d}Z"

    def _client(self, ip: str, agent: str = "python-httpx/0.28.1") -> dict[str, Any]:
        return {
            "userAgent": {"rawUserAgent": agent, "os": "Unknown", "browser": "UNKNOWN"},
            "zone": "null",
            "device": "Unknown",
            "id": None,
            "ipAddress": ip,
            "geographicalContext": {
                "city": "Ashburn",
                "state": "Virginia",
                "country": "United States",
                "postalCode": "20149",
                "geolocation": {"lat": 39.0469, "lon": -77.4903},
            },
        }

    def _base(
        self, event_type: str, published: str, actor: dict[str, Any], message: str, ip: str | None = None
    ) -> dict[str, Any]:
        ip = ip or f"10.{self.rng.randrange(256)}.{self.rng.randrange(256)}.{self.rng.randrange(1, 255)}"
        request_id = f"{self.rng.getrandbits(64):016x}"
        return {
            "actor": actor,
            "client": self._client(ip),
            "device": None,
            "authenticationContext": {
                "authenticationProvider": None,
                "credentialProvider": None,
                "credentialType": None,
                "issuer": None,
                "interface": None,
                "authenticationStep": 0,
                "rootSessionId": "unknown",
                "externalSessionId": f"trs{request_id[:20]}",
            },
            "displayMessage": message,
            "eventType": event_type,
            "outcome": {"result": "SUCCESS", "reason": None},
            "published": published,
            "securityContext": {
                "asNumber": 14618,
                "asOrg": "amazon.com  inc.",
                "isp": "amazon.com  inc.",
                "domain": "amazonaws.com",
                "isProxy": False,
            },
            "severity": "INFO",
            "debugContext": {"debugData": {"requestId": request_id, "dtHash": f"{self.rng.getrandbits(128):032x}"}},
            "legacyEventType": None,
            "transaction": {"type": "WEB", "id": request_id, "detail": {}},
            "uuid": self.uuid(),
            "version": "0",
            "request": {"ipChain": [{"ip": ip, "geographicalContext": None, "version": "V4", "source": None}]},
            "target": [],
        }

    def client_actor(self, client_id: str, name: str) -> dict[str, Any]:
        return {
            "id": client_id,
            "type": "PublicClientApp",
            "alternateId": client_id,
            "displayName": name,
            "detailEntry": None,
        }

    def token_event(
        self,
        client_id: str,
        name: str,
        minute: int,
        scopes: list[str],
        *,
        refused_reason: str | None = None,
        org_server: bool = False,
        ip: str | None = None,
        client_auth: str = "private_key_jwt",
    ) -> dict[str, Any]:
        """A client-credentials token grant (or its refusal) at the custom server, or the org server for okta.*.

        Scope lists are written as Okta writes them, ``"a, b, c"`` (see tests/fixtures/detect/public/), and the
        client's authentication in ``debugData.clientAuthType``, where public samples carry it."""
        prefix = "app.oauth2.token.grant" if org_server else "app.oauth2.as.token.grant"
        refused = refused_reason is not None
        event = self._base(
            prefix if refused else f"{prefix}.access_token",
            self.at(minute),
            self.client_actor(client_id, name),
            "OAuth2 access token request failed" if refused else "OAuth2 access token is granted",
            ip,
        )
        path = "/oauth2/v1/token" if org_server else f"/oauth2/{AUTH_SERVER_ID}/v1/token"
        event["debugContext"]["debugData"].update(
            {
                "requestUri": path,
                "url": f"{path}?",
                "grantType": "client_credentials",
                "requestedScopes": ", ".join(scopes),
                "clientAuthType": client_auth,
            }
        )
        if refused:
            event["outcome"] = {"result": "FAILURE", "reason": refused_reason}
            event["severity"] = "WARN"
            event["legacyEventType"] = f"{prefix}_failure"
        else:
            event["debugContext"]["debugData"].update({"grantedScopes": ", ".join(scopes), "expiresIn": "900"})
            event["legacyEventType"] = f"{prefix}.access_token_success"
            event["target"] = [
                {
                    "id": f"AT.{self.rng.getrandbits(96):024x}",
                    "type": "access_token",
                    "alternateId": None,
                    "displayName": "Access Token",
                    "detailEntry": {"subject": client_id, "expires": None, "hash": f"{self.rng.getrandbits(64):016x}"},
                }
            ]
        event["target"].append(
            {
                "id": "org" if org_server else AUTH_SERVER_ID,
                "type": "AuthorizationServer",
                "alternateId": "org" if org_server else AUTH_SERVER_NAME,
                "displayName": "Org Authorization Server" if org_server else AUTH_SERVER_NAME,
                "detailEntry": None,
            }
        )
        return event

    def invalid_credentials(self, client_id: str, name: str, minute: int) -> dict[str, Any]:
        event = self._base(
            "app.oauth2.invalid_client_credentials",
            self.at(minute),
            self.client_actor(client_id, name),
            "Invalid client credentials",
        )
        event["outcome"] = {"result": "FAILURE", "reason": "invalid_client"}
        event["severity"] = "WARN"
        event["debugContext"]["debugData"].update(
            {"grantType": "client_credentials", "clientAuthType": "private_key_jwt"}
        )
        return event

    def admin_change(
        self, event_type: str, actor: dict[str, Any], minute: int, target: dict[str, Any]
    ) -> dict[str, Any]:
        event = self._base(event_type, self.at(minute), actor, f"{event_type.rsplit('.', 1)[-1].title()} by admin")
        event["client"]["userAgent"]["rawUserAgent"] = "Pulumi/3.272 (okta provider 7.0.1)"
        event["target"] = [target]
        return event

    def user_actor(self, user_id: str, email: str) -> dict[str, Any]:
        return {
            "id": user_id,
            "type": "User",
            "alternateId": email,
            "displayName": email.split("@")[0],
            "detailEntry": None,
        }


def _app_target(profile: IdentityProfile) -> dict[str, Any]:
    return {
        "id": profile.client_id,
        "type": "AppInstance",
        "alternateId": profile.identity,
        "displayName": app_label(profile.identity),
        "detailEntry": None,
    }


def _ip_in(profile: IdentityProfile, rng: random.Random) -> str | None:
    """An address inside the identity's first zone gateway, or None (any address) when it declares none."""
    if not profile.networks:
        return None
    network = ipaddress.ip_network(profile.networks[0], strict=False)
    return str(network[rng.randrange(network.num_addresses)])


def _custom(profile: IdentityProfile) -> list[str]:
    """The identity's custom authorization-server scopes, sorted: its declared scopes but the Okta management ones
    (which only the org server mints, and a management identity holds nothing else)."""
    return sorted(s for s in profile.scopes if not s.startswith("okta."))


def synthetic_day(detections: DetectionSet, *, day: dt.date, seed: int = 20261201) -> SyntheticDay:
    """Normal traffic for every identity of ``detections`` plus one planted anomaly per detection.

    ``detections`` must allow :data:`DEPLOYER_ID` as deployer (its changes are normal traffic). Identities already
    expired on ``day`` produce no normal traffic (their apps are INACTIVE), and the first of them receives the planted
    inactive-agent grant; pick ``day`` after an agent's expiry to plant one.
    """
    b = _Builder(seed, day)
    events: list[dict[str, Any]] = []
    planted: set[tuple[str, str]] = set()
    profiles = list(detections.identities)
    live = [p for p in profiles if not p.is_expired_on(day)]

    # --- normal traffic -------------------------------------------------------------------------------------
    for profile in live:
        label = app_label(profile.identity)
        active_by_hour: dict[int, list[int]] = {}
        for minute, on in enumerate(profile.active_table):
            if on:
                active_by_hour.setdefault(minute // 60, []).append(minute)
        custom = _custom(profile)
        org_scopes = sorted(profile.scopes - set(custom))
        for minutes in active_by_hour.values():  # hours in order, as the minutes are
            for _ in range(b.rng.randint(1, max(1, profile.max_tokens_per_hour // 2))):
                minute = b.rng.choice(minutes)
                # A management identity (Okta scopes only) asks the org server every time.
                if org_scopes and (not custom or b.rng.random() < 0.3):
                    events.append(
                        b.token_event(
                            profile.client_id, label, minute, org_scopes, org_server=True, ip=_ip_in(profile, b.rng)
                        )
                    )
                else:
                    events.append(
                        b.token_event(
                            profile.client_id,
                            label,
                            minute,
                            sorted(b.rng.sample(custom, b.rng.randint(1, len(custom)))),
                            ip=_ip_in(profile, b.rng),
                        )
                    )
    deployer = b.client_actor(DEPLOYER_ID, "agentid-deployer")
    deployer["type"] = "PublicClientApp"
    for index, profile in enumerate(profiles[:3]):
        events.append(b.admin_change("app.oauth2.client.lifecycle.update", deployer, 600 + index, _app_target(profile)))
        events.append(
            b.admin_change(
                "policy.rule.update",
                deployer,
                605 + index,
                {
                    "id": f"0pr{index}rule",
                    "type": "PolicyRule",
                    "alternateId": "unknown",
                    "displayName": profile.identity,
                },
            )
        )
    for minute in (598, 599):  # the deployer's own management token from the org server
        events.append(b.token_event(DEPLOYER_ID, "agentid-deployer", minute, ["okta.apps.manage"], org_server=True))
    for user_id, email in zip(
        USER_IDS, ("priya.raman@example.com", "tom.becker@example.com", "maria.lopez@example.com"), strict=True
    ):
        for minute in (8 * 60 + b.rng.randrange(60), 13 * 60 + b.rng.randrange(60)):
            sso = b._base(
                "user.authentication.sso", b.at(minute), b.user_actor(user_id, email), "User single sign on to app"
            )
            sso["client"]["userAgent"]["rawUserAgent"] = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) Safari/605.1.15"
            events.append(sso)

    # --- planted anomalies ------------------------------------------------------------------------------------
    def plant(detections_hit: tuple[str, ...], event: dict[str, Any]) -> None:
        events.append(event)
        for detection in detections_hit:
            planted.add((detection, event["uuid"]))

    plant(
        ("shadow-agent-token",), b.token_event(SHADOW_CLIENT_ID, "crm-export-bot", 13 * 60 + 37, ["crm.accounts.read"])
    )
    by_name = {p.identity: p for p in live}
    # Each anomaly is planted on the first live identity that can show it.
    busy = next(p for p in live if p.max_tokens_per_hour < 60 and not p.is_active_minute(0) and _custom(p))
    burst_hour = next(h for h in range(24) if all(busy.is_active_minute(h * 60 + m) for m in range(60)))
    for _ in range(busy.max_tokens_per_hour + 8):
        minute = burst_hour * 60 + b.rng.randrange(60)
        events.append(
            b.token_event(busy.client_id, app_label(busy.identity), minute, _custom(busy), ip=_ip_in(busy, b.rng))
        )
    planted.add(("token-rate-exceeded", f"{day.isoformat()}T{burst_hour:02d}:00:00Z"))

    night = next(p for p in live if p.inactive_minutes() and p.identity != busy.identity)
    off_minute = night.inactive_minutes()[len(night.inactive_minutes()) // 2]
    plant(
        ("token-outside-active-hours",),
        b.token_event(
            night.client_id,
            app_label(night.identity),
            off_minute,
            sorted(night.scopes)[:1],
            org_server=not _custom(night),
            ip=_ip_in(night, b.rng),
        ),
    )

    refused = next(
        p
        for p in live
        if p.identity not in (busy.identity, night.identity) and any(p.active_table[9 * 60 :])  # active after 9:00
    )
    minute = next(m for m in range(9 * 60, 1440) if refused.is_active_minute(m))
    plant(
        ("token-refused", "scope-outside-profile"),
        b.token_event(
            refused.client_id,
            app_label(refused.identity),
            minute,
            [*sorted(refused.scopes)[:1], "payroll.read"],
            refused_reason="no_matching_scope",
            ip=_ip_in(refused, b.rng),
        ),
    )
    after_ten = [p for p in live if any(p.active_table[10 * 60 :])]
    drifted = next((p for p in after_ten if "--" in p.identity), refused)  # a plugin, when one works after 10:00
    minute = next(m for m in range(10 * 60, 1440) if drifted.is_active_minute(m))
    plant(
        ("scope-outside-profile",),
        b.token_event(
            drifted.client_id,
            app_label(drifted.identity),
            minute,
            [*sorted(drifted.scopes), "calendar.delete"],
            ip=_ip_in(drifted, b.rng),
        ),
    )
    creds = by_name.get("hr-onboarding-assistant") or live[-1]
    minute = next(m for m in range(9 * 60, 1440) if creds.is_active_minute(m))
    plant(("invalid-client-credentials",), b.invalid_credentials(creds.client_id, app_label(creds.identity), minute))
    expired = [p for p in profiles if p.is_expired_on(day)]
    if expired:
        # The app was deployed INACTIVE after expiry, so it carries the expired label (and someone reactivated it).
        expired_label = app_label(expired[0].identity, expired=True)
        plant(
            ("inactive-agent-token",),
            b.token_event(
                expired[0].client_id,
                expired_label,
                16 * 60 + 4,
                sorted(expired[0].scopes)[:1],
                org_server=not _custom(expired[0]),
                ip=_ip_in(expired[0], b.rng),
            ),
        )
    admin = b.user_actor(ADMIN_USER_ID, "j.doe.admin@example.com")
    plant(
        ("identity-tampering",),
        b.admin_change("app.oauth2.credentials.lifecycle.create", admin, 22 * 60 + 5, _app_target(live[0])),
    )
    plant(
        ("identity-tampering",),
        b.admin_change(
            "policy.rule.update",
            admin,
            22 * 60 + 9,
            {"id": "0pr7rule", "type": "PolicyRule", "alternateId": "unknown", "displayName": live[0].identity},
        ),
    )
    system = {
        "id": "0oa1okta0system00000",
        "type": "SystemPrincipal",
        "alternateId": "system@okta.com",
        "displayName": "Okta System",
        "detailEntry": None,
    }
    stream = b.admin_change(
        "system.log_stream.lifecycle.deactivate",
        system,
        15 * 60,
        {
            "id": "0Ox1eventbridge0stream",
            "type": "LogStream",
            "alternateId": "unknown",
            "displayName": "agentid-eventbridge",
        },
    )
    stream["outcome"] = {"result": "SUCCESS", "reason": "Log stream deactivated after repeated delivery failures"}
    plant(("log-stream-change",), stream)

    # --- the blind spots of issue 14: secrets, grants, client authentication, tokens, trust, zones, networks ----
    app = _app_target(live[0])
    plant(
        ("client-secret-read",),
        b.admin_change("app.oauth2.client.read_client_secret", admin, 22 * 60 + 12, app),
    )
    plant(
        ("agent-api-grant",),
        b.admin_change(
            "app.oauth2.admin.consent.grant",
            admin,
            22 * 60 + 14,
            app,
        ),
    )
    plant(
        ("api-token-created",),
        b.admin_change(
            "system.api_token.create",
            admin,
            22 * 60 + 16,
            {"id": "00T1rogue0token0x7q2", "type": "Token", "alternateId": "unknown", "displayName": "ci-backdoor"},
        ),
    )
    plant(
        ("trusted-server-change",),
        b.admin_change(
            "app.oauth2.trusted_server.add",
            admin,
            22 * 60 + 18,
            {"id": AUTH_SERVER_ID, "type": "AuthorizationServer", "alternateId": AUTH_SERVER_NAME, "displayName": "x"},
        ),
    )
    plant(
        ("network-zone-change",),
        b.admin_change(
            "zone.update",
            admin,
            22 * 60 + 20,
            {"id": "nzo1finance0batch0zone", "type": "NetworkZone", "alternateId": "unknown", "displayName": "batch"},
        ),
    )
    # The deployer's own policy change is normal traffic (the near miss of the tampering detection).
    events.append(
        b.admin_change(
            "policy.lifecycle.update",
            deployer,
            610,
            {
                "id": "00p1agents0policy0",
                "type": "PolicyEntity",
                "alternateId": "unknown",
                "displayName": live[0].identity,
            },
        )
    )
    # One more grant in an hour that held at most half the budget: no rate alert, whatever the hour.
    weak = next(
        (
            p
            for p in live
            if p.max_tokens_per_hour >= 4
            and _custom(p)
            and p.identity not in (busy.identity, night.identity)
            and any(p.active_table[11 * 60 :])
        ),
        None,
    )
    if weak is not None:
        minute = next(m for m in range(11 * 60, 1440) if weak.is_active_minute(m))
        plant(
            ("weak-client-auth",),
            b.token_event(
                weak.client_id,
                app_label(weak.identity),
                minute,
                _custom(weak)[:1],
                ip=_ip_in(weak, b.rng),
                client_auth="client_secret_basic",
            ),
        )
    zoned = next((p for p in live if p.networks and _custom(p)), None)
    minute = next((m for m in range(1440) if zoned and zoned.is_active_minute(m) and m // 60 != burst_hour), None)
    if zoned is not None and minute is not None:
        # An active minute outside the burst hour: one more grant there stays within the hourly budget.
        plant(
            ("token-outside-network-zone",),
            b.token_event(zoned.client_id, app_label(zoned.identity), minute, _custom(zoned)[:1], ip="198.51.100.23"),
        )

    # --- delivery: at-least-once and unordered ---------------------------------------------------------------
    delivered = list(events) + [e for e in events if b.rng.random() < 0.05]
    b.rng.shuffle(delivered)
    return SyntheticDay(day=day, events=tuple(delivered), planted=frozenset(planted))
