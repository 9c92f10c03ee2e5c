"""Sigma rules for the SIEM: one file per detection and identity, valid for pySigma's parser.

What one event decides (shadow agent, refused token, tampering, ...) is also written as Sigma, registry-wide, so a
stack whose log stream is Splunk (no EventBridge) still gets every detection. What needs counting or the clock is
written per identity, because every identity has its own profile:

* **tokens per hour** is a Sigma correlation rule (``type: event_count``, ``timespan: 1h``, ``group-by: actor.id``,
  ``condition: gt: max_tokens_per_hour``) over a base rule selecting the identity's grants. pySigma's Splunk
  backend turns it into ``| bin _time span=1h | stats count ... | search event_count > N``: UTC clock hours, which is
  what the offline detector counts too.
* **active hours**: Sigma has no time-of-day modifier, and Splunk's ``date_hour`` is in the indexer's local time. Okta's
  ``published`` is an ISO 8601 UTC string (``2026-12-01T14:03:22.123Z``), so the window is a regular expression over
  it (``published|re``) listing the hours and minutes *outside* the window. Tests check the expression against the
  profile for every minute of the day.
* **scopes outside the set**: ``requestedScopes`` is one string, which Okta writes ``"a, b, c"`` (public samples:
  tests/fixtures/detect/public/README.md); a negative look-ahead regex, splitting on commas and whitespace alike,
  finds a scope that is not one of the declared ones (PCRE in Splunk, and Python ``re`` for pySigma's validation).
* **network zones**: a grant whose ``client.ipAddress`` is in none of the identity's zone gateways (``|cidr``).
* **admin changes** name their target in ``target[]``; Sigma's ``target.id`` / ``target.displayName`` match any
  element, so tampering, secret reads and API grants are limited to the agents' apps (client id or ``agentid:``
  label), policies and rules (named after the identity), custom scopes and authorization server.

Rule ids are UUIDv5 of (detection, identity): stable across runs, so a SIEM updates a rule instead of duplicating it.

**Client ids, not labels.** The EventBridge rules recognise agents by their app label prefix (``agentid:``, see
:mod:`agentid.detect.labels`) so that they never change when an agent is added; Sigma rules list the registry's
client ids instead, as the offline detector does. A SIEM has no pattern size limit, and an id cannot be borrowed by
relabelling an app: an app created outside the registry and labelled ``agentid:...`` by hand escapes EventBridge's
shadow-agent rule but not this one. The price is regeneration: run ``agentid detections --client-ids`` after every
deploy that adds or removes an agent.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

import yaml

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
from agentid.detect.labels import AGENT_LABEL_PREFIX

_NAMESPACE = uuid.UUID("6f1d3c2e-8a4b-5c9d-9e0f-a1b2c3d4e5f6")
LOGSOURCE = {"product": "okta", "service": "okta"}
AUTHOR = "agentid (generated from agents/*.yaml; do not edit, regenerate with `agentid detections`)"


def literal(value: str) -> str:
    """``value`` as a Sigma rule must carry it to be matched literally: in a plain Sigma string ``*`` and ``?`` are
    wildcards and ``\\`` escapes them, so an id written as is could match every actor (``*``) and disagree with
    EventBridge, which compares literally. Ids are checked as Okta ids where they enter (CLI, stack config, client
    id files, profiles); escaping here covers whatever reaches a rule regardless."""
    return value.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")


def _literals(values: Iterable[str]) -> list[str]:
    return [literal(value) for value in values]


def rule_id(detection: str, identity: str = "") -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{detection}/{identity}"))


def _two_digits(values: Iterable[int]) -> str:
    """A compact alternation for a set of 00-59 style numbers: whole decades as ``d[0-9]``."""
    chosen = sorted(set(values))
    parts: list[str] = []
    for tens in sorted({v // 10 for v in chosen}):
        units = [v % 10 for v in chosen if v // 10 == tens]
        parts.append(f"{tens}[0-9]" if len(units) == 10 else "|".join(f"{tens}{u}" for u in units))
    return "|".join(parts)


def minutes_regex(minutes: Iterable[int]) -> str | None:
    """A regex matching an ISO timestamp (``...THH:MM...``) whose time of day is one of ``minutes``; None if empty."""
    by_hour: dict[int, list[int]] = {}
    for minute in minutes:
        by_hour.setdefault(minute // 60, []).append(minute % 60)
    if not by_hour:
        return None
    whole = [hour for hour, mins in by_hour.items() if len(mins) == 60]
    alternatives = []
    if whole:
        alternatives.append(f"(?:{_two_digits(whole)}):")
    for hour, mins in sorted(by_hour.items()):
        if len(mins) < 60:
            alternatives.append(f"{hour:02d}:(?:{_two_digits(mins)})")
    return "T(?:" + "|".join(alternatives) + ")"


def outside_scopes_regex(scopes: Iterable[str]) -> str:
    """A regex matching a scope list (``"a, b, c"`` as Okta writes it, or ``"a b c"``) that contains at least one scope
    not in ``scopes``: a scope starts at the beginning or after a comma or whitespace, and is allowed only if one of
    the declared names ends at the next comma, whitespace or end."""
    allowed = "|".join(re.escape(s) for s in sorted(scopes))
    return rf"(?:^|[\s,])(?!(?:{allowed})(?:[\s,]|$))[^\s,]+"


def _rule(
    detection: str, identity: str, title: str, description: str, detection_block: dict, **extra: object
) -> dict[str, object]:
    meta = DETECTIONS[detection]
    rule: dict[str, object] = {
        "title": title,
        "id": rule_id(detection, identity),
        "status": "stable",
        "description": description,
        "author": AUTHOR,
        "references": ["https://developer.okta.com/docs/reference/api/event-types/"],
        # OWASP ids are not a Sigma tag namespace (pySigma's validators and `sigma check` flag them): a custom field.
        "owasp": list(meta.tags),
        "logsource": dict(LOGSOURCE),
        "detection": detection_block,
        "falsepositives": [meta.response],
        "level": meta.severity,
    }
    rule.update(extra)
    return rule


def _grants_of(profile: IdentityProfile) -> dict[str, object]:
    return {"eventType": list(GRANT_EVENT_TYPES), "outcome.result": "SUCCESS", "actor.id": literal(profile.client_id)}


def identity_rules(profile: IdentityProfile) -> dict[str, list[dict[str, object]]]:
    """detection id -> the documents of its rule file for one identity (aggregate and time detections)."""
    who = f"{profile.identity} ({profile.client_id})"
    rules: dict[str, list[dict[str, object]]] = {}
    base_name = f"agentid_grants_{profile.identity.replace('-', '_')}"
    base = _rule(
        "token-rate-exceeded",
        profile.identity + "#grants",
        f"Tokens granted to {profile.identity}",
        f"Every access token Okta grants to {who}; counted by the correlation rule below.",
        {"selection": _grants_of(profile), "condition": "selection"},
        name=base_name,
        level="informational",
    )
    correlation = {
        "title": f"{profile.identity} exceeded {profile.max_tokens_per_hour} tokens per hour",
        "id": rule_id("token-rate-exceeded", profile.identity),
        "status": "stable",
        "description": f"{DETECTIONS['token-rate-exceeded'].description} Identity: {who}.",
        "author": AUTHOR,
        "correlation": {
            "type": "event_count",
            "rules": [base_name],
            "group-by": ["actor.id"],
            "timespan": "1h",
            "condition": {"gt": profile.max_tokens_per_hour},
        },
        "falsepositives": [DETECTIONS["token-rate-exceeded"].response],
        "level": DETECTIONS["token-rate-exceeded"].severity,
    }
    rules["token-rate-exceeded"] = [base, correlation]
    outside = minutes_regex(profile.inactive_minutes())
    if outside is not None:  # an agent active all day has no such rule
        rules["token-outside-active-hours"] = [
            _rule(
                "token-outside-active-hours",
                profile.identity,
                f"{profile.identity} obtained a token outside {profile.active_hours_utc} UTC",
                f"{DETECTIONS['token-outside-active-hours'].description} Identity: {who}.",
                {
                    "selection": _grants_of(profile),
                    "outside_hours": {"published|re": outside},
                    "condition": "selection and outside_hours",
                },
            )
        ]
    if profile.networks:
        rules["token-outside-network-zone"] = [
            _rule(
                "token-outside-network-zone",
                profile.identity,
                f"{profile.identity} obtained a token from outside {', '.join(profile.networks)}",
                f"{DETECTIONS['token-outside-network-zone'].description} Identity: {who}.",
                {
                    "selection": _grants_of(profile),
                    "inside_zones": {"client.ipAddress|cidr": list(profile.networks)},
                    "condition": "selection and not inside_zones",
                },
            )
        ]
    rules["scope-outside-profile"] = [
        _rule(
            "scope-outside-profile",
            profile.identity,
            f"{profile.identity} requested scopes outside {', '.join(sorted(profile.scopes))}",
            f"{DETECTIONS['scope-outside-profile'].description} Identity: {who}.",
            {
                # A granted or a refused request, as the offline detector judges (tests/detect/test_sigma_logic.py).
                "granted": {**_grants_of(profile)},
                "refused": {
                    "eventType": list(REFUSED_EVENT_TYPES),
                    "outcome.result": "FAILURE",
                    "actor.id": literal(profile.client_id),
                },
                "undeclared_scope": {"debugContext.debugData.requestedScopes|re": outside_scopes_regex(profile.scopes)},
                "condition": "(granted or refused) and undeclared_scope",
            },
        )
    ]
    return rules


def registry_rules(detections: DetectionSet) -> dict[str, list[dict[str, object]]]:
    """detection id -> documents for the single-event detections (the EventBridge ones, for Splunk stacks)."""
    ids = _literals(detections.client_ids)
    rules: dict[str, list[dict[str, object]]] = {}

    def single(detection: str, block: dict[str, object]) -> None:
        meta = DETECTIONS[detection]
        rules[detection] = [_rule(detection, "", meta.title, meta.description, block)]

    if ids:
        single(
            "token-refused",
            {
                "selection": {"eventType": list(REFUSED_EVENT_TYPES), "outcome.result": "FAILURE", "actor.id": ids},
                "condition": "selection",
            },
        )
        single(
            "invalid-client-credentials",
            {
                "selection": {"eventType": list(INVALID_CREDENTIALS_EVENT_TYPES), "actor.id": ids},
                "condition": "selection",
            },
        )
    shadow: dict[str, object] = {
        "selection": {
            "eventType": list(GRANT_EVENT_TYPES),
            "outcome.result": "SUCCESS",
            "debugContext.debugData.grantType": CLIENT_CREDENTIALS,
        },
        "condition": "selection",
    }
    if detections.known_client_ids:
        shadow["registered"] = {"actor.id": _literals(detections.known_client_ids)}
        shadow["condition"] = "selection and not registered"
    single("shadow-agent-token", shadow)
    inactive = _literals(sorted(p.client_id for p in detections.inactive()))
    if inactive:
        single(
            "inactive-agent-token",
            {
                "selection": {"eventType": list(GRANT_EVENT_TYPES), "outcome.result": "SUCCESS", "actor.id": inactive},
                "condition": "selection",
            },
        )
    agent_target = _agent_target(detections)

    def admin(detection: str, selection: dict[str, object], *, on_agents: bool, by_anyone: bool) -> None:
        block: dict[str, object] = {"selection": selection}
        condition = "selection"
        if on_agents:
            block["agent_target"] = agent_target
            condition += " and agent_target"
        if detections.deployer_ids and not by_anyone:
            block["deployer"] = {"actor.id": _literals(detections.deployer_ids)}
            condition += " and not deployer"
        block["condition"] = condition
        single(detection, block)

    admin("identity-tampering", {"eventType|startswith": list(TAMPER_PREFIXES)}, on_agents=True, by_anyone=False)
    single("log-stream-change", {"selection": {"eventType|startswith": LOG_STREAM_PREFIX}, "condition": "selection"})
    admin("client-secret-read", {"eventType": list(SECRET_READ_EVENT_TYPES)}, on_agents=True, by_anyone=True)
    admin("agent-api-grant", {"eventType": list(API_GRANT_EVENT_TYPES)}, on_agents=True, by_anyone=False)
    admin("api-token-created", {"eventType": list(API_TOKEN_EVENT_TYPES)}, on_agents=False, by_anyone=True)
    admin("trusted-server-change", {"eventType|startswith": TRUSTED_SERVER_PREFIX}, on_agents=False, by_anyone=False)
    admin("network-zone-change", {"eventType|startswith": ZONE_PREFIX}, on_agents=False, by_anyone=False)
    if ids:
        single(
            "weak-client-auth",
            {
                "selection": {"eventType": list(GRANT_EVENT_TYPES), "outcome.result": "SUCCESS", "actor.id": ids},
                # Only events that say how the client authenticated (as offline and in EventBridge).
                "auth_recorded": {"debugContext.debugData.clientAuthType|exists": True},
                "signed_jwt": {"debugContext.debugData.clientAuthType": PRIVATE_KEY_JWT},
                "condition": "selection and auth_recorded and not signed_jwt",
            },
        )
    return rules


def _agent_target(detections: DetectionSet) -> list[dict[str, object]]:
    """Sigma's "one of the event's targets is an agent's": its app (client id or label), its policy (the identity's
    name) or rule (``<identity> client credentials``), a custom scope of theirs, or the agents' server."""
    names = sorted(
        {
            *(p.identity for p in detections.identities),
            *(f"{p.identity} client credentials" for p in detections.identities),
            *(s for p in detections.identities for s in p.scopes if not s.startswith("okta.")),
            *detections.auth_servers,
        }
    )
    ids = sorted({*detections.client_ids, *detections.auth_servers})
    alternatives: list[dict[str, object]] = [{"target.displayName|startswith": AGENT_LABEL_PREFIX}]
    if ids:
        alternatives.append({"target.id": _literals(ids)})
    if names:  # names and ids are literal values: a `*` in one must not become a wildcard matching everyone
        alternatives.append({"target.displayName": _literals(names)})
        alternatives.append({"target.alternateId": _literals(names)})
    return alternatives


def generate(detections: DetectionSet) -> dict[str, str]:
    """relative file path -> Sigma YAML text, for every rule of the set (sorted, byte-stable)."""
    files: dict[str, str] = {}
    for detection, documents in registry_rules(detections).items():
        files[f"{detection}.yml"] = _dump(documents)
    for profile in detections.identities:
        for detection, documents in identity_rules(profile).items():
            files[f"{profile.identity}/{detection}.yml"] = _dump(documents)
    return dict(sorted(files.items()))


def _dump(documents: list[dict[str, object]]) -> str:
    return yaml.safe_dump_all(documents, sort_keys=False, allow_unicode=True, width=200, explicit_start=True)
