"""The offline plan at two revisions: which Okta resources a change adds, removes or changes, per stack and agent.

The registry diff says what an agent *asks for*; the plan diff says what would actually be *deployed*: a new scope
shows up as the policy rule's ``scopeWhitelists`` changing, a new stack as every resource added. Both revisions are
planned with today's infra program (the code under review is the registry, not the program) and each revision's own
``Pulumi.<stack>.yaml``, read from git into a temporary directory so the working tree is never touched.

A plan that fails at either revision becomes a note, not a crash: the reviewer still gets the registry diff.
"""

from __future__ import annotations

import datetime as dt
import functools
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from agentid.findings import Finding
from agentid.findings_cache import FindingsCache, cached_evaluate, is_policy_engine, known_verdict, remember_verdict
from agentid.registry.model import Registry
from agentid.resources import PlannedResource
from agentid.review.findings import identity
from agentid.review.gitrev import GitError, GitRepo

#: Component resources (``agentid:okta:AgentIdentity``...) only group children; they carry no inputs worth diffing.
_COMPONENT_PREFIX = "agentid:"
#: At most this many input keys are named per changed resource: the row must stay one line.
MAX_KEYS_SHOWN = 4


@dataclass(frozen=True, slots=True)
class ResourceChange:
    """One Okta (or AWS) resource that differs between the two plans of a stack."""

    stack: str
    agent: str | None  # None: a shared resource (authorization server, scopes, log stream, detections)
    name: str
    type: str
    action: str  # "added" | "removed" | "changed"
    keys: tuple[str, ...] = ()  # changed input keys (top level, camelCase as the engine sees them)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "agent": self.agent,
            "name": self.name,
            "type": self.type,
            "action": self.action,
            "keys": list(self.keys),
        }


@dataclass(frozen=True)
class PlanDiff:
    """Resource changes of every stack, plus notes for what could not be planned."""

    changes: tuple[ResourceChange, ...] = ()
    stacks: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    skipped: bool = False  # --no-plan
    #: how each revision's plan of each stack was built (incremental or full, and why): agentid.plan.incremental
    modes: tuple[str, ...] = ()
    base_findings: tuple[Finding, ...] = field(default=())
    head_findings: tuple[Finding, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        shape: dict[str, Any] = {
            "skipped": self.skipped,
            "stacks": list(self.stacks),
            "notes": list(self.notes),
            "changes": [c.to_dict() for c in self.changes],
        }
        if not self.skipped:
            shape["modes"] = list(self.modes)
        return shape

    def by_agent(self) -> dict[tuple[str, str | None], list[ResourceChange]]:
        """(stack, agent) -> changes, in plan order (shared resources under ``None``)."""
        grouped: dict[tuple[str, str | None], list[ResourceChange]] = {}
        for change in self.changes:
            grouped.setdefault((change.stack, change.agent), []).append(change)
        return grouped


def diff_resources(
    stack: str, base: Sequence[PlannedResource], head: Sequence[PlannedResource]
) -> list[ResourceChange]:
    """Resources matched by logical name (unique in this program); components are skipped."""
    old = {r.name: r for r in base if not r.type.startswith(_COMPONENT_PREFIX)}
    new = {r.name: r for r in head if not r.type.startswith(_COMPONENT_PREFIX)}
    changes: list[ResourceChange] = []
    for resource in head:
        if resource.name not in new:
            continue
        before = old.get(resource.name)
        if before is resource:  # one object in both plans: a bundle both revisions took from the plan cache
            continue
        if before is None:
            changes.append(ResourceChange(stack, resource.agent, resource.name, resource.type, "added"))
            continue
        keys = _changed_keys(before.inputs, resource.inputs)
        if keys or before.type != resource.type:
            changes.append(ResourceChange(stack, resource.agent, resource.name, resource.type, "changed", keys))
    for resource in base:
        if resource.name in old and resource.name not in new:
            changes.append(ResourceChange(stack, resource.agent, resource.name, resource.type, "removed"))
    return changes


def _changed_keys(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key)))


# --------------------------------------------------------------------------------------------------- revisions


