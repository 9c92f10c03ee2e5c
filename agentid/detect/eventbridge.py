"""EventBridge event patterns for the single-event detections.

Okta's log stream puts each System Log event on the partner event bus as ``detail-type: SystemLog`` from
``aws.partner/okta.com/<org>/<event source name>``, with the LogEvent in ``detail``. Each detection becomes one
pattern over that envelope.

**What a pattern cannot do.** EventBridge matches whole values (or a prefix, suffix, wildcard): it cannot split a
string. Okta writes ``debugData.requestedScopes`` as one string, ``"a, b, c"``, so "a scope outside the agent's
set" is not expressible, whatever the separator; that detection (``scope-outside-profile``) is Sigma's (a regex
that accepts commas and spaces) and the offline detector's, and EventBridge still hears the refusal Okta logs for a
scope the policy does not grant (``token-refused``). Per-agent values (scopes, network zones, client ids) would
also make one rule per agent, against the constant rule count below. Nor can the tested operators reach into the
``target`` array of an admin event, so the admin-change rules cannot tell an agent's app or policy from another.

**Agents are recognised by their app label, never by client id.** Every agent app is labelled
``agentid:<identity>`` (``agentid:expired:<identity>`` once expired, :mod:`agentid.detect.labels`), and Okta names
the client of a token request in ``actor.displayName`` (its label) and ``actor.id`` (its client id). So the
per-agent detections test ``actor.displayName`` with one ``prefix``, and the shadow-agent rule is "a
client-credentials grant whose ``actor.displayName`` is ``anything-but`` that prefix and whose ``actor.id`` is
``anything-but`` the allowed non-agent clients". The patterns depend on the stack's configuration only (event source,
deployer and allowed ids), not on the registry: a constant 12 rules, whose patterns never change when an agent is
added or removed, and which need no client id Output from the deploy. The offline detector and the Sigma rules still
judge by client id (a SIEM has no pattern limit); docs/detections.md says what each catches that the other does not.

Only operators that AWS documents *and* moto implements faithfully are used (plain value lists, ``prefix``,
``anything-but`` with a value list or with ``prefix``, ``exists`` on leaves, ``numeric``): moto silently matches
everything on an operator it does not know, so a pattern using one would pass every test and still be wrong.
:data:`SAFE_OPERATORS` is checked by tests. (moto 5.2.5 evaluates ``{"anything-but": {"prefix": p}}`` as ``not
value.startswith(p)`` on a present string value and never matches a missing field, as AWS documents.)

**Size.** AWS limits an event pattern to 2,048 characters by default (4,096 after a Service Quotas increase). The
patterns are a few hundred characters; only the ``deployerIds``/``allowedClientIds`` lists of the stack's
configuration can grow them, so :func:`check_pattern_size` still fails a plan or deploy that would exceed
``agentid:detections.maxPatternChars``, naming the rule, before AWS's PutRule would.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agentid.detect.definitions import (
    API_GRANT_EVENT_TYPES,
    API_TOKEN_EVENT_TYPES,
    CLIENT_CREDENTIALS,
    DETAIL_TYPE,
    GRANT_EVENT_TYPES,
    INVALID_CREDENTIALS_EVENT_TYPES,
    LOG_STREAM_PREFIX,
    PARTNER_SOURCE_PREFIX,
    PRIVATE_KEY_JWT,
    REFUSED_EVENT_TYPES,
    SECRET_READ_EVENT_TYPES,
    TAMPER_PREFIXES,
    TRUSTED_SERVER_PREFIX,
    ZONE_PREFIX,
    DetectionSet,
)
from agentid.detect.labels import AGENT_LABEL_PREFIX, EXPIRED_LABEL_PREFIX

#: Pattern operators the generated rules may use (see the module docstring for why this is closed).
SAFE_OPERATORS = frozenset({"prefix", "anything-but", "exists", "numeric"})

#: AWS's default event pattern size quota (characters), and the most a Service Quotas increase grants.
DEFAULT_MAX_PATTERN_CHARS = 2048
AWS_MAX_PATTERN_CHARS = 4096
#: The smallest ``maxPatternChars`` a stack may set: the longest pattern without any configured id is below it.
MIN_PATTERN_CHARS = 512
SHADOW = "shadow-agent-token"


@dataclass(frozen=True, slots=True)
class PatternInputs:
    """Everything the patterns depend on: the stack's configuration, never the registry."""

    #: non-agent clients whose client-credentials tokens are expected (the deployers' own service apps included)
    allowed_client_ids: tuple[str, ...] = ()
    #: principals whose changes to agent identities are expected
    deployer_ids: tuple[str, ...] = ()
    #: the exact partner event source, or None to accept any Okta partner source
    event_source: str | None = None

    @classmethod
    def from_detection_set(cls, detections: DetectionSet, event_source: str | None = None) -> PatternInputs:
        return cls.of(detections.allowed_client_ids, detections.deployer_ids, event_source)

    @classmethod
    def of(
        cls, allowed_client_ids: Iterable[str], deployer_ids: Iterable[str], event_source: str | None = None
    ) -> PatternInputs:
        """Sorted and de-duplicated, with the deployers allowed too: the deployer's own service app gets
        client-credentials tokens from the org server to run ``pulumi up``."""
        deployers = tuple(sorted(set(deployer_ids)))
        return cls(tuple(sorted({*allowed_client_ids, *deployers})), deployers, event_source)


