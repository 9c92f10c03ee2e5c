"""Kept scopes: a scope an agent keeps on purpose is reviewed like a waiver (OWASP NHI5 overprivileged NHI).

``keep: [{scope, reason, until}]`` tells `agentid rightsize` not to propose removing a scope the agent may not use
within a month (a quarterly job, a break-glass path). Unreviewed, such an entry would be a permanent blanket
exception; so an entry with a lapsed `until`, a placeholder reason, an `until` further ahead than a waiver may run,
or a scope the definition does not declare is a finding, and protects nothing (:func:`keep_problem`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from agentid.findings import Severity
from agentid.registry.model import Agent, Keep
from policies.rules.base import RuleContext, RuleKind, Violation, rule
from policies.rules.scopes import _PLACEHOLDER


def declared_scopes(agent: Agent) -> set[str]:
    """Every scope the definition declares, on any of its identities (custom and Okta management scopes)."""
    names = {*agent.access.scope_names, *agent.access.okta_api_scopes}
    for plugin in agent.plugins:
        names.update(plugin.scopes)
        names.update(plugin.okta_api_scopes)
    return names


def keep_problem(entry: Keep, agent: Agent, today: dt.date, max_days: int) -> tuple[str, str] | None:
    """(what is wrong, the key it is wrong in) for a keep entry that must not protect its scope, else None."""
    if entry.until < today:
        return f"lapsed on {entry.until}", "until"
    if entry.until > today + dt.timedelta(days=max_days):
        return f"runs until {entry.until}, more than {max_days} days ahead", "until"
    if _PLACEHOLDER.search(entry.reason) or len(entry.reason.split()) < 3:
        return "has a placeholder reason", "reason"
    if entry.scope not in declared_scopes(agent):
        return f"names `{entry.scope}`, which `{agent.name}` does not declare", "scope"
    return None


def active_keeps(agent: Agent, today: dt.date, max_days: int) -> dict[str, Keep]:
    """scope -> the entry keeping it, for the entries that hold on ``today`` (what rightsize honours)."""
    return {k.scope: k for k in agent.keep if keep_problem(k, agent, today, max_days) is None}


@rule(
    id="keep-entry-reviewed",
    number=35,
    title="Scopes kept on purpose carry a real reason and a near end date",
    severity=Severity.ERROR,
    nhi=("NHI5",),
    rationale="A `keep` entry stops `agentid rightsize` from proposing the removal of a scope nobody uses. Like a "
    "waiver it is an exception: without a reason a reviewer can weigh, or past its date, it turns an unused "
    "privilege into a permanent one. An entry that breaks this rule protects nothing.",
    remediation="Give the entry a reason saying when and why the scope is used, an `until` at most "
    "waiver_max_days (policies/settings.yaml, 90 by default) ahead, and a scope the definition declares; or remove "
    "the entry and let rightsize judge the scope on its use.",
    kind=RuleKind.REGISTRY,
    waivable=False,
)
def keep_entry_reviewed(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    if agent.lifecycle.is_expired(ctx.today):
        return  # deployed INACTIVE: its exceptions are moot (as for waivers)
    for entry in agent.keep:
        problem = keep_problem(entry, agent, ctx.today, ctx.settings.waiver_max_days)
        if problem is not None:
            message, key = problem
            yield Violation(f"keep entry for `{entry.scope}` {message}", ("keep", entry.index, key))
