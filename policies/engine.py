"""Run the rules: every registry rule on every agent, registry-wide rules once, resource and stack rules on a plan.

The engine is the one place where rule output becomes :class:`~agentid.findings.Finding` (file, line, remediation,
OWASP tags) and where waivers are applied, so the CLI, the PR review and the checkov adapter all agree on what is
an error, what is waived and where it is.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from agentid.findings import Finding, Severity, sorted_findings
from agentid.gcpause import cyclic_gc_paused
from agentid.registry.model import Agent, Registry
from agentid.resources import PlannedResource
from policies import POLICIES_DIR
from policies.rules import all_rules
from policies.rules.base import PolicySettings, Rule, RuleContext, RuleKind, Violation, get_rule
from policies.rules.waivers import waiver_problem

SETTINGS_PATH = POLICIES_DIR / "settings.yaml"
SETTINGS_SCHEMA_PATH = POLICIES_DIR / "settings.schema.json"

#: The Pulumi stack config key that sets a stack's token lifetime ceiling (minutes).
STACK_TOKEN_LIMIT_KEY = "agentid:maxTokenLifetimeMinutes"
STACK_DETECTIONS_KEY = "agentid:detections"

#: OWASP NHI tags for the loader's own findings, so every finding in a report carries its standard.
LOADER_NHI: Mapping[str, tuple[str, ...]] = {
    "load.unknown-scope": ("NHI5",),
    "load.duplicate-name": ("NHI9",),
    "load.duplicate-identity": ("NHI9",),
    "load.duplicate-kid": ("NHI9",),
}

#: Loader findings a rule reports more precisely at the same place: (loader rule, rule that supersedes it).
SUPERSEDED_LOADER_FINDINGS: tuple[tuple[str, str], ...] = (("load.unknown-scope", "scope-wildcard"),)

#: Plan findings that repeat, for the same agent, what a registry rule already reports at the line to fix:
#: (plan rule, registry rule). A plan finding without the registry one (hand-written Pulumi code) is kept.
SUPERSEDED_PLAN_FINDINGS: tuple[tuple[str, str], ...] = (("token-lifetime-bounds", "token-lifetime-stack-max"),)

ENGINE_ERROR_RULE = "engine.rule-error"

#: The day front-ends without a ``--today`` option (the checkov adapter, the policy pack) judge dates on.
TODAY_ENV = "AGENTID_TODAY"


# --------------------------------------------------------------------------------------------------- settings


class SettingsError(Exception):
    """``policies/settings.yaml`` is unusable; ``findings`` say where and why."""

    def __init__(self, findings: list[Finding]):
        super().__init__("; ".join(f"{f.location}: {f.message}" for f in findings))
        self.findings = findings


def load_settings(path: Path) -> PolicySettings:
    """Read and validate the organisation's limits. Raises :class:`SettingsError` naming the file and line."""
    from agentid.registry import schema as schema_mod
    from agentid.registry.yamlsafe import YamlReadError, load_bytes

    file = str(path)
    try:
        doc = load_bytes(path.read_bytes())
    except OSError as exc:
        raise SettingsError([_settings_finding(f"cannot read the settings: {exc.strerror}", file, None)]) from None
    except YamlReadError as exc:
        raise SettingsError([_settings_finding(p.message, file, p.position.line) for p in exc.problems]) from None
    problems = schema_mod.validate(doc, _settings_validator())
    if problems:
        raise SettingsError([_settings_finding(p.message, file, p.position.line) for p in problems])
    data: dict[str, Any] = doc.data
    defaults = PolicySettings()
    return PolicySettings(
        allowed_owner_domains=tuple(d.casefold() for d in data["allowed_owner_domains"]),
        max_scopes=data["max_scopes"],
        restricted_max_token_minutes=data["restricted_max_token_minutes"],
        ephemeral_max_days=data["ephemeral_max_days"],
        review_interval_days=data["review_interval_days"],
        waiver_max_days=data["waiver_max_days"],
        default_stack_max_token_minutes=data["default_stack_max_token_minutes"],
        service_account_patterns=tuple(data.get("service_account_patterns", ())),
        forbidden_okta_scopes=tuple(data.get("forbidden_okta_scopes", defaults.forbidden_okta_scopes)),
        forbidden_okta_admin_roles=tuple(data.get("forbidden_okta_admin_roles", defaults.forbidden_okta_admin_roles)),
    )


