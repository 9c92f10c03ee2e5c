"""no-forbidden-okta-scope-for-client on real offline plans: an okta.AppOauthApiScope granting a scope of
`forbidden_okta_scopes` is refused whoever wrote it, the registry or a hand-written line of the Pulumi program.

The plans are built by the real infra program under the SDK mock engine (agentid.plan.build_plan); a hand-written
grant is one more pulumi-okta resource declared after the registry's, as a hurried hotfix would add it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_okta as okta
import pytest

import infra.program
from agentid.plan import Plan, build_plan
from agentid.registry import load_registry
from agentid.registry.model import Registry
from agentid.resources import PlannedResource
from policies import engine
from policies.rules import RuleContext, get_rule
from policies.rules.resources import UNKNOWN
from tests.conftest import CATALOG, FIXTURES, REPO, STACKS, TODAY
from tests.policies import builders as b
from tests.policies_resources.test_plan_rules import judge

RULE = "no-forbidden-okta-scope-for-client"
GRANT = "okta:index/appOauthApiScope:AppOauthApiScope"
RECORDER = "access-review-recorder"
READER = f"{RECORDER}--directory-reader"
ORG_URL = "https://acme.okta.com"


@pytest.fixture(scope="module")
def compliant() -> Registry:
    """A management-only agent and an agent whose plugin holds okta.users.read: both pass every rule."""
    loaded = load_registry(FIXTURES / "policies" / "okta-identities", CATALOG, root=REPO)
    keep = {"dormant-account-reporter", RECORDER}
    return Registry(agents=tuple(a for a in loaded.registry if a.name in keep), catalog=loaded.registry.catalog)


def plan_with(
    monkeypatch: pytest.MonkeyPatch, registry: Registry, hand_written: Callable[[Any], None] | None = None
) -> tuple[Plan, RuleContext]:
    """The dev plan of ``registry``; ``hand_written(declared)`` adds resources after the registry's own."""
    if hand_written is not None:
        original = infra.program.declare

        def declare(*args: Any) -> Any:
            declared = original(*args)
            hand_written(declared)
            return declared

        monkeypatch.setattr(infra.program, "declare", declare)
    plan = build_plan(registry, "dev", today=TODAY, root=STACKS)
    ctx = RuleContext(
        today=TODAY, registry=registry, stack="dev", stack_max_token_minutes=plan.max_token_lifetime_minutes
    )
    return plan, ctx


def located(registry: Registry, plan: Plan, rule: str = RULE) -> set[tuple[str | None, str | None, int | None]]:
    found = engine.evaluate(registry, today=TODAY, stack="dev", resources=list(plan.resources))
    return {(f.agent, f.file and f.file.rsplit("/", 1)[-1], f.line) for f in found if f.rule == rule}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_sample_plans_grants_pass(sample_registry, stack):
    plan = build_plan(sample_registry, stack, today=TODAY, root=STACKS)
    grants = [r for r in plan.resources if r.type == GRANT]
    assert [(r.agent, list(r.inputs["scopes"])) for r in grants] == [("okta-user-auditor", ["okta.users.read"])]
    ctx = RuleContext(today=TODAY, registry=sample_registry, stack=stack)
    assert [rule for rule, _ in judge(list(plan.resources), ctx)] == []


def test_a_hand_written_grant_on_a_plugins_app_fails_in_its_agents_file(monkeypatch, compliant):
    def grant_roles_manage(declared: Any) -> None:
        reader = declared.identities[RECORDER].plugin_identities[0]
        okta.AppOauthApiScope(
            f"{READER}-roles-hotfix",
            app_id=reader.app.id,
            issuer=ORG_URL,
            scopes=["okta.roles.manage"],
            opts=pulumi.ResourceOptions(parent=reader),
        )

    plan, ctx = plan_with(monkeypatch, compliant, grant_roles_manage)
    assert judge(list(plan.resources), ctx) == [
        (
            RULE,
            f"Okta API scope grant `{READER}-roles-hotfix` (agent {RECORDER}) gives a client `okta.roles.manage`; "
            "agents never hold Okta scopes that grant admin roles or control OAuth clients, apps, authorization "
            "servers or policies",
        )
    ]
    assert located(compliant, plan) == {(RECORDER, f"{RECORDER}.yaml", 3)}  # the agent's name line


def test_a_hand_written_grant_outside_any_agent_fails_against_the_program(monkeypatch, compliant):
    def grant_clients_manage(declared: Any) -> None:
        okta.AppOauthApiScope(
            "vendor-sync-okta-api-scopes",
            app_id="0oa1vendorsync",
            issuer=ORG_URL,
            scopes=["okta.users.read", "okta.clients.manage"],
        )

    plan, ctx = plan_with(monkeypatch, compliant, grant_clients_manage)
    assert [(rule, "`okta.clients.manage`" in m) for rule, m in judge(list(plan.resources), ctx)] == [(RULE, True)]
    assert located(compliant, plan) == {(None, "Pulumi.dev.yaml", None)}


def test_a_hand_written_read_only_grant_passes(monkeypatch, compliant):
    def grant_groups_read(declared: Any) -> None:
        reporter = declared.identities["dormant-account-reporter"]
        okta.AppOauthApiScope(
            "dormant-account-reporter-groups",
            app_id=reporter.app.id,
            issuer=ORG_URL,
            scopes=["okta.groups.read"],
            opts=pulumi.ResourceOptions(parent=reporter),
        )

    plan, ctx = plan_with(monkeypatch, compliant, grant_groups_read)
    assert sum(r.type == GRANT for r in plan.resources) == 3, "the hand-written grant is in the plan"
    assert judge(list(plan.resources), ctx) == []


def test_the_registrys_own_forbidden_grant_is_caught_in_the_plan_too(monkeypatch, compliant):
    """okta-admin-scope refuses it in the file; the plan rule refuses what the program would actually send."""
    recorder = b.agent(compliant, RECORDER)
    reader = dataclasses.replace(recorder.plugins[0], okta_api_scopes=("okta.users.read", "okta.roles.manage"))
    registry = b.with_agent(compliant, RECORDER, plugins=(reader,))
    plan, _ = plan_with(monkeypatch, registry)
    assert located(registry, plan) == {(RECORDER, f"{RECORDER}.yaml", 3)}
    assert located(registry, plan, "okta-admin-scope") == {(RECORDER, f"{RECORDER}.yaml", 23)}


def test_a_grant_whose_scopes_are_not_known_yet_is_not_a_violation():
    """During a preview the scopes may come from another resource's output: unknown is never judged a violation,
    but a known forbidden scope beside an unknown one still is."""
    rule = get_rule(RULE)
    ctx = RuleContext(today=TODAY)
    pending = PlannedResource(GRANT, f"{READER}-okta-api-scopes", {"scopes": UNKNOWN})
    assert list(rule.check(pending, ctx)) == []
    mixed = PlannedResource(GRANT, f"{READER}-okta-api-scopes", {"scopes": [UNKNOWN, "okta.roles.manage"]})
    assert [v.path for v in rule.check(mixed, ctx)] == [("scopes",)]