def materialise_stack_files(repo: GitRepo, commit: str, root_in_repo: str, target: Path) -> list[str]:
    """Write ``Pulumi.yaml`` and every ``Pulumi.<stack>.yaml`` as they were at ``commit`` into ``target``; return the
    stacks found. (Both revisions are judged by today's policy settings, like the registry comparison.)"""
    from agentid.plan.stackfile import stack_names  # imported late: Pulumi may be missing (see build_plan_diff)

    prefix = f"{root_in_repo}/" if root_in_repo not in ("", ".") else ""
    out = repo.git("ls-tree", "-z", "--name-only", commit, "--", prefix or ".")
    names = [PurePosixPath(n).name for n in out.decode("utf-8", "surrogateescape").split("\0") if n]
    stacks = stack_names(names)
    for name in ["Pulumi.yaml", *(f"Pulumi.{s}.yaml" for s in stacks)]:
        content = repo.show(commit, f"{prefix}{name}")
        if content is not None:
            (target / name).write_bytes(content)
    return stacks


@dataclass(frozen=True)
class _Side:
    """One revision's plans: stack -> resources (planned in full), stack -> outline (keyed only), stack -> why it
    could not be planned, and each stack's findings."""

    plans: dict[str, tuple[PlannedResource, ...]]
    failures: dict[str, str]
    findings: dict[str, list[Finding]]
    modes: dict[str, str]  # stack -> how its plan was built (stacks planned in full)
    outlines: dict[str, Any] = field(default_factory=dict)

    def mode_notes(self, label: str, stacks: Sequence[str]) -> list[str]:
        """How each stack was dealt with, in stack order: planned (and how), or only keyed."""
        notes = []
        for stack in stacks:
            if stack in self.modes:
                notes.append(self.modes[stack])
            elif stack in self.outlines and stack not in self.failures:
                notes.append(
                    f"{label}: stack `{stack}`: {self.outlines[stack].agents} agents keyed, no plan assembled: its "
                    "verdict is cached, and only the bundles whose keys differ from the other revision's were read"
                )
        return notes


@dataclass(frozen=True)
class _Planner:
    """How one revision's stacks are planned and judged: the registry, its stack files, the caches."""

    registry: Registry
    root: Path
    today: dt.date
    evaluator: Any | None
    cache: Any
    verdicts: FindingsCache | None
    label: str
    context: Mapping[str, Any]

    def outline(self, stack: str) -> Any | None:
        """The plan's outline (its bundles' keys), or None when the stack file cannot be keyed (planning says why)."""
        from agentid.plan.incremental import plan_outline

        try:
            return plan_outline(self.registry, stack, today=self.today, root=self.root, cache=self.cache)
        except Exception:
            return None

    def known_findings(self, stack: str, outline: Any) -> list[Finding] | None:
        """The cached verdict of the resource and stack rules on the plan ``outline`` describes, if judged before."""
        return known_verdict(
            self.evaluator, self.verdicts, self.registry, plan_digest=outline.digest, **self._judging(stack)
        )

    def judged_by_parts(self, stack: str, outline: Any) -> Any | None:
        """The verdict on the plan ``outline`` describes, composed from its bundles' (agentid.plan.judged) without
        assembling the plan, and kept where :meth:`known_findings` finds it; None when it must be judged whole."""
        if self.verdicts is None or not is_policy_engine(self.evaluator):
            return None
        from agentid.plan.judged import judge_by_parts

        judging = self._judging(stack)
        judged = judge_by_parts(
            self.registry, stack, outline.keys, cache=self.cache, verdicts=self.verdicts, judging=judging
        )
        if judged is not None:
            remember_verdict(
                self.evaluator, self.verdicts, self.registry, judged.findings, plan_digest=judged.digest, **judging
            )
        return judged

    def _judging(self, stack: str) -> dict[str, Any]:
        """How a plan of ``stack`` is judged: with this revision's stack files, and only the resource and stack rules
        (the registry rules ran once per revision already, in build_review, as in `agentid check`)."""
        return {"today": self.today, "stack": stack, **self.context, "plan_rules_only": True}

    def plan(self, side: _Side, stack: str) -> tuple[PlannedResource, ...] | None:
        """Plan ``stack`` in full (incrementally: the cache's bundles and the missing ones), judge it if nobody has,
        and record it in ``side``; None when the plan fails (``side.failures`` says why)."""
        from agentid.plan.incremental import build_plan_incremental

        try:
            plan, mode = build_plan_incremental(
                self.registry, stack, today=self.today, root=self.root, cache=self.cache
            )
            side.modes[stack] = f"{self.label}: {mode.note()}"
        except Exception as exc:  # any failure is a note for the reviewer, never a traceback
            side.failures[stack] = str(exc) or type(exc).__name__
            return None
        side.plans[stack] = tuple(plan.resources)
        if self.evaluator is not None and stack not in side.findings:
            side.findings[stack] = cached_evaluate(
                self.evaluator,
                self.verdicts,
                self.registry,
                plan_digest=plan.digest,
                resources=plan.resources,
                **self._judging(stack),
            )
        return side.plans[stack]


