"""Findings as compiler-style lines (``file:line:col: error: message``), coloured on a terminal."""

from __future__ import annotations

from collections.abc import Iterable

import click

from agentid.findings import Finding, Severity

_COLOURS = {Severity.ERROR: "red", Severity.WARNING: "yellow"}


def render_finding(finding: Finding, *, colour: bool) -> str:
    label = "waived" if finding.waived else finding.severity.value
    styled = (
        click.style(label, fg="cyan" if finding.waived else _COLOURS[finding.severity], bold=True) if colour else label
    )
    rule = click.style(f"[{finding.rule}]", dim=True) if colour else f"[{finding.rule}]"
    lines = [f"{finding.location}: {styled}: {finding.message} {rule}"]
    if finding.remediation:
        lines.append(f"    fix: {finding.remediation}")
    if finding.waived and finding.waiver:
        lines.append(
            f"    waived until {finding.waiver.get('expires')} by {finding.waiver.get('approved_by')}: "
            f"{finding.waiver.get('reason')}"
        )
    return "\n".join(lines)


def render(findings: Iterable[Finding], summary_line: str, *, colour: bool) -> str:
    body = [render_finding(f, colour=colour) for f in findings]
    return "\n".join([*body, summary_line]) + "\n"
