"""The review as a pull-request comment (Markdown) and for tools (JSON).

A PR comment is read in seconds, so the Markdown opens with a one-line verdict and then one compact table,
escalations first. GitHub rejects comments over 65,536 characters; the comment is capped at 60,000 with a count of
what was left out, never silently truncated mid-row.
"""

from __future__ import annotations

import json
from typing import Any

from agentid.findings import Finding, Severity
from agentid.review.diff import Change, Impact
from agentid.review.model import Review
from agentid.review.plandiff import MAX_KEYS_SHOWN, PlanDiff, ResourceChange

#: GitHub's limit is 65,536; leave room for a bot's own header and footer.
MARKDOWN_CAP = 60_000

#: A first deploy adds every shared scope on one row; past this many the row names the count instead.
MAX_RESOURCES_PER_ROW = 40

_ICON = {Impact.ESCALATION: "🔺 escalation", Impact.REDUCTION: "🔻 reduction", Impact.NEUTRAL: "▫️ neutral"}


def _cell(text: str) -> str:
    """Table-safe text: no pipes, no newlines, no HTML the comment would render."""
    return (
        text.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\r", " ")
        .replace("\n", " ")
    )


def verdict(review: Review) -> str:
    """One line a reviewer can act on: the worst thing first, then the counts."""
    diff = review.diff
    escalations = diff.by_impact(Impact.ESCALATION)
    esc, red, neu = len(escalations), len(diff.by_impact(Impact.REDUCTION)), len(diff.by_impact(Impact.NEUTRAL))
    introduced, fixed = len(review.findings.introduced), len(review.findings.fixed)
    blocking = len(review.findings.blocking_introduced())
    if esc:
        notes = []
        if restricted := sum(1 for c in escalations if "restricted-data" in c.tags):
            notes.append(f"{restricted} touch restricted data")
        if management := sum(1 for c in escalations if "okta-management" in c.tags):
            notes.append(f"{management} grant Okta management scopes or admin roles")
        head = "⚠️ **Privilege escalation**" + (f" ({'; '.join(notes)})" if notes else "")
    elif blocking:
        head = "❌ **New policy violations**"
    elif red:
        head = "✅ **Privileges reduced**"
    elif neu:
        head = "✅ **No privilege escalation** (neutral edits only)"
    else:
        head = "✅ **No privilege changes**"
    agents = len({c.agent for c in diff.changes})
    return (
        f"{head} — {agents} agent(s) changed: {esc} escalation(s), {red} reduction(s), {neu} neutral; "
        f"policy findings: {introduced} introduced ({blocking} blocking), {fixed} fixed."
    )


def _change_row(change: Change) -> str:
    return f"| {_ICON[change.impact]} | `{_cell(change.agent)}` | {_cell(change.summary)} |"


def _finding_row(finding: Finding, status: str) -> str:
    severity = "error" if finding.severity is Severity.ERROR else "warning"
    if finding.waived:
        severity += " (waived)"
    where = finding.location if status == "introduced" else (finding.file or "")
    return (
        f"| {status} | {severity} | `{_cell(finding.rule)}` | `{_cell(finding.agent or '-')}` | "
        f"{_cell(finding.message)} | {_cell(where)} |"
    )


def _resource_item(change: ResourceChange) -> str:
    mark = {"added": "+", "removed": "−", "changed": "~"}[change.action]
    if change.action != "changed" or not change.keys:
        return f"{mark} `{_cell(change.name)}`"
    keys = ", ".join(change.keys[:MAX_KEYS_SHOWN])
    if len(change.keys) > MAX_KEYS_SHOWN:
        keys += f", +{len(change.keys) - MAX_KEYS_SHOWN}"
    return f"{mark} `{_cell(change.name)}` ({_cell(keys)})"


def _plan_rows(plan: PlanDiff) -> list[str]:
    """One row per stack and agent: added, removed and changed resources by logical name, changed input keys."""
    rows = []
    for (stack, agent), changes in plan.by_agent().items():
        items = "; ".join(_resource_item(c) for c in changes[:MAX_RESOURCES_PER_ROW])
        if len(changes) > MAX_RESOURCES_PER_ROW:
            items += f"; … and {len(changes) - MAX_RESOURCES_PER_ROW} more (see `--format json`)"
        rows.append(f"| `{_cell(stack)}` | `{_cell(agent or '(shared)')}` | {items} |")
    return rows


