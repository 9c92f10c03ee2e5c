"""The inventory as one self-contained HTML page: a sortable, searchable table and a picture of who can touch what.

The page is mailed, attached to audits and opened offline, so everything is inline (CSS, JavaScript, the SVG) and
nothing is fetched. The picture is drawn here in Python as SVG with three columns: agents (and their plugins) →
what they hold (custom scopes; Okta management API scopes and admin roles, in purple) → what that reaches (data
domains, restricted data in red; the Okta org itself). Every value is HTML-escaped: descriptions are user-written
text.

The table lists the riskiest agents first; every column header is a button (mouse or keyboard) that sorts by that
column, again to reverse. It fits a 1,400-pixel window: fixed column widths, long values wrap. The search box sits in
a toolbar that stays at the top of the window while the page scrolls; above :data:`GRAPH_OPEN_LIMIT` identities the
picture starts folded, so a thousand agents open on the table, not on a picture taller than the screen.

The search box filters table rows and dims the picture; ``#q=<text>`` in the URL pre-fills it, so a link can share a
filtered view (and a headless browser can test the filter). Script errors are recorded into ``#page-errors`` and the
page marks ``<html data-ready="true">`` when its script has run to the end.
"""

from __future__ import annotations

import html
import json
from typing import Any

from agentid.inventory.model import LEVELS
from agentid.inventory.tabular import flat_row, okta_management_text

_SENSITIVITY_COLOUR = {
    "restricted": "#c62828",
    "confidential": "#ef6c00",
    "internal": "#1565c0",
    "public": "#2e7d32",
    None: "#616161",
}
_SENSITIVITY_RANK = {"public": 0, "internal": 1, "confidential": 2, "restricted": 3, None: -1}
#: Okta management access (API scopes, admin roles): its own colour, so it never reads as a data scope.
OKTA_SCOPE_COLOUR = "#6a1b9a"
OKTA_ROLE_COLOUR = "#4a148c"
OKTA_ORG_NODE = "d:@okta"

ROW = 26
COLUMN_X = (10, 370, 720)
NODE_WIDTH = (300, 290, 200)
TOP = 40
MAX_SPACING = 3
#: Above this many identities the picture starts folded (one click opens it).
GRAPH_OPEN_LIMIT = 60

#: The table's columns: (heading, width in % of the table, sort type). Widths add up to 100.
COLUMNS = (
    ("agent", 13, "text"),
    ("risk", 6, "number"),
    ("owners", 11, "text"),
    ("purpose", 7, "text"),
    ("environments", 7, "text"),
    ("scopes (domain, sensitivity)", 15, "number"),
    ("Okta management", 10, "number"),
    ("token", 5, "number"),
    ("plugins", 11, "number"),
    ("lifecycle", 7, "text"),
    ("waivers in force", 8, "number"),
)