@functools.lru_cache(maxsize=1)
def _settings_validator() -> Any:
    from agentid.registry import schema as schema_mod

    return schema_mod.validator_for(str(SETTINGS_SCHEMA_PATH))


def _settings_finding(message: str, file: str, line: int | None) -> Finding:
    return Finding(
        rule="settings",
        severity=Severity.ERROR,
        message=message,
        file=file,
        line=line,
        remediation="Fix policies/settings.yaml (its schema is policies/settings.schema.json).",
    )


@functools.lru_cache(maxsize=1)
def default_settings() -> PolicySettings:
    """The committed ``policies/settings.yaml``: what every caller gets unless it passes its own settings."""
    return load_settings(SETTINGS_PATH)


def _stack_configs(root: Path) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Each ``Pulumi.<stack>.yaml`` under ``root`` as (stack, its ``config`` mapping). A file that cannot be read or
    parsed, or whose ``config`` is not a mapping, is skipped: the Pulumi CLI and infra/config.py report it, and it
    sets no limit here."""
    import yaml

    from agentid.stackyaml import load_yaml

    for path in sorted(root.glob("Pulumi.*.yaml")):
        try:
            config = (load_yaml(path.read_text(encoding="utf-8")) or {}).get("config") or {}
        except (OSError, yaml.YAMLError, AttributeError):
            continue
        if isinstance(config, Mapping):
            yield path.name[len("Pulumi.") : -len(".yaml")], config


StackConfigs = Sequence[tuple[str, Mapping[str, Any]]]


def load_stack_pattern_limits(root: Path) -> dict[str, int]:
    """EventBridge pattern size limits per stack from ``Pulumi.<stack>.yaml`` (``agentid:detections``
    ``maxPatternChars``). A stack that sets none is judged at AWS's default quota by the rule."""
    return _pattern_limits(list(_stack_configs(root)))


def _pattern_limits(configs: StackConfigs) -> dict[str, int]:
    limits: dict[str, int] = {}
    for stack, config in configs:
        detections = config.get(STACK_DETECTIONS_KEY) or {}
        if isinstance(detections, Mapping) and "value" in detections and len(detections) == 1:
            detections = detections["value"]
        try:
            limits[stack] = int(detections["maxPatternChars"])
        except (KeyError, TypeError, ValueError):
            continue  # a broken or absent value is infra/config.py's to report; it sets no limit here
    return limits


def load_stack_shards(root: Path) -> tuple[dict[str, str], frozenset[str]]:
    """From each ``Pulumi.<stack>.yaml``'s ``agentid:shard``: the environment each sharded stack serves, and the
    member stacks (whose log stream lives in their core). A broken value is infra/config.py's to report (the plan
    of that stack fails with its message); it is skipped here."""
    return _shards(list(_stack_configs(root)))


def _shards(configs: StackConfigs) -> tuple[dict[str, str], frozenset[str]]:
    from agentid.stack import ShardConfigError, ShardMode, parse_shard_config, shard_setting

    environments: dict[str, str] = {}
    members: set[str] = set()
    for stack, config in configs:
        try:
            shard = parse_shard_config(shard_setting(config), stack)
        except ShardConfigError:
            continue
        if shard.environment is not None:
            environments[stack] = shard.environment
        if shard.mode is ShardMode.MEMBER:
            members.add(stack)
    return environments, frozenset(members)


def load_known_environments(root: Path) -> frozenset[str]:
    """What an agent's ``environments`` may name: the stack of every ``Pulumi.<stack>.yaml`` under ``root``, and the
    environment each sharded stack serves (``agentid:shard``)."""
    return _known_environments(root, load_stack_shards(root)[0])


