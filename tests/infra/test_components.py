"""The components and the entry point under the Pulumi SDK mocks (``@pulumi.runtime.test``)."""

from __future__ import annotations

import dataclasses
import re
import shutil

import pulumi
import pulumi_okta as okta
import pytest

from infra.components.agent_identity import AgentIdentity, AgentIdentityArgs, IdentitySpec
from tests.conftest import CATALOG, FIXTURES, SAMPLE_REPO, TODAY

#: The id a stack would resolve the agent's zone names to (infra/program.py resolve_network_zones).
ZONE_ID = "nzo1testzone0finance1"


def declare_identity(agent, scope_names, plugins=()) -> AgentIdentity:
    """``agent``'s AgentIdentity against stand-in server scopes, as the program declares it (inside a mocked run):
    zone names already resolved to an id, as infra/program.py does."""
    spec = IdentitySpec.for_agent(agent, TODAY)
    if spec.network_zones:
        spec = dataclasses.replace(spec, network_zones=(ZONE_ID,))
    scopes = {
        name: okta.auth.ServerScope(f"scope-{name}", auth_server_id="aus1agents", name=name) for name in scope_names
    }
    return AgentIdentity(
        agent.name,
        AgentIdentityArgs(
            spec=spec,
            auth_server_id="aus1agents",
            scope_resources=scopes,
            org_url="https://example-dev.okta.com",
            plugins=list(plugins),
        ),
    )


def test_agent_identity_outputs_and_parents(runtime, sample_registry):
    agent = sample_registry.get("meeting-summarizer")
    ran: list[str] = []

    def declare_and_check():
        identity = declare_identity(
            agent, ("transcripts.read", "calendar.read"), [IdentitySpec.for_plugin(agent, agent.plugins[0], TODAY)]
        )
        client_ids = identity.client_ids

        def check(values):
            assert values == ["0oa-meeting-summarizer-app", "0oa-meeting-summarizer--calendar-app"], (
                f"meeting-summarizer client ids: {values}"
            )
            ran.append("checked")

        return pulumi.Output.all(*client_ids.values()).apply(check)

    runtime.run(declare_and_check)
    assert ran == ["checked"], "the assertions inside apply() never ran"
    names = set(runtime.mocks.resources)
    assert {"meeting-summarizer-app", "meeting-summarizer--calendar-app", "meeting-summarizer--calendar-rule"} <= names
    plugin_app = runtime.mocks.resources["meeting-summarizer--calendar-app"]
    assert plugin_app.inputs["jwksUri"].endswith("/meeting-summarizer/calendar/jwks.json"), "plugin's own JWKS"


def test_finance_identity_inputs_under_sdk_mocks(runtime, sample_registry):
    agent = sample_registry.get("finance-reconciler")
    ran: list[str] = []

    def declare_and_check():
        identity = declare_identity(agent, agent.access.scope_names)

        def check(values):
            whitelist, rule_scopes, lifetime, policy_id, network = values
            assert whitelist == ["0oa-finance-reconciler-app"], "finance-reconciler-policy client whitelist"
            assert rule_scopes == ["finance.ledger.read", "finance.reconciliation.write"], "finance-reconciler-rule"
            assert lifetime == 5, "finance-reconciler-rule access token lifetime"
            assert policy_id == "finance-reconciler-policy-id", "finance-reconciler-rule policy id"
            assert network == {"connection": "ZONE", "includes": [ZONE_ID]}, (
                f"finance-reconciler-app network: {network}"
            )
            ran.append("checked")

        return pulumi.Output.all(
            identity.policy.client_whitelists,
            identity.rule.scope_whitelists,
            identity.rule.access_token_lifetime_minutes,
            identity.rule.policy_id,
            identity.app.network,
        ).apply(check)

    runtime.run(declare_and_check)
    assert ran == ["checked"], "the assertions inside apply() never ran"