def _plan_side(planner: _Planner, stacks: Sequence[str]) -> _Side:
    """Each stack's outline; a stack whose verdict is cached stops there (only the bundles that differ from the
    other revision's are read, when the two are compared), any other is planned and judged."""
    side = _Side({}, {}, {}, {})
    for stack in stacks:
        outline = planner.outline(stack)
        if outline is not None:
            side.outlines[stack] = outline
            known = planner.known_findings(stack, outline) if planner.evaluator is not None else None
            if known is not None:
                side.findings[stack] = known
                continue
            judged = planner.judged_by_parts(stack, outline) if planner.evaluator is not None else None
            if judged is not None:
                side.findings[stack] = judged.findings
                side.modes[stack] = (
                    f"{planner.label}: stack `{stack}`: {outline.agents} agents keyed, no plan assembled: its verdict "
                    f"composed from its bundles' ({judged.judged_now} judged now, the others' read from the cache)"
                )
                continue
        planner.plan(side, stack)
    return side


def _stack_context(root: Path) -> dict[str, Any]:
    """What the policy engine reads from one revision's stack files, as `agentid check` of it reads them."""
    try:
        from policies.engine import stack_context
    except ImportError:
        return {}
    return stack_context(root)


def _resources_of(planner: _Planner, side: _Side, stack: str) -> tuple[PlannedResource, ...] | None:
    """The whole plan of ``stack`` at this revision, planning it now if only its outline was taken."""
    if stack in side.plans:
        return side.plans[stack]
    return planner.plan(side, stack)


def _stack_changes(
    stack: str, planners: tuple[_Planner, _Planner], sides: tuple[_Side, _Side], stacks: tuple[Sequence[str], ...]
) -> list[ResourceChange] | None:
    """The resource changes of one stack: from the differing bundles when both revisions have an outline and every
    such bundle is cached, else from the whole plans (planned now where needed); None when a plan failed."""
    from agentid.plan.incremental import differing_resources

    base, head = sides
    if any(stack in side.failures for side in sides):
        return None
    if stack in base.outlines and stack in head.outlines:
        pair = differing_resources(base.outlines[stack], head.outlines[stack], planners[0].cache)
        if pair is not None:
            return diff_resources(stack, *pair)
    planned: list[tuple[PlannedResource, ...]] = []
    for planner, side, present in zip(planners, sides, stacks, strict=True):
        resources = _resources_of(planner, side, stack) if stack in present else ()
        if resources is None:
            return None
        planned.append(resources)
    return diff_resources(stack, planned[0], planned[1])


@dataclass(frozen=True)
class RevisionRoots:
    """Each revision's stack files, materialised: where they are and which stacks they configure."""

    base_root: Path
    base_stacks: list[str]
    head_root: Path
    head_stacks: list[str]

    def context(self, side: str) -> Mapping[str, Any]:
        """What the policy engine reads from one revision's stack files (``side``: "base" or "head"), as `agentid
        check` of that revision reads them: read once, for the registry rules and the plans' rules alike."""
        return self._contexts[side]

    @functools.cached_property
    def _contexts(self) -> dict[str, Mapping[str, Any]]:
        return {"base": _stack_context(self.base_root), "head": _stack_context(self.head_root)}


def materialise_revisions(
    repo: GitRepo, *, base_commit: str, head_commit: str | None, root: Path, target: Path
) -> RevisionRoots:
    """The stack files of both revisions under ``target`` (the working tree's own when ``head_commit`` is None).
    Raises :class:`GitError`, or :class:`ValueError` when ``root`` is outside the repository."""
    from agentid.plan.stackfile import available_stacks

    root_in_repo = root.resolve().relative_to(repo.toplevel).as_posix()
    base_root = target / "base"
    base_root.mkdir()
    base_stacks = materialise_stack_files(repo, base_commit, root_in_repo, base_root)
    if head_commit is None:
        return RevisionRoots(base_root, base_stacks, root, available_stacks(root))
    head_root = target / "head"
    head_root.mkdir()
    return RevisionRoots(
        base_root, base_stacks, head_root, materialise_stack_files(repo, head_commit, root_in_repo, head_root)
    )