def partner_event_source(org_name: str, event_source_name: str) -> str:
    """The partner event source (and event bus) name Okta creates for a log stream."""
    return f"{PARTNER_SOURCE_PREFIX}/{org_name}/{event_source_name}"


def _envelope(inputs: PatternInputs, detail: Mapping[str, Any]) -> dict[str, Any]:
    source: list[Any] = [inputs.event_source] if inputs.event_source else [{"prefix": PARTNER_SOURCE_PREFIX + "/"}]
    return {"source": source, "detail-type": [DETAIL_TYPE], "detail": dict(detail)}


def _values(values: Iterable[str]) -> list[str]:
    return sorted(set(values))


def build_patterns(inputs: PatternInputs) -> dict[str, dict[str, Any]]:
    """detection id -> EventBridge pattern, for every single-event detection (always the same twelve)."""
    agent = [{"prefix": AGENT_LABEL_PREFIX}]
    patterns: dict[str, dict[str, Any]] = {
        "token-refused": _envelope(
            inputs,
            {
                "eventType": list(REFUSED_EVENT_TYPES),
                "outcome": {"result": ["FAILURE"]},
                "actor": {"displayName": agent},
            },
        ),
        "invalid-client-credentials": _envelope(
            inputs, {"eventType": list(INVALID_CREDENTIALS_EVENT_TYPES), "actor": {"displayName": agent}}
        ),
    }
    # Not an agent's app (by label) and not an allowed client (by id): both must hold, so the allowed ids are a
    # fixed-size list from the stack's configuration and the rule never depends on the registry.
    shadow_actor: dict[str, Any] = {"displayName": [{"anything-but": {"prefix": AGENT_LABEL_PREFIX}}]}
    if inputs.allowed_client_ids:
        shadow_actor["id"] = [{"anything-but": _values(inputs.allowed_client_ids)}]
    patterns[SHADOW] = _envelope(
        inputs,
        {
            "eventType": list(GRANT_EVENT_TYPES),
            "outcome": {"result": ["SUCCESS"]},
            "debugContext": {"debugData": {"grantType": [CLIENT_CREDENTIALS]}},
            "actor": shadow_actor,
        },
    )
    patterns["inactive-agent-token"] = _envelope(
        inputs,
        {
            "eventType": list(GRANT_EVENT_TYPES),
            "outcome": {"result": ["SUCCESS"]},
            "actor": {"displayName": [{"prefix": EXPIRED_LABEL_PREFIX}]},
        },
    )
    not_deployer: dict[str, Any] = {}
    if inputs.deployer_ids:
        not_deployer["actor"] = {"id": [{"anything-but": _values(inputs.deployer_ids)}]}
    # The target of an admin change is an array of objects (``target[].id``/``displayName``), which the operators
    # tested here cannot express: these rules fire on every such change by anyone but the deployer, agent or not
    # (the offline detector and Sigma, which see the target, alert only on the agents').
    patterns["identity-tampering"] = _envelope(
        inputs, {"eventType": [{"prefix": prefix} for prefix in TAMPER_PREFIXES], **not_deployer}
    )
    # Any actor: Okta itself deactivates a failing stream, and that is exactly the change to hear about.
    patterns["log-stream-change"] = _envelope(inputs, {"eventType": [{"prefix": LOG_STREAM_PREFIX}]})
    # Any actor: agent apps have no secret to read, and the deployer never needs an SSWS token.
    patterns["client-secret-read"] = _envelope(inputs, {"eventType": list(SECRET_READ_EVENT_TYPES)})
    patterns["api-token-created"] = _envelope(inputs, {"eventType": list(API_TOKEN_EVENT_TYPES)})
    patterns["agent-api-grant"] = _envelope(inputs, {"eventType": list(API_GRANT_EVENT_TYPES), **not_deployer})
    patterns["trusted-server-change"] = _envelope(
        inputs, {"eventType": [{"prefix": TRUSTED_SERVER_PREFIX}], **not_deployer}
    )
    patterns["network-zone-change"] = _envelope(inputs, {"eventType": [{"prefix": ZONE_PREFIX}], **not_deployer})
    # A grant to an agent (by label) whose client authenticated otherwise than with a signed JWT. ``anything-but``
    # never matches a missing field, so an event without clientAuthType raises nothing, as offline.
    patterns["weak-client-auth"] = _envelope(
        inputs,
        {
            "eventType": list(GRANT_EVENT_TYPES),
            "outcome": {"result": ["SUCCESS"]},
            "actor": {"displayName": agent},
            "debugContext": {"debugData": {"clientAuthType": [{"anything-but": [PRIVATE_KEY_JWT]}]}},
        },
    )
    return patterns