def _known_environments(root: Path, sharded: Mapping[str, str]) -> frozenset[str]:
    stacks = {path.name[len("Pulumi.") : -len(".yaml")] for path in root.glob("Pulumi.*.yaml")}
    return frozenset(stacks | set(sharded.values()))


def load_stack_limits(root: Path) -> dict[str, int]:
    """Token lifetime ceilings per stack from ``Pulumi.<stack>.yaml`` (``agentid:maxTokenLifetimeMinutes``)."""
    return _token_limits(list(_stack_configs(root)))


def _token_limits(configs: StackConfigs) -> dict[str, int]:
    limits: dict[str, int] = {}
    for stack, config in configs:
        value = config.get(STACK_TOKEN_LIMIT_KEY)
        if isinstance(value, Mapping):
            value = value.get("value")
        try:
            limits[stack] = int(value)
        except (TypeError, ValueError):
            continue
    return limits


def stack_context(root: Path) -> dict[str, Any]:
    """What the rules read from the stack files under ``root``, as :func:`evaluate`'s keyword arguments: token and
    pattern limits, shards and the environments agents may name, from one reading of the files. ``agentid check``
    and both revisions of ``agentid review`` judge with it, so a review reports what a check of the same revision
    would."""
    configs = list(_stack_configs(root))
    shards = _shards(configs)
    return {
        "stack_token_limits": _token_limits(configs),
        "stack_pattern_limits": _pattern_limits(configs),
        "stack_shards": shards,
        "known_environments": _known_environments(root, shards[0]),
    }


def pinned_today() -> dt.date:
    """``AGENTID_TODAY`` (YYYY-MM-DD) when set, else today: checkov and CrossGuard have no ``--today``, so tests and
    reproducible CI runs pin the day here. Raises :class:`ValueError` naming the variable when it is not a date."""
    pinned = os.environ.get(TODAY_ENV)
    if not pinned:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(pinned)
    except ValueError:
        raise ValueError(f"{TODAY_ENV}={pinned!r} is not a date; use YYYY-MM-DD") from None


# --------------------------------------------------------------------------------------------------- evaluate


def rules_for(*, with_resources: bool) -> list[Rule]:
    """The rules one evaluation runs: registry ones always, resource and stack ones only on a plan."""
    kinds = {RuleKind.REGISTRY, RuleKind.REGISTRY_WIDE}
    if with_resources:
        kinds |= {RuleKind.RESOURCE, RuleKind.STACK}
    return [r for r in all_rules() if r.meta.kind in kinds]


#: Registry rules the Pulumi policy pack runs as well, once per preview, on the checkout's agents: their verdict
#: depends on the ``Pulumi.<stack>.yaml`` files beside the program, and what they catch is a deploy that silently
#: leaves an agent out (an agent listing ``prd`` is in no stack's plan, so no resource or stack rule would ever see
#: it). The other registry rules judge the agent files alone; ``agentid check`` runs them before any preview.
STACK_FILE_RULES = frozenset({"environment-has-stack"})


def pack_rules() -> list[Rule]:
    """The rules the Pulumi policy pack runs, one policy each, in rule-number order: the resource and stack rules and
    the registry rules of :data:`STACK_FILE_RULES`. Chosen here, not in ``policies/pack/validators.py``, so that
    docs/rules.md (``policies/rules/_docs.py``) states where each rule runs from the pack's own choice without
    importing ``pulumi_policy``."""
    return [
        r for r in all_rules() if r.meta.kind in (RuleKind.RESOURCE, RuleKind.STACK) or r.meta.id in STACK_FILE_RULES
    ]


def stack_free_rule_ids() -> frozenset[str]:
    """The registry rules whose verdict is the same for every stack checked (``RuleMeta.reads_stack`` unset): a
    check of one stack and a review judge them alike, so their verdict is cached once (agentid.findings_cache)."""
    return frozenset(r.meta.id for r in rules_for(with_resources=False) if not r.meta.reads_stack)


