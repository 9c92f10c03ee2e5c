"""Findings as compiler-style lines (``file:line:col: error: message``), coloured on a terminal.

Messages, locations, fixes and waiver text carry text from definitions; each goes through
:func:`agentid.output.inert.log_text`, so a value cannot add lines (a ``::add-mask::`` or ``::notice`` workflow
command in the gate's log), send escape sequences to a terminal or forge another finding.
"""

from __future__ import annotations

from collections.abc import Iterable

import click

from agentid.findings import Finding, Severity
from agentid.output.inert import log_text

_COLOURS = {Severity.ERROR: "red", Severity.WARNING: "yellow"}


def problem_line(finding: Finding, label: str | None = None) -> str:
    """``file:line: error: message``, plain and inert: for the CLI's error reports on standard error."""
    return f"{log_text(finding.location)}: {label or finding.severity.value}: {log_text(finding.message)}"


def render_finding(finding: Finding, *, colour: bool) -> str:
    label = "waived" if finding.waived else finding.severity.value
    styled = (
        click.style(label, fg="cyan" if finding.waived else _COLOURS[finding.severity], bold=True) if colour else label
    )
    rule = click.style(f"[{log_text(finding.rule)}]", dim=True) if colour else f"[{log_text(finding.rule)}]"
    lines = [f"{log_text(finding.location)}: {styled}: {log_text(finding.message)} {rule}"]
    if finding.remediation:
        lines.append(f"    fix: {log_text(finding.remediation)}")
    if finding.waived and finding.waiver:
        lines.append(
            f"    waived until {log_text(finding.waiver.get('expires'))} by "
            f"{log_text(finding.waiver.get('approved_by'))}: {log_text(finding.waiver.get('reason'))}"
        )
    return "\n".join(lines)


def render(findings: Iterable[Finding], summary_line: str, *, colour: bool) -> str:
    body = [render_finding(f, colour=colour) for f in findings]
    return "\n".join([*body, summary_line]) + "\n"
