"""``Detections``: EventBridge rules on the Okta partner event bus, generated from the agents' declared profiles.

Declared only when the stack's log stream is EventBridge and ``agentid:detections.enabled`` is true. Children:

* an ``aws.Provider`` pinned to the log stream's region: the rules must live where Okta delivers, whatever
  ``aws:region`` says (and the program then needs no ``aws:region`` config, neither for a real preview nor offline);
* the partner ``EventBus`` (``aws.partner/okta.com/<org>/<event source name>``), associated with Okta's partner
  event source once the log stream exists: without this association the events never arrive anywhere;
* per single-event detection, an ``EventRule`` and an ``EventTarget`` delivering to the SNS topic or SQS queue of
  ``agentid:detections.targetArn`` (its resource policy must let ``events.amazonaws.com`` publish to it). The
  per-client detections get one rule and target per *bucket* of identities so that every pattern stays within
  ``agentid:detections.maxPatternChars`` (:func:`agentid.detect.eventbridge.bucket_layout`); the shadow-agent rule
  cannot be split, and is left out with a warning when it would not fit (the SIEM's Sigma rule covers it then).

Client ids are only known once Okta mints them, so each pattern is an ``Output``: the ids are resolved and the pattern
JSON built by :func:`agentid.detect.eventbridge.build_patterns`, the same function the tests and ``agentid
detections`` call. Which rules exist is known at plan time (it depends on the registry's names, not on the ids); the
real length of each pattern is checked inside the ``apply`` once the ids are known, failing the deploy with a
message rather than letting AWS's PutRule fail halfway through it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from agentid.detect.definitions import DETECTIONS
from agentid.detect.eventbridge import (
    DEFAULT_MAX_PATTERN_CHARS,
    PER_CLIENT_DETECTIONS,
    SHADOW,
    PatternInputs,
    bucket_layout,
    build_patterns,
    check_pattern_size,
    partner_event_source,
    pattern_json,
    per_client_pattern,
    rule_suffix,
    shadow_rule_fits,
)

COMPONENT_TYPE = "agentid:aws:Detections"


@dataclass(frozen=True)
class DetectionsArgs:
    """What the rules need: the stream's event source and region, where alerts go, and who is who."""

    org_name: str
    event_source_name: str
    region: str
    target_arn: str
    #: identity (agent or ``agent--plugin``) -> its app's client id Output
    client_ids: Mapping[str, pulumi.Input[str]]
    #: identities whose agent has expired as of the deploy date (their apps are deployed INACTIVE)
    inactive: Sequence[str] = ()
    deployer_ids: Sequence[str] = ()
    allowed_client_ids: Sequence[str] = ()
    #: ``agentid:detections.maxPatternChars``: the size every pattern must stay within (AWS's quota)
    max_pattern_chars: int = DEFAULT_MAX_PATTERN_CHARS
    #: resources the partner source depends on (the Okta log stream creates it)
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)


def _inputs(args: DetectionsArgs, ids: Mapping[str, str]) -> PatternInputs:
    registry_ids = tuple(sorted(ids.values()))
    return PatternInputs(
        registry_client_ids=registry_ids,
        inactive_client_ids=tuple(sorted(ids[name] for name in args.inactive)),
        known_client_ids=tuple(sorted({*registry_ids, *args.allowed_client_ids, *args.deployer_ids})),
        deployer_ids=tuple(sorted(args.deployer_ids)),
        event_source=partner_event_source(args.org_name, args.event_source_name),
    )


def _bucket_pattern(
    resolved: pulumi.Output[dict[str, str]], detection: str, identities: Sequence[str], rule: str, args: DetectionsArgs
) -> pulumi.Output[str]:
    """One bucket's pattern JSON over its identities' real client ids, size-checked once the ids are known."""
    source = partner_event_source(args.org_name, args.event_source_name)
    return resolved.apply(
        lambda ids: check_pattern_size(
            rule,
            pattern_json(per_client_pattern(detection, [ids[n] for n in identities], source)),
            args.max_pattern_chars,
        )
    )


