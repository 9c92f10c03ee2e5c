"""The result of a review: the registry diff, the findings diff and what was compared."""

from __future__ import annotations

from dataclasses import dataclass, field

from agentid.review.diff import RegistryDiff
from agentid.review.findings import FindingsDiff
from agentid.review.plandiff import PlanDiff


@dataclass(frozen=True, slots=True)
class Review:
    base_label: str
    head_label: str
    base_commit: str | None
    head_commit: str | None
    diff: RegistryDiff
    findings: FindingsDiff
    #: definitions at head that failed to load (they are compared as absent and reported as findings)
    load_errors_at_head: int = 0
    #: the files of those definitions
    load_error_files: tuple[str, ...] = ()
    #: the offline plans of every stack at both revisions (``skipped`` with --no-plan)
    plan: PlanDiff = field(default_factory=lambda: PlanDiff(skipped=True))
