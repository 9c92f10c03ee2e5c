"""Inventory as Markdown, CSV and JSON: the same records, flattened for a wiki page, a spreadsheet or a tool."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from agentid.output.inert import md_code, md_text

CSV_COLUMNS = (
    "agent",
    "risk",
    "risk_reasons",
    "owners",
    "team",
    "purpose",
    "environments",
    "scopes",
    "max_sensitivity",
    "okta_api_scopes",
    "okta_admin_roles",
    "token_lifetime_minutes",
    "plugins",
    "lifecycle",
    "review_by",
    "expires",
    "lifecycle_status",
    "waivers_in_force",
    "file",
)


def _scopes_text(scopes: list[dict[str, Any]]) -> str:
    return "; ".join(f"{s['name']} ({s['domain']}, {s['sensitivity']})" for s in scopes)


def _holders(record: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """("", the agent) then ("<plugin>: ", each plugin): every identity with the prefix that names it in a cell."""
    return [("", record), *((f"{p['name']}: ", p) for p in record["plugins"])]


def okta_field_text(record: dict[str, Any], key: str) -> str:
    """``okta_api_scopes`` or ``okta_admin_roles`` of every identity holding some, each plugin's named: a
    plugin's Okta management access is the agent's too, held on a key of its own."""
    return "; ".join(prefix + ", ".join(who[key]) for prefix, who in _holders(record) if who.get(key))


def okta_management_text(record: dict[str, Any]) -> str:
    """Every identity's Okta management scopes and admin roles in one cell, identities separated by ``; ``."""
    parts = []
    for prefix, who in _holders(record):
        held = [*who.get("okta_api_scopes", ()), *(f"{role} (admin role)" for role in who.get("okta_admin_roles", ()))]
        if held:
            parts.append(prefix + ", ".join(held))
    return "; ".join(parts)


def _plugin_text(plugin: dict[str, Any]) -> str:
    held = [s["name"] for s in plugin["scopes"]]
    held += [f"{s} (Okta management)" for s in plugin.get("okta_api_scopes", ())]
    held += [f"{r} (Okta admin role)" for r in plugin.get("okta_admin_roles", ())]
    return f"{plugin['name']}: {', '.join(held)}"


def _plugins_text(plugins: list[dict[str, Any]]) -> str:
    return "; ".join(_plugin_text(p) for p in plugins)


def _waivers_text(waivers: list[dict[str, Any]]) -> str:
    return "; ".join(f"{w['rule']} until {w['expires']} ({w['approved_by']})" for w in waivers)


def flat_row(record: dict[str, Any]) -> dict[str, str]:
    life = record["lifecycle"]
    return {
        "agent": record["name"],
        "risk": record["risk"]["level"],
        "risk_reasons": "; ".join(record["risk"]["reasons"]),
        "owners": "; ".join(record["owners"]),
        "team": record["team"],
        "purpose": record["purpose"],
        "environments": "; ".join(record["environments"]),
        "scopes": _scopes_text(record["scopes"]),
        "max_sensitivity": record["max_sensitivity"] or "",
        "okta_api_scopes": okta_field_text(record, "okta_api_scopes"),
        "okta_admin_roles": okta_field_text(record, "okta_admin_roles"),
        "token_lifetime_minutes": str(record["token_lifetime_minutes"]),
        "plugins": _plugins_text(record["plugins"]),
        "lifecycle": life["kind"],
        "review_by": life["review_by"],
        "expires": life["expires"] or "",
        "lifecycle_status": life["status"],
        "waivers_in_force": _waivers_text(record["waivers"]),
        "file": record["file"],
    }


def neutralise_formula(value: str) -> str:
    """Spreadsheets execute cells starting with = + - @ (CSV injection); prefix them with a quote."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def render_csv(inventory: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in inventory["agents"]:
        writer.writerow({k: neutralise_formula(v) for k, v in flat_row(record).items()})
    return out.getvalue()


def render_json(inventory: dict[str, Any]) -> str:
    return json.dumps(inventory, indent=2, ensure_ascii=False)


def md_cell(text: str) -> str:
    """User text in a Markdown table cell, inert (one helper for every renderer: agentid.output.inert)."""
    return md_text(text)


def render_markdown(inventory: dict[str, Any]) -> str:
    summary = inventory["summary"]
    risk = ", ".join(f"{count} {level}" for level, count in summary["risk"].items() if count)
    lines = [
        f"# Agent inventory ({inventory['as_of']})",
        "",
        f"{summary['agents']} agents ({summary['identities']} identities with plugins); risk: {risk or 'none'}; "
        f"{summary['restricted_data_agents']} reach restricted data.",
        "",
        "| agent | risk | owners | team | purpose | environments | scopes (domain, sensitivity) | Okta management "
        "| token | plugins | lifecycle | waivers in force |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for record in inventory["agents"]:
        row = flat_row(record)
        life = record["lifecycle"]
        lifecycle = f"{life['kind']}, review by {life['review_by']}"
        if life["expires"]:
            lifecycle += f", expires {life['expires']}"
        lifecycle += f" ({life['status']})"
        # Values from definitions are inert (agentid.output.inert); only our own markup (bold risk, <br>) is raw.
        cells = [
            md_code(record["name"]),
            f"**{md_text(row['risk'])}**",
            md_text(", ".join(record["owners"])),
            md_text(record["team"]),
            md_text(record["purpose"]),
            md_text(", ".join(record["environments"])),
            "<br>".join(md_text(part) for part in _scopes_text(record["scopes"]).split("; ")),
            md_text(okta_management_text(record) or "-"),
            f"{record['token_lifetime_minutes']} min",
            md_text(row["plugins"] or "-"),
            md_text(lifecycle),
            md_text(row["waivers_in_force"] or "-"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "Risk: most sensitive data reached (restricted → high, confidential → medium, else low), raised one "
        "level each for Okta management scopes (the agent's or a plugin's), tokens over 60 minutes, plugins holding "
        "custom scopes and waivers in force.",
    ]
    return "\n".join(lines) + "\n"
