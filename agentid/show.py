"""One agent's effective access, in every stack that deploys it: what ``agentid show NAME`` prints.

Everything a reviewer or an operator asks about one agent, from the same sources as the rest of the tool: the
registry (identities, scopes with their data domain and sensitivity, Okta management access, lifecycle, waivers),
each ``Pulumi.<stack>.yaml`` (token ceiling, network zone ids), the offline plan of each stack (the Okta resources
it would create for the agent) and the detections (which ones watch each identity, with the thresholds they use).

The view is plain data (:func:`build_view`), rendered as JSON as is and as text by the CLI.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentid.network_zones import NetworkZoneError, stack_file_zones
from agentid.registry.model import Agent, Catalog, Credentials

#: Okta's org authorization server mints management API tokens for a fixed 60 minutes (no setting shortens them).
OKTA_ORG_TOKEN_MINUTES = 60

TOKEN_LIMIT_KEY = "agentid:maxTokenLifetimeMinutes"

#: Detections about the org as a whole (a client nobody registered, the log stream), not about one identity.
_NOT_PER_IDENTITY = frozenset({"shadow-agent-token", "log-stream-change"})


@dataclass(frozen=True, slots=True)
class StackView:
    """What one stack holds about the agent: the inputs of :func:`build_view` for that stack."""

    stack: str
    environment: str
    max_token_lifetime_minutes: int | None = None
    #: zone name -> id in this stack's org (``agentid:networkZones``); empty when the stack defines none
    network_zones: Mapping[str, str] = field(default_factory=dict)
    #: why ``network_zones`` is empty though the stack file sets zones: the setting is invalid (the parser's
    #: message, naming the file and key)
    network_zones_error: str | None = None
    #: the planned resources owned by the agent (``None``: not planned, ``note`` says why)
    resources: Sequence[Mapping[str, Any]] | None = None
    note: str | None = None


def stack_settings(root: Path) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Each ``Pulumi.<stack>.yaml``'s ``config`` mapping, and for each file that cannot be read or parsed, why (the
    plan's own message, naming the file and the line): `show` says so on that stack rather than leave it out, which
    would read as "no stack deploys this environment"."""
    from agentid.plan.stackfile import PlanError, read_yaml

    settings: dict[str, dict[str, Any]] = {}
    unreadable: dict[str, str] = {}
    for path in sorted(root.glob("Pulumi.*.yaml")):
        stack = path.name[len("Pulumi.") : -len(".yaml")]
        try:
            data = read_yaml(path) or {}
        except PlanError as exc:
            unreadable[stack] = str(exc)
            continue
        config = data.get("config") if isinstance(data, dict) else None
        settings[stack] = config if isinstance(config, dict) else {}
    return settings, unreadable


def _unwrap(value: Any) -> Any:
    """Pulumi's ``{value: ...}`` form of a structured config value."""
    if isinstance(value, dict) and set(value) == {"value"}:
        return value["value"]
    return value


def zone_ids(config: Mapping[str, Any], stack: str) -> tuple[dict[str, str], str | None]:
    """``agentid:networkZones`` as zone name -> id, read by the deploy's own parser (:mod:`agentid.network_zones`,
    so a bare-id zone resolves here as it does at ``pulumi up``), and the parser's message when the setting is
    invalid. ``show`` is informational: an invalid setting resolves no zone and is reported on the stack, not
    raised (its plan fails with the same message; ``agentid check`` and ``plan`` are where it fails)."""
    try:
        zones = stack_file_zones(config, f"Pulumi.{stack}.yaml")
    except NetworkZoneError as exc:
        return {}, str(exc)
    return {name: zone.id for name, zone in zones.items()}, None


def token_limit(config: Mapping[str, Any]) -> int | None:
    try:
        return int(_unwrap(config.get(TOKEN_LIMIT_KEY)))
    except (TypeError, ValueError):
        return None


def _days(day: dt.date | None, today: dt.date) -> int | None:
    return None if day is None else (day - today).days


def _credentials(credentials: Credentials) -> dict[str, Any]:
    if credentials.jwks_uri:
        return {"jwks_uri": credentials.jwks_uri}
    return {"keys": [{"kid": key.kid, "kty": key.kty, "alg": key.alg} for key in credentials.keys]}


def _scopes(names: Sequence[str], reasons: Mapping[str, str], catalog: Catalog) -> list[dict[str, Any]]:
    rows = []
    for name in names:
        info = catalog.scope(name)
        rows.append(
            {
                "name": name,
                "domain": info.domain if info else None,
                "sensitivity": info.sensitivity.value if info else None,
                "reason": reasons.get(name),
            }
        )
    return rows


def identities(agent: Agent, catalog: Catalog) -> list[dict[str, Any]]:
    """The agent's identity, then each plugin's: scopes with domain and sensitivity, Okta management access and the
    lifetime of each kind of token it can get."""
    reasons = {grant.name: grant.reason for grant in agent.access.scopes}
    rows = [
        _identity(
            agent.name,
            "agent",
            agent.description,
            agent.access.scope_names,
            agent.access.okta_api_scopes,
            agent.access.okta_admin_roles,
            agent.credentials,
            agent.access.token_lifetime_minutes,
            reasons,
            catalog,
        )
    ]
    for plugin in agent.plugins:
        rows.append(
            _identity(
                plugin.identity_name(agent.name),
                "plugin",
                plugin.description,
                plugin.scopes,
                plugin.okta_api_scopes,
                plugin.okta_admin_roles,
                plugin.credentials,
                agent.access.token_lifetime_minutes,
                reasons,
                catalog,
            )
        )
    return rows