def _plan_only_rules() -> list[Rule]:
    """What ``evaluate(..., plan_rules_only=True)`` runs: the resource and stack rules, and the registry rules whose
    findings supersede a plan rule's (:data:`SUPERSEDED_PLAN_FINDINGS`), without which the plan finding would stay."""
    superseding = {registry_rule for _plan, registry_rule in SUPERSEDED_PLAN_FINDINGS}
    return [r for r in all_rules() if r.meta.kind in (RuleKind.RESOURCE, RuleKind.STACK) or r.meta.id in superseding]


def evaluate(
    registry: Registry,
    *,
    today: dt.date,
    stack: str | None = None,
    resources: Sequence[PlannedResource] | None = None,
    settings: PolicySettings | None = None,
    stack_token_limits: Mapping[str, int] | None = None,
    stack_pattern_limits: Mapping[str, int] | None = None,
    stack_shards: tuple[Mapping[str, str], frozenset[str]] | None = None,
    known_environments: frozenset[str] | None = None,
    plan_rules_only: bool = False,
    rule_ids: frozenset[str] | None = None,
) -> list[Finding]:
    """Every applicable rule on ``registry`` (and on ``resources`` when given), waivers applied, in stable order.
    ``stack_shards`` is :func:`load_stack_shards`'s answer (sharded stacks' environments, member stacks).

    ``plan_rules_only`` (with ``resources``): only the resource and stack rules' findings, exactly those the full
    evaluation reports, without running every registry rule again (``agentid check`` has already run them once).
    ``rule_ids``: only these rules (the findings of the others are left out, as if they had found nothing).
    """
    ctx = _rule_context(
        registry,
        today=today,
        stack=stack,
        settings=settings,
        stack_token_limits=stack_token_limits,
        stack_pattern_limits=stack_pattern_limits,
        stack_shards=stack_shards,
        known_environments=known_environments,
    )
    findings: list[Finding] = []
    # Rules read a registry of up to millions of objects and build little: the cyclic collector would only re-scan
    # the registry (see agentid.gcpause).
    with cyclic_gc_paused():
        rules = (
            _plan_only_rules()
            if plan_rules_only and resources is not None
            else rules_for(with_resources=resources is not None)
        )
        if rule_ids is not None:
            rules = [r for r in rules if r.meta.id in rule_ids]
        for rule in rules:
            try:
                findings.extend(_run(rule, registry, registry, resources or (), ctx))
            except Exception as exc:  # one broken rule must not hide every other finding
                findings.append(
                    Finding(
                        rule=ENGINE_ERROR_RULE,
                        severity=Severity.ERROR,
                        message=f"rule `{rule.meta.id}` failed: {type(exc).__name__}: {exc}",
                        remediation="This is a bug in the rule, not in your files; report it with AGENTID_DEBUG=1 "
                        "output.",
                    )
                )
        judged = sorted_findings(apply_waivers(_drop_superseded(findings), registry, ctx))
        if plan_rules_only and resources is not None:
            judged = _plan_kinds_only(judged)
        return judged


def _rule_context(
    registry: Any,
    *,
    today: dt.date,
    stack: str | None = None,
    settings: PolicySettings | None = None,
    stack_token_limits: Mapping[str, int] | None = None,
    stack_pattern_limits: Mapping[str, int] | None = None,
    stack_shards: tuple[Mapping[str, str], frozenset[str]] | None = None,
    known_environments: frozenset[str] | None = None,
) -> RuleContext:
    environments, members = stack_shards or ({}, frozenset())
    limits = dict(stack_token_limits or {})
    return RuleContext(
        today=today,
        settings=settings or default_settings(),
        registry=registry,
        stack=stack,
        stack_max_token_minutes=limits.get(stack) if stack else None,
        stack_token_limits=limits,
        stack_pattern_limits=dict(stack_pattern_limits or {}),
        stack_environments=dict(environments),
        member_stacks=members,
        known_environments=known_environments,
    )


def _plan_kinds_only(findings: list[Finding]) -> list[Finding]:
    """The findings of resource and stack rules (those of the registry rules that supersede them left out)."""
    plan_kinds = (RuleKind.RESOURCE, RuleKind.STACK)
    return [f for f in findings if (r := get_rule(f.rule)) is not None and r.meta.kind in plan_kinds]


