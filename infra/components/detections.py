"""``Detections``: EventBridge rules on the Okta partner event bus, generated from the agents' declared profiles.

Declared only when the stack's log stream is EventBridge and ``agentid:detections.enabled`` is true. Children:

* an ``aws.Provider`` pinned to the log stream's region: the rules must live where Okta delivers, whatever
  ``aws:region`` says (and the program then needs no ``aws:region`` config, neither for a real preview nor offline);
* the partner ``EventBus`` (``aws.partner/okta.com/<org>/<event source name>``), associated with Okta's partner
  event source once the log stream exists: without this association the events never arrive anywhere;
* per single-event detection, an ``EventRule`` and an ``EventTarget`` delivering to the SNS topic or SQS queue of
  ``agentid:detections.targetArn`` (its resource policy must let ``events.amazonaws.com`` publish to it).

Client ids are only known once Okta mints them, so each pattern is an ``Output``: the ids are resolved and the pattern
JSON built by :func:`agentid.detect.eventbridge.build_patterns`, the same function the tests and ``agentid
detections`` call. Which rules exist is known at plan time (it depends on the registry, not on the ids).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from agentid.detect.definitions import DETECTIONS
from agentid.detect.eventbridge import PatternInputs, build_patterns, partner_event_source

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
        # Which rules exist depends on the registry only: build them once with placeholder ids to learn the set.
        placeholder = {identity: f"<{identity}>" for identity in args.client_ids}
        detection_ids = sorted(build_patterns(_inputs(args, placeholder)))
        names = sorted(args.client_ids)
        resolved = pulumi.Output.all(*[args.client_ids[n] for n in names]).apply(
            lambda values: build_patterns(_inputs(args, dict(zip(names, values, strict=True))))
        )
        self.rules, self.targets = {}, {}
        for detection in detection_ids:
            meta = DETECTIONS[detection]
            rule = aws.cloudwatch.EventRule(
                f"{name}-{detection}",
                # A fixed name (unique on this stack's own partner bus) so alerts and the console read
                # "agentid-shadow-agent-token" rather than a random suffix.
                name=f"agentid-{detection}",
                event_bus_name=self.bus.name,
                description=f"agentid: {meta.title}"[:512],
                event_pattern=resolved.apply(lambda patterns, d=detection: json.dumps(patterns[d], sort_keys=True)),
                state="ENABLED",
                tags={"managed-by": "agentid", "detection": detection, "severity": meta.severity},
                opts=child,
            )
            self.rules[detection] = rule
            self.targets[detection] = aws.cloudwatch.EventTarget(
                f"{name}-{detection}-target",
                rule=rule.name,
                event_bus_name=self.bus.name,
                arn=args.target_arn,
                opts=child,
            )
        self.register_outputs({"eventBus": self.bus.name, "rules": {d: r.name for d, r in self.rules.items()}})
