"""Every kind of change the review reports is classed escalation, reduction or neutral, both ways round.

Built on the loaded sample registry with one field edited at a time (``dataclasses.replace``), so each test fails
if a comparer stops reporting its field or classes it the wrong way.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from agentid.registry.model import Agent, LifecycleKind, Registry, Waiver
from agentid.review import Impact, diff_registries
from agentid.review.diff import WEIGHT_MANAGEMENT


def _with(registry: Registry, agent: Agent) -> Registry:
    return Registry(agents=tuple(agent if a.name == agent.name else a for a in registry), catalog=registry.catalog)


def _kinds(base: Registry, head: Registry) -> list[tuple[str, str, Impact]]:
    return [(c.agent, c.kind, c.impact) for c in diff_registries(base, head).changes]


def _both_ways(sample_registry, edited: Agent) -> tuple[list, list]:
    head = _with(sample_registry, edited)
    return _kinds(sample_registry, head), _kinds(head, sample_registry)


def test_network_zones_removed_is_an_escalation_added_a_reduction(sample_registry):
    triage = sample_registry.get("support-triage")
    zoned = dataclasses.replace(triage, access=dataclasses.replace(triage.access, network_zones=("corp-egress",)))
    forward, backward = _both_ways(sample_registry, zoned)
    assert forward == [("support-triage", "network-zones", Impact.REDUCTION)]
    assert backward == [("support-triage", "network-zones", Impact.ESCALATION)]
    widened = dataclasses.replace(
        triage, access=dataclasses.replace(triage.access, network_zones=("corp-egress", "partner-vpn"))
    )
    assert _kinds(_with(sample_registry, zoned), _with(sample_registry, widened)) == [
        ("support-triage", "network-zones", Impact.ESCALATION)
    ]


def test_an_okta_admin_role_added_is_an_escalation_removed_a_reduction(sample_registry):
    """A reviewer must see a role change as clearly as a scope change: the role is what Okta actually enforces.
    Here on a management-only agent (no custom scopes, its Okta access on its own key)."""
    auditor = sample_registry.get("okta-user-auditor")
    management_only = dataclasses.replace(
        auditor,
        access=dataclasses.replace(
            auditor.access, scopes=(), okta_api_scopes=("okta.users.read",), okta_admin_roles=("READ_ONLY_ADMIN",)
        ),
        plugins=(),
    )
    helpdesk = dataclasses.replace(
        management_only,
        access=dataclasses.replace(management_only.access, okta_admin_roles=("READ_ONLY_ADMIN", "HELP_DESK_ADMIN")),
    )
    base = _with(sample_registry, management_only)
    head = _with(sample_registry, helpdesk)
    assert _kinds(base, head) == [("okta-user-auditor", "admin-role-added", Impact.ESCALATION)]
    assert _kinds(head, base) == [("okta-user-auditor", "admin-role-removed", Impact.REDUCTION)]
    added = diff_registries(base, head).changes[0]
    assert added.summary == "gains Okta admin role HELP_DESK_ADMIN" and "okta-management" in added.tags


def test_a_plugins_okta_admin_role_is_classified_like_the_agents(sample_registry):
    """okta-user-auditor keeps its Okta access on its directory-reader plugin: a role added there is the same
    escalation, named with the plugin's identity and field, ranked with Okta management changes."""
    auditor = sample_registry.get("okta-user-auditor")
    reader = auditor.plugins[0]
    assert reader.okta_admin_roles == ("READ_ONLY_ADMIN",)
    helpdesk = dataclasses.replace(
        auditor, plugins=(dataclasses.replace(reader, okta_admin_roles=("READ_ONLY_ADMIN", "HELP_DESK_ADMIN")),)
    )
    forward, backward = _both_ways(sample_registry, helpdesk)
    assert forward == [("okta-user-auditor", "plugin-admin-role-added", Impact.ESCALATION)]
    assert backward == [("okta-user-auditor", "plugin-admin-role-removed", Impact.REDUCTION)]
    added = diff_registries(sample_registry, _with(sample_registry, helpdesk)).changes[0]
    assert added.summary == "okta-user-auditor--directory-reader gains Okta admin role HELP_DESK_ADMIN"
    assert added.field == "plugins.directory-reader.okta_admin_roles"
    assert "okta-management" in added.tags and added.weight == WEIGHT_MANAGEMENT


