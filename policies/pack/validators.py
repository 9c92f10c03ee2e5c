"""CrossGuard validators: every resource and stack rule as a MANDATORY Pulumi policy, calling the same functions.

``agentid check`` runs these rules on the offline plan; this module runs them again on the real one, at
``pulumi preview --policy-pack policies/pack`` and before ``pulumi up`` changes anything. So a resource written by
hand in the Pulumi program, one that never went through ``agents/``, is judged by the same code. The registry rules
whose verdict turns on the project's stack files (:data:`~policies.engine.STACK_FILE_RULES`) run here too, as stack
policies; :func:`policies.engine.pack_rules` is the list (docs/rules.md says where each rule runs from it).

CrossGuard hands a validator the engine's camelCase inputs (``grantTypes``) wrapped in a proxy that raises on
values unknown until apply (an app's client id during a preview). They are copied here into a plain
:class:`PlannedResource`, unknowns becoming :data:`~policies.rules.resources.UNKNOWN`, which the rules never count
as a violation; secrets are unwrapped (no rule message echoes a value). The owning agent is read from the parent
``AgentIdentity`` component, and a valid waiver in that agent's file waives the finding exactly as in
``agentid check``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Secret,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy import (
    Severity as PolicySeverity,
)
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)

from agentid.findings import Severity
from agentid.registry.model import Registry
from agentid.resources import PlannedResource
from policies.engine import (
    default_settings,
    load_known_environments,
    load_stack_limits,
    load_stack_pattern_limits,
    load_stack_shards,
    pack_rules,
    pinned_today,
)
from policies.rules import Rule, RuleContext, RuleKind
from policies.rules._util import agent_of_identity
from policies.rules.resources import UNKNOWN
from policies.rules.waivers import waiver_problem

REPO_ROOT = Path(__file__).resolve().parents[2]
PACK_NAME = "agentid"
#: The component type the infra program gives each agent's (and each plugin's) Okta bundle; its name is the
#: identity's name. Matched by suffix so that the pack does not import the program (policies never import infra).
IDENTITY_COMPONENT_SUFFIX = ":AgentIdentity"
#: Policy config key that overrides the stack's token lifetime ceiling (``--policy-pack-config``).
TOKEN_LIMIT_CONFIG = "maxTokenLifetimeMinutes"
_SENTINELS = frozenset(
    (
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_OBJECT_VALUE,
        UNKNOWN_STRING_VALUE,
    )
)
OWASP_NHI = PolicyComplianceFramework(
    name="OWASP Non-Human Identities Top 10",
    version="2025",
    reference="https://owasp.org/www-project-non-human-identities-top-10/",
)


# ----------------------------------------------------------------------------------------------------- inputs


def plain(value: Any) -> Any:
    """A plain copy of a CrossGuard property value: unknowns become ``UNKNOWN`` and secrets their value."""
    if isinstance(value, Secret):
        return plain(value.value)
    if isinstance(value, str):
        return UNKNOWN if value in _SENTINELS else value
    if isinstance(value, Mapping):
        copied: dict[str, Any] = {}
        for key in value:
            try:
                copied[key] = plain(value[key])
            except UnknownValueError:
                copied[key] = UNKNOWN
        return copied
    if isinstance(value, Sequence):
        items = []
        for index in range(len(value)):
            try:
                items.append(plain(value[index]))
            except UnknownValueError:
                items.append(UNKNOWN)
        return items
    return value


def urn_stack(urn: str) -> str | None:
    """The stack a URN belongs to (``urn:pulumi:<stack>::<project>::<type>::<name>``): the pack's only reliable
    source for it, since CrossGuard does not tell validators which stack is being previewed."""
    head = urn.split("::", 1)[0]
    if not head.startswith("urn:pulumi:"):
        return None
    return head.removeprefix("urn:pulumi:") or None


def urn_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def urn_type(urn: str) -> str:
    """The resource's own type: the last of the URN's ``$``-separated type chain."""
    parts = urn.split("::")
    return parts[-2].rsplit("$", 1)[-1] if len(parts) >= 2 else ""


def identity_owner(identity: str, registry: Registry | None) -> str:
    """The agent an identity belongs to: itself, or for a plugin (``<agent>--<plugin>``) its agent."""
    agent = agent_of_identity(registry, identity) if registry is not None else None
    return agent.name if agent is not None else identity


def planned_from_args(args: ResourceValidationArgs, registry: Registry | None = None) -> PlannedResource:
    """CrossGuard's view of one resource, as the rules expect it."""
    parent = args.opts.parent if args.opts is not None else None
    agent = None
    if parent and urn_type(parent).endswith(IDENTITY_COMPONENT_SUFFIX):
        agent = identity_owner(urn_name(parent), registry)
    return PlannedResource(
        type=args.resource_type,
        name=args.name,
        inputs=plain(args.props),
        parent=urn_name(parent) if parent else None,
        urn=args.urn,
        agent=agent,
    )