CSS = """
:root { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #212121; --toolbar-h: 48px; }
body { margin: 0 24px 24px; }
h1 { font-size: 1.4rem; margin: 16px 0 4px; }
.summary { color: #555; margin: 0 0 12px; }
#toolbar { position: sticky; top: 0; z-index: 3; background: #fff; padding: 8px 0; border-bottom: 1px solid #ddd;
  display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
#search { font-size: 1rem; padding: 6px 10px; width: 360px; max-width: 60vw; border: 1px solid #999;
  border-radius: 4px; }
#shown { color: #555; }
table { border-collapse: collapse; margin-top: 12px; width: 100%; table-layout: fixed; font-size: 0.8rem; }
th, td { border: 1px solid #ddd; padding: 4px 5px; text-align: left; vertical-align: top;
  overflow-wrap: break-word; }
th { background: #f5f5f5; position: sticky; top: var(--toolbar-h); z-index: 2; padding: 0; }
th button { all: unset; box-sizing: border-box; display: block; width: 100%; padding: 4px 5px; cursor: pointer;
  font-weight: 600; }
th button:focus-visible { outline: 2px solid #1565c0; outline-offset: -2px; }
th button::after { content: " \\2195"; color: #9e9e9e; }
th[aria-sort="ascending"] button::after { content: " \\25B2"; color: #212121; }
th[aria-sort="descending"] button::after { content: " \\25BC"; color: #212121; }
tr[hidden] { display: none; }
.risk { font-weight: 600; padding: 1px 5px; white-space: nowrap; border-radius: 3px; color: #fff; }
.risk-low { background: #2e7d32; } .risk-medium { background: #ef6c00; }
.risk-high { background: #c62828; } .risk-critical { background: #6a1b9a; }
.sens { font-size: 0.75rem; padding: 0 4px; border-radius: 3px; border: 1px solid currentColor; }
.sens-restricted { color: #c62828; font-weight: 700; } .sens-confidential { color: #ef6c00; }
.sens-internal { color: #1565c0; } .sens-public { color: #2e7d32; }
.okta { color: #6a1b9a; font-weight: 600; }
details.graph > summary { cursor: pointer; font-size: 1.2rem; font-weight: 700; margin: 12px 0 6px; }
#graph-box { max-width: 100%; max-height: 80vh; overflow: auto; }
svg text { font-size: 12px; font-family: inherit; }
svg .dim { opacity: 0.15; }
.legend span { margin-right: 14px; }
.swatch { display: inline-block; width: 28px; height: 0; vertical-align: middle; margin-right: 4px;
  border-top: 3px solid #9e9e9e; }
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
  var toolbar = document.getElementById("toolbar");
  var tbody = document.querySelector("#inventory tbody");
  var rows = Array.prototype.slice.call(tbody.rows);
  var headers = Array.prototype.slice.call(document.querySelectorAll("#inventory thead th"));
  var shown = document.getElementById("shown");
  var nodes = Array.prototype.slice.call(document.querySelectorAll("#graph [data-agents]"));
  rows.forEach(function (row, index) { row.setAttribute("data-order", String(index)); });
  function fitToolbar() {
    document.documentElement.style.setProperty("--toolbar-h", toolbar.offsetHeight + "px");
  }
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
  function key(row, column, numeric) {
    var value = row.cells[column].getAttribute("data-sort");
    return numeric ? Number(value) : value;
  }
  // Sort by one column; ties keep the page's own order (riskiest first, then by name), so a sort is stable.
  function sortBy(column, direction) {
    var numeric = headers[column].getAttribute("data-type") === "number";
    var sign = direction === "ascending" ? 1 : -1;
    var sorted = rows.slice().sort(function (a, b) {
      var x = key(a, column, numeric), y = key(b, column, numeric);
      var order = numeric ? x - y : x.localeCompare(y);
      if (order !== 0) { return sign * order; }
      return Number(a.getAttribute("data-order")) - Number(b.getAttribute("data-order"));
    });
    var fragment = document.createDocumentFragment();
    sorted.forEach(function (row) { fragment.appendChild(row); });
    tbody.appendChild(fragment);
    headers.forEach(function (th, index) {
      if (index === column) { th.setAttribute("aria-sort", direction); } else { th.removeAttribute("aria-sort"); }
    });
  }
  headers.forEach(function (th, column) {
    th.querySelector("button").addEventListener("click", function () {
      var current = th.getAttribute("aria-sort");
      var first = th.getAttribute("data-type") === "number" ? "descending" : "ascending";
      var next = current ? (current === "ascending" ? "descending" : "ascending") : first;
      sortBy(column, next);
    });
  });
  search.addEventListener("input", apply);
  window.addEventListener("resize", fitToolbar);
  var match = /[#&]q=([^&]*)/.exec(window.location.hash);
  if (match) {
    // A hand-edited or truncated link (`#q=%E0%A4%A`) makes decodeURIComponent throw URIError, which would stop
    // this script before the page is usable: fall back to the raw text.
    var raw = match[1].replace(/\\+/g, " ");
    try { search.value = decodeURIComponent(raw); } catch (error) { search.value = raw; }
  }
  fitToolbar();
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


def _okta_held(record: dict[str, Any]) -> int:
    """How much Okta management access the agent holds on all its identities; a scope that can change Okta
    (``okta.*.manage``) and an admin role weigh more than a read scope, so sorting puts them first."""
    total = 0
    for who in (record, *record["plugins"]):
        total += sum(10 if s.endswith(".manage") else 1 for s in who.get("okta_api_scopes", ()))
        total += 5 * len(who.get("okta_admin_roles", ()))
    return total


def sort_keys(record: dict[str, Any]) -> list[str]:
    """Each column's sort key for this record (numbers as text), in :data:`COLUMNS` order."""
    own = record["scopes"]
    top = max((_SENSITIVITY_RANK[s["sensitivity"]] for s in own), default=-1)
    life = record["lifecycle"]
    return [
        record["name"],
        str(LEVELS.index(record["risk"]["level"])),
        ", ".join(record["owners"]).lower(),
        record["purpose"],
        ", ".join(record["environments"]),
        str((top + 1) * 100 + len(own)),  # the most sensitive data first, then how many scopes
        str(_okta_held(record)),
        str(record["token_lifetime_minutes"]),
        str(len(record["plugins"])),
        life["expires"] or life["review_by"],  # the nearest date that needs someone's attention
        str(len(record["waivers"])),
    ]


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
        "<br>".join(
            f"{_e(w['rule'])} until {_e(w['expires'])} <small>({_e(w['approved_by']).replace('@', '<wbr>@')})</small>"
            for w in record["waivers"]
        )
        or "-"
    )
    level = record["risk"]["level"]
    cells = [
        f"<b>{_e(record['name'])}</b><br><small>{_e(record['description'])}</small>",
        f'<span class="risk risk-{_e(level)}" title="{_e("; ".join(record["risk"]["reasons"]))}">{_e(level)}</span>',
        "<br>".join(_e(o).replace("@", "<wbr>@") for o in record["owners"])
        + f"<br><small>{_e(record['team'])}</small>",
        _e(record["purpose"]),
        _e(", ".join(record["environments"])),
        _scope_cell(record["scopes"]),
        _e(okta_management_text(record) or "-").replace("; ", "<br>"),
        f"{_e(record['token_lifetime_minutes'])} min",
        plugins,
        lifecycle,
        waivers,
    ]
    tds = "".join(f'<td data-sort="{_e(key)}">{cell}</td>' for cell, key in zip(cells, sort_keys(record), strict=True))
    return f'<tr data-agent="{_e(record["name"])}" data-search="{_e(search_text)}">{tds}</tr>'


