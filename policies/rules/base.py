"""The rule framework: one small function per rule, with the metadata every front-end needs.

A rule is written once and reused by the CLI (``agentid check``), the checkov adapter (on each agent file) and the
Pulumi policy pack (on real resource inputs at ``pulumi preview``). Three kinds:

* ``registry`` rules judge intent, one agent at a time: ``fn(agent, ctx) -> Iterable[Violation]``;
* ``registry-wide`` rules judge relations between agents (a key shared by two identities):
  ``fn(registry, ctx) -> Iterable[tuple[Agent, Violation]]``;
* ``resource`` rules judge what would be deployed: ``fn(resource, ctx) -> Iterable[Violation]``;
* ``stack`` rules judge the plan as a whole (is there a log stream?): ``fn(resources, ctx) -> Iterable[Violation]``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from agentid.findings import Severity
from agentid.registry.model import Agent, Registry
from agentid.resources import PlannedResource


class RuleKind(StrEnum):
    REGISTRY = "registry"
    REGISTRY_WIDE = "registry-wide"
    RESOURCE = "resource"
    STACK = "stack"


@dataclass(frozen=True, slots=True)
class Violation:
    """What a rule function yields: a message and the path of the offending value (for its line number)."""

    message: str
    path: tuple[str | int, ...] = ()
    #: resource and stack rules: the registry agent the violation belongs to, when it is not the resource's own
    #: (stack rules have no single resource); registry rules leave it unset
    agent: str | None = None


@dataclass(frozen=True, slots=True)
class RuleMeta:
    """Everything a front-end shows about a rule. ``id`` is what waivers name; ``number`` gives CKV_AGENT_<n>."""

    id: str
    number: int
    title: str
    severity: Severity
    nhi: tuple[str, ...]
    rationale: str
    remediation: str
    kind: RuleKind
    waivable: bool = True
    other_standards: tuple[str, ...] = ()
    #: a registry rule whose verdict depends on the stack being checked (``ctx.stack``, ``judged_stacks``,
    #: ``token_limit``): the others judge each agent alike for every stack, so their verdict is cached once for all
    #: stacks (agentid.findings_cache); tests/policies/test_stack_free_rules.py holds the others to that
    reads_stack: bool = False
    #: a stack rule whose verdict on a plan is the union of its verdicts on each bundle's resources (one agent's, or
    #: the shared ones): a plan's verdict is then composed from its bundles' (agentid.plan.judged); the test
    #: tests/policies/test_plan_parts.py holds the rule to it on random plans
    by_bundle: bool = False
    #: a stack rule that reads only the planned resources of these types: judged on those alone when a plan's
    #: verdict is composed from its bundles' (the same test holds the rule to it)
    reads_types: tuple[str, ...] = ()

    @property
    def checkov_id(self) -> str:
        return f"CKV_AGENT_{self.number}"


@dataclass(frozen=True, slots=True)
class Rule:
    meta: RuleMeta
    check: Callable[..., Iterable[Any]]


@dataclass(frozen=True, slots=True)
class PolicySettings:
    """The knobs of ``policies/settings.yaml``: organisation-wide limits that rules enforce."""

    allowed_owner_domains: tuple[str, ...] = ("example.com",)
    max_scopes: int = 6
    restricted_max_token_minutes: int = 15
    ephemeral_max_days: int = 30
    review_interval_days: int = 180
    waiver_max_days: int = 90
    default_stack_max_token_minutes: int = 60
    read_only_okta_scopes_suffix: str = ".read"
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: regular expressions (case-insensitive) for owner local parts that look like service accounts or mailboxes
    service_account_patterns: tuple[str, ...] = ()
    #: Okta management scopes never allowed, waiver or not (they grant admin roles or control OAuth clients)
    forbidden_okta_scopes: tuple[str, ...] = (
        "okta.roles.manage",
        "okta.clients.manage",
        "okta.apps.manage",
        "okta.authorizationServers.manage",
        "okta.policies.manage",
    )
    #: Okta standard admin roles never assigned to an agent, waiver or not (they raise privileges or rewrite the
    #: policy that bounds the agent's own tokens)
    forbidden_okta_admin_roles: tuple[str, ...] = (
        "SUPER_ADMIN",
        "ORG_ADMIN",
        "APP_ADMIN",
        "API_ACCESS_MANAGEMENT_ADMIN",
    )


@dataclass(frozen=True, slots=True)
class RuleContext:
    """What a rule may know besides its subject: the date, the stack being judged and the organisation's limits."""

    today: dt.date
    settings: PolicySettings = field(default_factory=PolicySettings)
    registry: Registry | None = None
    stack: str | None = None
    stack_max_token_minutes: int | None = None
    #: per-stack token lifetime ceilings read from ``Pulumi.<stack>.yaml`` (``agentid:maxTokenLifetimeMinutes``)
    stack_token_limits: Mapping[str, int] = field(default_factory=dict)
    #: per-stack EventBridge pattern size limits (``agentid:detections.maxPatternChars`` in ``Pulumi.<stack>.yaml``)
    stack_pattern_limits: Mapping[str, int] = field(default_factory=dict)
    #: the environment a sharded stack serves (``agentid:shard.environment``: stack ``prod-shard-03`` deploys the
    #: agents that list ``prod``); a stack that is not listed serves the environment named like itself
    stack_environments: Mapping[str, str] = field(default_factory=dict)
    #: member stacks of a sharded environment: their shared resources (the log stream) live in the core stack
    member_stacks: frozenset[str] = frozenset()
    #: the values ``environments`` may name: each ``Pulumi.<stack>.yaml``'s stack and the environments sharded stacks
    #: serve; None when the front-end does not know the stack files (the rule that needs it then stays silent)
    known_environments: frozenset[str] | None = None

    def environment_of(self, stack: str) -> str:
        """The ``environments`` value of the agents ``stack`` deploys."""
        return self.stack_environments.get(stack, stack)

    def token_limit(self, stack: str) -> int:
        """The token lifetime ceiling of ``stack``: its own config, else the judged stack's, else the default."""
        if stack in self.stack_token_limits:
            return self.stack_token_limits[stack]
        if stack == self.stack and self.stack_max_token_minutes is not None:
            return self.stack_max_token_minutes
        return self.settings.default_stack_max_token_minutes

    def judged_stacks(self, agent: Agent) -> tuple[str, ...]:
        """The stacks a judgement about ``agent`` applies to: the one being checked, else every stack it lists."""
        if self.stack is not None:
            return (self.stack,) if agent.deployed_to(self.environment_of(self.stack)) else ()
        return agent.environments


