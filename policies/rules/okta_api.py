"""Okta management API scopes and admin roles: an identity that can change the identity provider can change its own
access (NHI5). Each identity is judged on its own, the agent and every plugin, because Okta management access lives
on whichever identity declares it, and never on one that also holds custom scopes (NHI9)."""

from __future__ import annotations

from collections.abc import Iterator

from agentid.findings import Severity
from agentid.registry.model import Agent
from policies.rules._util import okta_access
from policies.rules.base import RuleContext, RuleKind, Violation, rule


def _listed(values: tuple[str, ...]) -> str:
    return ", ".join(f"`{v}`" for v in values)


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
    for held in okta_access(agent):
        for index, scope in enumerate(held.okta_api_scopes):
            if scope not in forbidden and not scope.endswith(suffix):
                yield Violation(
                    f"Okta management scope `{scope}`{held.of_whom} is not read-only",
                    (*held.path, "okta_api_scopes", index),
                )


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
    for held in okta_access(agent):
        for index, scope in enumerate(held.okta_api_scopes):
            if scope in forbidden:
                yield Violation(
                    f"Okta management scope `{scope}` lets {held.subject} grant itself privileges",
                    (*held.path, "okta_api_scopes", index),
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
    remediation="Declare the least role that covers the identity's `okta_api_scopes` (`READ_ONLY_ADMIN` for `*.read` "
    "scopes, `HELP_DESK_ADMIN` or `GROUP_MEMBERSHIP_ADMIN` for narrow writes); an agent that must change apps, "
    "roles or authorization servers proposes the change for a human admin.",
    kind=RuleKind.REGISTRY,
    waivable=False,
    other_standards=("ASI03",),
)
def okta_admin_role(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    forbidden = set(ctx.settings.forbidden_okta_admin_roles)
    for held in okta_access(agent):
        for index, role in enumerate(held.okta_admin_roles):
            if role in forbidden:
                yield Violation(
                    f"Okta admin role `{role}` lets {held.subject} raise privileges or rewrite its own access",
                    (*held.path, "okta_admin_roles", index),
                )


@rule(
    id="okta-api-scopes-without-admin-role",
    number=23,
    title="Okta management API scopes come with an admin role",
    severity=Severity.ERROR,
    nhi=("NHI5",),
    rationale="Okta answers 403 to every management API call from a service app that holds no admin role, whatever "
    "scopes its tokens carry (scopes narrow a token within the app's role; they grant nothing alone). An identity "
    "declaring `okta_api_scopes` without `okta_admin_roles` cannot do its job, and the usual fix under pressure is a "
    "broad role assigned by hand in the Admin Console, outside review.",
    remediation="Add the least admin role that covers the scopes to the same identity's `okta_admin_roles` "
    "(`READ_ONLY_ADMIN` for `*.read` scopes), or remove `okta_api_scopes` if it does not call the Okta API.",
    kind=RuleKind.REGISTRY,
    other_standards=("ASI03",),
)
def okta_api_scopes_without_admin_role(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    for held in okta_access(agent):
        if held.okta_api_scopes and not held.okta_admin_roles:
            yield Violation(
                f"Okta management scopes {_listed(held.okta_api_scopes)}{held.of_whom} without an admin role: "
                "Okta refuses every call (403); declare `okta_admin_roles`",
                (*held.path, "okta_api_scopes"),
            )


@rule(
    id="okta-admin-role-without-api-scopes",
    number=24,
    title="An Okta admin role is only held with the API scopes that use it",
    severity=Severity.ERROR,
    nhi=("NHI5",),
    rationale="An admin role without `okta_api_scopes` is a privilege nothing uses: the identity's tokens cannot "
    "call the management API, so the role only widens what a stolen credential could do once someone adds a scope.",
    remediation="Remove the identity's `okta_admin_roles`, or declare the `okta_api_scopes` it actually calls.",
    kind=RuleKind.REGISTRY,
    other_standards=("ASI03",),
)
def okta_admin_role_without_api_scopes(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    for held in okta_access(agent):
        if held.okta_admin_roles and not held.okta_api_scopes:
            yield Violation(
                f"Okta admin roles {_listed(held.okta_admin_roles)}{held.of_whom} without any `okta_api_scopes`: "
                "a privilege nothing uses",
                (*held.path, "okta_admin_roles"),
            )


@rule(
    id="okta-management-separate-identity",
    number=25,
    title="Okta management access lives on an identity of its own, never beside custom scopes",
    severity=Severity.ERROR,
    nhi=("NHI5", "NHI9"),
    rationale="One private key that mints both business-API tokens (custom `scopes`) and Okta management tokens "
    "(`okta_api_scopes`, `okta_admin_roles`) turns every compromise of the business side into a compromise of the "
    "identity provider. Separate identities can be rotated, revoked, watched and least-privileged independently. "
    "The two kinds of token come from different places anyway: Okta management tokens from the org authorization "
    "server, which the custom server's access policies do not govern, so one identity holding both is two "
    "identities sharing a key. No waiver makes that acceptable.",
    remediation="Keep the custom scopes on the agent and move the Okta management scopes and roles to a plugin "
    "with its own key pair (publish only its public key), e.g. `plugins: [{name: directory-reader, description: "
    "Reads Okta users for the access review., scopes: [], okta_api_scopes: [okta.users.read], "
    "okta_admin_roles: [READ_ONLY_ADMIN], credentials: {keys: [<the plugin's own public JWK>]}}]`; an agent that "
    "calls nothing but the Okta management API may instead hold them itself with `scopes: []`.",
    kind=RuleKind.REGISTRY,
    waivable=False,
    other_standards=("ASI03",),
)
def okta_management_separate_identity(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    for held in okta_access(agent):
        if held.scopes:
            management = held.okta_api_scopes + held.okta_admin_roles
            who = f"agent `{agent.name}`" if held.plugin is None else f"plugin `{held.plugin}`"
            where = "okta_api_scopes" if held.okta_api_scopes else "okta_admin_roles"
            yield Violation(
                f"{who} holds custom scopes ({_listed(held.scopes)}) and Okta management access "
                f"({_listed(management)}) on one key: move the Okta management access to a plugin with its own key",
                (*held.path, where),
            )