def _plan_line(plan: PlanDiff) -> list[str]:
    if plan.skipped:
        return ["Offline plan not compared (--no-plan)."]
    lines = []
    if plan.stacks:
        count = len(plan.changes)
        lines.append(
            f"Offline plan of stacks {', '.join(f'`{_cell(s)}`' for s in plan.stacks)}: {count} resource change(s)."
        )
    elif not plan.notes:
        lines.append("Offline plan not compared: no `Pulumi.<stack>.yaml` at either revision.")
    lines.extend(f"⚠️ {_cell(note)}" for note in plan.notes)
    return lines


def render_markdown(review: Review, *, cap: int = MARKDOWN_CAP) -> str:
    """The PR comment. Rows are added in priority order until the cap; the rest is counted, not dropped silently."""
    head = [
        "### agentid privilege review",
        "",
        verdict(review),
        "",
        f"Comparing `{_cell(review.base_label)}` → `{_cell(review.head_label)}`.",
    ]
    if review.diff.renamed_files:
        moves = ", ".join(f"`{_cell(a)}` → `{_cell(b)}`" for a, b in review.diff.renamed_files)
        head.append(f"Renamed files (same agent, compared by name): {moves}.")
    for line in _plan_line(review.plan):
        head.extend(["", line])
    rows: list[tuple[str, str]] = []  # (section, row)
    for change in review.diff.changes:
        rows.append(("changes", _change_row(change)))
    for finding in review.findings.introduced:
        rows.append(("findings", _finding_row(finding, "introduced")))
    for finding in review.findings.fixed:
        rows.append(("findings", _finding_row(finding, "fixed")))
    for row in _plan_rows(review.plan):
        rows.append(("plan", row))
    sections = {
        "changes": ["", "| impact | agent | change |", "| --- | --- | --- |"],
        "findings": [
            "",
            "**Policy findings**",
            "",
            "| | severity | rule | agent | message | where |",
            "| --- | --- | --- | --- | --- | --- |",
        ],
        "plan": [
            "",
            "**Okta resources (offline plan)**: + added, − removed, ~ changed (input keys)",
            "",
            "| stack | agent | resources |",
            "| --- | --- | --- |",
        ],
    }
    footer = ["", f"<sub>{_cell(review.findings.engine)}; generated by `agentid review`.</sub>"]
    out = list(head)
    opened: set[str] = set()
    size = sum(len(line) + 1 for line in out) + sum(len(line) + 1 for line in footer)
    reserve = 120  # room for the "not shown" line
    shown = 0
    for section, row in rows:
        extra = 0 if section in opened else sum(len(line) + 1 for line in sections[section])
        if size + extra + len(row) + 1 + reserve > cap:
            break
        if section not in opened:
            out.extend(sections[section])
            opened.add(section)
        out.append(row)
        size += extra + len(row) + 1
        shown += 1
    left = len(rows) - shown
    if left:
        out.extend(["", f"… and {left} more changes not shown (run `agentid review --format json` for all of them)."])
    if review.load_errors_at_head:
        out.extend(
            [
                "",
                f"❌ {review.load_errors_at_head} definition problem(s) at head; run `agentid validate`."
                + (
                    f" Not compared (their file fails to load at head, so nothing is deleted): "
                    f"{', '.join(f'`{name}`' for name in review.diff.agents_not_loaded)}."
                    if review.diff.agents_not_loaded
                    else ""
                ),
            ]
        )
    out.extend(footer)
    return "\n".join(out) + "\n"


def review_to_dict(review: Review) -> dict[str, Any]:
    diff = review.diff
    return {
        "verdict": verdict(review),
        "base": {"label": review.base_label, "commit": review.base_commit},
        "head": {"label": review.head_label, "commit": review.head_commit},
        "summary": {
            "escalations": len(diff.by_impact(Impact.ESCALATION)),
            "reductions": len(diff.by_impact(Impact.REDUCTION)),
            "neutral": len(diff.by_impact(Impact.NEUTRAL)),
            "agents_added": list(diff.agents_added),
            "agents_removed": list(diff.agents_removed),
            "agents_changed": list(diff.agents_changed),
            "agents_not_loaded": list(diff.agents_not_loaded),
            "findings_introduced": len(review.findings.introduced),
            "findings_fixed": len(review.findings.fixed),
            "load_errors_at_head": review.load_errors_at_head,
            "resource_changes": len(review.plan.changes),
        },
        "renamed_files": [{"from": a, "to": b} for a, b in diff.renamed_files],
        "changes": [c.to_dict() for c in diff.changes],
        "findings": review.findings.to_dict(),
        "plan": review.plan.to_dict(),
    }


def render_json(review: Review) -> str:
    return json.dumps(review_to_dict(review), indent=2, ensure_ascii=False, default=str)
