"""Okta management API scopes and admin roles: an agent that can change the identity provider can change its own
access (NHI5)."""

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


@rule(
    id="okta-admin-role",
    number=22,
    title="No Okta admin role that raises privileges or rewrites the agent's own access",
    severity=Severity.ERROR,
    nhi=("NHI5",),
    rationale="Some standard roles hand their holder the keys to its own cage. `SUPER_ADMIN` assigns admin roles, to "
    "itself included. `ORG_ADMIN` manages every user and group: it can reset an administrator's factors or add "
    "itself to a group that carries a role. `APP_ADMIN` manages every app, its own keys, grant types and API scope "
    "grants included. `API_ACCESS_MANAGEMENT_ADMIN` edits authorization servers: it can add scopes to its own policy "
    "rule or lengthen its own tokens. Each is privilege escalation one leaked key away; no waiver makes that "
    "acceptable. The list is `forbidden_okta_admin_roles` in policies/settings.yaml.",
    remediation="Declare the least role that covers the agent's `okta_api_scopes` (`READ_ONLY_ADMIN` for `*.read` "
    "scopes, `HELP_DESK_ADMIN` or `GROUP_MEMBERSHIP_ADMIN` for narrow writes); an agent that must change apps, "
    "roles or authorization servers proposes the change for a human admin.",
    kind=RuleKind.REGISTRY,
    waivable=False,
    other_standards=("ASI03",),
)
def okta_admin_role(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    forbidden = set(ctx.settings.forbidden_okta_admin_roles)
    for index, role in enumerate(agent.access.okta_admin_roles):
        if role in forbidden:
            yield Violation(
                f"Okta admin role `{role}` lets the agent raise privileges or rewrite its own access",
                ("access", "okta_admin_roles", index),
            )


@rule(
    id="okta-api-scopes-without-admin-role",
    number=23,
    title="Okta management API scopes come with an admin role",
    severity=Severity.ERROR,
    nhi=("NHI5",),
    rationale="Okta answers 403 to every management API call from a service app that holds no admin role, whatever "
    "scopes its tokens carry (scopes narrow a token within the app's role; they grant nothing alone). An agent "
    "declaring `okta_api_scopes` without `okta_admin_roles` cannot do its job, and the usual fix under pressure is a "
    "broad role assigned by hand in the Admin Console, outside review.",
    remediation="Add the least admin role that covers the scopes to `access.okta_admin_roles` (`READ_ONLY_ADMIN` for "
    "`*.read` scopes), or remove `okta_api_scopes` if the agent does not call the Okta API.",
    kind=RuleKind.REGISTRY,
    other_standards=("ASI03",),
)
def okta_api_scopes_without_admin_role(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    if agent.access.okta_api_scopes and not agent.access.okta_admin_roles:
        yield Violation(
            "Okta management scopes "
            + ", ".join(f"`{s}`" for s in agent.access.okta_api_scopes)
            + " without an admin role: Okta refuses every call (403); declare `okta_admin_roles`",
            ("access", "okta_api_scopes"),
        )


@rule(
    id="okta-admin-role-without-api-scopes",
    number=24,
    title="An Okta admin role is only held with the API scopes that use it",
    severity=Severity.ERROR,
    nhi=("NHI5",),
    rationale="An admin role without `okta_api_scopes` is a privilege nothing uses: the agent's tokens cannot call "
    "the management API, so the role only widens what a stolen credential could do once someone adds a scope.",
    remediation="Remove `access.okta_admin_roles`, or declare the `okta_api_scopes` the agent actually calls.",
    kind=RuleKind.REGISTRY,
    other_standards=("ASI03",),
)
def okta_admin_role_without_api_scopes(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    if agent.access.okta_admin_roles and not agent.access.okta_api_scopes:
        yield Violation(
            "Okta admin roles "
            + ", ".join(f"`{r}`" for r in agent.access.okta_admin_roles)
            + " without any `okta_api_scopes`: a privilege nothing uses",
            ("access", "okta_admin_roles"),
        )
