"""Okta management access is judged per identity: the agent and each plugin, at the identity's own lines.

An identity holds custom scopes or Okta management access, never both (`okta-management-separate-identity`); the
Okta rules follow the access to whichever identity declares it, and an identity without custom scopes (a
management-only agent, a plugin holding only Okta access) passes every other rule without a crash or a misfire.
"""

from __future__ import annotations

import dataclasses
import re

import pytest
import yaml

from agentid.registry import load_agent_bytes, load_registry
from agentid.registry.model import Registry
from policies import engine
from policies.engine import default_settings
from policies.rules import all_rules, get_rule
from policies.rules.base import RuleContext, RuleKind
from tests.conftest import CATALOG, FIXTURES, REPO, TODAY
from tests.policies import builders as b

OKTA = FIXTURES / "policies" / "okta-identities"


@pytest.fixture(scope="module")
def loaded():
    return load_registry(OKTA, CATALOG, root=REPO)


def paths(rule_id: str, registry: Registry, agent: str) -> list[tuple[tuple[str | int, ...], str]]:
    ctx = RuleContext(today=TODAY, settings=default_settings(), registry=registry)
    return [(v.path, v.message) for v in get_rule(rule_id).check(b.agent(registry, agent), ctx)]


def test_each_finding_points_at_the_line_of_the_identity_that_holds_the_access(loaded):
    assert not loaded.findings, [f.message for f in loaded.findings]
    found = {
        (f.rule, f.file.rsplit("/", 1)[-1], f.line, f.column, f.waived)
        for f in engine.evaluate(loaded.registry, today=TODAY)
    }
    assert found == {
        ("okta-management-separate-identity", "group-membership-syncer.yaml", 19, 20, False),
        ("okta-management-separate-identity", "helpdesk-account-unlocker.yaml", 29, 22, False),
        ("okta-management-scope", "helpdesk-account-unlocker.yaml", 29, 23, False),
    }


def test_identities_without_custom_scopes_pass_every_registry_rule(loaded):
    """A management-only agent (`scopes: []`) and a plugin holding only Okta access: no rule crashes or misfires,
    plugin-scope-subset included (Okta management scopes on a plugin need not appear on its agent)."""
    clean = Registry(
        agents=tuple(a for a in loaded.registry if a.name in {"dormant-account-reporter", "access-review-recorder"}),
        catalog=loaded.registry.catalog,
    )
    assert b.agent(clean, "dormant-account-reporter").access.scopes == ()
    assert b.agent(clean, "access-review-recorder").plugins[0].scopes == ()
    for stack in (None, "dev", "prod"):
        assert engine.evaluate(clean, today=TODAY, stack=stack) == [], stack
    registry_rules = [r for r in all_rules() if r.meta.kind in (RuleKind.REGISTRY, RuleKind.REGISTRY_WIDE)]
    assert {"plugin-scope-subset", "purpose-data-domain", "max-scopes", "okta-management-separate-identity"} <= {
        r.meta.id for r in registry_rules
    }


# (rule, Okta scopes, Okta roles, path below the identity's block, message fragment)
RULES = [
    ("okta-management-scope", ("okta.users.read", "okta.groups.manage"), ("GROUP_MEMBERSHIP_ADMIN",),
     ("okta_api_scopes", 1), "`okta.groups.manage`{of} is not read-only"),
    ("okta-admin-scope", ("okta.users.read", "okta.roles.manage"), ("READ_ONLY_ADMIN",),
     ("okta_api_scopes", 1), "`okta.roles.manage` lets {who} grant itself privileges"),
    ("okta-admin-role", ("okta.users.read",), ("READ_ONLY_ADMIN", "SUPER_ADMIN"),
     ("okta_admin_roles", 1), "`SUPER_ADMIN` lets {who} raise privileges"),
    ("okta-api-scopes-without-admin-role", ("okta.users.read",), (),
     ("okta_api_scopes",), "`okta.users.read`{of} without an admin role"),
]  # fmt: skip


@pytest.mark.parametrize(("rule_id", "okta_scopes", "roles", "leaf", "message"), RULES, ids=[r[0] for r in RULES])
def test_a_management_only_agent_is_judged_at_its_access_block(loaded, rule_id, okta_scopes, roles, leaf, message):
    registry = b.access(
        loaded.registry, "dormant-account-reporter", okta_api_scopes=okta_scopes, okta_admin_roles=roles
    )
    [(path, text)] = paths(rule_id, registry, "dormant-account-reporter")
    assert path == ("access", *leaf)
    assert message.format(of="", who="the agent") in text


@pytest.mark.parametrize(("rule_id", "okta_scopes", "roles", "leaf", "message"), RULES, ids=[r[0] for r in RULES])
def test_a_plugin_is_judged_at_its_own_entry(loaded, rule_id, okta_scopes, roles, leaf, message):
    """helpdesk-account-unlocker's second plugin, holding only Okta access: the path names plugin 1, not 0."""
    unlocker = b.agent(loaded.registry, "helpdesk-account-unlocker")
    plugins = list(unlocker.plugins)
    plugins[1] = dataclasses.replace(plugins[1], scopes=(), okta_api_scopes=okta_scopes, okta_admin_roles=roles)
    registry = b.with_agent(loaded.registry, unlocker.name, plugins=tuple(plugins))
    [(path, text)] = paths(rule_id, registry, unlocker.name)
    assert path == ("plugins", 1, *leaf)
    assert message.format(of=" of plugin `account-unlocker`", who="plugin `account-unlocker`") in text


