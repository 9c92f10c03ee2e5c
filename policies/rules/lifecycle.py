"""Lifecycle: agents are reviewed on time and switched off when their job is done (OWASP NHI1, NHI7)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from agentid.findings import Severity
from agentid.registry.model import Agent, LifecycleKind
from policies.rules.base import RuleContext, RuleKind, Violation, rule


@rule(
    id="ephemeral-max-span",
    number=14,
    title="Ephemeral agents expire within the configured span",
    severity=Severity.ERROR,
    nhi=("NHI1", "NHI7"),
    rationale="An ephemeral agent exists for one task; an expiry months away turns it into a long-lived identity "
    "that nobody reviews.",
    remediation="Set lifecycle.expires within ephemeral_max_days (policies/settings.yaml) of today, or make the "
    "agent persistent so it is reviewed like one.",
    kind=RuleKind.REGISTRY,
)
def ephemeral_max_span(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    expires = agent.lifecycle.expires
    latest = ctx.today + dt.timedelta(days=ctx.settings.ephemeral_max_days)
    if agent.lifecycle.kind is LifecycleKind.EPHEMERAL and expires is not None and expires > latest:
        yield Violation(
            f"ephemeral agent expires on {expires}, more than {ctx.settings.ephemeral_max_days} days ahead "
            f"(latest allowed: {latest})",
            ("lifecycle", "expires"),
        )


@rule(
    id="expired-agent-deployed",
    number=15,
    title="Expired agents are offboarded",
    severity=Severity.WARNING,
    nhi=("NHI1", "NHI7"),
    rationale="Past its expiry an agent has no owner vouching for it. The deploy keeps its Okta app INACTIVE "
    "(rule expired-agent-app-inactive holds it to that), so the daily deploy must not be blocked: this warning "
    "reminds the owners to remove the identity for good.",
    remediation="Offboard it: delete the agent file (the next deploy deletes its Okta app), or remove the stack from "
    "environments; to keep it, extend lifecycle.expires in a reviewed change.",
    kind=RuleKind.REGISTRY,
    waivable=False,
    reads_stack=True,
)
def expired_agent_deployed(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    stacks = ctx.judged_stacks(agent)
    if agent.lifecycle.is_expired(ctx.today) and stacks:
        yield Violation(
            f"`{agent.name}` expired on {agent.lifecycle.expires}: its Okta app is deployed INACTIVE on "
            f"{', '.join(stacks)} until the file is deleted",
            ("lifecycle", "expires"),
        )


@rule(
    id="review-overdue",
    number=16,
    title="Access reviews are not overdue",
    severity=Severity.ERROR,
    nhi=("NHI1",),
    rationale="The review date is when owners confirm the agent is still needed with this access; past it, nobody "
    "has vouched for the agent. An expired agent is exempt: it is already being offboarded (expired-agent-deployed).",
    remediation="Review the agent's owners, scopes and profile, then move lifecycle.review_by forward "
    "(at most review_interval_days ahead).",
    kind=RuleKind.REGISTRY,
)
def review_overdue(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    review_by = agent.lifecycle.review_by
    # An expired agent is being offboarded (its app deployed INACTIVE, expired-agent-deployed warns): reviewing it
    # is moot, and an error here would block the daily deploy that deactivates it.
    if review_by < ctx.today and not agent.lifecycle.is_expired(ctx.today):
        yield Violation(
            f"access review was due on {review_by} ({(ctx.today - review_by).days} days ago)",
            ("lifecycle", "review_by"),
        )


@rule(
    id="review-too-far",
    number=17,
    title="The next access review is within the review interval",
    severity=Severity.ERROR,
    nhi=("NHI1",),
    rationale="A review date years away is a review that never happens.",
    remediation="Set lifecycle.review_by no more than review_interval_days (policies/settings.yaml) ahead.",
    kind=RuleKind.REGISTRY,
)
def review_too_far(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    latest = ctx.today + dt.timedelta(days=ctx.settings.review_interval_days)
    if agent.lifecycle.review_by > latest:
        yield Violation(
            f"review_by {agent.lifecycle.review_by} is more than {ctx.settings.review_interval_days} days ahead "
            f"(latest allowed: {latest})",
            ("lifecycle", "review_by"),
        )
