"""Review: the privilege diff of a pull request, and owners as code owners."""

from agentid.review.build import build_review
from agentid.review.diff import Change, Impact, RegistryDiff, diff_registries
from agentid.review.findings import FindingsDiff, compare_findings
from agentid.review.gitrev import GitError, GitRepo, open_repo
from agentid.review.model import Review
from agentid.review.render import MARKDOWN_CAP, render_json, render_markdown

__all__ = [
    "MARKDOWN_CAP",
    "Change",
    "FindingsDiff",
    "GitError",
    "GitRepo",
    "Impact",
    "RegistryDiff",
    "Review",
    "build_review",
    "compare_findings",
    "diff_registries",
    "open_repo",
    "render_json",
    "render_markdown",
]