def planned_from_stack(resources: Sequence[PolicyResource], registry: Registry | None = None) -> list[PlannedResource]:
    """CrossGuard's view of the whole stack; each resource's agent is its nearest ``AgentIdentity`` ancestor."""

    def owner(resource: PolicyResource) -> str | None:
        current = resource.parent
        while current is not None:
            if current.resource_type.endswith(IDENTITY_COMPONENT_SUFFIX):
                return identity_owner(current.name, registry)
            current = current.parent
        return None

    return [
        PlannedResource(
            type=r.resource_type,
            name=r.name,
            inputs=plain(r.props),
            parent=r.parent.name if r.parent is not None else None,
            urn=r.urn,
            agent=owner(r),
        )
        for r in resources
    ]


# ----------------------------------------------------------------------------------------------------- context


@functools.cache
def checkout_registry() -> Registry | None:
    """The checkout's registry, for waivers and per-agent limits; ``None`` when it does not load cleanly
    (``agentid check`` reports that; the pack still judges every resource on its own)."""
    from agentid.registry.loader import load_registry
    from policies import DEFAULT_CATALOG_PATH

    try:
        loaded = load_registry(REPO_ROOT / "agents", DEFAULT_CATALOG_PATH, root=REPO_ROOT)
    except Exception:
        return None
    return loaded.registry if loaded.ok else None


@functools.cache
def stack_limits() -> dict[str, int]:
    """Token lifetime ceilings per stack, from the checkout's ``Pulumi.<stack>.yaml`` files (read once)."""
    return load_stack_limits(REPO_ROOT)


@functools.cache
def stack_pattern_limits() -> dict[str, int]:
    """EventBridge pattern size limits per stack, from the same files (read once, not once per resource)."""
    return load_stack_pattern_limits(REPO_ROOT)


@functools.cache
def stack_shards() -> tuple[dict[str, str], frozenset[str]]:
    """Sharded stacks' environments and the member stacks, from the same files (read once)."""
    return load_stack_shards(REPO_ROOT)


@functools.cache
def known_environments() -> frozenset[str]:
    """What agents' ``environments`` may name: the stacks of the same files and the environments sharded stacks
    serve (read once). Without it ``environment-has-stack`` cannot tell a misspelt environment from a real one."""
    return load_known_environments(REPO_ROOT)


def context(config: Mapping[str, Any] | None = None, *, stack: str | None = None) -> RuleContext:
    """What the rules know at a preview: the stack (from the URNs, else ``PULUMI_STACK``), its token ceiling
    (policy config, else ``Pulumi.<stack>.yaml``), the configured stacks, the organisation's settings and the
    registry."""
    stack = stack or os.environ.get("PULUMI_STACK") or None
    limits = stack_limits()
    ceiling = (config or {}).get(TOKEN_LIMIT_CONFIG)
    if not isinstance(ceiling, int) or isinstance(ceiling, bool):
        ceiling = limits.get(stack) if stack else None
    return RuleContext(
        today=pinned_today(),
        settings=default_settings(),
        registry=checkout_registry(),
        stack=stack,
        stack_max_token_minutes=ceiling,
        stack_token_limits=limits,
        stack_pattern_limits=stack_pattern_limits(),
        stack_environments=stack_shards()[0],
        member_stacks=stack_shards()[1],
        known_environments=known_environments(),
    )


def waived(rule: Rule, agent_name: str | None, ctx: RuleContext) -> bool:
    """True when the agent's file holds a valid waiver for this rule (the same test ``agentid check`` applies)."""
    if not rule.meta.waivable or agent_name is None or ctx.registry is None:
        return False
    agent = ctx.registry.get(agent_name)
    return agent is not None and any(
        w.rule == rule.meta.id and waiver_problem(w, agent, ctx) is None for w in agent.waivers
    )


