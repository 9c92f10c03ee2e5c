"""Judging a stack's plan by its bundles: a pull request's check reads one verdict table, not every bundle.

Why. The plan cache (:mod:`agentid.plan.incremental`) spares a pull request the Pulumi engine for the agents it does
not touch, but judging the plan still meant assembling it: reading every cached bundle (9,000 files at 10,000 agents,
~1.5 s on two cores) so that the resource and stack rules, the provider conformance checks and the resource count
could see it. Yet each bundle's share of that verdict depends only on the bundle and what the rules read besides:

* the resource rules judge one resource at a time, with the rule context and the resource's own agent;
* the stack rules marked ``by_bundle`` (an agent outside its environments) judge each agent's resources apart;
* the stack rules marked ``reads_types`` (the log stream) read only resources of those types, which are few;
* the registry rule that supersedes a resource rule's finding (:data:`policies.engine.SUPERSEDED_PLAN_FINDINGS`)
  judges the bundle's own agent.

So each bundle's part (its findings before waivers, its conformance violations, its resource count and its resources
of the ``reads_types`` types) is kept in a table keyed by everything it depends on: the bundle's key (its resources),
the agent's file and content digest (where findings point), the catalog, the rules' code and every argument of the
judgement (:func:`agentid.findings_cache.evaluation_key`: the day, the stack, settings, stack-file limits). A plan's
verdict is its parts' findings with the waivers applied over the whole registry (a waiver's validity reads other
agents: is its approver one?) and the ``reads_types`` rules' findings, sorted as the engine sorts them
(:func:`policies.engine.compose_plan_verdict`).

Why it is safe. A bundle is judged by :func:`policies.engine.evaluate_part`, whose rules see a registry that holds
the bundle's agent and the catalog only: a rule that reads anything else (another agent, every agent) trips it, and
the plan is then assembled and judged whole, as before; so does a rule that raises, a bundle missing from the
cache, an agent not loaded from a file, or a rule whose split is not declared (:func:`policies.engine.plan_parts`).
tests/policies/test_plan_parts.py checks on random plans that the composed verdict is the whole one;
tests/plan/test_judged.py that ``agentid check`` and ``agentid review`` report the same with and without the table.

The table of one judgement (one stack, day and rule context) is one file under the verdict cache
(``findings-v1/<code digest>/parts-v1/``): read once, written atomically when a part was added, pruned to the parts in
use when it holds more than twice as many. Deleting it costs the next check one read of every bundle.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentid.conformance.okta import CHECKS_BY_ID, Violation
from agentid.findings import Finding
from agentid.findings_cache import (
    FindingsCache,
    Uncacheable,
    catalog_digest,
    evaluation_key,
    finding_rows,
    findings_of,
)
from agentid.gcpause import cyclic_gc_paused
from agentid.plan.incremental import (
    PlanCache,
    PlanMode,
    RowTable,
    _hash,
    _Keys,
    _keys,
    _plan_missing,
    build_plan_incremental,
    incremental_mode,
)
from agentid.registry.model import Registry
from agentid.resources import PlannedResource

if TYPE_CHECKING:
    from policies.engine import PartJudge

#: Bumped when a part's row changes shape.
TABLE_FORMAT = "parts-v1"


@dataclass(frozen=True)
class _Part:
    """One bundle's share of its plan's judgement."""

    resources: int
    violations: tuple[Violation, ...]
    findings: tuple[Finding, ...]
    #: the bundle's resources of the types the whole-plan stack rules read (``PlanParts.types``)
    typed: tuple[PlannedResource, ...]

    def row(self) -> list[Any] | None:
        """The part as a table row, or None when its findings would not read back as they are."""
        rows = finding_rows(list(self.findings)) if self.findings else []
        if rows is None:
            return None
        violations = [[v.check.id, v.resource_type, v.resource_name, v.agent, v.problem] for v in self.violations]
        typed = [[r.type, r.name, r.parent, r.urn, r.agent, r.inputs] for r in self.typed]
        return [self.resources, violations, rows, typed]

    @classmethod
    def of(cls, row: Any) -> _Part:
        """The part of a table row; raises ValueError (or KeyError, TypeError) on a row this code could not have
        written."""
        count, violation_rows, rows, typed_rows = row
        if type(count) is not int or count < 0:
            raise ValueError(f"malformed resource count {count!r}")
        violations = []
        for check_id, resource_type, resource_name, agent, problem in violation_rows:
            check = CHECKS_BY_ID[check_id]
            if check.resource_type != resource_type or not isinstance(problem, str):
                raise ValueError(f"malformed violation {check_id!r}")
            violations.append(Violation(check, resource_type, resource_name, agent, problem))
        typed = tuple(
            PlannedResource(type=type_, name=name, inputs=inputs, parent=parent, urn=urn, agent=agent)
            for type_, name, parent, urn, agent, inputs in typed_rows
        )
        return cls(count, tuple(violations), tuple(findings_of(rows)), typed)


@dataclass(frozen=True)
class JudgedPlan:
    """A stack's plan as judged from its bundles, without its resources: what ``agentid check`` reports of it."""

    stack: str
    #: the plan's content digest (:attr:`agentid.plan.Plan.digest`)
    digest: str
    #: how many resources the plan holds
    resources: int
    #: the verdict of the resource and stack rules, as ``evaluate(..., plan_rules_only=True)`` gives it
    findings: list[Finding]
    #: the provider conformance violations, in plan order (:attr:`agentid.plan.Plan.violations`)
    violations: list[Violation]
    #: how many bundles were judged now (the others' parts were read from the table)
    judged_now: int


