"""The one shape every problem is reported in, by the loader and by every rule.

Keeping a single type means the CLI, the checkov adapter, the policy pack and the PR review all render, count and
waive findings the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How bad a finding is. Errors fail the gate; warnings are reported and never fail it."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem at one place.

    ``file`` is the path as the user gave it (relative to the repository where possible) so that editors and
    GitHub annotations can jump to it; ``line`` and ``column`` are 1-based.
    """

    rule: str
    severity: Severity
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    agent: str | None = None
    remediation: str = ""
    nhi: tuple[str, ...] = ()
    waived: bool = False
    waiver: dict[str, Any] | None = field(default=None, compare=False, hash=False)

    @property
    def location(self) -> str:
        """``file:line:col`` as compilers print it, omitting what is unknown."""
        parts = [self.file or "<registry>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def as_waived(self, waiver: dict[str, Any]) -> Finding:
        return replace(self, waived=True, waiver=waiver)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape shared by ``validate`` and ``check``."""
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "agent": self.agent,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "remediation": self.remediation,
            "nhi": list(self.nhi),
            "waived": self.waived,
            "waiver": self.waiver,
        }


def sort_key(finding: Finding) -> tuple[str, int, int, str]:
    """Stable order: by file, then position, then rule, so output never depends on rule execution order."""
    return (finding.file or "", finding.line or 0, finding.column or 0, finding.rule)


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=sort_key)


def has_blocking(findings: Iterable[Finding]) -> bool:
    """True when an unwaived error remains: the gate's single definition of failure."""
    return any(f.severity is Severity.ERROR and not f.waived for f in findings)