# --------------------------------------------------------------------------------------------------- plan parts


class OutOfPart(Exception):
    """A rule judging one bundle of a plan read something outside it: that plan is judged whole."""


class PartView:
    """What ``ctx.registry`` is while one bundle of a plan is judged (:func:`evaluate_part`): the bundle's own agent
    and the catalog, nothing else. Any other read (another agent, iterating, counting) is recorded in ``tripped``
    and raises :class:`OutOfPart`, so a rule that starts reading across agents makes its plans be judged whole
    instead of being judged wrongly, even if it swallows the exception."""

    __slots__ = ("_agent", "_registry", "tripped")

    def __init__(self, registry: Registry, agent: str | None) -> None:
        self._registry = registry
        self._agent = agent
        self.tripped: str | None = None

    def _trip(self, what: str) -> OutOfPart:
        self.tripped = self.tripped or what
        return OutOfPart(f"a rule read {what} while judging the bundle of {self._agent or 'the shared resources'}")

    @property
    def catalog(self) -> Any:
        return self._registry.catalog

    def get(self, name: str) -> Agent | None:
        if name != self._agent or name is None:
            raise self._trip(f"agent {name!r}")
        return self._registry.get(name)

    def __getattr__(self, name: str) -> Any:
        raise self._trip(f"registry.{name}")

    def __iter__(self) -> Iterator[Agent]:
        raise self._trip("every agent")

    def __len__(self) -> int:
        raise self._trip("the number of agents")

    def __bool__(self) -> bool:
        raise self._trip("whether the registry is empty")

    def __contains__(self, item: object) -> bool:
        raise self._trip("registry membership")


@dataclass(frozen=True)
class PlanParts:
    """How a plan's verdict (``evaluate(..., resources=plan, plan_rules_only=True)``) is composed from its bundles'.

    ``by_bundle``: the rules judged on each bundle alone (:func:`evaluate_part`): every resource rule, the stack
    rules marked ``by_bundle``, and the registry rules whose findings supersede a plan finding (judged on the
    bundle's agent). ``whole``: the stack rules marked ``reads_types``, judged once on the plan's resources of
    ``types``. The verdict is the two sorted together (tests/policies/test_plan_parts.py)."""

    by_bundle: frozenset[str]
    whole: frozenset[str]
    types: frozenset[str]


@functools.lru_cache(maxsize=1)
def plan_parts() -> PlanParts | None:
    """The rules' split into per-bundle and whole-plan ones, or None when some plan rule is neither (a stack rule
    with no ``by_bundle`` or ``reads_types``, a registry-wide superseding rule): plans are then judged whole."""
    superseded = {plan_rule for plan_rule, _registry_rule in SUPERSEDED_PLAN_FINDINGS}
    by_bundle: set[str] = set()
    whole: set[str] = set()
    types: set[str] = set()
    for rule in _plan_only_rules():
        meta = rule.meta
        if meta.kind is RuleKind.RESOURCE or meta.kind is RuleKind.REGISTRY or meta.by_bundle:
            by_bundle.add(meta.id)
        elif meta.kind is RuleKind.STACK and meta.reads_types and meta.id not in superseded:
            whole.add(meta.id)
            types.update(meta.reads_types)
        else:
            return None
    return PlanParts(frozenset(by_bundle), frozenset(whole), frozenset(types))


def evaluate_part(
    registry: Registry, agent: str | None, resources: Sequence[PlannedResource], **judging: Any
) -> list[Finding]:
    """The findings of the ``rule_ids`` rules (:attr:`PlanParts.by_bundle`) on one bundle of a plan: ``resources``,
    owned by ``agent`` (None: the shared resources). What :func:`evaluate` with ``plan_rules_only`` reports for these
    resources before waivers (:func:`compose_plan_verdict` applies them), the registry rules among ``rule_ids``
    judging ``agent`` alone. ``judging``: ``rule_ids`` and the arguments of :func:`evaluate` but the registry and the
    resources. Raises what :class:`PartJudge` raises."""
    return PartJudge(registry, **judging)(agent, resources)