# ----------------------------------------------------------------------------------------------------- validators


def resource_messages(rule: Rule, args: ResourceValidationArgs) -> Iterator[str]:
    """The rule's unwaived violations for one resource (what the policy reports)."""
    ctx = context(args.get_config(), stack=urn_stack(args.urn))
    resource = planned_from_args(args, ctx.registry)
    for violation in rule.check(resource, ctx):
        if not waived(rule, violation.agent or resource.agent, ctx):
            yield violation.message


def stack_of(resources: Sequence[PolicyResource]) -> str | None:
    """The stack being previewed, from the first resource whose URN names one."""
    return next((urn_stack(r.urn) for r in resources if urn_stack(r.urn)), None)


def stack_messages(rule: Rule, args: StackValidationArgs) -> Iterator[str]:
    ctx = context(args.get_config(), stack=stack_of(args.resources))
    for violation in rule.check(planned_from_stack(args.resources, ctx.registry), ctx):
        if not waived(rule, violation.agent, ctx):
            yield violation.message


def registry_messages(rule: Rule, args: StackValidationArgs) -> Iterator[str]:
    """A registry rule's unwaived violations on the checkout's agents (the plan only names the stack). Each message
    starts with the agent file and line, as ``agentid check`` points there: the fix is in that file, not the plan."""
    ctx = context(args.get_config(), stack=stack_of(args.resources))
    if ctx.registry is None:  # the registry does not load cleanly: `agentid check` says why
        return
    for agent in ctx.registry:
        for violation in rule.check(agent, ctx):
            if not waived(rule, agent.name, ctx):
                line = agent.line(*violation.path)
                yield f"{agent.file}:{line}: {violation.message}" if line else f"{agent.file}: {violation.message}"


def resource_validator(rule: Rule) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for message in resource_messages(rule, args):
            report_violation(message, None)

    validate.__name__ = f"validate_{rule.meta.id.replace('-', '_')}"
    return validate


def stack_validator(rule: Rule) -> Callable[[StackValidationArgs, ReportViolation], None]:
    """A stack rule judges the plan; a registry rule of :data:`~policies.engine.STACK_FILE_RULES` judges the
    checkout's agents."""
    messages = registry_messages if rule.meta.kind is RuleKind.REGISTRY else stack_messages

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        for message in messages(rule, args):
            report_violation(message, None)

    validate.__name__ = f"validate_{rule.meta.id.replace('-', '_')}"
    return validate


def _common(rule: Rule) -> dict[str, Any]:
    meta = rule.meta
    return {
        "name": meta.id,
        "description": f"{meta.title}. {meta.rationale}",
        "display_name": meta.title,
        # Errors block the deployment; warnings are shown and let it proceed, as in `agentid check`.
        "enforcement_level": EnforcementLevel.MANDATORY
        if meta.severity is Severity.ERROR
        else EnforcementLevel.ADVISORY,
        "severity": PolicySeverity.HIGH if meta.severity is Severity.ERROR else PolicySeverity.LOW,
        "framework": OWASP_NHI,
        "tags": [*meta.nhi, *meta.other_standards],
        "remediation_steps": meta.remediation,
    }


def build_policies() -> list[ResourceValidationPolicy | StackValidationPolicy]:
    """One policy per rule of :func:`policies.engine.pack_rules` (the resource and stack rules and the registry rules
    of :data:`~policies.engine.STACK_FILE_RULES`), named by its rule id (kebab-case), in rule-number order."""
    policies: list[ResourceValidationPolicy | StackValidationPolicy] = []
    for rule in pack_rules():
        if rule.meta.kind is RuleKind.RESOURCE:
            config = None
            if rule.meta.id == "token-lifetime-bounds":
                config = PolicyConfigSchema(
                    properties={TOKEN_LIMIT_CONFIG: {"type": "integer", "minimum": 5, "maximum": 1440}}
                )
            policies.append(
                ResourceValidationPolicy(validate=resource_validator(rule), config_schema=config, **_common(rule))
            )
        else:  # a stack rule, or a registry rule of STACK_FILE_RULES
            policies.append(StackValidationPolicy(validate=stack_validator(rule), **_common(rule)))
    return policies