def by_risk(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The table's default order: the riskiest agents first, then by name."""
    return sorted(records, key=lambda r: (-LEVELS.index(r["risk"]["level"]), r["name"]))


def _graph_model(records: list[dict[str, Any]]):
    """Nodes per column and edges.

    Column 0: identities (the agent, ``  ↳ plugin``). Column 1: custom scopes (``s:``), then Okta management API
    scopes (``o:``) and admin roles (``r:``). Column 2: data domains (``d:``), then the Okta org (``d:@okta``) that
    management access reaches. Each edge is (from, to, dashed, owning agents, kind): dashed when held by a plugin's
    identity; kind ``scope``, ``okta-scope`` or ``okta-role`` (what the edge grants) or ``reach``.
    """
    identities: list[tuple[str, str, str]] = []  # (node id, label, owning agent)
    scopes: dict[str, dict[str, Any]] = {}
    okta: dict[str, dict[str, Any]] = {}  # "o:okta.users.read" / "r:READ_ONLY_ADMIN" -> {label, kind, agents}
    domains: dict[str, dict[str, Any]] = {}
    edges: list[tuple[str, str, bool, str, str]] = []
    for record in records:
        agent = record["name"]
        holders = [(f"a:{agent}", agent, record, False)]
        holders += [(f"a:{p['identity']}", f"  ↳ {p['name']} (plugin)", p, True) for p in record["plugins"]]
        for node_id, label, who, dashed in holders:
            identities.append((node_id, label, agent))
            for scope in who["scopes"]:
                entry = scopes.setdefault(scope["name"], {**scope, "agents": set()})
                entry["agents"].add(agent)
                edges.append((node_id, f"s:{scope['name']}", dashed, agent, "scope"))
                domain = scope["domain"] or "unknown"
                dom = domains.setdefault(domain, {"name": domain, "sensitivity": None, "agents": set()})
                dom["agents"].add(agent)
                if _SENSITIVITY_RANK[scope["sensitivity"]] > _SENSITIVITY_RANK[dom["sensitivity"]]:
                    dom["sensitivity"] = scope["sensitivity"]
            held = [(f"o:{s}", s, "okta-scope") for s in who.get("okta_api_scopes", ())]
            held += [(f"r:{r}", r, "okta-role") for r in who.get("okta_admin_roles", ())]
            for target, name, kind in held:
                entry = okta.setdefault(target, {"id": target, "name": name, "kind": kind, "agents": set()})
                entry["agents"].add(agent)
                edges.append((node_id, target, dashed, agent, kind))
    scope_list = sorted(scopes.values(), key=lambda s: (s["domain"] or "", s["name"]))
    okta_list = sorted(okta.values(), key=lambda o: (o["kind"], o["name"]))
    domain_list = sorted(domains.values(), key=lambda d: d["name"])
    for scope in scope_list:
        reach = (f"s:{scope['name']}", f"d:{scope['domain'] or 'unknown'}", False, " ".join(sorted(scope["agents"])))
        edges.append((*reach, "reach"))
    okta_agents = sorted({agent for entry in okta_list for agent in entry["agents"]})
    for entry in okta_list:
        edges.append((entry["id"], OKTA_ORG_NODE, False, " ".join(sorted(entry["agents"])), "reach"))
    return identities, scope_list, okta_list, domain_list, okta_agents, edges


def render_svg(records: list[dict[str, Any]]) -> str:
    """identities → scopes and Okta management access → data domains and the Okta org, in three evenly spaced
    columns; restricted data in red, Okta management access in purple."""
    identities, scope_list, okta_list, domain_list, okta_agents, edges = _graph_model(records)
    column_one = [f"s:{s['name']}" for s in scope_list] + [o["id"] for o in okta_list]
    column_two = [f"d:{d['name']}" for d in domain_list] + ([OKTA_ORG_NODE] if okta_list else [])
    rows = max(len(identities), len(column_one), len(column_two), 1)
    height = TOP + rows * ROW + 10
    width = COLUMN_X[2] + NODE_WIDTH[2] + 10
    position: dict[str, tuple[float, float, float]] = {}  # id -> (x_left, x_right, y_centre)

    def place(column: int, ids: list[str]) -> None:
        # Spread evenly over the height, but no further apart than MAX_SPACING rows: with a thousand identities the
        # few scopes and domains stay together at the top, in one screen, instead of one per screen.
        spacing = min((rows * ROW) / max(len(ids), 1), MAX_SPACING * ROW)
        for index, node_id in enumerate(ids):
            y = TOP + spacing * index + spacing / 2
            position[node_id] = (COLUMN_X[column], COLUMN_X[column] + NODE_WIDTH[column], y)

    place(0, [i[0] for i in identities])
    place(1, column_one)
    place(2, column_two)

    sens_of = {f"s:{s['name']}": s["sensitivity"] for s in scope_list}
    sens_of.update({f"d:{d['name']}": d["sensitivity"] for d in domain_list})
    parts = [
        f'<svg id="graph" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Agents and plugins, the scopes and Okta management '
        'access they hold, and the data domains and Okta org that reaches">',
        '<text x="10" y="20" font-weight="bold">Agents and plugins</text>',
        f'<text x="{COLUMN_X[1]}" y="20" font-weight="bold">Scopes; Okta management access</text>',
        f'<text x="{COLUMN_X[2]}" y="20" font-weight="bold">Data domains; Okta org</text>',
    ]
    for source, target, dashed, agents, kind in edges:
        _x0, x1, y1 = position[source]
        x2, _x3, y2 = position[target]
        sensitivity = sens_of.get(target)
        if kind == "okta-scope" or (kind == "reach" and source.startswith("o:")):
            colour, width_px = OKTA_SCOPE_COLOUR, 2.2
        elif kind == "okta-role" or (kind == "reach" and source.startswith("r:")):
            colour, width_px = OKTA_ROLE_COLOUR, 3.0
        elif sensitivity == "restricted":
            colour, width_px = _SENSITIVITY_COLOUR["restricted"], 2.2
        else:
            colour, width_px = "#9e9e9e", 1.2
        dash = ' stroke-dasharray="5 3"' if dashed else ""
        mid = (x1 + x2) / 2
        parts.append(
            f'<path data-agents="{_e(agents)}" data-kind="{kind}" data-from="{_e(source)}" data-to="{_e(target)}" '
            f'd="M{x1:.0f},{y1:.1f} C{mid:.0f},{y1:.1f} {mid:.0f},{y2:.1f} {x2:.0f},{y2:.1f}" fill="none" '
            f'stroke="{colour}" stroke-width="{width_px}"{dash}/>'
        )

    def node(
        node_id: str, label: str, agents: str, sensitivity: str | None, column: int, okta_kind: str | None = None
    ) -> None:
        x, _right, y = position[node_id]
        restricted = sensitivity == "restricted"
        fill = "#ffebee" if restricted else "#f3e5f5" if okta_kind else "#fafafa"
        if okta_kind:
            stroke = OKTA_ROLE_COLOUR if okta_kind == "okta-role" else OKTA_SCOPE_COLOUR
        else:
            stroke = _SENSITIVITY_COLOUR.get(sensitivity, "#616161") if column else "#424242"
        weight = ' font-weight="bold"' if restricted or okta_kind else ""
        marker = ' data-restricted="true"' if restricted else ""
        marker += f' data-kind="{okta_kind}"' if okta_kind else ""
        suffix = f" ({_e(sensitivity)})" if column and sensitivity else ""
        parts.append(
            f'<g data-agents="{_e(agents)}" data-node="{_e(node_id)}"{marker}>'
            f'<rect x="{x}" y="{y - 10:.1f}" width="{NODE_WIDTH[column]}" height="20" rx="4" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="{2 if restricted or okta_kind else 1}"/>'
            f'<text x="{x + 6}" y="{y + 4:.1f}"{weight}>{_e(label)}{suffix}</text></g>'
        )

    for node_id, label, agent in identities:
        node(node_id, label, agent, None, 0)
    for scope in scope_list:
        node(f"s:{scope['name']}", scope["name"], " ".join(sorted(scope["agents"])), scope["sensitivity"], 1)
    for entry in okta_list:
        what = "Okta API scope" if entry["kind"] == "okta-scope" else "Okta admin role"
        node(entry["id"], f"{entry['name']} ({what})", " ".join(sorted(entry["agents"])), None, 1, entry["kind"])
    for domain in domain_list:
        node(f"d:{domain['name']}", domain["name"], " ".join(sorted(domain["agents"])), domain["sensitivity"], 2)
    if okta_list:
        node(OKTA_ORG_NODE, "Okta org (management API)", " ".join(okta_agents), None, 2, "okta-org")
    parts.append("</svg>")
    return "\n".join(parts)


def _header(index: int) -> str:
    name, _width, kind = COLUMNS[index]
    sort = ' aria-sort="descending"' if name == "risk" else ""
    label = _e(name).replace("environments", "environ&shy;ments")  # a narrow column breaks it where a reader expects
    return f'<th scope="col" data-type="{kind}"{sort}><button type="button">{label}</button></th>'


def render_html(inventory: dict[str, Any]) -> str:
    records = by_risk(inventory["agents"])
    summary = inventory["summary"]
    risk = ", ".join(f"{count} {level}" for level, count in summary["risk"].items() if count) or "none"
    colgroup = "".join(f'<col style="width:{width}%">' for _name, width, _kind in COLUMNS)
    thead = "".join(_header(index) for index in range(len(COLUMNS)))
    body = "\n".join(_row(r) for r in records)
    legend = " ".join(
        f'<span><span class="sens sens-{level}">{level}</span></span>'
        for level in ("restricted", "confidential", "internal", "public")
    )
    legend += (
        f' <span><span class="swatch" style="border-color:{OKTA_SCOPE_COLOUR}"></span>Okta API scope</span>'
        f'<span><span class="swatch" style="border-color:{OKTA_ROLE_COLOUR};border-top-width:5px"></span>'
        "Okta admin role</span>"
        '<span><span class="swatch" style="border-top-style:dashed"></span>through a plugin identity</span>'
    )
    identities = summary["identities"]
    folded = "" if identities <= GRAPH_OPEN_LIMIT else f" ({identities} identities: open to draw)"
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
<p class="summary">As of {_e(inventory["as_of"])}: {summary["agents"]} agents, {identities} identities;
risk {_e(risk)}; {summary["restricted_data_agents"]} reach restricted data.</p>
<div id="toolbar" role="search">
<label for="search">Search</label>
<input id="search" type="search" placeholder="agent, owner, scope, domain, risk…" autocomplete="off">
<span id="shown"></span>
</div>
<details class="graph" id="graph-section"{"" if folded else " open"}>
<summary>Who can touch what{_e(folded)}</summary>
<p class="legend">{legend}</p>
<div id="graph-box">
{render_svg(records)}
</div>
</details>
<h2>Agents</h2>
<p class="summary">Riskiest first. Click a column heading (or focus it and press Enter) to sort by it; again to
reverse.</p>
<table id="inventory">
<colgroup>{colgroup}</colgroup>
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
