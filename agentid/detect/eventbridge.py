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

**Size.** AWS limits an event pattern to 2,048 characters by default (4,096 after a Service Quotas increase), and a
pattern listing every client id passes that at about 85 identities. So the per-client detections
(:data:`PER_CLIENT_DETECTIONS`) are split into *buckets*: an identity's bucket is a stable hash of its **name**
(known at plan time, unlike its client id) modulo a power of two chosen from the registry size and the stack's
``maxPatternChars`` (:func:`bucket_layout`). Adding or removing one identity changes only its own bucket's rule (an
in-place update), except when the registry crosses a doubling threshold: then every bucket splits in two (each old
rule loses about half its ids, in place, and as many new rules appear), and no identity ever moves between two old
buckets. The shadow-agent rule's ``anything-but`` list cannot be split (a shadow client would match every other
bucket's rule), so when it does not fit :func:`shadow_rule_fits` says so and the program declares none.
"""

from __future__ import annotations

import hashlib
import json
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

#: AWS's default event pattern size quota (characters), and the most a Service Quotas increase grants.
DEFAULT_MAX_PATTERN_CHARS = 2048
AWS_MAX_PATTERN_CHARS = 4096
#: Below this not even one client id fits next to the envelope of the longest per-client pattern.
MIN_PATTERN_CHARS = 512
#: An Okta client id is ``0oa`` + 17 characters. Buckets are sized for it at plan time, before Okta mints the ids;
#: the deploy re-checks the real patterns (:func:`check_pattern_size`).
OKTA_CLIENT_ID_CHARS = 20
#: Share of a bucket's capacity the registry may fill before the bucket count doubles: headroom for an unlucky hash
#: (one bucket fuller than the mean) and for long allowed/deployer ids.
BUCKET_FILL = 0.75
#: Detections whose pattern lists client ids one by one, and so can be split over several rules.
PER_CLIENT_DETECTIONS = ("token-refused", "invalid-client-credentials", "inactive-agent-token")
SHADOW = "shadow-agent-token"
#: More rules per detection than EventBridge's default 300 rules per bus could hold anyway.
MAX_BUCKETS = 1024


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


def pattern_json(pattern: Mapping[str, Any]) -> str:
    """The pattern exactly as the program sends it (pulumi-aws passes ``eventPattern`` through as this JSON text):
    sorted keys for stable diffs, compact separators because every character counts against the quota."""
    return json.dumps(pattern, sort_keys=True, separators=(",", ":"))


# ----------------------------------------------------------------------------------------------- buckets


def identity_hash(identity: str) -> int:
    """A hash of the identity name that never changes between runs or machines (unlike ``hash()``)."""
    return int.from_bytes(hashlib.sha256(identity.encode()).digest()[:8], "big")


def bucket_of(identity: str, buckets: int) -> int:
    """Which of ``buckets`` (a power of two) holds ``identity``. Doubling ``buckets`` sends an identity of bucket
    ``b`` to ``b`` or ``b + buckets``: buckets only ever split."""
    return identity_hash(identity) % buckets


def rule_suffix(bucket: int) -> str:
    """Bucket 0 keeps the name the single rule always had, so a stack that outgrows one rule updates it in place."""
    return "" if bucket == 0 else f"-b{bucket}"


def _placeholder_ids(count: int, start: int = 0) -> list[str]:
    """Distinct stand-ins as long as real Okta client ids, to size patterns before Okta mints the ids."""
    return [f"0oa{n:0{OKTA_CLIENT_ID_CHARS - 3}d}" for n in range(start, start + count)]


def per_client_pattern(detection: str, client_ids: Sequence[str], event_source: str | None) -> dict[str, Any]:
    """The pattern of one per-client detection over ``client_ids`` (one bucket's, or all of them)."""
    inputs = PatternInputs(
        registry_client_ids=tuple(client_ids), inactive_client_ids=tuple(client_ids), event_source=event_source
    )
    return build_patterns(inputs)[detection]


def bucket_layout(
    detection: str, identities: Sequence[str], max_chars: int, event_source: str | None = None
) -> dict[int, tuple[str, ...]]:
    """bucket -> the identities whose client ids its rule lists (sorted), for one per-client detection.

    The bucket count is the smallest power of two such that the identities fill at most :data:`BUCKET_FILL` of the
    buckets' capacity *and* every bucket's pattern, with Okta-length ids, fits ``max_chars``. It depends on the names
    only, so the set of rules is known at plan time; empty buckets have no rule (EventBridge rejects an empty list).
    """
    names = sorted(set(identities))
    if not names:
        return {}
    overhead = len(pattern_json(per_client_pattern(detection, _placeholder_ids(1), event_source)))
    if overhead > max_chars:
        raise PatternTooLongError(
            f"the `{detection}` pattern needs {overhead} characters for a single client id, over the limit of "
            f"{max_chars}: raise agentid:detections.maxPatternChars (at most {AWS_MAX_PATTERN_CHARS})"
        )
    per_id = OKTA_CLIENT_ID_CHARS + 3  # two quotes and a comma
    capacity = (max_chars - overhead) // per_id + 1
    hashes = {name: identity_hash(name) for name in names}
    buckets = 1
    while True:
        layout: dict[int, list[str]] = {}
        for name in names:
            layout.setdefault(hashes[name] % buckets, []).append(name)
        roomy = len(names) <= BUCKET_FILL * capacity * buckets
        if (roomy and max(map(len, layout.values())) <= capacity) or buckets >= MAX_BUCKETS:
            # Past MAX_BUCKETS an overfull bucket is left to the deploy-time check, which names it.
            return {bucket: tuple(members) for bucket, members in sorted(layout.items())}
        buckets *= 2


def shadow_rule_fits(
    registry_identities: int, other_known_ids: Iterable[str], max_chars: int, event_source: str | None = None
) -> bool:
    """Whether one ``anything-but`` pattern can list every registry client id (at Okta's length) plus the allowed
    and deployer ids. It cannot be split over rules, so when this is False no shadow-agent rule is declared."""
    known = [*_placeholder_ids(registry_identities), *other_known_ids]
    pattern = build_patterns(
        PatternInputs(registry_client_ids=(), known_client_ids=tuple(known), event_source=event_source)
    )
    return len(pattern_json(pattern[SHADOW])) <= max_chars


def split_patterns(
    detections: DetectionSet, max_chars: int, event_source: str | None = None
) -> tuple[dict[str, dict[str, Any]], bool]:
    """rule name suffix (``token-refused``, ``token-refused-b1``, ...) -> pattern, as the Detections component
    deploys them for these ids, and whether the shadow-agent rule had to be left out. For ``agentid detections``."""
    inputs = PatternInputs.from_detection_set(detections, event_source)
    by_name = {p.identity: p.client_id for p in detections.identities}
    members = {
        "inactive-agent-token": [p.identity for p in detections.inactive()],
        "token-refused": list(by_name),
        "invalid-client-credentials": list(by_name),
    }
    split: dict[str, dict[str, Any]] = {}
    shadow_omitted = False
    for detection, pattern in build_patterns(inputs).items():
        if detection in PER_CLIENT_DETECTIONS:
            for bucket, names in bucket_layout(detection, members[detection], max_chars, event_source).items():
                ids = [by_name[n] for n in names]
                split[f"{detection}{rule_suffix(bucket)}"] = per_client_pattern(detection, ids, event_source)
        elif detection == SHADOW and len(pattern_json(pattern)) > max_chars:
            shadow_omitted = True
        else:
            split[detection] = pattern
    for name, pattern in split.items():
        check_pattern_size(f"agentid-{name}", pattern_json(pattern), max_chars)
    return split, shadow_omitted


class PatternTooLongError(ValueError):
    """An EventBridge pattern would exceed the stack's size limit: AWS's PutRule would reject it at deploy."""


def check_pattern_size(rule_name: str, text: str, max_chars: int) -> str:
    """Return ``text`` if it fits, else fail the deploy with what to do (called on the real ids, at deploy)."""
    if len(text) > max_chars:
        raise PatternTooLongError(
            f"the EventBridge pattern of rule `{rule_name}` is {len(text)} characters, over the limit of {max_chars} "
            "(agentid:detections.maxPatternChars; AWS's default quota is 2048, at most 4096 after a Service Quotas "
            "increase). Client ids longer than Okta's 20 characters, or many allowedClientIds/deployerIds, can do "
            f"this: raise maxPatternChars (up to {AWS_MAX_PATTERN_CHARS}) once AWS has raised the quota, or shorten "
            "those lists."
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
            elif isinstance(item, list):
                problems.append(f"{where}: nested list")
    else:
        problems.append(f"{'.'.join(path) or '<root>'}: a bare value must be inside a list")
    return problems
