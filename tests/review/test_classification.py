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
    """A reviewer must see a role change as clearly as a scope change: the role is what Okta actually enforces."""
    auditor = sample_registry.get("okta-user-auditor")
    assert auditor.access.okta_admin_roles == ("READ_ONLY_ADMIN",)
    helpdesk = dataclasses.replace(
        auditor, access=dataclasses.replace(auditor.access, okta_admin_roles=("READ_ONLY_ADMIN", "HELP_DESK_ADMIN"))
    )
    forward, backward = _both_ways(sample_registry, helpdesk)
    assert forward == [("okta-user-auditor", "admin-role-added", Impact.ESCALATION)]
    assert backward == [("okta-user-auditor", "admin-role-removed", Impact.REDUCTION)]
    added = diff_registries(sample_registry, _with(sample_registry, helpdesk)).changes[0]
    assert added.summary == "gains Okta admin role HELP_DESK_ADMIN" and "okta-management" in added.tags


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
    workspace.edit("support-triage", "  token_lifetime_minutes: 30", "  token_lifetime_minutes: 45")
    head = workspace.commit("Longer tokens for triage")
    common = ["review", "--today", TODAY.isoformat(), "--no-plan"]
    assert main([*common, "--base", base, "--head", head]) == 0
    assert main([*common, "--base", base, "--head", head, "--fail-on-escalation"]) == 1
    assert main([*common, "--base", head, "--head", base, "--fail-on-escalation"]) == 0
    capsys.readouterr()