def test_a_plugins_okta_management_scope_added_is_an_escalation(sample_registry):
    auditor = sample_registry.get("okta-user-auditor")
    reader = auditor.plugins[0]
    groups = dataclasses.replace(
        auditor, plugins=(dataclasses.replace(reader, okta_api_scopes=(*reader.okta_api_scopes, "okta.groups.read")),)
    )
    forward, backward = _both_ways(sample_registry, groups)
    assert forward == [("okta-user-auditor", "plugin-management-scope-added", Impact.ESCALATION)]
    assert backward == [("okta-user-auditor", "plugin-management-scope-removed", Impact.REDUCTION)]
    added = diff_registries(sample_registry, _with(sample_registry, groups)).changes[0]
    assert added.summary == "okta-user-auditor--directory-reader gains Okta management scope okta.groups.read"
    assert added.field == "plugins.directory-reader.okta_api_scopes" and "okta-management" in added.tags


def test_a_plugin_holding_okta_management_access_weighs_as_okta_management(sample_registry):
    """Adding (or removing) the plugin itself is reported with its Okta access, ranked above confidential data."""
    auditor = sample_registry.get("okta-user-auditor")
    without = dataclasses.replace(auditor, plugins=())
    added = diff_registries(_with(sample_registry, without), sample_registry).changes
    assert [(c.kind, c.impact) for c in added] == [("plugin-added", Impact.ESCALATION)]
    assert added[0].summary == (
        "new plugin identity okta-user-auditor--directory-reader with Okta management okta.users.read; "
        "Okta admin roles READ_ONLY_ADMIN"
    )
    assert added[0].weight == WEIGHT_MANAGEMENT and "okta-management" in added[0].tags
    assert added[0].after["okta_api_scopes"] == ["okta.users.read"]
    assert added[0].after["okta_admin_roles"] == ["READ_ONLY_ADMIN"]
    removed = diff_registries(sample_registry, _with(sample_registry, without)).changes
    assert [(c.kind, c.impact, c.weight) for c in removed] == [("plugin-removed", Impact.REDUCTION, WEIGHT_MANAGEMENT)]


def test_a_new_agent_names_its_plugins_okta_management_access(sample_registry):
    auditor = sample_registry.get("okta-user-auditor")
    smaller = Registry(
        agents=tuple(a for a in sample_registry if a.name != auditor.name), catalog=sample_registry.catalog
    )
    (change,) = diff_registries(smaller, sample_registry).changes
    assert change.kind == "agent-added" and "okta-management" in change.tags and change.weight == WEIGHT_MANAGEMENT
    assert change.summary.endswith(
        "with access-reviews.write (identity, confidential); "
        "plugins directory-reader (Okta management okta.users.read; Okta admin roles READ_ONLY_ADMIN)"
    ), change.summary
    assert change.after["plugins"][0]["okta_admin_roles"] == ["READ_ONLY_ADMIN"]


def test_new_environment_is_an_escalation(sample_registry):
    auditor = sample_registry.get("okta-user-auditor")
    dev_only = dataclasses.replace(auditor, environments=("dev",))
    forward, backward = _both_ways(sample_registry, dev_only)
    assert forward == [("okta-user-auditor", "environment-removed", Impact.REDUCTION)]
    assert backward == [("okta-user-auditor", "environment-added", Impact.ESCALATION)]
    added = diff_registries(_with(sample_registry, dev_only), sample_registry).changes[0]
    assert "production" in added.tags


def test_waiver_added_is_an_escalation_and_extended_too(sample_registry):
    triage = sample_registry.get("support-triage")
    waiver = Waiver(
        rule="single-owner",
        reason="Second owner joins in January.",
        approved_by="security-lead@example.com",
        expires=dt.date(2027, 1, 15),
    )
    waived = dataclasses.replace(triage, waivers=(waiver,))
    forward, backward = _both_ways(sample_registry, waived)
    assert forward == [("support-triage", "waiver-added", Impact.ESCALATION)]
    assert backward == [("support-triage", "waiver-removed", Impact.REDUCTION)]
    extended = dataclasses.replace(triage, waivers=(dataclasses.replace(waiver, expires=dt.date(2027, 2, 15)),))
    assert _kinds(_with(sample_registry, waived), _with(sample_registry, extended)) == [
        ("support-triage", "waiver-changed", Impact.ESCALATION)
    ]


def test_lifecycle_longer_is_an_escalation(sample_registry):
    triage = sample_registry.get("support-triage")
    expiring = dataclasses.replace(
        triage,
        lifecycle=dataclasses.replace(triage.lifecycle, kind=LifecycleKind.EPHEMERAL, expires=dt.date(2027, 1, 31)),
    )
    forward, backward = _both_ways(sample_registry, expiring)
    assert sorted(forward) == [
        ("support-triage", "expires", Impact.REDUCTION),
        ("support-triage", "lifecycle-kind", Impact.REDUCTION),
    ]
    assert sorted(backward) == [
        ("support-triage", "expires", Impact.ESCALATION),
        ("support-triage", "lifecycle-kind", Impact.ESCALATION),
    ]