class Detections(pulumi.ComponentResource):
    """One EventBridge rule and target per single-event detection, on the Okta partner event bus."""

    rules: dict[str, aws.cloudwatch.EventRule]
    targets: dict[str, aws.cloudwatch.EventTarget]

    def __init__(self, name: str, args: DetectionsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(COMPONENT_TYPE, name, None, opts)
        source = partner_event_source(args.org_name, args.event_source_name)
        provider = aws.Provider(f"{name}-aws", region=args.region, opts=pulumi.ResourceOptions(parent=self))
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        self.bus = aws.cloudwatch.EventBus(
            f"{name}-okta-bus",
            # A partner bus must carry exactly the partner source's name.
            name=source,
            event_source_name=source,
            description="Okta System Log (agentid detections)",
            # The partner source appears only once Okta's log stream exists.
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=list(args.depends_on))),
        )
        # Which rules exist depends on the registry's names only: learn the set with placeholder ids.
        placeholder = {identity: f"<{identity}>" for identity in args.client_ids}
        detection_ids = sorted(build_patterns(_inputs(args, placeholder)))
        names = sorted(args.client_ids)
        resolved = pulumi.Output.all(*[args.client_ids[n] for n in names]).apply(
            lambda values: dict(zip(names, values, strict=True))
        )
        self.rules, self.targets = {}, {}
        self.shadow_rule_omitted = False
        for detection in detection_ids:
            if detection in PER_CLIENT_DETECTIONS:
                members = sorted(args.inactive) if detection == "inactive-agent-token" else names
                for bucket, identities in bucket_layout(detection, members, args.max_pattern_chars, source).items():
                    suffix = rule_suffix(bucket)
                    pattern = _bucket_pattern(resolved, detection, identities, f"agentid-{detection}{suffix}", args)
                    self._rule(name, detection, suffix, pattern, args, child)
                continue
            if detection == SHADOW and not shadow_rule_fits(
                len(names), [*args.allowed_client_ids, *args.deployer_ids], args.max_pattern_chars, source
            ):
                # anything-but cannot be split over rules (a shadow client would match every other bucket's rule):
                # declaring none is honest, a rule AWS rejects or one that alerts on every agent is not.
                self.shadow_rule_omitted = True
                pulumi.log.warn(
                    f"{SHADOW}: {len(names)} registered client ids do not fit one EventBridge pattern of "
                    f"{args.max_pattern_chars} characters (agentid:detections.maxPatternChars), so no shadow-agent "
                    "rule is deployed. Run the shadow-agent-token Sigma rule in the SIEM instead: `agentid "
                    "detections --client-ids outputs.json` fills its allow-list from `pulumi stack output --json` "
                    "(docs/detections.md).",
                    resource=self,
                )
                continue
            pattern = resolved.apply(
                lambda ids, d=detection: check_pattern_size(
                    f"agentid-{d}", pattern_json(build_patterns(_inputs(args, ids))[d]), args.max_pattern_chars
                )
            )
            self._rule(name, detection, "", pattern, args, child)
        self.register_outputs({"eventBus": self.bus.name, "rules": {d: r.name for d, r in self.rules.items()}})

    def _rule(
        self,
        name: str,
        detection: str,
        suffix: str,
        pattern: pulumi.Output[str],
        args: DetectionsArgs,
        child: pulumi.ResourceOptions,
    ) -> None:
        """One rule and its target. Logical and AWS names derive from the bucket, never from a position, so a
        bucket's pattern changing is an in-place update of its own rule."""
        meta = DETECTIONS[detection]
        rule = aws.cloudwatch.EventRule(
            f"{name}-{detection}{suffix}",
            # A fixed name (unique on this stack's own partner bus) so alerts and the console read
            # "agentid-shadow-agent-token" rather than a random suffix.
            name=f"agentid-{detection}{suffix}",
            event_bus_name=self.bus.name,
            description=f"agentid: {meta.title}"[:512],
            event_pattern=pattern,
            state="ENABLED",
            tags={"managed-by": "agentid", "detection": detection, "severity": meta.severity},
            opts=child,
        )
        self.rules[f"{detection}{suffix}"] = rule
        self.targets[f"{detection}{suffix}"] = aws.cloudwatch.EventTarget(
            f"{name}-{detection}{suffix}-target",
            rule=rule.name,
            event_bus_name=self.bus.name,
            arn=args.target_arn,
            opts=child,
        )
