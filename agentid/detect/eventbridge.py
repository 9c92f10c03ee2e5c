"""EventBridge event patterns for the single-event detections.

Okta's log stream puts each System Log event on the partner event bus as ``detail-type: SystemLog`` from
``aws.partner/okta.com/<org>/<event source name>``, with the LogEvent in ``detail``. Each detection becomes one
pattern over that envelope.

Patterns are built from plain values (:class:`PatternInputs`) rather than from the registry because the real
program only learns client ids when Okta mints them: the Pulumi component resolves the client-id Outputs and calls
:func:`build_patterns` inside ``Output.apply``; the offline plan and the moto tests call it with the offline ids.

Only operators that AWS documents *and* moto implements faithfully are used (plain value lists, ``prefix``,
``anything-but``, ``exists`` on leaves, ``numeric``): moto silently matches everything on an operator it does not
know, so a pattern using one would pass every test and still be wrong. :data:`SAFE_OPERATORS` is checked by tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agentid.detect.definitions import (
    CLIENT_CREDENTIALS,
    DETAIL_TYPE,
    GRANT_EVENT_TYPES,
    INVALID_CREDENTIALS_EVENT_TYPES,
    LOG_STREAM_PREFIX,
    PARTNER_SOURCE_PREFIX,
    REFUSED_EVENT_TYPES,
    TAMPER_PREFIXES,
    DetectionSet,
)

#: Pattern operators the generated rules may use (see the module docstring for why this is closed).
SAFE_OPERATORS = frozenset({"prefix", "anything-but", "exists", "numeric"})


@dataclass(frozen=True, slots=True)
class PatternInputs:
    """Everything the patterns depend on, as plain sorted values."""

    registry_client_ids: tuple[str, ...]
    inactive_client_ids: tuple[str, ...] = ()
    #: registry ids plus allowed non-agent clients: tokens to anyone else are a shadow agent
    known_client_ids: tuple[str, ...] = ()
    deployer_ids: tuple[str, ...] = ()
    #: the exact partner event source, or None to accept any Okta partner source
    event_source: str | None = None

    @classmethod
    def from_detection_set(cls, detections: DetectionSet, event_source: str | None = None) -> PatternInputs:
        return cls(
            registry_client_ids=detections.client_ids,
            inactive_client_ids=tuple(sorted(p.client_id for p in detections.inactive())),
            known_client_ids=detections.known_client_ids,
            deployer_ids=detections.deployer_ids,
            event_source=event_source,
        )


def partner_event_source(org_name: str, event_source_name: str) -> str:
    """The partner event source (and event bus) name Okta creates for a log stream."""
    return f"{PARTNER_SOURCE_PREFIX}/{org_name}/{event_source_name}"


def _envelope(inputs: PatternInputs, detail: Mapping[str, Any]) -> dict[str, Any]:
    source: list[Any] = [inputs.event_source] if inputs.event_source else [{"prefix": PARTNER_SOURCE_PREFIX + "/"}]
    return {"source": source, "detail-type": [DETAIL_TYPE], "detail": dict(detail)}


def _values(values: Iterable[str]) -> list[str]:
    return sorted(set(values))


def build_patterns(inputs: PatternInputs) -> dict[str, dict[str, Any]]:
    """detection id -> EventBridge pattern. A detection with nothing to match (no expired agent) has no pattern:
    EventBridge rejects an empty value list, and a rule that can never fire is noise in the console."""
    patterns: dict[str, dict[str, Any]] = {}
    registry_ids = _values(inputs.registry_client_ids)
    if registry_ids:
        patterns["token-refused"] = _envelope(
            inputs,
            {
                "eventType": list(REFUSED_EVENT_TYPES),
                "outcome": {"result": ["FAILURE"]},
                "actor": {"id": registry_ids},
            },
        )
        patterns["invalid-client-credentials"] = _envelope(
            inputs, {"eventType": list(INVALID_CREDENTIALS_EVENT_TYPES), "actor": {"id": registry_ids}}
        )
    known = _values([*inputs.known_client_ids, *inputs.registry_client_ids])
    shadow_actor: list[Any] = [{"anything-but": known}] if known else [{"exists": True}]
    patterns["shadow-agent-token"] = _envelope(
        inputs,
        {
            "eventType": list(GRANT_EVENT_TYPES),
            "outcome": {"result": ["SUCCESS"]},
            "debugContext": {"debugData": {"grantType": [CLIENT_CREDENTIALS]}},
            "actor": {"id": shadow_actor},
        },
    )
    inactive = _values(inputs.inactive_client_ids)
    if inactive:
        patterns["inactive-agent-token"] = _envelope(
            inputs,
            {"eventType": list(GRANT_EVENT_TYPES), "outcome": {"result": ["SUCCESS"]}, "actor": {"id": inactive}},
        )
    tamper: dict[str, Any] = {"eventType": [{"prefix": prefix} for prefix in TAMPER_PREFIXES]}
    if inputs.deployer_ids:
        tamper["actor"] = {"id": [{"anything-but": _values(inputs.deployer_ids)}]}
    patterns["identity-tampering"] = _envelope(inputs, tamper)
    # Any actor: Okta itself deactivates a failing stream, and that is exactly the change to hear about.
    patterns["log-stream-change"] = _envelope(inputs, {"eventType": [{"prefix": LOG_STREAM_PREFIX}]})
    return patterns


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
            elif isinstance(item, list):
                problems.append(f"{where}: nested list")
    else:
        problems.append(f"{'.'.join(path) or '<root>'}: a bare value must be inside a list")
    return problems
