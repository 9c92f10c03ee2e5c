"""`agentid inventory`: the risk formula and the md, csv and json formats."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import shutil

from agentid.cli.main import main
from agentid.inventory import build_inventory, render, risk_of
from agentid.registry.model import Access, Waiver
from tests.conftest import TODAY


def test_risk_levels_of_the_sample_agents(sample_registry):
    levels = {a.name: risk_of(a, sample_registry.catalog, TODAY).level for a in sample_registry}
    assert levels == {
        "finance-reconciler": "high",  # restricted ledger data
        "hr-onboarding-assistant": "critical",  # restricted HR records, plus a plugin identity
        "incident-responder": "medium",  # confidential logs
        "meeting-summarizer": "medium",  # internal data, plus a plugin identity
        # confidential, plus Okta management scopes (on its directory-reader plugin), plus a waiver in force (its
        # reader's Okta-fixed 60-minute tokens in prod)
        "okta-user-auditor": "critical",
        "support-triage": "high",  # confidential CRM, plus a plugin identity
    }


def test_each_aggravating_factor_raises_one_level(sample_registry):
    catalog = sample_registry.catalog
    responder = sample_registry.get("incident-responder")
    assert risk_of(responder, catalog, TODAY).level == "medium"
    longer = dataclasses.replace(responder, access=dataclasses.replace(responder.access, token_lifetime_minutes=120))
    assert risk_of(longer, catalog, TODAY).level == "high"
    waiver = Waiver("token-lifetime", "Post-incident export runs for two hours.", "ciso@example.com", TODAY)
    waived = dataclasses.replace(longer, waivers=(waiver,))
    risk = risk_of(waived, catalog, TODAY)
    assert risk.level == "critical"
    assert risk.reasons == ("reaches confidential data", "120-minute tokens (over 60)", "1 waiver(s) in force")
    expired_waiver = dataclasses.replace(
        waived, waivers=(dataclasses.replace(waiver, expires=TODAY.replace(day=1).replace(month=11)),)
    )
    assert risk_of(expired_waiver, catalog, TODAY).level == "high"


def test_management_scope_that_can_change_okta_is_at_least_high(sample_registry):
    docs_only = dataclasses.replace(
        sample_registry.get("okta-user-auditor"),
        access=Access(scopes=(), token_lifetime_minutes=5, okta_api_scopes=("okta.groups.manage",)),
        waivers=(),  # the sample's token-lifetime waiver would raise the level on its own
    )
    risk = risk_of(docs_only, sample_registry.catalog, TODAY)
    assert risk.level == "high"
    assert "can change Okta objects (okta.*.manage)" in risk.reasons


def test_json_has_every_field_the_issue_lists(sample_registry):
    data = json.loads(render(build_inventory(sample_registry, TODAY), "json"))
    hr = next(a for a in data["agents"] if a["name"] == "hr-onboarding-assistant")
    assert hr["owners"] == ["aisha.khan@example.com", "daniel.moreau@example.com"]
    assert hr["team"] and hr["purpose"] == "onboarding" and hr["environments"] == ["dev", "prod"]
    assert hr["scopes"][0] == {
        "name": "hr.records.read",
        "domain": "hr",
        "sensitivity": "restricted",
        "reason": hr["scopes"][0]["reason"],
    }
    assert hr["lifecycle"] == {"kind": "persistent", "review_by": "2027-01-31", "expires": None, "status": "active"}
    assert hr["plugins"][0]["identity"] == "hr-onboarding-assistant--scheduler"
    assert hr["waivers"] == [] and hr["risk"]["level"] == "critical"
    assert data["summary"]["agents"] == 6 and data["summary"]["identities"] == 10
    auditor = next(a for a in data["agents"] if a["name"] == "okta-user-auditor")
    assert auditor["okta_api_scopes"] == [] and auditor["okta_admin_roles"] == [], "the agent's own app holds none"
    reader = auditor["plugins"][0]
    assert (reader["identity"], reader["scopes"]) == ("okta-user-auditor--directory-reader", [])
    assert reader["okta_api_scopes"] == ["okta.users.read"] and reader["okta_admin_roles"] == ["READ_ONLY_ADMIN"]


def test_okta_management_on_a_plugin_counts_once_as_the_agents(sample_registry):
    """Moving Okta management access to a plugin of its own (rule okta-management-separate-identity) keeps the
    privilege in the risk, named with its plugin, and does not add a plugin level on top: the separation is the
    safer shape and must not read as riskier."""
    # without the sample's token-lifetime waiver, which is a level of its own (test_risk_levels_of_the_sample_agents)
    auditor = dataclasses.replace(sample_registry.get("okta-user-auditor"), waivers=())
    risk = risk_of(auditor, sample_registry.catalog, TODAY)
    assert risk.reasons == (
        "reaches confidential data",
        "Okta management scopes okta.users.read (plugin directory-reader)",
    )
    assert risk.level == "high"
    reader = auditor.plugins[0]
    writer = dataclasses.replace(
        auditor, plugins=(dataclasses.replace(reader, okta_api_scopes=("okta.groups.manage",)),)
    )
    no_data = dataclasses.replace(writer, access=dataclasses.replace(auditor.access, scopes=()))
    risk = risk_of(no_data, sample_registry.catalog, TODAY)
    assert risk.level == "high", risk.reasons
    assert risk.reasons[-1] == "can change Okta objects (okta.*.manage)", "a plugin's okta.*.manage counts too"


def test_every_format_shows_a_plugins_okta_management_access(sample_registry):
    inventory = build_inventory(sample_registry, TODAY)
    rows = {r["agent"]: r for r in csv.DictReader(io.StringIO(render(inventory, "csv")))}
    auditor = rows["okta-user-auditor"]
    assert auditor["okta_api_scopes"] == "directory-reader: okta.users.read"
    assert auditor["okta_admin_roles"] == "directory-reader: READ_ONLY_ADMIN"
    assert (
        auditor["plugins"] == "directory-reader: okta.users.read (Okta management), READ_ONLY_ADMIN (Okta admin role)"
    )
    assert rows["finance-reconciler"]["okta_api_scopes"] == rows["finance-reconciler"]["okta_admin_roles"] == ""
    markdown = render(inventory, "md")
    row = next(line for line in markdown.splitlines() if line.startswith("| `okta-user-auditor`"))
    # Cells are inert Markdown (agentid.output.inert): compare the text a reader sees, cell by cell.
    assert "directory-reader: okta.users.read, READ_ONLY_ADMIN (admin role)" in _cells(row), row
    page = render(inventory, "html")
    assert "directory-reader: okta.users.read, READ_ONLY_ADMIN (admin role)" in page
    assert "okta.users.read <small>Okta management</small><br>READ_ONLY_ADMIN <small>Okta admin role</small>" in page


def test_csv_is_one_row_per_agent_and_spreadsheet_safe(sample_registry):
    agent = sample_registry.get("support-triage")
    hostile = dataclasses.replace(agent, team='=HYPERLINK("http://evil.example")')
    registry = dataclasses.replace(
        sample_registry, agents=tuple(hostile if a.name == agent.name else a for a in sample_registry)
    )
    rows = list(csv.DictReader(io.StringIO(render(build_inventory(registry, TODAY), "csv"))))
    assert [r["agent"] for r in rows] == [a.name for a in sample_registry]
    triage = next(r for r in rows if r["agent"] == "support-triage")
    assert triage["team"].startswith("'=")
    assert "crm.accounts.read (sales, confidential)" in triage["scopes"]


def test_markdown_cli(repo, monkeypatch, capsys):
    monkeypatch.chdir(repo)
    assert main(["inventory", "--today", TODAY.isoformat()]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Agent inventory (2026-12-01)")
    row = next(line for line in out.splitlines() if line.startswith("| `finance-reconciler`"))
    assert "**high**" in row and "finance.ledger.read (finance, restricted)" in row


def test_a_definition_that_fails_to_load_is_named_and_left_out(repo, tmp_path, monkeypatch, capsys):
    agents = tmp_path / "agents"
    shutil.copytree(repo / "agents", agents)
    (agents / "expense-auditor.yaml").write_text("name: [expense-auditor\n", encoding="utf-8")
    monkeypatch.chdir(repo)
    argv = ["inventory", "--agents", str(agents), "--format", "json", "--today", TODAY.isoformat()]
    assert main(argv) == 1  # the report is written, and says an agent is missing
    captured = capsys.readouterr()
    assert "agentid inventory: 1 definition(s) fail to load and are left out: " in captured.err
    assert "expense-auditor.yaml (run `agentid validate`)" in captured.err
    listed = {row["name"] for row in json.loads(captured.out)["agents"]}
    assert "finance-reconciler" in listed and "expense-auditor" not in listed


def test_html_is_self_contained(sample_registry):
    page = render(build_inventory(sample_registry, TODAY), "html")
    assert page.startswith("<!DOCTYPE html>")
    assert "<svg" in page and 'http-equiv="Content-Security-Policy"' in page
    for reference in ("<link", 'src="http', 'href="http', "@import", "url("):
        assert reference not in page, reference


def test_html_escapes_user_text(sample_registry):
    agent = sample_registry.get("meeting-summarizer")
    hostile = dataclasses.replace(agent, description="<img src=x onerror=alert(1)></script>")
    registry = dataclasses.replace(
        sample_registry, agents=tuple(hostile if a.name == agent.name else a for a in sample_registry)
    )
    page = render(build_inventory(registry, TODAY), "html")
    assert "<img src=x" not in page and '</script>"' not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def _cells(row: str) -> list[str]:
    """A Markdown table row's cells as rendered text (markdown-it-py, GFM tables)."""
    from markdown_it import MarkdownIt

    width = 12  # the inventory table's columns
    header = "|" + " h |" * width + "\n|" + " --- |" * width + "\n"
    tokens = MarkdownIt("commonmark").enable("table").parse(header + row + "\n")
    inline = [t for t in tokens if t.type == "inline"][width:]
    return ["".join(c.content for c in t.children or []).replace("\u200d", "") for t in inline]


def test_html_graph_draws_okta_management_edges_and_rows_start_riskiest(sample_registry):
    """The picture's edges from an identity to its Okta management scopes and admin roles (without a browser: the
    browser test checks they are drawn)."""
    from agentid.inventory.html import _graph_model, by_risk

    inventory = build_inventory(sample_registry, TODAY)
    *_nodes, edges = _graph_model(inventory["agents"])
    okta = {(source, target, dashed, kind) for source, target, dashed, _agents, kind in edges if kind != "scope"}
    reader = "a:okta-user-auditor--directory-reader"
    assert (reader, "o:okta.users.read", True, "okta-scope") in okta
    assert (reader, "r:READ_ONLY_ADMIN", True, "okta-role") in okta
    assert ("o:okta.users.read", "d:@okta", False, "reach") in okta
    order = [r["name"] for r in by_risk(inventory["agents"])]
    assert order[:2] == ["hr-onboarding-assistant", "okta-user-auditor"] and order[-1] == "meeting-summarizer"
    page = render(inventory, "html")
    assert '<th scope="col" data-type="number" aria-sort="descending"><button type="button">risk</button>' in page