def test_auditor_admin_role_goes_to_its_directory_reader_plugins_own_client(runtime, sample_registry):
    """Okta answers 403 to management calls from an app without an admin role: the role goes to the client of the
    identity declaring it (okta-user-auditor's directory-reader plugin), never to the agent's own client."""
    agent = sample_registry.get("okta-user-auditor")
    reader = agent.plugins[0]
    assert (agent.access.okta_admin_roles, reader.okta_admin_roles) == ((), ("READ_ONLY_ADMIN",))
    ran: list[str] = []

    def declare_and_check():
        identity = declare_identity(agent, agent.access.scope_names, [IdentitySpec.for_plugin(agent, reader, TODAY)])
        assert identity.admin_roles == [], "the agent's own app holds no admin role"

        def check(values):
            client_id, role_type, urn = values
            assert [client_id, role_type] == ["0oa-okta-user-auditor--directory-reader-app", "READ_ONLY_ADMIN"], (
                f"inputs: {values}"
            )
            assert urn.endswith(
                "agentid:okta:AgentIdentity$okta:app/oauthRoleAssignment:OauthRoleAssignment::"
                "okta-user-auditor--directory-reader-admin-role-read-only-admin"
            ), f"the role assignment is a child of the plugin's component: {urn}"
            ran.append("checked")

        (plugin,) = identity.plugin_identities
        assert len(plugin.admin_roles) == 1, "one assignment for the plugin's one declared role"
        role = plugin.admin_roles[0]
        return pulumi.Output.all(role.client_id, role.type, role.urn).apply(check)

    runtime.run(declare_and_check)
    assert ran == ["checked"], "the assertions inside apply() never ran"


def test_management_identity_declares_no_policy_and_passes_the_chain_on(runtime):
    """An identity with Okta management access only gets no custom-server policy or rule: the next policy in the
    serial creation chain must wait for the last rule actually declared (here the agent's own, before its plugin)."""
    from agentid.registry import load_agent_bytes
    from tests.plan.test_management_identities import ACCESS_REVIEW_COLLECTOR, INACTIVE_ACCOUNT_REPORTER

    agent, findings = load_agent_bytes(ACCESS_REVIEW_COLLECTOR, "agents/access-review-collector.yaml")
    assert agent is not None and not findings, [f.message for f in findings]
    reporter, findings = load_agent_bytes(INACTIVE_ACCOUNT_REPORTER, "agents/inactive-account-reporter.yaml")
    assert reporter is not None and not findings, [f.message for f in findings]
    seen: dict[str, object] = {}

    def declare():
        previous = okta.auth.ServerPolicyRule(
            "finance-reconciler-rule",
            auth_server_id="aus1agents",
            policy_id="finance-reconciler-policy-id",
            grant_type_whitelists=["client_credentials"],
            scope_whitelists=["finance.ledger.read"],
            priority=1,
        )
        scopes = {
            "access-reviews.write": okta.auth.ServerScope("scope-access-reviews.write", auth_server_id="a", name="x")
        }
        reader = IdentitySpec.for_plugin(agent, agent.plugins[0], TODAY)
        identity = AgentIdentity(
            agent.name,
            AgentIdentityArgs(
                spec=IdentitySpec.for_agent(agent, TODAY),
                auth_server_id="aus1agents",
                scope_resources=scopes,
                org_url="https://example-dev.okta.com",
                plugins=[reader],
                after=previous,
            ),
        )
        management_only = AgentIdentity(
            reporter.name,
            AgentIdentityArgs(
                spec=IdentitySpec.for_agent(reporter, TODAY),
                auth_server_id="aus1agents",
                scope_resources=scopes,
                org_url="https://example-dev.okta.com",
                after=identity.last_priority_resource,
            ),
        )
        seen.update(reader=reader, identity=identity, management_only=management_only)

    runtime.run(declare)
    reader, identity = seen["reader"], seen["identity"]
    assert (reader.scopes, reader.okta_api_scopes, reader.okta_admin_roles) == (
        (),
        ("okta.users.read",),
        ("READ_ONLY_ADMIN",),
    )
    assert identity.last_priority_resource is identity.rule, (
        "the plugin declared no rule: the chain ends on the agent's"
    )
    management_only = seen["management_only"]
    assert management_only.policy is None and management_only.rule is None, "a policy granting no scope"
    assert management_only.last_priority_resource is identity.rule, "the chain passes through it unchanged"
    names = set(runtime.mocks.resources)
    assert {
        "access-review-collector--directory-reader-policy",
        "access-review-collector--directory-reader-rule",
    }.isdisjoint(names), f"a management-only plugin got a policy: {sorted(names)}"
    policy = runtime.mocks.resources["access-review-collector-policy"]
    assert policy.typ == "okta:auth/serverPolicy:ServerPolicy"
    assert {
        "access-review-collector--directory-reader-okta-api-scopes",
        "access-review-collector--directory-reader-admin-role-read-only-admin",
    } <= names


