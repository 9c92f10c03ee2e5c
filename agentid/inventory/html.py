"""The inventory as one self-contained HTML page: a searchable table and a picture of who can touch what.

The page is mailed, attached to audits and opened offline, so everything is inline (CSS, JavaScript, the SVG) and
nothing is fetched. The picture is drawn here in Python as SVG with three columns: agents (and their plugins) →
scopes → data domains, restricted data in red. Every value is HTML-escaped: descriptions are user-written text.

The search box filters table rows and dims the picture; ``#q=<text>`` in the URL pre-fills it, so a link can share a
filtered view (and a headless browser can test the filter). Script errors are recorded into ``#page-errors`` and the
page marks ``<html data-ready="true">`` when its script has run to the end.
"""

from __future__ import annotations

import html
import json
from typing import Any

from agentid.inventory.tabular import flat_row, okta_management_text

_SENSITIVITY_COLOUR = {
    "restricted": "#c62828",
    "confidential": "#ef6c00",
    "internal": "#1565c0",
    "public": "#2e7d32",
    None: "#616161",
}
_SENSITIVITY_RANK = {"public": 0, "internal": 1, "confidential": 2, "restricted": 3, None: -1}

ROW = 26
COLUMN_X = (10, 370, 720)
NODE_WIDTH = (300, 290, 200)
TOP = 40

CSS = """
:root { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #212121; }
body { margin: 24px; }
h1 { font-size: 1.4rem; margin: 0 0 4px; }
.summary { color: #555; margin: 0 0 16px; }
#search { font-size: 1rem; padding: 6px 10px; width: 360px; border: 1px solid #999; border-radius: 4px; }
#shown { margin-left: 12px; color: #555; }
table { border-collapse: collapse; margin-top: 12px; width: 100%; font-size: 0.85rem; }
th, td { border: 1px solid #ddd; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #f5f5f5; position: sticky; top: 0; }
tr[hidden] { display: none; }
.risk { font-weight: 600; padding: 1px 6px; border-radius: 3px; color: #fff; }
.risk-low { background: #2e7d32; } .risk-medium { background: #ef6c00; }
.risk-high { background: #c62828; } .risk-critical { background: #6a1b9a; }
.sens { font-size: 0.75rem; padding: 0 4px; border-radius: 3px; border: 1px solid currentColor; }
.sens-restricted { color: #c62828; font-weight: 700; } .sens-confidential { color: #ef6c00; }
.sens-internal { color: #1565c0; } .sens-public { color: #2e7d32; }
svg text { font-size: 12px; font-family: inherit; }
svg .dim { opacity: 0.15; }
.legend span { margin-right: 16px; }
#page-errors:empty { display: none; }
#page-errors { color: #b71c1c; background: #ffebee; padding: 8px; }
"""

ERROR_TRAP = """
window.addEventListener("error", function (event) {
  var box = document.getElementById("page-errors");
  if (box) { box.textContent += (event.message || "error") + "\\n"; }
});
"""

SCRIPT = """
(function () {
  var search = document.getElementById("search");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#inventory tbody tr"));
  var shown = document.getElementById("shown");
  var nodes = Array.prototype.slice.call(document.querySelectorAll("#graph [data-agents]"));
  function apply() {
    var terms = search.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var visible = {};
    var count = 0;
    rows.forEach(function (row) {
      var text = row.getAttribute("data-search");
      var match = terms.every(function (t) { return text.indexOf(t) !== -1; });
      row.hidden = !match;
      if (match) { count += 1; visible[row.getAttribute("data-agent")] = true; }
    });
    shown.textContent = count + " of " + rows.length + " agents";
    nodes.forEach(function (node) {
      var owners = node.getAttribute("data-agents").split(" ");
      var lit = owners.some(function (name) { return visible[name]; });
      node.classList.toggle("dim", terms.length > 0 && !lit);
    });
  }
  search.addEventListener("input", apply);
  var match = /[#&]q=([^&]*)/.exec(window.location.hash);
  if (match) {
    // A hand-edited or truncated link (`#q=%E0%A4%A`) makes decodeURIComponent throw URIError, which would stop
    // this script before the page is usable: fall back to the raw text.
    var raw = match[1].replace(/\\+/g, " ");
    try { search.value = decodeURIComponent(raw); } catch (error) { search.value = raw; }
  }
  apply();
  document.documentElement.setAttribute("data-ready", "true");
})();
"""


#: Nothing may be fetched: the page is complete offline, and a stray URL in user text cannot phone home.
CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _sens_badge(sensitivity: str | None) -> str:
    label = sensitivity or "unknown"
    return f'<span class="sens sens-{_e(label)}">{_e(label)}</span>'


def _scope_cell(scopes: list[dict[str, Any]]) -> str:
    return "<br>".join(
        f"{_e(s['name'])} <small>{_e(s['domain'])}</small> {_sens_badge(s['sensitivity'])}" for s in scopes
    )