def _table(verdicts: FindingsCache, judgement: str) -> RowTable:
    """The table of ``judgement``, read once per process (a review judges one stack at both revisions)."""
    tables = verdicts.tables
    if judgement not in tables:
        path = verdicts.base / TABLE_FORMAT / judgement[:2] / f"{judgement}.json"
        tables[judgement] = RowTable(path, verdicts.directory)
    return tables[judgement]


def judge_by_parts(
    registry: Registry,
    stack: str,
    keys: _Keys,
    *,
    cache: PlanCache,
    verdicts: FindingsCache,
    judging: Mapping[str, Any],
) -> JudgedPlan | None:
    """The judgement of the plan ``keys`` describe, composed from its bundles' parts (read from the table, or judged
    now from the cached bundle). ``judging``: the arguments of :func:`policies.engine.evaluate` besides the registry
    and the resources (``plan_rules_only`` among them). None when the plan must be judged whole: a rule whose split
    is not declared, a bundle read across, a rule that fails, a bundle not cached, an agent not loaded from a file."""
    from policies.engine import OutOfPart, PartJudge, compose_plan_verdict, plan_parts

    parts = plan_parts()
    if parts is None or not judging.get("plan_rules_only"):
        return None
    try:
        judgement = evaluation_key(
            registry, plan_digest=TABLE_FORMAT, registry_key=catalog_digest(registry), resources=(), **judging
        )
    except Uncacheable:
        return None
    table = _table(verdicts, judgement)
    owners: list[tuple[str | None, str, str]] = [(None, keys.shared_key, _hash(judgement, "shared", keys.shared_key))]
    for name in sorted(keys.agent_keys):
        agent = registry.get(name)
        digest = agent.loaded_from if agent is not None else None
        if agent is None or digest is None:
            return None
        bundle_key = keys.agent_keys[name]
        owners.append((name, bundle_key, _hash(judgement, "agent", name, agent.file, digest, bundle_key)))
    found: list[_Part] = []
    judged_now = 0
    judge: PartJudge | None = None
    with cyclic_gc_paused():
        for owner, bundle_key, part_key in owners:
            part = _stored(table, part_key)
            if part is None:
                judge = judge or PartJudge(registry, rule_ids=parts.by_bundle, **judging)
                part = _judge_bundle(owner, bundle_key, cache, judge, parts.types)
                if part is None:
                    return None
                judged_now += 1
                row = part.row()
                if row is not None:
                    table.added[part_key] = row
            found.append(part)
        typed = [resource for part in found for resource in part.typed]
        try:
            findings = compose_plan_verdict(
                registry, (f for part in found for f in part.findings), typed, parts, **judging
            )
        except OutOfPart:
            return None
        # Each pull request adds its edited bundles' parts; pruned once the table holds twice the parts in use.
        table.save([part_key for _owner, _bundle, part_key in owners], keep=2 * len(owners) + 64)
    return JudgedPlan(
        stack=stack,
        digest=keys.plan_digest(),
        resources=sum(part.resources for part in found),
        findings=findings,
        violations=[violation for part in found for violation in part.violations],
        judged_now=judged_now,
    )


