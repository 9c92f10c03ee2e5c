"""The review as a pull-request comment (Markdown) and for tools (JSON).

A PR comment is read in seconds, so the Markdown opens with a one-line verdict and then one compact table,
escalations first. Every user-supplied value (agent and file names, key ids, scope names, reasons, descriptions,
waiver text, finding messages) goes through :mod:`agentid.output.inert` (a code span or escaped prose, capped at a
cell length), so a definition cannot forge markup, links, mentions or table rows in the comment.

GitHub rejects a comment body over 65,536 characters ("Body is too long (maximum is 65536 characters)", the REST
API's validation error for https://docs.github.com/en/rest/issues/comments#create-an-issue-comment). The comment is
capped at 60,000 characters, counting every part (header, renamed files, notes, footer), each cell capped so one
huge value cannot crowd out the rest, and what does not fit is counted by kind, never silently dropped.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from agentid.findings import Finding, Severity
from agentid.output.inert import md_code, md_text, one_line
from agentid.review.diff import Change, Impact
from agentid.review.model import Review
from agentid.review.plandiff import MAX_KEYS_SHOWN, PlanDiff, ResourceChange

#: GitHub's limit is 65,536 characters per comment body; leave room for a bot's own header and footer.
GITHUB_COMMENT_LIMIT = 65_536
MARKDOWN_CAP = 60_000

#: A first deploy adds every shared scope on one row; past this many the row names the count instead.
MAX_RESOURCES_PER_ROW = 40
#: At most this many renamed files are named in the header; the rest are counted.
MAX_RENAMES_SHOWN = 20
#: Cell caps (characters of the value before escaping): a name, key id or file; a summary or finding message.
NAME_CAP = 120
TEXT_CAP = 600

_ICON = {Impact.ESCALATION: "🔺 escalation", Impact.REDUCTION: "🔻 reduction", Impact.NEUTRAL: "▫️ neutral"}


class _Cells:
    """The one way this renderer shows user values: inert (see :mod:`agentid.output.inert`) and capped, remembering
    whether any value was shortened so the comment can say so."""

    def __init__(self) -> None:
        self.shortened = 0

    def _note(self, value: object, limit: int) -> None:
        if len(one_line(value)) > limit:
            self.shortened += 1

    def code(self, value: object, limit: int = NAME_CAP) -> str:
        self._note(value, limit)
        return md_code(value, limit)

    def text(self, value: object, limit: int = TEXT_CAP) -> str:
        self._note(value, limit)
        return md_text(value, limit)


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


def _change_row(change: Change, cells: _Cells) -> str:
    return f"| {_ICON[change.impact]} | {cells.code(change.agent)} | {cells.text(change.summary)} |"


def _finding_row(finding: Finding, status: str, cells: _Cells) -> str:
    severity = "error" if finding.severity is Severity.ERROR else "warning"
    if finding.waived:
        severity += " (waived)"
    where = finding.location if status == "introduced" else (finding.file or "")
    return (
        f"| {status} | {severity} | {cells.code(finding.rule)} | {cells.code(finding.agent or '-')} | "
        f"{cells.text(finding.message)} | {cells.code(where) if where else ''} |"
    )


def _resource_item(change: ResourceChange, cells: _Cells) -> str:
    mark = {"added": "+", "removed": "−", "changed": "~"}[change.action]
    if change.action != "changed" or not change.keys:
        return f"{mark} {cells.code(change.name)}"
    keys = ", ".join(change.keys[:MAX_KEYS_SHOWN])
    if len(change.keys) > MAX_KEYS_SHOWN:
        keys += f", +{len(change.keys) - MAX_KEYS_SHOWN}"
    return f"{mark} {cells.code(change.name)} ({cells.text(keys)})"


def _plan_row(key: tuple[str, str | None], changes: list[ResourceChange], cells: _Cells) -> str:
    """One row per stack and agent: added, removed and changed resources by logical name, changed input keys."""
    stack, agent = key
    items = "; ".join(_resource_item(c, cells) for c in changes[:MAX_RESOURCES_PER_ROW])
    if len(changes) > MAX_RESOURCES_PER_ROW:
        items += f"; … and {len(changes) - MAX_RESOURCES_PER_ROW} more (see `--format json`)"
    return f"| {cells.code(stack)} | {cells.code(agent or '(shared)')} | {items} |"


def _plan_line(plan: PlanDiff, cells: _Cells) -> list[str]:
    if plan.skipped:
        return ["Offline plan not compared (--no-plan)."]
    lines = []
    if plan.stacks:
        count = len(plan.changes)
        shown = ", ".join(cells.code(s) for s in plan.stacks[:MAX_RENAMES_SHOWN])
        if len(plan.stacks) > MAX_RENAMES_SHOWN:
            shown += f" and {len(plan.stacks) - MAX_RENAMES_SHOWN} more"
        lines.append(f"Offline plan of stacks {shown}: {count} resource change(s).")
        lines.extend(cells.text(mode) for mode in plan.modes[: 2 * MAX_RENAMES_SHOWN])
    elif not plan.notes:
        lines.append("Offline plan not compared: no `Pulumi.<stack>.yaml` at either revision.")
    lines.extend(f"⚠️ {cells.text(note)}" for note in plan.notes[:MAX_RENAMES_SHOWN])
    if len(plan.notes) > MAX_RENAMES_SHOWN:
        lines.append(f"⚠️ … and {len(plan.notes) - MAX_RENAMES_SHOWN} more plan notes (see `--format json`).")
    return lines


def _renames_line(renamed: tuple[tuple[str, str], ...], cells: _Cells) -> list[str]:
    if not renamed:
        return []
    moves = ", ".join(f"{cells.code(a)} → {cells.code(b)}" for a, b in renamed[:MAX_RENAMES_SHOWN])
    if len(renamed) > MAX_RENAMES_SHOWN:
        moves += f" and {len(renamed) - MAX_RENAMES_SHOWN} more (see `--format json`)"
    return [f"Renamed files (same agent, compared by name): {moves}."]


def _size(lines: list[str]) -> int:
    return sum(len(line) + 1 for line in lines)


def _omitted_line(omitted: Counter[str]) -> str:
    parts = [f"{count} {kind}" for kind, count in omitted.items() if count]
    total = sum(omitted.values())
    return (
        f"… and {total} more rows not shown ({', '.join(parts)}; the verdict above counts them all): "
        "run `agentid review --format json` for every row."
    )


def render_markdown(review: Review, *, cap: int = MARKDOWN_CAP) -> str:
    """The PR comment, at most ``cap`` characters: every part is counted; rows are added in priority order
    (escalations first) and what does not fit is counted by kind."""
    cells = _Cells()
    head = [
        "### agentid privilege review",
        "",
        verdict(review),
        "",
        f"Comparing {cells.code(review.base_label)} → {cells.code(review.head_label)}.",
    ]
    head.extend(_renames_line(review.diff.renamed_files, cells))
    for line in _plan_line(review.plan, cells):
        head.extend(["", line])
    # (kind for the omitted count, section, row, values shortened in it), in the order a reviewer must read them.
    rows: list[tuple[str, str, str, int]] = []
    row_cells = _Cells()

    def add(kind: str, section: str, make) -> None:
        before = row_cells.shortened
        row = make(row_cells)
        rows.append((kind, section, row, row_cells.shortened - before))

    for change in review.diff.changes:  # already sorted: escalations, reductions, neutral
        add(f"{change.impact.value}s", "changes", lambda c, change=change: _change_row(change, c))
    for finding in review.findings.introduced:
        add("introduced findings", "findings", lambda c, f=finding: _finding_row(f, "introduced", c))
    for finding in review.findings.fixed:
        add("fixed findings", "findings", lambda c, f=finding: _finding_row(f, "fixed", c))
    for stack_agent, changes in review.plan.by_agent().items():
        add("plan rows", "plan", lambda c, key=stack_agent, changes=changes: _plan_row(key, changes, c))
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
    tail: list[str] = []
    if review.load_errors_at_head:
        tail.extend(
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
    footer = ["", f"<sub>{md_text(review.findings.engine, TEXT_CAP)}; generated by `agentid review`.</sub>"]
    # Reserve the longest "not shown" line (every kind at the largest count) and the shortened-cells note, which
    # rows added below may still need.
    worst = Counter({kind: len(rows) for kind, _section, _row, _short in rows})
    reserve = _size(["", _omitted_line(worst), "", _shortened_line(10**9)])
    out = list(head)
    budget = cap - _size(head) - _size(tail) - _size(footer) - reserve
    used = 0
    opened: set[str] = set()
    omitted: Counter[str] = Counter()
    for kind, section, row, short in rows:
        extra = 0 if section in opened else _size(sections[section])
        if omitted or used + extra + len(row) + 1 > budget:
            omitted[kind] += 1  # once one row does not fit, the rest are counted (order is priority)
            continue
        if section not in opened:
            out.extend(sections[section])
            opened.add(section)
        out.append(row)
        used += extra + len(row) + 1
        cells.shortened += short
    if omitted:
        out.extend(["", _omitted_line(omitted)])
    out.extend(tail)
    if cells.shortened:  # counted in ``reserve``
        out.extend(["", _shortened_line(cells.shortened)])
    out.extend(footer)
    text = "\n".join(out) + "\n"
    if len(text) > cap:  # only when the fixed parts alone exceed a tiny cap: keep the verdict and the count
        text = "\n".join([*head[:3], "", _omitted_line(Counter({"rows": len(rows)})), *footer]) + "\n"
        text = text[:cap]
    return text


def _shortened_line(count: int) -> str:
    return (
        f"✂️ {count} value(s) longer than {NAME_CAP} characters (names) or {TEXT_CAP} (text) are shortened with …; "
        "`--format json` has them in full."
    )


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