class PartJudge:
    """:func:`evaluate_part` for the bundles of one plan, one at a time, the rule context and the rules set up once
    (a plan of 10,000 agents has as many bundles)."""

    def __init__(
        self, registry: Registry, *, rule_ids: frozenset[str], plan_rules_only: bool = True, **context: Any
    ) -> None:
        """``context``: the arguments of :func:`evaluate` that make the rule context (``today``, ``stack``,
        ``settings``, the stack files' limits, shards and environments)."""
        if not plan_rules_only:
            raise ValueError("a bundle is judged by the plan rules only")
        self._registry = registry
        self._ctx = _rule_context(registry, **context)
        self._rules = [rule for rule in _plan_only_rules() if rule.meta.id in rule_ids]

    def __call__(self, agent: str | None, resources: Sequence[PlannedResource]) -> list[Finding]:
        """The bundle's findings. Raises :class:`OutOfPart` when a rule reads another agent (the bundle cannot be
        judged alone), and whatever a rule raises (:func:`evaluate` would report it as an engine error): the caller
        then judges the whole plan."""
        view = PartView(self._registry, agent)
        ctx = replace(self._ctx, registry=view)
        owner = self._registry.get(agent) if agent is not None else None
        agents = (owner,) if owner is not None else ()
        findings: list[Finding] = []
        for rule in self._rules:
            findings.extend(_run(rule, agents, view, resources, ctx))
        if view.tripped is not None:
            raise OutOfPart(view.tripped)
        if not findings:
            return findings
        return _plan_kinds_only(sorted_findings(_drop_superseded(findings)))


def compose_plan_verdict(
    registry: Registry,
    part_findings: Iterable[Finding],
    typed: Sequence[PlannedResource],
    parts: PlanParts,
    **judging: Any,
) -> list[Finding]:
    """``evaluate(registry, resources=plan, plan_rules_only=True, **judging)`` of a plan whose bundles'
    :func:`evaluate_part` findings are ``part_findings`` (in plan order: the shared bundle, then each agent's by name,
    the order of every plan) and whose resources of ``parts.types`` are ``typed`` (in plan order too): the
    waivers applied to the bundles' findings (a waiver's validity reads the whole registry: is its approver an agent?),
    with the whole-plan stack rules' verdict on ``typed``. Raises :class:`OutOfPart` when one of those rules fails
    (the plan is then judged whole, where the failure is reported)."""
    whole: list[Finding] = []
    if parts.whole:
        whole = evaluate(registry, resources=typed, rule_ids=parts.whole, **judging)
        if any(f.rule == ENGINE_ERROR_RULE for f in whole):
            raise OutOfPart("a whole-plan stack rule failed")
    arguments = {name: value for name, value in judging.items() if name != "plan_rules_only"}
    ctx = _rule_context(registry, **arguments)
    return sorted_findings([*apply_waivers(part_findings, registry, ctx), *whole])


def _drop_superseded(findings: list[Finding]) -> list[Finding]:
    reported = {(f.rule, f.agent) for f in findings}
    return [
        f
        for f in findings
        if not any(
            f.rule == plan and (registry_rule, f.agent) in reported for plan, registry_rule in SUPERSEDED_PLAN_FINDINGS
        )
    ]


def _run(
    rule: Rule, agents: Iterable[Agent], registry: Any, resources: Sequence[PlannedResource], ctx: RuleContext
) -> Iterable[Finding]:
    """One rule's findings: a registry rule on each of ``agents``, a registry-wide one on ``registry``, a resource or
    stack rule on ``resources`` (their findings located in the owning agent's file, found in ``registry``)."""
    kind = rule.meta.kind
    if kind is RuleKind.REGISTRY:
        for agent in agents:
            for violation in rule.check(agent, ctx):
                yield _agent_finding(rule, agent, violation)
    elif kind is RuleKind.REGISTRY_WIDE:
        for agent, violation in rule.check(registry, ctx):
            yield _agent_finding(rule, agent, violation)
    elif kind is RuleKind.RESOURCE:
        for resource in resources:
            for violation in rule.check(resource, ctx):
                yield _plan_finding(rule, registry, violation, violation.agent or resource.agent, ctx.stack)
    else:
        for violation in rule.check(resources, ctx):
            yield _plan_finding(rule, registry, violation, violation.agent, ctx.stack)


