"""Which policy findings a change introduces and which it fixes.

Findings are matched by rule, agent and message, never by file or line: moving a block of YAML shifts every line
number below it, and a reviewer must not be told a finding is "new" because it moved.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from agentid.findings import Finding, Severity
from agentid.findings_cache import FindingsCache, cached_evaluate
from agentid.registry.model import Registry

#: evaluate(registry, today=...) -> findings; the policy engine's signature.
Evaluator = Callable[..., list[Finding]]


@dataclass(frozen=True, slots=True)
class FindingsDiff:
    introduced: tuple[Finding, ...]
    fixed: tuple[Finding, ...]
    unchanged: int
    engine: str  # "policy engine" or why only load findings were compared

    def blocking_introduced(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.introduced if f.severity is Severity.ERROR and not f.waived)

    def to_dict(self) -> dict[str, Any]:
        return {
            "introduced": [f.to_dict() for f in self.introduced],
            "fixed": [f.to_dict() for f in self.fixed],
            "unchanged": self.unchanged,
            "engine": self.engine,
        }


def identity(finding: Finding) -> tuple[str, str, str, bool]:
    """What makes two findings 'the same' across revisions: rule, agent, message and whether it is waived."""
    return (finding.rule, finding.agent or "", finding.message, finding.waived)


def compare_findings(base: Iterable[Finding], head: Iterable[Finding], engine: str = "policy engine") -> FindingsDiff:
    """Multiset difference by :func:`identity`, so two identical findings at head and one at base count one new."""
    base_list, head_list = list(base), list(head)
    base_count = Counter(identity(f) for f in base_list)
    head_count = Counter(identity(f) for f in head_list)
    introduced = _unmatched(head_list, base_count)
    fixed = _unmatched(base_list, head_count)
    unchanged = sum((base_count & head_count).values())
    order = lambda f: (f.severity is not Severity.ERROR, f.agent or "", f.rule, f.message)  # noqa: E731
    return FindingsDiff(tuple(sorted(introduced, key=order)), tuple(sorted(fixed, key=order)), unchanged, engine)


def _unmatched(findings: list[Finding], other: Counter[tuple[str, str, str, bool]]) -> list[Finding]:
    """The findings left over once each is matched against one equal finding of the other revision, in order."""
    remaining = Counter(other)
    unmatched = []
    for finding in findings:
        key = identity(finding)
        if remaining[key] > 0:
            remaining[key] -= 1
        else:
            unmatched.append(finding)
    return unmatched


def default_evaluator() -> tuple[Evaluator | None, str]:
    """The policy engine if it is installed (``policies.engine.evaluate``), else ``None`` and why."""
    try:
        from policies.engine import evaluate
    except ImportError as exc:
        return None, f"policy engine unavailable ({exc}); only loader findings compared"
    return evaluate, "policy engine"


def policy_findings(
    registry: Registry,
    load_findings: Iterable[Finding],
    evaluator: Evaluator | None,
    *,
    today: dt.date,
    context: Mapping[str, Any] | None = None,
    verdicts: FindingsCache | None = None,
) -> list[Finding]:
    """Loader findings (invalid definitions) plus the policy engine's findings on the agents that loaded, judged with
    ``context`` (the revision's stack files, :func:`policies.engine.stack_context`) as ``agentid check`` judges.
    ``verdicts``: where the engine's verdicts on identical inputs were kept (the main branch's check judged the
    base)."""
    findings = list(load_findings)
    if evaluator is not None:
        findings.extend(cached_evaluate(evaluator, verdicts, registry, today=today, **(context or {})))
    return findings
