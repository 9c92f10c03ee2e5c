"""Assemble a review from two git revisions (the head may be the working tree)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from agentid.findings import Finding, Severity
from agentid.registry import LoadResult, load_registry
from agentid.review.diff import diff_registries
from agentid.review.findings import Evaluator, compare_findings, default_evaluator, identity, policy_findings
from agentid.review.gitrev import GitRepo, load_registry_at
from agentid.review.model import Review
from agentid.review.plandiff import PlanDiff, build_plan_diff


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
    base = load_registry_at(repo, base_commit, fallback_catalog=catalog_file)
    head: LoadResult
    if head_commit is None:
        head = load_registry(agents_dir, catalog_file, root=root)
    else:
        head = load_registry_at(repo, head_commit, fallback_catalog=catalog_file)
    base_findings = policy_findings(base.registry, base.findings, evaluator, today=today)
    head_findings = policy_findings(head.registry, head.findings, evaluator, today=today)
    plan = PlanDiff(skipped=True)
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
        )
        base_findings = _with_stack_findings(base_findings, plan.base_findings)
        head_findings = _with_stack_findings(head_findings, plan.head_findings)
    return Review(
        base_label=base_ref,
        head_label=head_ref if head_ref is not None else "working tree",
        base_commit=base_commit,
        head_commit=head_commit,
        diff=diff_registries(base.registry, head.registry),
        findings=compare_findings(base_findings, head_findings, engine_label or "policy engine"),
        load_errors_at_head=sum(1 for f in head.findings if f.severity is Severity.ERROR),
        plan=plan,
    )


def _with_stack_findings(registry_findings: list[Finding], on_plans: tuple[Finding, ...]) -> list[Finding]:
    """Add what only a stack's plan reveals (resource rules, stack limits) to the registry-level findings.

    Each stack's evaluation repeats the registry rules; those repeats are dropped so nothing counts twice.
    """
    seen = {identity(f) for f in registry_findings}
    return registry_findings + [f for f in on_plans if identity(f) not in seen]