def _agent_finding(rule: Rule, agent: Agent, violation: Violation) -> Finding:
    return Finding(
        rule=rule.meta.id,
        severity=rule.meta.severity,
        message=violation.message,
        file=agent.file,
        line=agent.line(*violation.path),
        column=agent.source.column(*violation.path),
        agent=agent.name,
        remediation=rule.meta.remediation,
        nhi=rule.meta.nhi,
    )


def _plan_finding(
    rule: Rule, registry: Any, violation: Violation, agent_name: str | None, stack: str | None
) -> Finding:
    """Plan findings point at the owning agent's file when there is one (at ``violation.path`` in it, else its
    name), so an editor or a PR annotation lands where the fix is; shared resources (the authorization server, the
    log stream) point at the stack's configuration, ``Pulumi.<stack>.yaml``."""
    agent = registry.get(agent_name) if agent_name else None
    if agent is None:
        return Finding(
            rule=rule.meta.id,
            severity=rule.meta.severity,
            message=violation.message,
            file=f"Pulumi.{stack}.yaml" if stack else None,
            agent=agent_name,
            remediation=rule.meta.remediation,
            nhi=rule.meta.nhi,
        )
    path = violation.path if violation.path and violation.path[0] in _AGENT_KEYS else ("name",)
    return _agent_finding(rule, agent, Violation(violation.message, path))


_AGENT_KEYS = frozenset(
    ("name", "owners", "purpose", "environments", "lifecycle", "credentials", "access", "plugins", "profile", "waivers")
)


# --------------------------------------------------------------------------------------------------- waivers


def apply_waivers(findings: Iterable[Finding], registry: Registry, ctx: RuleContext) -> list[Finding]:
    """Mark findings covered by a valid waiver in their agent's file. Invalid waivers waive nothing (the waiver
    rules report them); non-waivable rules and findings without an agent are never waived."""
    valid: dict[tuple[str, str], dict[str, Any]] = {}
    for agent in registry:
        for waiver in agent.waivers:
            if waiver_problem(waiver, agent, ctx) is None:
                valid.setdefault((agent.name, waiver.rule), waiver.to_dict())
    result = []
    for finding in findings:
        waiver = valid.get((finding.agent or "", finding.rule))
        target = get_rule(finding.rule)
        if waiver is not None and target is not None and target.meta.waivable:
            finding = finding.as_waived(waiver)
        result.append(finding)
    return result


# --------------------------------------------------------------------------------------------------- merging


def merge_loader_findings(loader: Iterable[Finding], rules: Iterable[Finding]) -> list[Finding]:
    """One report from the loader's findings and the rules', each problem once.

    The loader reports private key material itself (it strips the values) and the ``private-key-material`` rule
    reports the same thing from the model: the rule's finding is kept. ``load.unknown-scope`` is dropped where
    ``scope-wildcard`` reports the same value, because "`crm.*` is a wildcard" says more than "not in the catalog".
    Loader findings get their OWASP tags here.
    """
    rule_findings = list(rules)
    places = {(f.rule, f.file, f.line) for f in rule_findings}
    merged = list(rule_findings)
    for finding in loader:
        if (finding.rule, finding.file, finding.line) in places:
            continue
        if any(
            finding.rule == loader_rule and (better, finding.file, finding.line) in places
            for loader_rule, better in SUPERSEDED_LOADER_FINDINGS
        ):
            continue
        if not finding.nhi and finding.rule in LOADER_NHI:
            finding = replace(finding, nhi=LOADER_NHI[finding.rule])
        merged.append(finding)
    return sorted_findings(merged)
