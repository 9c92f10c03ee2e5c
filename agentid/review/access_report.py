"""The access-review sheet: per agent, its owners, each scope with its reason, domain and sensitivity, the last change
to its definition in git, and the waivers in force.

Auditors ask "who approved this access, why, and when was it last touched"; the sheet answers from the registry and
git history alone, with an empty decision column for the reviewer to fill in (keep / reduce / remove).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Mapping
from typing import Any

from agentid.inventory.model import waivers_in_force
from agentid.inventory.tabular import neutralise_formula
from agentid.lifecycle import lifecycle_status
from agentid.output.inert import md_code, md_text
from agentid.registry.model import Access, Plugin, Registry

CSV_COLUMNS = (
    "agent",
    "identity",
    "owners",
    "team",
    "purpose",
    "scope",
    "reason",
    "domain",
    "sensitivity",
    "review_by",
    "lifecycle_status",
    "last_change_date",
    "last_change_commit",
    "waivers_in_force",
    "decision",
)


def _identity_rows(
    registry: Registry,
    identity: str,
    names: tuple[str, ...],
    reasons: Mapping[str, str],
    okta: Access | Plugin,
) -> list[dict[str, Any]]:
    """One identity's rows: its custom scopes, then its Okta management scopes and admin roles (a plugin's too: the
    reviewer decides on every privilege an identity's key carries, the identity provider's above all)."""
    rows = []
    for name in names:
        info = registry.catalog.scope(name)
        rows.append(
            {
                "identity": identity,
                "scope": name,
                "reason": reasons.get(name, ""),
                "domain": info.domain if info else None,
                "sensitivity": info.sensitivity.value if info else None,
            }
        )
    for name in okta.okta_api_scopes:
        rows.append(
            {
                "identity": identity,
                "scope": name,
                "reason": "Okta management API scope",
                "domain": "okta-management",
                "sensitivity": None,
            }
        )
    for role in okta.okta_admin_roles:
        rows.append(
            {
                "identity": identity,
                "scope": role,
                "reason": "Okta admin role held by the identity's app",
                "domain": "okta-management",
                "sensitivity": None,
            }
        )
    return rows


def build_sheet(
    registry: Registry, today: dt.date, last_change: dict[str, tuple[str, str]], dirty: set[str]
) -> list[dict[str, Any]]:
    """One entry per agent. ``last_change``: file -> (commit, date); ``dirty``: files with uncommitted edits."""
    sheet = []
    for agent in registry:
        commit, date = last_change.get(agent.file, (None, None))
        scopes = []
        reasons = {g.name: g.reason for g in agent.access.scopes}
        scopes += _identity_rows(registry, agent.name, agent.access.scope_names, reasons, agent.access)
        for plugin in agent.plugins:
            why = dict.fromkeys(plugin.scopes, f"plugin: {plugin.description}")
            scopes += _identity_rows(registry, plugin.identity_name(agent.name), plugin.scopes, why, plugin)
        sheet.append(
            {
                "agent": agent.name,
                "owners": list(agent.owners),
                "team": agent.team,
                "purpose": agent.purpose,
                "review_by": agent.lifecycle.review_by.isoformat(),
                "lifecycle_status": lifecycle_status(agent, today),
                "last_change": {
                    "commit": commit,
                    "date": date,
                    "uncommitted_changes": agent.file in dirty,
                },
                "scopes": scopes,
                "waivers": waivers_in_force(agent, today),
                "file": agent.file,
            }
        )
    return sheet


def _last_change_text(entry: dict[str, Any]) -> str:
    change = entry["last_change"]
    text = f"{change['date']} ({change['commit'][:12]})" if change["commit"] else "never committed"
    return text + (", plus uncommitted changes" if change["uncommitted_changes"] else "")


def _waivers_text(entry: dict[str, Any]) -> str:
    return "; ".join(f"{w['rule']} until {w['expires']} ({w['approved_by']}: {w['reason']})" for w in entry["waivers"])


def render_markdown(sheet: list[dict[str, Any]], today: dt.date) -> str:
    lines = [
        f"# Access review ({today.isoformat()})",
        "",
        "For each agent, an owner confirms every scope is still needed for the stated reason and records a decision "
        "(keep / reduce / remove).",
    ]
    for entry in sheet:
        # Every value from a definition is shown inert (agentid.output.inert): names and files as code spans,
        # free text escaped, so an owner-written reason cannot forge links, mentions or table rows.
        lines += [
            "",
            f"## {md_code(entry['agent'])}",
            "",
            f"- Owners: {', '.join(md_code(o) for o in entry['owners'])} ({md_text(entry['team'])})",
            f"- Purpose: {md_text(entry['purpose'])}; review by {md_text(entry['review_by'])} "
            f"({md_text(entry['lifecycle_status'])})",
            f"- Last change in git: {md_text(_last_change_text(entry))} — {md_code(entry['file'])}",
            f"- Waivers in force: {md_text(_waivers_text(entry)) or 'none'}",
            "",
            "| identity | scope | reason | domain | sensitivity | decision |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for scope in entry["scopes"]:
            lines.append(
                f"| {md_code(scope['identity'])} | {md_code(scope['scope'])} | {md_text(scope['reason'])} "
                f"| {md_text(scope['domain'] or '-')} | {md_text(scope['sensitivity'] or '-')} |  |"
            )
    return "\n".join(lines) + "\n"


def render_csv(sheet: list[dict[str, Any]]) -> str:
    """One row per (agent, identity, scope): the shape a spreadsheet review is done in."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for entry in sheet:
        change = entry["last_change"]
        for scope in entry["scopes"]:
            row = {
                "agent": entry["agent"],
                "identity": scope["identity"],
                "owners": "; ".join(entry["owners"]),
                "team": entry["team"],
                "purpose": entry["purpose"],
                "scope": scope["scope"],
                "reason": scope["reason"],
                "domain": scope["domain"] or "",
                "sensitivity": scope["sensitivity"] or "",
                "review_by": entry["review_by"],
                "lifecycle_status": entry["lifecycle_status"],
                "last_change_date": change["date"] or "",
                "last_change_commit": change["commit"] or "",
                "waivers_in_force": _waivers_text(entry),
                "decision": "",
            }
            writer.writerow({k: neutralise_formula(v) for k, v in row.items()})
    return out.getvalue()


def render_json(sheet: list[dict[str, Any]], today: dt.date) -> str:
    return json.dumps({"as_of": today.isoformat(), "agents": sheet}, indent=2, ensure_ascii=False)