def test_an_unused_admin_role_is_reported_on_the_identity_that_holds_it(loaded):
    """A role without Okta scopes is only schema-valid beside custom scopes, so the separate-identity rule fires
    too; each names the identity's own line."""
    syncer = b.access(loaded.registry, "group-membership-syncer", okta_api_scopes=())
    assert paths("okta-admin-role-without-api-scopes", syncer, "group-membership-syncer") == [
        (("access", "okta_admin_roles"), "Okta admin roles `READ_ONLY_ADMIN` without any `okta_api_scopes`: a "
         "privilege nothing uses")
    ]  # fmt: skip
    assert [p for p, _ in paths("okta-management-separate-identity", syncer, "group-membership-syncer")] == [
        ("access", "okta_admin_roles")
    ]
    unlocker = b.agent(loaded.registry, "helpdesk-account-unlocker")
    plugins = (unlocker.plugins[0], dataclasses.replace(unlocker.plugins[1], okta_api_scopes=()))
    registry = b.with_agent(loaded.registry, unlocker.name, plugins=plugins)
    assert paths("okta-admin-role-without-api-scopes", registry, unlocker.name) == [
        (("plugins", 1, "okta_admin_roles"), "Okta admin roles `HELP_DESK_ADMIN` of plugin `account-unlocker` "
         "without any `okta_api_scopes`: a privilege nothing uses")
    ]  # fmt: skip


def test_every_identity_of_one_agent_is_judged(loaded):
    """Agent and plugins all mixing: one finding each, in the order the file lists them."""
    unlocker = b.agent(loaded.registry, "helpdesk-account-unlocker")
    plugins = tuple(dataclasses.replace(p, okta_api_scopes=("okta.users.read",)) for p in unlocker.plugins)
    registry = b.with_agent(loaded.registry, unlocker.name, plugins=plugins)
    registry = b.access(registry, unlocker.name, okta_api_scopes=("okta.users.read",))
    assert [p for p, _ in paths("okta-management-separate-identity", registry, unlocker.name)] == [
        ("access", "okta_api_scopes"),
        ("plugins", 0, "okta_api_scopes"),
        ("plugins", 1, "okta_api_scopes"),
    ]


def test_moving_the_okta_access_to_a_plugin_clears_the_finding(loaded):
    """The remediation works: group-membership-syncer split as the rule's fix says passes every rule."""
    syncer = b.agent(loaded.registry, "group-membership-syncer")
    reader = b.okta_plugin(
        "group-reader", "Lists Okta group memberships.", okta_api_scopes=syncer.access.okta_api_scopes
    )
    split = b.okta_access(loaded.registry, syncer.name, plugins=(reader,))
    assert [f for f in engine.evaluate(split, today=TODAY) if f.agent == syncer.name] == []


def test_separate_identity_cannot_be_waived(loaded):
    waived = b.with_agent(
        loaded.registry, "group-membership-syncer", waivers=(b.waiver("okta-management-separate-identity"),)
    )
    found = {(f.rule, f.waived) for f in engine.evaluate(waived, today=TODAY) if f.agent == "group-membership-syncer"}
    assert found == {("okta-management-separate-identity", False), ("waiver-unwaivable-rule", False)}
    meta = get_rule("okta-management-separate-identity").meta
    assert (meta.number, meta.waivable, meta.severity.value) == (25, False, "error")
    assert "plugins:" in meta.remediation and "okta_api_scopes" in meta.remediation


def test_the_remediation_snippet_is_a_plugin_the_schema_accepts(loaded):
    """The YAML the fix shows, with a real public key in place of its placeholder, loads as a valid plugin."""
    remediation = get_rule("okta-management-separate-identity").meta.remediation
    snippet = yaml.safe_load(re.search(r"`(plugins: .*?)`;", remediation).group(1))
    (plugin,) = snippet["plugins"]
    assert plugin["credentials"]["keys"] == ["<the plugin's own public JWK>"]
    plugin["credentials"]["keys"] = [b.KEY_C.public_members()]
    syncer = (OKTA / "group-membership-syncer.yaml").read_text()
    head, okta_lines = syncer.split("  okta_api_scopes: [okta.groups.read]\n")
    assert okta_lines.startswith("  okta_admin_roles: [READ_ONLY_ADMIN]\nplugins: []\n")
    tail = okta_lines.removeprefix("  okta_admin_roles: [READ_ONLY_ADMIN]\nplugins: []\n")
    split = head + yaml.safe_dump(snippet, sort_keys=False) + tail
    agent, findings = load_agent_bytes(
        split.encode(), "group-membership-syncer.yaml", expected_name="group-membership-syncer"
    )
    assert not findings, [f.message for f in findings]
    registry = b.with_agent(loaded.registry, "group-membership-syncer", plugins=agent.plugins, access=agent.access)
    assert [f for f in engine.evaluate(registry, today=TODAY) if f.agent == "group-membership-syncer"] == []