def pattern_json(pattern: Mapping[str, Any]) -> str:
    """The pattern exactly as the program sends it (pulumi-aws passes ``eventPattern`` through as this JSON text):
    sorted keys for stable diffs, compact separators because every character counts against the quota."""
    return json.dumps(pattern, sort_keys=True, separators=(",", ":"))


def checked_patterns(inputs: PatternInputs, max_chars: int) -> dict[str, str]:
    """detection id -> the pattern JSON the stack deploys, each checked against ``max_chars`` (the Detections
    component and ``agentid detections`` call this, so both fail the same way on an oversized pattern)."""
    return {
        detection: check_pattern_size(f"agentid-{detection}", pattern_json(pattern), max_chars)
        for detection, pattern in build_patterns(inputs).items()
    }


class PatternTooLongError(ValueError):
    """An EventBridge pattern would exceed the stack's size limit: AWS's PutRule would reject it at deploy."""


def check_pattern_size(rule_name: str, text: str, max_chars: int) -> str:
    """Return ``text`` if it fits, else fail the plan or deploy with what to do."""
    if len(text) > max_chars:
        raise PatternTooLongError(
            f"the EventBridge pattern of rule `{rule_name}` is {len(text)} characters, over the limit of {max_chars} "
            "(agentid:detections.maxPatternChars; AWS's default quota is 2048, at most 4096 after a Service Quotas "
            "increase). The patterns list only the stack's agentid:detections.deployerIds and allowedClientIds: "
            f"shorten those lists, or raise maxPatternChars (up to {AWS_MAX_PATTERN_CHARS}) once AWS has raised the "
            "quota."
        )
    return text


def operators_used(pattern: Any) -> set[str]:
    """Every operator name in a pattern (keys of objects found inside value lists), for the allow-list check."""
    found: set[str] = set()
    if isinstance(pattern, dict):
        for value in pattern.values():
            found |= operators_used(value)
    elif isinstance(pattern, list):
        for item in pattern:
            if isinstance(item, dict):
                found |= set(item)
                for inner in item.values():
                    if isinstance(inner, dict):  # e.g. {"anything-but": {"prefix": ...}}
                        found |= set(inner)
    return found


def unsafe_constructs(pattern: Any, path: Sequence[str] = ()) -> list[str]:
    """Constructs moto would silently mis-evaluate: unknown operators and ``exists: false`` (which moto matches on
    objects too). Returns readable descriptions, empty when the pattern is safe to test with moto."""
    problems: list[str] = []
    if isinstance(pattern, dict):
        for key, value in pattern.items():
            problems += unsafe_constructs(value, (*path, key))
    elif isinstance(pattern, list):
        where = ".".join(path) or "<root>"
        if not pattern:
            problems.append(f"{where}: empty value list (EventBridge rejects it)")
        for item in pattern:
            if isinstance(item, dict):
                for operator, argument in item.items():
                    if operator not in SAFE_OPERATORS:
                        problems.append(f"{where}: operator {operator!r} is not in the allow-list")
                    if operator == "exists" and argument is not True:
                        problems.append(f"{where}: exists:{argument!r} (moto matches it on objects too)")
                    if isinstance(argument, dict):
                        problems += [f"{where}: nested operator {op!r}" for op in argument if op not in SAFE_OPERATORS]
                        if operator == "anything-but" and not isinstance(argument.get("prefix", ""), str):
                            # moto's nested prefix takes a list as "any of"; AWS documents a single string here.
                            problems.append(f"{where}: anything-but prefix must be one string")
            elif isinstance(item, list):
                problems.append(f"{where}: nested list")
    else:
        problems.append(f"{'.'.join(path) or '<root>'}: a bare value must be inside a list")
    return problems