_RULES: dict[str, Rule] = {}


def rule(
    *,
    id: str,
    number: int,
    title: str,
    severity: Severity,
    nhi: Sequence[str],
    rationale: str,
    remediation: str,
    kind: RuleKind,
    waivable: bool = True,
    other_standards: Sequence[str] = (),
    reads_stack: bool = False,
    by_bundle: bool = False,
    reads_types: Sequence[str] = (),
) -> Callable[[Callable[..., Iterable[Any]]], Callable[..., Iterable[Any]]]:
    """Register a rule function with its metadata. Ids and numbers are unique; registering twice is a bug."""

    def decorate(func: Callable[..., Iterable[Any]]) -> Callable[..., Iterable[Any]]:
        meta = RuleMeta(
            id,
            number,
            title,
            severity,
            tuple(nhi),
            rationale,
            remediation,
            kind,
            waivable,
            tuple(other_standards),
            reads_stack,
            by_bundle,
            tuple(reads_types),
        )
        if id in _RULES:
            raise ValueError(f"rule id {id} registered twice")
        if number < 1:
            raise ValueError(f"rule {id}: numbers start at 1 (CKV_AGENT_0 is the checkov adapter's load check)")
        if any(r.meta.number == number for r in _RULES.values()):
            raise ValueError(f"rule number {number} registered twice")
        _RULES[id] = Rule(meta, func)
        func.meta = meta  # type: ignore[attr-defined]
        return func

    return decorate


def all_rules() -> list[Rule]:
    """Every registered rule, by number. Importing :mod:`policies.rules` registers them all."""
    return sorted(_RULES.values(), key=lambda r: r.meta.number)


def get_rule(rule_id: str) -> Rule | None:
    return _RULES.get(rule_id)


__all__ = [
    "Agent",
    "PlannedResource",
    "PolicySettings",
    "Registry",
    "Rule",
    "RuleContext",
    "RuleKind",
    "RuleMeta",
    "Violation",
    "all_rules",
    "get_rule",
    "rule",
]
