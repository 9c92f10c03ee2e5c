"""Waivers: an exception is named, reasoned, approved by someone independent and short-lived.

A waiver that breaks one of these rules never waives anything (the engine ignores it), and is reported itself.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterator

from agentid.findings import Severity
from agentid.registry.model import Agent, Waiver
from policies.rules.base import RuleContext, RuleKind, Violation, all_rules, get_rule, rule
from policies.rules.owners import in_allowed_domain, machine_identity_reason, same_person


def _path(waiver: Waiver, key: str) -> tuple[str | int, ...]:
    return ("waivers", waiver.index, key)


def waiver_problem(waiver: Waiver, agent: Agent, ctx: RuleContext) -> str | None:
    """The first reason ``waiver`` must not apply, or ``None`` when it is valid. The engine uses this too."""
    target = get_rule(waiver.rule)
    if target is None:
        return "unknown rule"
    if not target.meta.waivable:
        return "rule not waivable"
    if waiver.expires < ctx.today and not agent.lifecycle.is_expired(ctx.today):
        return "expired"
    if approver_problem(waiver, agent, ctx) is not None:
        return "not approved by an independent person"
    if waiver.expires > ctx.today + dt.timedelta(days=ctx.settings.waiver_max_days):
        return "too long"
    return None


@rule(
    id="waiver-expired",
    number=30,
    title="Waivers are not expired",
    severity=Severity.ERROR,
    nhi=("NHI1",),
    rationale="An expired waiver is a decision nobody renewed; it no longer waives anything. (Once the agent itself "
    "has expired its app is deployed INACTIVE and its waivers are moot: they are neither reported nor withdrawn, so "
    "the deploy that deactivates it is not blocked.)",
    remediation="Fix what the waiver covered, or renew it with a new reason, approver and expiry.",
    kind=RuleKind.REGISTRY,
    waivable=False,
)
def waiver_expired(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    if agent.lifecycle.is_expired(ctx.today):
        return  # the agent's app is kept INACTIVE: its exceptions are moot, and must not block the deploy doing it
    for waiver in agent.waivers:
        if waiver.expires < ctx.today:
            yield Violation(f"waiver for `{waiver.rule}` expired on {waiver.expires}", _path(waiver, "expires"))


@rule(
    id="waiver-unknown-rule",
    number=31,
    title="Waivers name an existing rule",
    severity=Severity.ERROR,
    nhi=("NHI5",),
    rationale="A waiver for a rule that does not exist (a typo, a renamed rule) silently waives nothing, and hides "
    "what the author meant to accept.",
    remediation="Use a rule id from `agentid rules` (loader findings, `load.*`, cannot be waived: fix the file).",
    kind=RuleKind.REGISTRY,
    waivable=False,
)
def waiver_unknown_rule(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    for waiver in agent.waivers:
        if get_rule(waiver.rule) is None:
            close = difflib.get_close_matches(waiver.rule, [r.meta.id for r in all_rules()], n=1)
            hint = f"; did you mean `{close[0]}`?" if close else ""
            yield Violation(f"waiver names unknown rule `{waiver.rule}`{hint}", _path(waiver, "rule"))


@rule(
    id="waiver-unwaivable-rule",
    number=32,
    title="Waivers only cover waivable rules",
    severity=Severity.ERROR,
    nhi=("NHI5",),
    rationale="Some rules (private key material, admin scopes, expired agents) have no acceptable exception.",
    remediation="Remove the waiver and fix the finding.",
    kind=RuleKind.REGISTRY,
    waivable=False,
)
def waiver_unwaivable_rule(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    for waiver in agent.waivers:
        target = get_rule(waiver.rule)
        if target is not None and not target.meta.waivable:
            yield Violation(f"rule `{waiver.rule}` cannot be waived", _path(waiver, "rule"))


def approver_problem(waiver: Waiver, agent: Agent, ctx: RuleContext) -> str | None:
    """Why the approver is not an independent, accountable person, or ``None``."""
    approver = waiver.approved_by
    if any(same_person(approver, owner) for owner in agent.owners):
        return f"an owner of `{agent.name}`"
    if not in_allowed_domain(approver, ctx):
        return "not a person in an allowed domain"
    if (reason := machine_identity_reason(approver, agent, ctx)) is not None:
        return f"not a person: it {reason}"
    return None


@rule(
    id="waiver-self-approved",
    number=33,
    title="Waivers are approved by a person who is not an owner",
    severity=Severity.ERROR,
    nhi=("NHI5",),
    rationale="An owner approving an exception for their own agent (under any spelling of their address) is no "
    "review at all; nor is an approval by the agent, another machine identity or someone outside the company.",
    remediation="Ask a person outside the agent's owners (e.g. the security team), by their company Okta login, "
    "to approve the waiver.",
    kind=RuleKind.REGISTRY,
    waivable=False,
)
def waiver_self_approved(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    for waiver in agent.waivers:
        if (problem := approver_problem(waiver, agent, ctx)) is not None:
            yield Violation(
                f"waiver for `{waiver.rule}` is approved by `{waiver.approved_by}`, {problem}",
                _path(waiver, "approved_by"),
            )


@rule(
    id="waiver-too-long",
    number=34,
    title="Waivers expire within the maximum waiver span",
    severity=Severity.ERROR,
    nhi=("NHI7",),
    rationale="A waiver is a temporary exception; a long one becomes the permanent state nobody re-examines.",
    remediation="Set the waiver's expires at most waiver_max_days (policies/settings.yaml, 90 by default) ahead.",
    kind=RuleKind.REGISTRY,
    waivable=False,
)
def waiver_too_long(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    latest = ctx.today + dt.timedelta(days=ctx.settings.waiver_max_days)
    for waiver in agent.waivers:
        if waiver.expires > latest:
            yield Violation(
                f"waiver for `{waiver.rule}` expires on {waiver.expires}, more than "
                f"{ctx.settings.waiver_max_days} days ahead (latest allowed: {latest})",
                _path(waiver, "expires"),
            )