def test_plugin_scope_added_is_an_escalation(sample_registry):
    triage = sample_registry.get("support-triage")
    plugin = triage.plugins[0]
    wider = dataclasses.replace(triage, plugins=(dataclasses.replace(plugin, scopes=(*plugin.scopes, "tickets.read")),))
    forward, backward = _both_ways(sample_registry, wider)
    assert forward == [("support-triage", "plugin-scope-added", Impact.ESCALATION)]
    assert backward == [("support-triage", "plugin-scope-removed", Impact.REDUCTION)]


@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [
        ("owners", ("priya.raman@example.com", "dana.kim@example.com"), "owners"),
        ("team", "customer-experience", "team"),
        ("purpose", "summarization", "purpose"),
        ("description", "Routes inbound tickets to the right queue.", "description"),
    ],
)
def test_owners_team_purpose_and_text_changes_are_neutral(sample_registry, field, value, kind):
    triage = sample_registry.get("support-triage")
    assert getattr(triage, field) != value
    forward, _ = _both_ways(sample_registry, dataclasses.replace(triage, **{field: value}))
    assert forward == [("support-triage", kind, Impact.NEUTRAL)]


def test_owner_order_is_not_a_change(sample_registry):
    triage = sample_registry.get("support-triage")
    swapped = dataclasses.replace(triage, owners=tuple(reversed(triage.owners)))
    assert len(triage.owners) > 1
    assert _kinds(sample_registry, _with(sample_registry, swapped)) == []


def test_reductions_follow_escalations_and_neutral_comes_last(sample_registry):
    triage = sample_registry.get("support-triage")
    auditor = sample_registry.get("okta-user-auditor")
    head = _with(
        _with(
            sample_registry, dataclasses.replace(triage, description="Routes inbound tickets.", environments=("dev",))
        ),
        dataclasses.replace(auditor, access=dataclasses.replace(auditor.access, token_lifetime_minutes=45)),
    )
    impacts = [c.impact for c in diff_registries(sample_registry, head).changes]
    assert impacts == [Impact.ESCALATION, Impact.REDUCTION, Impact.NEUTRAL]


def test_fail_on_escalation_sets_the_exit_status(workspace, capsys):
    """Without the flag an escalation with no new blocking finding exits 0; with it, 1. A reduction never fails."""
    from agentid.cli.main import main
    from tests.conftest import TODAY

    base = workspace.git("rev-parse", "HEAD")
    # 15 minutes still fits prod's 30-minute ceiling (Pulumi.prod.yaml): an escalation, but no rule breaks.
    workspace.edit("finance-reconciler", "  token_lifetime_minutes: 5", "  token_lifetime_minutes: 15")
    head = workspace.commit("Longer tokens for the reconciler")
    common = ["review", "--today", TODAY.isoformat(), "--no-plan"]
    assert main([*common, "--base", base, "--head", head]) == 0
    assert main([*common, "--base", base, "--head", head, "--fail-on-escalation"]) == 1
    assert main([*common, "--base", head, "--head", base, "--fail-on-escalation"]) == 0
    capsys.readouterr()


def test_an_unchanged_agent_object_is_still_compared_when_the_catalog_changes(sample_registry):
    """The review reuses the head's agent objects for the base: the same object at both revisions is skipped only
    while the catalog is the same, since a catalog edit alone reclassifies the scopes it holds."""
    assert diff_registries(sample_registry, sample_registry).changes == ()
    agent = sample_registry.get("incident-responder")
    name = agent.access.scope_names[0]
    info = sample_registry.catalog.scope(name)
    raised = next(s for s in type(info.sensitivity) if s.rank > info.sensitivity.rank)
    catalog = dataclasses.replace(
        sample_registry.catalog,
        scopes={**sample_registry.catalog.scopes, name: dataclasses.replace(info, sensitivity=raised)},
    )
    head = Registry(agents=sample_registry.agents, catalog=catalog)
    assert ("incident-responder", "scope-reclassified", Impact.ESCALATION) in _kinds(sample_registry, head)


def test_a_key_taken_from_an_unchanged_agent_is_reuse(sample_registry):
    """Who holds a key is worked out only when an agent's keys change, from every head identity, unchanged ones too."""
    inline = [a for a in sample_registry if a.credentials.keys]
    holder, taker = inline[0], next(a for a in sample_registry if a is not inline[0])
    edited = dataclasses.replace(
        taker, credentials=dataclasses.replace(taker.credentials, keys=holder.credentials.keys)
    )
    kinds = _kinds(sample_registry, _with(sample_registry, edited))
    assert (taker.name, "key-reuse", Impact.ESCALATION) in kinds