def build_plan_diff(
    repo: GitRepo,
    *,
    base_commit: str,
    head_commit: str | None,
    base_registry: Registry,
    head_registry: Registry,
    root: Path,
    today: dt.date,
    evaluator: Any | None,
    use_cache: bool = True,
    revisions: RevisionRoots | None = None,
) -> PlanDiff:
    """Plan every stack configured at either revision, at both, and diff resources and resource-rule findings.

    Findings of a stack are compared only when it was planned at both revisions, so a plan that fails on one side
    cannot make every finding look introduced or fixed.

    Plans are incremental (agentid/plan/incremental.py): the base is planned first, and the head then plans only the
    agents whose inputs differ from the base's (or from anything in the repository's plan cache), reusing the
    rest; a stack file that differs between the revisions changes every key, so its head is planned in full. With
    ``use_cache=False`` the repository's cache is neither read nor written, and the reuse stays within this run.
    ``revisions``: both revisions' stack files, when the caller has materialised them already.
    """
    try:
        import agentid.plan  # noqa: F401  (Pulumi may be missing: then the plan is a note)
    except ImportError as exc:
        return PlanDiff(notes=(f"offline plan not compared: {exc}",))
    from agentid.plan.incremental import PlanCache

    with tempfile.TemporaryDirectory(prefix="agentid-review-plan-") as tmp:
        cache = PlanCache.for_root(root, enabled=use_cache) or PlanCache(Path(tmp) / "cache")
        verdicts = FindingsCache.for_root(root, enabled=use_cache)
        if revisions is None:
            try:
                revisions = materialise_revisions(
                    repo, base_commit=base_commit, head_commit=head_commit, root=root, target=Path(tmp)
                )
            except ValueError:
                return PlanDiff(notes=(f"offline plan not compared: {root} is outside the git repository",))
            except GitError as exc:
                return PlanDiff(notes=(f"offline plan not compared: {exc}",))
        base_stacks, head_stacks = revisions.base_stacks, revisions.head_stacks
        stacks = sorted(set(base_stacks) | set(head_stacks))
        planners = tuple(
            _Planner(
                registry,
                stack_root,
                today,
                evaluator,
                cache,
                verdicts,
                label,
                revisions.context(label) if evaluator is not None else {},
            )
            for registry, stack_root, label in (
                (base_registry, revisions.base_root, "base"),
                (head_registry, revisions.head_root, "head"),
            )
        )
        base = _plan_side(planners[0], base_stacks)
        head = _plan_side(planners[1], head_stacks)
        notes: list[str] = []
        changes: list[ResourceChange] = []
        base_findings: list[Finding] = []
        head_findings: list[Finding] = []
        for stack in stacks:
            stack_changes = _stack_changes(stack, planners, (base, head), (base_stacks, head_stacks))
            failed = [
                (label, side.failures[stack])
                for label, side in (("base", base), ("head", head))
                if stack in side.failures
            ]
            if failed or stack_changes is None:
                for label, why in failed:
                    notes.append(
                        f"stack `{stack}`: the plan at {label} failed, resources not compared: {_one_line(why)}"
                    )
                continue
            if stack not in base_stacks:
                notes.append(f"stack `{stack}` is new: every resource is added")
            elif stack not in head_stacks:
                notes.append(f"stack `{stack}` is removed: every resource would be destroyed")
            changes.extend(stack_changes)
            if stack in base.findings and stack in head.findings:
                base_findings.extend(base.findings[stack])
                head_findings.extend(head.findings[stack])
    return PlanDiff(
        changes=tuple(changes),
        stacks=tuple(stacks),
        notes=tuple(notes),
        modes=(*base.mode_notes("base", base_stacks), *head.mode_notes("head", head_stacks)),
        base_findings=_unique(base_findings),
        head_findings=_unique(head_findings),
    )


def _unique(findings: list[Finding]) -> tuple[Finding, ...]:
    """A resource rule firing identically on two stacks' plans is one finding for the reviewer (as in check)."""
    seen: set[tuple[str, str, str, bool]] = set()
    unique = []
    for finding in findings:
        key = identity(finding)
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return tuple(unique)


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


__all__ = ["PlanDiff", "ResourceChange", "RevisionRoots", "build_plan_diff", "diff_resources", "materialise_revisions"]