def _stored(table: RowTable, part_key: str) -> _Part | None:
    row = table.rows.get(part_key)
    if row is None:
        return None
    try:
        return _Part.of(row)
    except (ValueError, KeyError, TypeError):  # damaged: judged again
        return None


def _judge_bundle(
    owner: str | None, bundle_key: str, cache: PlanCache, judge: PartJudge, types: frozenset[str]
) -> _Part | None:
    """One bundle's part, judged now; None when it is not cached or cannot be judged alone."""
    bundle = cache.get(bundle_key)
    if bundle is None:
        return None
    try:
        findings = judge(owner, bundle.resources)
    except Exception:  # read across bundles (OutOfPart), or a rule failed: the whole plan is judged instead
        return None
    typed = tuple(r for r in bundle.resources if r.type in types)
    return _Part(len(bundle.resources), bundle.violations, tuple(findings), typed)


def judge_incremental(
    registry: Registry,
    stack: str,
    *,
    today: dt.date,
    root: Path,
    cache: PlanCache,
    verdicts: FindingsCache,
    judging: Mapping[str, Any],
) -> tuple[JudgedPlan | Any, PlanMode]:
    """``stack``'s plan, built as :func:`agentid.plan.incremental.build_plan_incremental` builds it (the missing
    bundles planned, the mode the same), and judged from its bundles when it can be: a :class:`JudgedPlan`, else the
    assembled :class:`agentid.plan.Plan` for the caller to judge whole. Raises what planning raises."""
    try:
        keys = _keys(registry, stack, today, root, cache)
    except Exception:  # the stack file cannot be keyed: the whole program reports why
        return build_plan_incremental(registry, stack, today=today, root=root, cache=cache)
    missing = [agent.name for agent in keys.agents if not cache.has(keys.agent_keys[agent.name])]
    shared_missing = not cache.has(keys.shared_key)
    if not keys.agents or len(missing) == len(keys.agents):
        # First run, or every definition changed: the whole program runs; the parts come from what it stored.
        plan, mode = build_plan_incremental(registry, stack, today=today, root=root, cache=cache)
        judged = judge_by_parts(registry, stack, keys, cache=cache, verdicts=verdicts, judging=judging)
        return (judged if judged is not None else plan), mode
    if missing or shared_missing:
        _plan_missing(registry, stack, today, root, cache, keys, missing)
    mode = incremental_mode(stack, keys, missing, shared_planned=shared_missing)
    judged = judge_by_parts(registry, stack, keys, cache=cache, verdicts=verdicts, judging=judging)
    if judged is None:  # judged whole: assembled from the bundles just made sure of (a damaged one planned again)
        plan, rebuilt = build_plan_incremental(registry, stack, today=today, root=root, cache=cache)
        if rebuilt.planned:
            mode = dataclasses.replace(mode, planned=mode.planned + rebuilt.planned)
        return plan, mode
    return judged, mode


__all__ = ["TABLE_FORMAT", "JudgedPlan", "judge_by_parts", "judge_incremental"]
