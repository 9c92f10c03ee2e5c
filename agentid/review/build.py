"""Assemble a review from two git revisions (the head may be the working tree)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from agentid.findings import Severity
from agentid.findings_cache import FindingsCache
from agentid.registry import LoadResult, load_registry
from agentid.registry.model import Agent
from agentid.review.diff import diff_registries
from agentid.review.findings import Evaluator, compare_findings, default_evaluator, policy_findings
from agentid.review.gitrev import GitError, GitRepo, load_registry_at
from agentid.review.model import Review
from agentid.review.plandiff import PlanDiff, RevisionRoots, build_plan_diff, materialise_revisions


def build_review(
    repo: GitRepo,
    base_ref: str,
    head_ref: str | None,
    *,
    today: dt.date,
    agents_dir: Path,
    catalog_file: Path,
    root: Path,
    evaluator: Evaluator | None = None,
    engine_label: str | None = None,
    with_plan: bool = True,
    use_cache: bool = True,
) -> Review:
    """Compare the registry at ``base_ref`` with ``head_ref`` (``None``: the working tree under ``agents_dir``).

    With ``with_plan`` each stack's offline plan is built at both revisions too: its resource changes are reported
    and its resource-rule findings join the introduced/fixed comparison.

    Raises :class:`~agentid.review.gitrev.GitError` for a ref that names no commit (the CLI makes it a usage error).
    """
    if evaluator is None and engine_label is None:
        evaluator, engine_label = default_evaluator()
    base_commit = repo.resolve(base_ref)
    head_commit = repo.resolve(head_ref) if head_ref is not None else None
    head: LoadResult
    if head_commit is None:
        # The plan's SDK is imported while the head's files are read (agentid.plan itself imports no Pulumi), when a
        # plan will surely run the program.
        from agentid.plan import prepare

        warm_up = prepare if with_plan and not _plans_from_cache(root, use_cache) else None
        head = load_registry(agents_dir, catalog_file, root=root, meanwhile=warm_up)
    else:
        head = load_registry_at(repo, head_commit, fallback_catalog=catalog_file)
    # A pull request changes a few files: the base's copy of every other file is the head's, parsed once.
    base = load_registry_at(
        repo,
        base_commit,
        fallback_catalog=catalog_file,
        reuse=_reusable(head, repo.agents_dir) if head_commit is None else None,
    )
    not_loaded = unloaded_agents(head)
    plan = PlanDiff(skipped=True)
    verdicts = FindingsCache.for_root(root, enabled=use_cache)
    with tempfile.TemporaryDirectory(prefix="agentid-review-") as tmp:
        # Each revision is judged with its own stack files, as `agentid check` of that revision would judge it.
        try:
            revisions: RevisionRoots | None = materialise_revisions(
                repo, base_commit=base_commit, head_commit=head_commit, root=root, target=Path(tmp)
            )
        except (GitError, ValueError):
            revisions = None  # the plan diff says why; the registry rules judge without stack files
        base_findings, head_findings = (
            policy_findings(
                side.registry,
                side.findings,
                evaluator,
                today=today,
                context=_context(revisions, label, evaluator),
                verdicts=verdicts,
            )
            for label, side in (("base", base), ("head", head))
        )
        if with_plan:
            plan = build_plan_diff(
                repo,
                base_commit=base_commit,
                head_commit=head_commit,
                base_registry=base.registry,
                head_registry=head.registry,
                root=root,
                today=today,
                evaluator=evaluator,
                use_cache=use_cache,
                revisions=revisions,
            )
            # What only a stack's plan reveals (resource and stack rules: `plan_rules_only`, so no registry rule
            # counts twice) joins the registry-level findings.
            base_findings.extend(plan.base_findings)
            head_findings.extend(plan.head_findings)
            plan = _without_unloaded(plan, not_loaded & {agent.name for agent in base.registry})
    return Review(
        base_label=base_ref,
        head_label=head_ref if head_ref is not None else "working tree",
        base_commit=base_commit,
        head_commit=head_commit,
        diff=diff_registries(base.registry, head.registry, not_loaded),
        findings=compare_findings(base_findings, head_findings, engine_label or "policy engine"),
        load_errors_at_head=sum(1 for f in head.findings if f.severity is Severity.ERROR),
        load_error_files=tuple(sorted({f.file for f in head.findings if f.severity is Severity.ERROR and f.file})),
        plan=plan,
    )


def _plans_from_cache(root: Path, use_cache: bool) -> bool:
    """Whether the plans may come from the plan cache alone: then the SDK is imported only if a bundle turns out to be
    missing. Importing it while the files are read would cost ~0.5 s of CPU the parsing workers need on a two-core
    runner, and a pull request's check has usually planned the review's bundles already
    (:func:`agentid.plan.incremental.plan_ahead`)."""
    try:
        from agentid.plan.incremental import PlanCache
    except ImportError:
        return False
    cache = PlanCache.for_root(root, enabled=use_cache)
    return cache is not None and cache.has_code()


def _context(revisions: RevisionRoots | None, side: str, evaluator: Evaluator | None) -> Mapping[str, Any]:
    """What the policy engine reads from one revision's stack files (nothing without them, or without the engine)."""
    if revisions is None or evaluator is None:
        return {}
    return revisions.context(side)


def _reusable(head: LoadResult, agents_in_repo: str) -> dict[str, Agent]:
    """The working tree's agents that loaded without a finding, by the path git lists their file under. Each knows
    the blob ids of the very bytes it was parsed from (``Source.blob_id``), so a base file is matched against what
    was parsed, not against the file as it may be by now; an agent built otherwise is simply parsed at the base."""
    troubled = {f.file for f in head.findings}
    reusable: dict[str, Agent] = {}
    for agent in head.registry:
        if agent.file in troubled or agent.source.digest is None:
            continue
        name = PurePosixPath(agent.file).name
        reusable[f"{agents_in_repo}/{name}" if agents_in_repo not in ("", ".") else name] = agent
    return reusable


def unloaded_agents(result: LoadResult) -> set[str]:
    """Names of agents whose file is present but fails to load (a definition moved into a subfolder, a schema
    error): the agent's name where the file got that far, else the file's stem."""
    loaded = {agent.name for agent in result.registry}
    names = set()
    for finding in result.findings:
        if finding.severity is Severity.ERROR and finding.file:
            name = finding.agent or PurePosixPath(finding.file).stem
            if name not in loaded:
                names.add(name)
    return names


def _without_unloaded(plan: PlanDiff, names: set[str]) -> PlanDiff:
    """The head's plan lacks an agent whose file fails to load there; those resources would not be deleted (an
    invalid registry does not deploy), so their removals are left out, with a note saying why."""
    if not names:
        return plan
    kept = tuple(c for c in plan.changes if not (c.agent in names and c.action == "removed"))
    if len(kept) == len(plan.changes):
        return plan
    note = (
        f"not compared: {', '.join(sorted(names))} (the file fails to load at head; fix it and the plan shows its "
        "real changes)"
    )
    return dataclasses.replace(plan, changes=kept, notes=(*plan.notes, note))