def _identity(
    name: str,
    kind: str,
    description: str,
    scopes: Sequence[str],
    okta_api_scopes: Sequence[str],
    okta_admin_roles: Sequence[str],
    credentials: Credentials,
    lifetime: int,
    reasons: Mapping[str, str],
    catalog: Catalog,
) -> dict[str, Any]:
    return {
        "identity": name,
        "kind": kind,
        "description": description,
        "credentials": _credentials(credentials),
        "scopes": _scopes(scopes, reasons, catalog),
        # custom scopes come from the stack's authorization server, with the agent's lifetime
        "token_lifetime_minutes": lifetime if scopes else None,
        "okta_api_scopes": list(okta_api_scopes),
        "okta_admin_roles": list(okta_admin_roles),
        # Okta management scopes come from the org authorization server, whose tokens always live 60 minutes
        "okta_token_lifetime_minutes": OKTA_ORG_TOKEN_MINUTES if okta_api_scopes else None,
    }


def detections_for(agent: Agent) -> list[dict[str, Any]]:
    """The detections that watch the agent's identities, each with what it compares their activity to."""
    from agentid.detect.definitions import DETECTIONS

    names = [agent.name, *(p.identity_name(agent.name) for p in agent.plugins)]
    profile = agent.profile
    watches = {
        "token-rate-exceeded": f"more than {profile.max_tokens_per_hour} tokens in one UTC hour",
        "token-outside-active-hours": f"a token outside {profile.active_hours_utc} UTC",
        "scope-outside-profile": "a requested scope the identity does not declare",
        "inactive-agent-token": (
            f"a token after {agent.lifecycle.expires.isoformat()} (expiry)"
            if agent.lifecycle.expires
            else "a token while its app is INACTIVE (no expiry set)"
        ),
    }
    rows = []
    for detection in DETECTIONS.values():
        if detection.id in _NOT_PER_IDENTITY:
            continue
        rows.append(
            {
                "id": detection.id,
                "title": detection.title,
                "severity": detection.severity,
                "identities": names,
                "watches": watches.get(detection.id, detection.title.lower()),
            }
        )
    return rows


def build_view(
    agent: Agent, catalog: Catalog, *, today: dt.date, stacks: Sequence[StackView], known_stacks: Sequence[str]
) -> dict[str, Any]:
    """Everything ``agentid show`` reports about ``agent``, as JSON-ready data. ``stacks`` are the stacks that
    deploy it; ``known_stacks`` every configured stack (to say which environment names none)."""
    lifecycle = agent.lifecycle
    purpose = catalog.purposes.get(agent.purpose)
    deployed = {view.environment for view in stacks}
    return {
        "agent": agent.name,
        "file": agent.file,
        "description": agent.description,
        "owners": list(agent.owners),
        "team": agent.team,
        "purpose": agent.purpose,
        "purpose_domains": sorted(purpose.domains) if purpose else [],
        "environments": list(agent.environments),
        "environments_without_stack": [env for env in agent.environments if env not in deployed],
        "today": today.isoformat(),
        "lifecycle": {
            "kind": lifecycle.kind.value,
            "review_by": lifecycle.review_by.isoformat(),
            "review_in_days": _days(lifecycle.review_by, today),
            "expires": lifecycle.expires.isoformat() if lifecycle.expires else None,
            "expires_in_days": _days(lifecycle.expires, today),
            "expired": lifecycle.is_expired(today),
        },
        "profile": {
            "max_tokens_per_hour": agent.profile.max_tokens_per_hour,
            "active_hours_utc": agent.profile.active_hours_utc,
        },
        "identities": identities(agent, catalog),
        "network_zones": [
            {"name": zone, "ids": {view.stack: view.network_zones.get(zone) for view in stacks}}
            for zone in agent.access.network_zones
        ],
        "stacks": [
            {
                "stack": view.stack,
                "environment": view.environment,
                "max_token_lifetime_minutes": view.max_token_lifetime_minutes,
                "network_zones": {zone: view.network_zones.get(zone) for zone in agent.access.network_zones},
                "network_zones_error": view.network_zones_error,
                "resources": None if view.resources is None else [dict(r) for r in view.resources],
                "note": view.note,
            }
            for view in stacks
        ],
        "known_stacks": list(known_stacks),
        "detections": detections_for(agent),
        "waivers": [
            {
                "rule": waiver.rule,
                "reason": waiver.reason,
                "approved_by": waiver.approved_by,
                "expires": waiver.expires.isoformat(),
                "expires_in_days": _days(waiver.expires, today),
                "expired": waiver.expires < today,
            }
            for waiver in agent.waivers
        ],
    }


__all__ = ["StackView", "build_view", "detections_for", "identities", "stack_settings", "token_limit", "zone_ids"]
