"""Owners: every agent answers to people who can be reached, asked and held to account (OWASP NHI1, NHI10)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from agentid.findings import Severity
from agentid.registry.model import Agent
from policies.rules._util import agent_of_identity, domain_of, local_part
from policies.rules.base import RuleContext, RuleKind, Violation, rule


@rule(
    id="owner-allowed-domain",
    number=1,
    title="Owners are people in the company's email domains",
    severity=Severity.ERROR,
    nhi=("NHI10", "NHI1"),
    rationale="An owner outside the company (a contractor's or personal mailbox) cannot be offboarded with the "
    "company's people, so the agent outlives its accountability; Okta logins in allowed domains can.",
    remediation="List owners by their company Okta login (an address in an allowed domain of policies/settings.yaml).",
    kind=RuleKind.REGISTRY,
)
def owner_allowed_domain(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    for index, owner in enumerate(agent.owners):
        if not in_allowed_domain(owner, ctx):
            allowed = _allowed_domains(ctx.settings.allowed_owner_domains)
            yield Violation(
                f"owner `{owner}` is not in an allowed domain ({', '.join(sorted(allowed))})", ("owners", index)
            )


@functools.lru_cache(maxsize=16)
def _service_account_regex(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE) if patterns else None


def _normalised(name: str) -> str:
    """``.``, ``_`` and ``+`` all become ``-``. Three ``str.replace`` give what ``re.sub(r"[._+]", "-", ...)`` gives
    (none of them brings back a character another replaces) at a fifth of the cost: this runs for every owner."""
    return name.casefold().replace(".", "-").replace("_", "-").replace("+", "-")


@rule(
    id="owner-not-agent-identity",
    number=2,
    title="An agent is never its own owner, nor owned by another machine identity",
    severity=Severity.ERROR,
    nhi=("NHI10", "NHI1"),
    rationale="An owner that is the agent itself, one of its plugins, another agent or a service account means no "
    "human is accountable: nobody reviews its access, answers an alert or offboards it.",
    remediation="Replace the owner with the people accountable for the agent (their personal company login).",
    kind=RuleKind.REGISTRY,
)
def owner_not_agent_identity(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    for index, owner in enumerate(agent.owners):
        if (reason := machine_identity_reason(owner, agent, ctx)) is not None:
            yield Violation(f"owner `{owner}` {reason}", ("owners", index))


def machine_identity_reason(email: str, agent: Agent, ctx: RuleContext) -> str | None:
    """Why ``email`` is a machine rather than an accountable person (``agent`` itself, one of its plugins, another
    agent, a service account or shared mailbox), or ``None``. Waiver approvers are held to this too."""
    pattern = _service_account_regex(tuple(ctx.settings.service_account_patterns))
    mailbox = local_part(email)
    name = _normalised(mailbox)
    if name == _normalised(agent.name) or any(
        name == _normalised(p.identity_name(agent.name)) or name == _normalised(p.name) for p in agent.plugins
    ):
        return "is this agent's own identity"
    if ctx.registry is not None and (other := agent_of_identity(ctx.registry, name)) is not None:
        return f"is the identity of {'agent' if other.name == name else 'plugin'} `{name}`"
    if pattern is not None and pattern.search(mailbox):
        return "looks like a service account or shared mailbox, not a person"
    return None


def same_person(a: str, b: str) -> bool:
    """One mailbox whatever the case or ``+tag``: ``Nina.Petrova+waivers@Example.com`` is nina.petrova@example.com."""
    return (local_part(a), domain_of(a)) == (local_part(b), domain_of(b))


def in_allowed_domain(email: str, ctx: RuleContext) -> bool:
    allowed = _allowed_domains(ctx.settings.allowed_owner_domains)
    domain = domain_of(email)
    return domain in allowed or any(domain.endswith("." + d) for d in allowed)


@functools.lru_cache(maxsize=16)
def _allowed_domains(domains: tuple[str, ...]) -> frozenset[str]:
    """The settings' domains, case-folded once rather than for every owner of every agent."""
    return frozenset(d.casefold() for d in domains)


@rule(
    id="single-owner",
    number=3,
    title="Agents have at least two owners",
    severity=Severity.WARNING,
    nhi=("NHI1",),
    rationale="With one owner, the agent becomes ownerless the day that person changes team or leaves, and nobody "
    "is left to review or offboard it.",
    remediation="Add a second accountable owner, typically a teammate or the team lead.",
    kind=RuleKind.REGISTRY,
)
def single_owner(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    if len(agent.owners) == 1:
        yield Violation(f"`{agent.name}` has a single owner ({agent.owners[0]})", ("owners",))
