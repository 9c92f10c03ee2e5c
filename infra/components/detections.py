"""``Detections``: EventBridge rules on the Okta partner event bus, one per single-event detection.

Declared only when the stack's log stream is EventBridge and ``agentid:detections.enabled`` is true, by the stack
that owns the stream (a single stack, or the core stack of a sharded environment). Children:

* an ``aws.Provider`` pinned to the log stream's region: the rules must live where Okta delivers, whatever
  ``aws:region`` says (and the program then needs no ``aws:region`` config, neither for a real preview nor offline);
* the partner ``EventBus`` (``aws.partner/okta.com/<org>/<event source name>``), associated with Okta's partner
  event source once the log stream exists: without this association the events never arrive anywhere;
* per single-event detection, an ``EventRule`` and an ``EventTarget`` delivering to the SNS topic or SQS queue of
  ``agentid:detections.targetArn`` (its resource policy must let ``events.amazonaws.com`` publish to it).

The rules recognise agents by their app label prefix (:mod:`agentid.detect.labels`), never by client id, so they
take no input from the agents' apps: always twelve rules, whose patterns are plain strings known at preview and do not
change when an agent is added or removed (:func:`agentid.detect.eventbridge.build_patterns`, the same function the
tests and ``agentid detections`` call). Only the configured deployer and allowed ids can make a pattern longer than
``agentid:detections.maxPatternChars``; that fails the program with the rule's name before AWS's PutRule would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from agentid.detect.definitions import DETECTIONS
from agentid.detect.eventbridge import (
    DEFAULT_MAX_PATTERN_CHARS,
    PatternInputs,
    checked_patterns,
    partner_event_source,
)

COMPONENT_TYPE = "agentid:aws:Detections"


@dataclass(frozen=True)
class DetectionsArgs:
    """What the rules need: the stream's event source and region, where alerts go, and who may act unannounced."""

    org_name: str
    event_source_name: str
    region: str
    target_arn: str
    #: principals whose changes to agent identities are expected (their own tokens are not shadow agents either)
    deployer_ids: Sequence[str] = ()
    #: non-agent clients that legitimately get client-credentials tokens
    allowed_client_ids: Sequence[str] = ()
    #: ``agentid:detections.maxPatternChars``: the size every pattern must stay within (AWS's quota)
    max_pattern_chars: int = DEFAULT_MAX_PATTERN_CHARS
    #: resources the partner source depends on (the Okta log stream creates it)
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)


class Detections(pulumi.ComponentResource):
    """One EventBridge rule and target per single-event detection, on the Okta partner event bus."""

    rules: dict[str, aws.cloudwatch.EventRule]
    targets: dict[str, aws.cloudwatch.EventTarget]

    def __init__(self, name: str, args: DetectionsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(COMPONENT_TYPE, name, None, opts)
        source = partner_event_source(args.org_name, args.event_source_name)
        # Checked before any child is declared: an oversized pattern must not leave half the rules in the plan.
        patterns = checked_patterns(
            PatternInputs.of(args.allowed_client_ids, args.deployer_ids, source), args.max_pattern_chars
        )
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
        self.rules, self.targets = {}, {}
        for detection, pattern in sorted(patterns.items()):
            meta = DETECTIONS[detection]
            self.rules[detection] = rule = aws.cloudwatch.EventRule(
                f"{name}-{detection}",
                # A fixed name (unique on this stack's own partner bus) so alerts and the console read
                # "agentid-shadow-agent-token" rather than a random suffix.
                name=f"agentid-{detection}",
                event_bus_name=self.bus.name,
                description=f"agentid: {meta.title}"[:512],
                event_pattern=pattern,
                state="ENABLED",
                tags={"managed-by": "agentid", "detection": detection, "severity": meta.severity},
                opts=child,
            )
            self.targets[detection] = aws.cloudwatch.EventTarget(
                f"{name}-{detection}-target",
                rule=rule.name,
                event_bus_name=self.bus.name,
                arn=args.target_arn,
                opts=child,
            )
        self.register_outputs({"eventBus": self.bus.name, "rules": {d: r.name for d, r in self.rules.items()}})
