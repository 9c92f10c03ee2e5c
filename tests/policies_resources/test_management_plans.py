"""Resource and stack rules on real offline plans of identities that hold Okta management access.

A management identity (a management-only agent, or a plugin holding Okta access) plans an app, an
AppOauthApiScope and a role assignment, and no custom-server policy or rule. No rule may expect a policy for every
app (a misfire) or judge only the agent's own resources (a miss: a plugin's role assignment or app must be judged
too). The plans are built by the real infra program under the SDK mock engine, from the agent files in
tests/fixtures/policies/okta-identities.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from agentid.plan import Plan, build_plan
from agentid.registry import load_registry
from agentid.registry.model import Registry
from agentid.resources import PlannedResource
from policies import engine
from policies.rules import RuleContext
from tests.conftest import CATALOG, FIXTURES, REPO, STACKS, TODAY
from tests.policies import builders as b
from tests.policies_resources.test_plan_rules import judge

APP = "okta:app/oAuth:OAuth"
POLICY = "okta:auth/serverPolicy:ServerPolicy"
RULE = "okta:auth/serverPolicyRule:ServerPolicyRule"
ROLE = "okta:app/oauthRoleAssignment:OauthRoleAssignment"
COMPLIANT = {"dormant-account-reporter", "access-review-recorder"}
RECORDER = "access-review-recorder"
READER = f"{RECORDER}--directory-reader"


@pytest.fixture(scope="module")
def compliant() -> Registry:
    loaded = load_registry(FIXTURES / "policies" / "okta-identities", CATALOG, root=REPO)
    assert not loaded.findings
    agents = tuple(a for a in loaded.registry if a.name in COMPLIANT)
    return Registry(agents=agents, catalog=loaded.registry.catalog)


def plan_of(registry: Registry, today: dt.date = TODAY) -> tuple[Plan, RuleContext]:
    plan = build_plan(registry, "dev", today=today, root=STACKS)
    ctx = RuleContext(
        today=today, registry=registry, stack="dev", stack_max_token_minutes=plan.max_token_lifetime_minutes
    )
    return plan, ctx


def with_reader_roles(registry: Registry, *roles: str) -> Registry:
    recorder = b.agent(registry, RECORDER)
    reader = dataclasses.replace(recorder.plugins[0], okta_admin_roles=roles)
    return b.with_agent(registry, RECORDER, plugins=(reader,))


def test_management_identities_pass_every_resource_and_stack_rule(compliant):
    plan, ctx = plan_of(compliant)
    apps = {r.name for r in plan.resources if r.type == APP}
    policies = {r.name for r in plan.resources if r.type in (POLICY, RULE)}
    assert apps == {"dormant-account-reporter-app", f"{RECORDER}-app", f"{READER}-app"}
    assert policies == {f"{RECORDER}-policy", f"{RECORDER}-rule"}, "only the custom-scope identity has a policy"
    assert judge(list(plan.resources), ctx) == []
    assert engine.evaluate(compliant, today=TODAY, stack="dev", resources=list(plan.resources)) == []


def test_a_forbidden_role_on_a_plugin_is_caught_in_the_plan_and_lands_in_its_agents_file(compliant):
    plan, ctx = plan_of(with_reader_roles(compliant, "READ_ONLY_ADMIN", "SUPER_ADMIN"))
    assert judge(list(plan.resources), ctx) == [
        (
            "no-org-admin-role-for-client",
            f"role assignment `{READER}-admin-role-super-admin` (agent {RECORDER}) gives a client the "
            "`SUPER_ADMIN` role; agents never hold admin roles that raise privileges or rewrite their own access",
        )
    ]
    registry = with_reader_roles(compliant, "READ_ONLY_ADMIN", "SUPER_ADMIN")
    found = engine.evaluate(registry, today=TODAY, stack="dev", resources=list(plan.resources))
    located = {(f.rule, f.file.rsplit("/", 1)[-1], f.line) for f in found}
    assert located == {
        ("no-org-admin-role-for-client", f"{RECORDER}.yaml", 3),  # the plan finding: the agent's name line
        ("okta-admin-role", f"{RECORDER}.yaml", 24),  # the registry finding: the plugin's okta_admin_roles
    }


def test_a_hand_written_role_for_a_management_only_agent_is_caught(compliant):
    """Pulumi code that assigns a broad role next to the registry's own is judged like any other resource."""
    plan, ctx = plan_of(compliant)
    extra = PlannedResource(
        type=ROLE,
        name="dormant-account-reporter-admin-role-org-admin",
        agent="dormant-account-reporter",
        inputs={"clientId": "0oa-dormant", "type": "ORG_ADMIN"},
    )
    assert [rule for rule, _ in judge([*plan.resources, extra], ctx)] == ["no-org-admin-role-for-client"]


def test_an_expired_agents_management_plugin_app_is_judged_too(compliant):
    """The day after access-review-recorder expires, the program deploys every app of its bundle INACTIVE, the
    plugin's included; an ACTIVE plugin app (hand-edited) is reported, not skipped for having no policy."""
    expired = b.ephemeral(compliant, RECORDER, b.days(10))
    later = b.days(11)
    plan, ctx = plan_of(expired, later)
    statuses = {r.name: r.inputs.get("status") for r in plan.resources if r.type == APP}
    assert statuses[f"{READER}-app"] == statuses[f"{RECORDER}-app"] == "INACTIVE"
    assert [rule for rule, _ in judge(list(plan.resources), ctx)] == []
    reactivated = [
        dataclasses.replace(r, inputs={**r.inputs, "status": "ACTIVE"}) if r.name == f"{READER}-app" else r
        for r in plan.resources
    ]
    assert judge(reactivated, ctx) == [
        (
            "expired-agent-app-inactive",
            f"OAuth app `{READER}-app` (agent {RECORDER}) is `ACTIVE` but {RECORDER} expired on {b.days(10)}; "
            "it must be INACTIVE",
        )
    ]