def _plugin_cell(plugin: dict[str, Any]) -> str:
    """A plugin's custom scopes, then the Okta management scopes and admin roles its own app holds."""
    held = [_scope_cell(plugin["scopes"])] if plugin["scopes"] else []
    held += [f"{_e(s)} <small>Okta management</small>" for s in plugin.get("okta_api_scopes", ())]
    held += [f"{_e(r)} <small>Okta admin role</small>" for r in plugin.get("okta_admin_roles", ())]
    return f"{_e(plugin['name'])}: " + "<br>".join(held)


def _row(record: dict[str, Any]) -> str:
    flat = flat_row(record)
    search_text = " ".join(flat.values()).lower()
    life = record["lifecycle"]
    lifecycle = f"{_e(life['kind'])}<br>review by {_e(life['review_by'])}"
    if life["expires"]:
        lifecycle += f"<br>expires {_e(life['expires'])}"
    lifecycle += f"<br><b>{_e(life['status'])}</b>"
    plugins = "<br>".join(_plugin_cell(p) for p in record["plugins"]) or "-"
    waivers = (
        "<br>".join(f"{_e(w['rule'])} until {_e(w['expires'])} ({_e(w['approved_by'])})" for w in record["waivers"])
        or "-"
    )
    level = record["risk"]["level"]
    cells = [
        f"<b>{_e(record['name'])}</b><br><small>{_e(record['description'])}</small>",
        f'<span class="risk risk-{_e(level)}" title="{_e("; ".join(record["risk"]["reasons"]))}">{_e(level)}</span>',
        "<br>".join(_e(o) for o in record["owners"]) + f"<br><small>{_e(record['team'])}</small>",
        _e(record["purpose"]),
        _e(", ".join(record["environments"])),
        _scope_cell(record["scopes"]),
        _e(okta_management_text(record) or "-").replace("; ", "<br>"),
        f"{_e(record['token_lifetime_minutes'])} min",
        plugins,
        lifecycle,
        waivers,
    ]
    tds = "".join(f"<td>{cell}</td>" for cell in cells)
    return f'<tr data-agent="{_e(record["name"])}" data-search="{_e(search_text)}">{tds}</tr>'


def _graph_model(records: list[dict[str, Any]]):
    """Nodes per column and edges: (agent|plugin) → scope (solid for the agent, dashed for a plugin) → domain."""
    identities: list[tuple[str, str, str]] = []  # (node id, label, owning agent)
    scopes: dict[str, dict[str, Any]] = {}
    domains: dict[str, dict[str, Any]] = {}
    edges: list[tuple[str, str, bool, str]] = []  # (from, to, dashed, owning agent)
    for record in records:
        agent = record["name"]
        grants = [(f"a:{agent}", agent, record["scopes"], False)]
        grants += [(f"a:{p['identity']}", f"  ↳ {p['name']} (plugin)", p["scopes"], True) for p in record["plugins"]]
        for node_id, label, granted, dashed in grants:
            identities.append((node_id, label, agent))
            for scope in granted:
                entry = scopes.setdefault(scope["name"], {**scope, "agents": set()})
                entry["agents"].add(agent)
                edges.append((node_id, f"s:{scope['name']}", dashed, agent))
                domain = scope["domain"] or "unknown"
                dom = domains.setdefault(domain, {"name": domain, "sensitivity": None, "agents": set()})
                dom["agents"].add(agent)
                if _SENSITIVITY_RANK[scope["sensitivity"]] > _SENSITIVITY_RANK[dom["sensitivity"]]:
                    dom["sensitivity"] = scope["sensitivity"]
    scope_list = sorted(scopes.values(), key=lambda s: (s["domain"] or "", s["name"]))
    domain_list = sorted(domains.values(), key=lambda d: d["name"])
    for scope in scope_list:
        edges.append(
            (f"s:{scope['name']}", f"d:{scope['domain'] or 'unknown'}", False, " ".join(sorted(scope["agents"])))
        )
    return identities, scope_list, domain_list, edges


