"""Okta management API scopes: an agent that can change the identity provider can change its own access (NHI5)."""

from __future__ import annotations

from collections.abc import Iterator

from agentid.findings import Severity
from agentid.registry.model import Agent
from policies.rules.base import RuleContext, RuleKind, Violation, rule


@rule(
    id="okta-management-scope",
    number=18,
    title="Okta management API scopes are read-only unless waived",
    severity=Severity.ERROR,
    nhi=("NHI5",),
    rationale="A write (`*.manage`) scope on the Okta management API lets an agent change users, groups or policies "
    "in the identity provider itself; it needs an explicit, time-limited, approved exception.",
    remediation="Use the `.read` scope, or add a waiver for this rule approved by someone who is not an owner.",
    kind=RuleKind.REGISTRY,
    other_standards=("ASI03",),
)
def okta_management_scope(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    forbidden = set(ctx.settings.forbidden_okta_scopes)
    suffix = ctx.settings.read_only_okta_scopes_suffix
    for index, scope in enumerate(agent.access.okta_api_scopes):
        if scope not in forbidden and not scope.endswith(suffix):
            yield Violation(f"Okta management scope `{scope}` is not read-only", ("access", "okta_api_scopes", index))


@rule(
    id="okta-admin-scope",
    number=19,
    title="No Okta scope that grants admin roles or controls OAuth clients",
    severity=Severity.ERROR,
    nhi=("NHI5",),
    rationale="Scopes such as `okta.roles.manage` (assign admin roles, super admin included) or "
    "`okta.clients.manage` let an agent raise its own privileges; no waiver makes that acceptable.",
    remediation="Remove the scope. An agent that must act on roles or clients proposes changes for a human admin.",
    kind=RuleKind.REGISTRY,
    waivable=False,
    other_standards=("ASI03",),
)
def okta_admin_scope(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    forbidden = set(ctx.settings.forbidden_okta_scopes)
    for index, scope in enumerate(agent.access.okta_api_scopes):
        if scope in forbidden:
            yield Violation(
                f"Okta management scope `{scope}` lets the agent grant itself privileges",
                ("access", "okta_api_scopes", index),
            )
