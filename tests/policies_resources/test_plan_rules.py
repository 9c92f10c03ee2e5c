"""The resource and stack rules on real plans: the sample registry's offline plan passes them, and a resource a
developer writes by hand in the Pulumi program, bypassing agents/, is caught. Both run the real infra program with
real pulumi-okta classes under the SDK mock engine (agentid.plan)."""

from __future__ import annotations

import pulumi_okta as okta
import pytest

from agentid.plan import build_plan
from agentid.plan.engine import run_program
from agentid.plan.stackfile import read_stack_file
from agentid.resources import PlannedResource
from policies.rules import RuleContext, RuleKind
from tests.conftest import STACKS, TODAY
from tests.policies_resources.test_resource_rules import OURS


def judge(resources: list[PlannedResource], ctx: RuleContext) -> list[tuple[str, str]]:
    """(rule id, message) for every violation of the rules in policies/rules/resources.py and stack.py."""
    found = []
    for r in OURS:
        if r.meta.kind is RuleKind.STACK:
            found += [(r.meta.id, v.message) for v in r.check(resources, ctx)]
        else:
            found += [(r.meta.id, v.message) for res in resources for v in r.check(res, ctx)]
    return found


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_sample_registry_plan_passes_every_resource_and_stack_rule(sample_registry, stack):
    plan = build_plan(sample_registry, stack, today=TODAY, root=STACKS)
    ctx = RuleContext(
        today=TODAY, registry=sample_registry, stack=stack, stack_max_token_minutes=plan.max_token_lifetime_minutes
    )
    judged = {r.type for r in plan.resources}
    assert {"okta:app/oAuth:OAuth", "okta:auth/serverPolicyRule:ServerPolicyRule"} <= judged, "nothing to judge"
    assert judge(list(plan.resources), ctx) == []


def test_hand_written_pulumi_code_that_bypasses_the_registry_is_caught(sample_registry):
    """The whole dev program plus an app and an access policy written by hand, as in a hurried hotfix."""
    from infra.config import load_stack_config
    from infra.program import declare

    stack_file = read_stack_file(STACKS, "dev")

    def program():
        declared = declare(sample_registry, load_stack_config(), TODAY)
        okta.app.OAuth(
            "expense-report-exporter",
            label="expense-report-exporter",
            type="service",
            grant_types=["client_credentials", "password"],
            response_types=["token"],
            token_endpoint_auth_method="client_secret_basic",
        )
        okta.auth.ServerPolicy(
            "expense-report-exporter-policy",
            auth_server_id="aus1expenses",
            name="expense exporter",
            description="Quick fix for the month-end export",
            priority=9,
            client_whitelists=["ALL_CLIENTS"],
        )
        return declared, declared.outputs

    result = run_program(
        program,
        project=stack_file.project,
        stack="dev",
        config=stack_file.config,
        secret_keys=stack_file.secret_keys,
    )
    resources = [PlannedResource(r.type, r.name, r.inputs, urn=r.urn) for r in result.registrations if r.custom]
    found = judge(resources, RuleContext(today=TODAY, registry=sample_registry, stack="dev"))
    assert sorted(rule for rule, _ in found) == [
        "app-client-credentials-only",
        "app-omit-secret",
        "app-private-key-jwt",
        "policy-not-all-clients",
    ], found
    assert all("expense-report-exporter" in message for _, message in found)
