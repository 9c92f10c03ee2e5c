"""Token lifetime: what a stolen token is worth is how long it lives (OWASP NHI7). Custom-server tokens live as long
as the agent file says; Okta management tokens live as long as Okta says."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from agentid.findings import Severity
from agentid.registry.model import Agent
from policies.rules._util import okta_access
from policies.rules.base import RuleContext, RuleKind, Violation, rule


@rule(
    id="token-lifetime-stack-max",
    number=20,
    title="Token lifetime is within the stack's maximum",
    severity=Severity.ERROR,
    nhi=("NHI7",),
    rationale="Each stack sets how long an agent token may live (`agentid:maxTokenLifetimeMinutes` in "
    "Pulumi.<stack>.yaml, else default_stack_max_token_minutes); production usually allows less than dev.",
    remediation="Lower access.token_lifetime_minutes to the stack's maximum; agents refresh tokens, they do not "
    "need long ones.",
    kind=RuleKind.REGISTRY,
    reads_stack=True,
)
def token_lifetime_stack_max(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    lifetime = agent.access.token_lifetime_minutes
    over = [(stack, ctx.token_limit(stack)) for stack in ctx.judged_stacks(agent)]
    over = [(stack, limit) for stack, limit in over if lifetime > limit]
    if over:
        limits = ", ".join(f"{stack}: {limit} min" for stack, limit in over)
        yield Violation(
            f"token lifetime {lifetime} min exceeds the stack maximum ({limits})", ("access", "token_lifetime_minutes")
        )


#: Okta mints every Okta management API token on the org authorization server, whose lifetimes are fixed: "When using
#: the built-in Org Authorization Server, the token lifetimes are hard-coded and cannot be modified ... Access Token:
#: 60 minutes" (Okta support, "Lifetime of the Okta Minted JSON Web Tokens (JWT)",
#: https://support.okta.com/help/s/article/What-is-the-lifetime-of-the-JWT-tokens).
OKTA_ORG_SERVER_TOKEN_MINUTES: Final = 60


@rule(
    id="okta-management-token-lifetime",
    number=26,
    title="Okta management tokens (fixed at 60 minutes by Okta) fit the stack's maximum",
    severity=Severity.ERROR,
    nhi=("NHI7",),
    rationale="Okta management API tokens come from the org authorization server, which issues every access token "
    f"for {OKTA_ORG_SERVER_TOKEN_MINUTES} minutes; nobody can change that. `access.token_lifetime_minutes` only "
    "sets the custom authorization server's policy rule, so it cannot shorten them. An identity holding "
    "`okta_api_scopes` in a stack whose maximum token lifetime (`agentid:maxTokenLifetimeMinutes`) is lower gets "
    "tokens that outlive what the stack allows.",
    remediation="Keep the identity out of that stack (a plugin deploys with its agent: drop the stack from the "
    "agent's `environments`, or move the Okta work to an agent of its own that does not list it), or accept it "
    "with a waiver for this rule approved by someone who is not an owner; the tokens are still watched by the "
    "detections (the identity's token rate and active hours).",
    kind=RuleKind.REGISTRY,
    reads_stack=True,
)
def okta_management_token_lifetime(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    over: list[tuple[str, int]] | None = None  # computed once, for the first identity that needs it
    for held in okta_access(agent):
        if not held.okta_api_scopes:
            continue  # an admin role alone mints no token (okta-admin-role-without-api-scopes reports it)
        if over is None:
            limits = [(stack, ctx.token_limit(stack)) for stack in ctx.judged_stacks(agent)]
            over = [(stack, limit) for stack, limit in limits if limit < OKTA_ORG_SERVER_TOKEN_MINUTES]
        if not over:
            return
        who = f"agent `{agent.name}`" if held.plugin is None else f"plugin `{held.plugin}`"
        stacks = ", ".join(f"{stack}: {limit} min" for stack, limit in over)
        yield Violation(
            f"Okta management tokens of {who} live {OKTA_ORG_SERVER_TOKEN_MINUTES} min (fixed by Okta's org "
            f"authorization server), longer than the stack maximum ({stacks}); token_lifetime_minutes cannot "
            "shorten them",
            (*held.path, "okta_api_scopes"),
        )