def render_svg(records: list[dict[str, Any]]) -> str:
    """agents → scopes → data domains, laid out in three evenly spaced columns; restricted data in red."""
    identities, scope_list, domain_list, edges = _graph_model(records)
    rows = max(len(identities), len(scope_list), len(domain_list), 1)
    height = TOP + rows * ROW + 10
    width = COLUMN_X[2] + NODE_WIDTH[2] + 10
    position: dict[str, tuple[float, float, float]] = {}  # id -> (x_left, x_right, y_centre)

    def place(column: int, ids: list[str]) -> None:
        spacing = (rows * ROW) / max(len(ids), 1)
        for index, node_id in enumerate(ids):
            y = TOP + spacing * index + spacing / 2
            position[node_id] = (COLUMN_X[column], COLUMN_X[column] + NODE_WIDTH[column], y)

    place(0, [i[0] for i in identities])
    place(1, [f"s:{s['name']}" for s in scope_list])
    place(2, [f"d:{d['name']}" for d in domain_list])

    sens_of = {f"s:{s['name']}": s["sensitivity"] for s in scope_list}
    sens_of.update({f"d:{d['name']}": d["sensitivity"] for d in domain_list})
    parts = [
        f'<svg id="graph" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Agents, the scopes they hold and the data domains '
        'those scopes reach">',
        '<text x="10" y="20" font-weight="bold">Agents and plugins</text>',
        f'<text x="{COLUMN_X[1]}" y="20" font-weight="bold">Scopes</text>',
        f'<text x="{COLUMN_X[2]}" y="20" font-weight="bold">Data domains</text>',
    ]
    for source, target, dashed, agents in edges:
        _x0, x1, y1 = position[source]
        x2, _x3, y2 = position[target]
        sensitivity = sens_of.get(target)
        colour = _SENSITIVITY_COLOUR["restricted"] if sensitivity == "restricted" else "#9e9e9e"
        width_px = 2.2 if sensitivity == "restricted" else 1.2
        dash = ' stroke-dasharray="5 3"' if dashed else ""
        mid = (x1 + x2) / 2
        parts.append(
            f'<path data-agents="{_e(agents)}" d="M{x1:.0f},{y1:.1f} C{mid:.0f},{y1:.1f} {mid:.0f},{y2:.1f} '
            f'{x2:.0f},{y2:.1f}" fill="none" stroke="{colour}" stroke-width="{width_px}"{dash}/>'
        )

    def node(node_id: str, label: str, agents: str, sensitivity: str | None, column: int) -> None:
        x, _right, y = position[node_id]
        restricted = sensitivity == "restricted"
        fill = "#ffebee" if restricted else "#fafafa"
        stroke = _SENSITIVITY_COLOUR.get(sensitivity, "#616161") if column else "#424242"
        weight = ' font-weight="bold"' if restricted else ""
        marker = ' data-restricted="true"' if restricted else ""
        suffix = f" ({_e(sensitivity)})" if column and sensitivity else ""
        parts.append(
            f'<g data-agents="{_e(agents)}" data-node="{_e(node_id)}"{marker}>'
            f'<rect x="{x}" y="{y - 10:.1f}" width="{NODE_WIDTH[column]}" height="20" rx="4" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="{2 if restricted else 1}"/>'
            f'<text x="{x + 6}" y="{y + 4:.1f}"{weight}>{_e(label)}{suffix}</text></g>'
        )

    for node_id, label, agent in identities:
        node(node_id, label, agent, None, 0)
    for scope in scope_list:
        node(f"s:{scope['name']}", scope["name"], " ".join(sorted(scope["agents"])), scope["sensitivity"], 1)
    for domain in domain_list:
        node(f"d:{domain['name']}", domain["name"], " ".join(sorted(domain["agents"])), domain["sensitivity"], 2)
    parts.append("</svg>")
    return "\n".join(parts)


def render_html(inventory: dict[str, Any]) -> str:
    records = inventory["agents"]
    summary = inventory["summary"]
    risk = ", ".join(f"{count} {level}" for level, count in summary["risk"].items() if count) or "none"
    headers = [
        "agent",
        "risk",
        "owners",
        "purpose",
        "environments",
        "scopes (domain, sensitivity)",
        "Okta management",
        "token",
        "plugins",
        "lifecycle",
        "waivers in force",
    ]
    thead = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "\n".join(_row(r) for r in records)
    legend = " ".join(
        f'<span><span class="sens sens-{level}">{level}</span></span>'
        for level in ("restricted", "confidential", "internal", "public")
    )
    # The inventory as data, for whoever opens the page and wants it; < > & escaped so no text can end the script.
    data = (
        json.dumps(inventory, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<title>Agent inventory {_e(inventory["as_of"])}</title>
<style>{CSS}</style>
</head>
<body>
<pre id="page-errors"></pre>
<script>{ERROR_TRAP}</script>
<h1>Agent inventory</h1>
<p class="summary">As of {_e(inventory["as_of"])}: {summary["agents"]} agents, {summary["identities"]} identities;
risk {_e(risk)}; {summary["restricted_data_agents"]} reach restricted data.</p>
<h2>Who can touch what</h2>
<p class="legend">{legend} <span>dashed: through a plugin identity</span></p>
{render_svg(records)}
<h2>Agents</h2>
<label for="search">Search</label>
<input id="search" type="search" placeholder="agent, owner, scope, domain, risk…" autocomplete="off">
<span id="shown"></span>
<table id="inventory">
<thead><tr>{thead}</tr></thead>
<tbody>
{body}
</tbody>
</table>
<p class="summary">Risk: most sensitive data reached (restricted → high, confidential → medium, otherwise low), raised
one level each for Okta management scopes (the agent's or a plugin's), tokens over 60 minutes, plugins holding custom
scopes and waivers in force; okta.*.manage on any identity makes an agent at least high.</p>
<script type="application/json" id="inventory-data">{data}</script>
<script>{SCRIPT}</script>
</body>
</html>
"""