def test_entry_point_stops_on_loader_errors_with_file_and_line(runtime, tmp_path):
    import infra.__main__ as entry

    (tmp_path / "agents").mkdir()
    (tmp_path / "policies").mkdir()
    shutil.copy(FIXTURES / "agents" / "invalid" / "unknown-key.yaml", tmp_path / "agents" / "unknown-key.yaml")
    shutil.copy(CATALOG, tmp_path / "policies" / "catalog.yaml")
    with pytest.raises(pulumi.RunError) as raised:
        runtime.run(lambda: entry.main(tmp_path))
    message = str(raised.value)
    assert re.search(r"agents/unknown-key\.yaml:14:3: error: unknown key `scopez`", message), message
    assert "nothing was deployed" in message, message
    assert runtime.mocks.resources == {}, f"resources registered from an invalid registry: {runtime.mocks.resources}"


def test_entry_point_declares_the_dev_stack(runtime):
    import infra.__main__ as entry

    runtime.run(lambda: entry.main(SAMPLE_REPO))
    apps = sorted(name for name, args in runtime.mocks.resources.items() if args.typ == "okta:app/oAuth:OAuth")
    assert apps == sorted(
        [
            "finance-reconciler-app",
            "hr-onboarding-assistant-app",
            "hr-onboarding-assistant--scheduler-app",
            "meeting-summarizer-app",
            "meeting-summarizer--calendar-app",
            "okta-user-auditor-app",
            "okta-user-auditor--directory-reader-app",
            "support-triage-app",
            "support-triage--knowledge-base-app",
        ]
    ), f"apps declared by infra/__main__.py for dev: {apps}"


def test_agent_identity_declares_no_class_annotations_for_the_sdk_to_resolve():
    """The SDK resolves a resource class's annotations (``typing.get_type_hints``) each time one of its instances
    is registered; AgentIdentity's attributes are annotated in ``__init__`` so a plan does not pay that per agent."""
    import inspect

    from pulumi import _types

    assert inspect.get_annotations(AgentIdentity) == {}
    assert _types.resource_types(AgentIdentity) == {}


def test_a_spec_built_with_the_stacks_zone_ids_differs_from_the_agents_own_only_in_its_zones(sample_registry):
    """infra/program.py builds each identity's spec with the stack's zone ids in one step (not a copy per identity):
    that is the spec of the agent, or of each plugin, with its zone names replaced by the ids and nothing else."""
    ids = (ZONE_ID,)
    plugins = 0
    for agent in sample_registry:
        own = IdentitySpec.for_agent(agent, TODAY)
        assert IdentitySpec.for_agent(agent, TODAY, ids) == dataclasses.replace(own, network_zones=ids)
        assert IdentitySpec.for_agent(agent, TODAY, ()) == dataclasses.replace(own, network_zones=())
        for plugin in agent.plugins:
            plugins += 1
            own_plugin = IdentitySpec.for_plugin(agent, plugin, TODAY)
            assert own_plugin.network_zones == agent.access.network_zones
            assert IdentitySpec.for_plugin(agent, plugin, TODAY, ids) == dataclasses.replace(
                own_plugin, network_zones=ids
            )
    assert plugins and any(agent.access.network_zones for agent in sample_registry), "the sample has both"
