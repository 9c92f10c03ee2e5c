"""What a renderer needs to know about a rule, as a protocol: ``policies.rules.base.RuleMeta`` satisfies it.

Renderers live in the core package and must not import the policies (dependency direction), so they accept any
object with these attributes; a finding whose rule has no metadata (loader checks) gets a minimal description.
"""

from __future__ import annotations

from typing import Protocol

from agentid.findings import Severity


class RuleInfo(Protocol):
    id: str
    title: str
    severity: Severity
    nhi: tuple[str, ...]
    rationale: str
    remediation: str
