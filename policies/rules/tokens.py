"""Token lifetime: what a stolen token is worth is how long it lives (OWASP NHI7)."""

from __future__ import annotations

from collections.abc import Iterator

from agentid.findings import Severity
from agentid.registry.model import Agent
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
