"""The rightsize report as text (a terminal, a CI log) and Markdown (a pull request body). Every value that comes
from an agent file or an event (names, scopes, reasons) goes through :mod:`agentid.output.inert`."""

from __future__ import annotations

from agentid.output.inert import log_text, md_code, md_text
from agentid.rightsize.analysis import Proposal, RightsizeReport

#: GitHub refuses a pull request body over 65,536 characters: the Markdown report stops listing well before that.
MARKDOWN_LIMIT = 60_000


def _coverage_line(report: RightsizeReport) -> str:
    usage = report.usage
    window = usage.window
    return (
        f"window {window.first_day} 00:00 UTC to {window.end_day} 00:00 UTC ({window.days} days); events on "
        f"{usage.covered_days} of {window.days} days ({usage.coverage:.0%}, at least {report.min_coverage:.0%} "
        "needed to propose changes)"
    )


def _change(p: Proposal, code) -> str:
    if p.kind in ("remove_scope", "remove_okta_api_scope"):
        return f"remove {code(p.old)} from {code(p.field)}"
    if p.kind == "offboard":
        return f"offboard {code(p.agent)}: remove its file, or set {code('lifecycle.expires')} to {code(p.new)}"
    if p.kind == "remove_plugin":
        return f"remove plugin {code(p.identity)}"
    return f"{code(p.field)}: {code(p.old)} → {code(p.new)}"


def render_text(report: RightsizeReport) -> str:
    lines = [f"rightsize{f' {log_text(report.stack)}' if report.stack else ''}: {_coverage_line(report)}"]
    if report.blocked:
        lines.append(
            "coverage below the minimum: nothing is proposed (a day without events looks like a scope nobody used)"
        )
    for r in report.identities:
        state = "dormant (no token in the window)" if r.dormant else f"{r.tokens} tokens"
        lines.append(f"{log_text(r.identity)}  [{log_text(r.file)}]  {state}")
        if not r.dormant:
            lines.append(
                f"    peak {r.observed_peak_tokens_per_hour}/h, p99 {r.observed_p99_tokens_per_hour}/h (budget "
                f"{r.max_tokens_per_hour}); hours {', '.join(f'{h:02d}' for h in r.observed_hours)} UTC (declared "
                f"{log_text(r.active_hours_utc)}"
                + (f"; {r.tokens_outside_active_hours} token minutes outside" if r.tokens_outside_active_hours else "")
                + ")"
            )
        unused = r.unused_scopes + r.unused_okta_api_scopes
        if unused and not r.dormant:
            lines.append(f"    unused: {', '.join(log_text(s) for s in unused)}")
        for kept in r.kept_scopes:
            lines.append(
                f"    kept on purpose: {log_text(kept['scope'])} until {kept['until']} ({log_text(kept['reason'])})"
            )
        for p in r.proposed:
            lines.append(f"    propose: {_change(p, log_text)} ({log_text(p.reason)})")
    count = len(report.proposals)
    lines.append(
        f"{len(report.identities)} identities, {sum(1 for r in report.identities if r.dormant)} dormant: "
        + (f"{count} proposed change{'' if count == 1 else 's'}" if count else "nothing to propose")
    )
    return "\n".join(lines) + "\n"


def render_markdown(report: RightsizeReport) -> str:
    """The pull request body: coverage, then one section per agent file with proposals, then dormant identities."""
    title = f"Rightsize{f' {md_code(report.stack)}' if report.stack else ''}: least privilege from observed use"
    out = [f"## {title}", "", md_text(_coverage_line(report)), ""]
    if report.blocked:
        out += [
            "**Coverage is below the minimum: nothing is proposed.** A day without events looks like a scope "
            "nobody used; re-run with a complete export.",
            "",
        ]
    proposals = report.proposals
    if proposals:
        out += [
            "Each change below is a **reduction** (the review comment classes it so). A scope Okta granted or was "
            "asked for in the window is never proposed; scopes kept on purpose (`keep`) are listed.",
            "",
            "| agent file | identity | change | with `--write` | why |",
            "| --- | --- | --- | --- | --- |",
        ]
        for r in report.identities:
            for p in r.proposed:
                change = _change(p, md_code)
                applied = "edited" if p.applies else "owners decide"
                out.append(
                    f"| {md_code(r.file)} | {md_code(p.identity)} | {change} | {applied} | {md_text(p.reason)} |"
                )
        out.append("")
    kept = [(r, k) for r in report.identities for k in r.kept_scopes]
    if kept:
        out += ["Kept on purpose (not proposed):", ""]
        out += [
            f"- {md_code(r.identity)}: {md_code(k['scope'])} until {md_code(k['until'])}: {md_text(k['reason'])}"
            for r, k in kept
        ]
        out.append("")
    out += [
        "<details><summary>Observed use per identity</summary>",
        "",
        "| identity | tokens | peak/h | p99/h | budget | hours (UTC) | declared hours |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in report.identities:
        hours = ", ".join(f"{h:02d}" for h in r.observed_hours) or "none"
        out.append(
            f"| {md_code(r.identity)} | {r.tokens} | {r.observed_peak_tokens_per_hour} | "
            f"{r.observed_p99_tokens_per_hour} | {r.max_tokens_per_hour} | {hours} | {md_code(r.active_hours_utc)} |"
        )
    out += ["", "</details>", "", "Generated by `agentid rightsize` (docs/rightsizing.md)."]
    text = "\n".join(out) + "\n"
    if len(text) > MARKDOWN_LIMIT:
        text = text[:MARKDOWN_LIMIT].rsplit("\n", 1)[0] + "\n\n… (cut: see the JSON report for the rest)\n"
    return text
