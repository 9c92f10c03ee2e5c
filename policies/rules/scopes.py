"""Scopes: an agent holds only what its purpose justifies, named precisely (OWASP NHI5, NHI7; ASI03)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from agentid.findings import Severity
from agentid.registry.model import Agent, Sensitivity
from policies.rules._util import scope_uses
from policies.rules.base import RuleContext, RuleKind, Violation, rule


@rule(
    id="purpose-data-domain",
    number=4,
    title="Scopes stay within the data domains the agent's purpose allows",
    severity=Severity.ERROR,
    nhi=("NHI5",),
    rationale="A purpose bounds what data an agent has any business touching: a meeting summariser that can read "
    "the ledger or HR records is over-privileged whatever its reasons say.",
    remediation="Drop the scope, or split the work into an agent whose catalog purpose covers that data domain.",
    kind=RuleKind.REGISTRY,
    other_standards=("ASI03",),
)
def purpose_data_domain(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    if ctx.registry is None:
        return
    catalog = ctx.registry.catalog
    purpose = catalog.purposes.get(agent.purpose)
    if purpose is None:  # the loader reports unknown purposes
        return
    for scope, path, holder in scope_uses(agent):
        info = catalog.scope(scope)
        if info is not None and info.domain not in purpose.domains:
            who = "" if holder == agent.name else f" (plugin `{holder}`)"
            yield Violation(
                f"scope `{scope}`{who} touches the {info.domain} data domain, which purpose `{agent.purpose}` does "
                f"not allow (allowed: {', '.join(sorted(purpose.domains))})",
                path,
            )


_WILDCARD_WORDS = {"*", "all", "any", "every", "everything"}
#: ``\s`` in a str pattern is exactly ``str.isspace`` per character (both are Py_UNICODE_ISSPACE).
_WHITESPACE = re.compile(r"\s")
_SEGMENT_SEPARATORS = re.compile(r"[.:/]")


def wildcard_reason(scope: str) -> str | None:
    """Why a scope name is wildcard-like, or ``None``. Shared with the resource rules' idea of a ``*`` scope.

    Remembered per name (it depends on the text alone): thousands of agents name the same few catalog scopes."""
    return _remembered_wildcard_reason(scope) if type(scope) is str else _wildcard_reason(scope)


@functools.lru_cache(maxsize=4096)
def _remembered_wildcard_reason(scope: str) -> str | None:
    return _wildcard_reason(scope)


def _wildcard_reason(scope: str) -> str | None:
    if not scope.strip():
        return "is empty"
    if _WHITESPACE.search(scope):
        return "contains whitespace"
    if "*" in scope or "?" in scope:
        return "contains a wildcard"
    segments = _SEGMENT_SEPARATORS.split(scope)
    if "" in segments:
        return "has an empty segment"
    if any(segment.casefold() in _WILDCARD_WORDS for segment in segments):
        return "names everything rather than one permission"
    return None


@rule(
    id="scope-wildcard",
    number=5,
    title="Scope names are precise, never wildcard-like",
    severity=Severity.ERROR,
    nhi=("NHI5",),
    rationale="A scope such as `*`, `crm.*`, `all` or `crm..read` grants an open-ended set of permissions, or hides "
    "one behind a typo; least privilege needs one named permission per scope. (The loader's `load.unknown-scope` "
    "is not repeated for a value this rule reports.)",
    remediation="Replace it with the exact catalog scopes the agent needs (see policies/catalog.yaml).",
    kind=RuleKind.REGISTRY,
)
def scope_wildcard(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    for scope, path, _holder in scope_uses(agent):
        reason = wildcard_reason(scope)
        if reason is not None:
            yield Violation(f"scope `{scope}` {reason}", path)


@rule(
    id="max-scopes",
    number=6,
    title="Agents hold no more scopes than the configured maximum",
    severity=Severity.ERROR,
    nhi=("NHI5",),
    rationale="An identity with many scopes is usually several jobs in one: a compromise of it reaches all of them.",
    remediation="Drop scopes the agent does not use, or split it into agents with one job each "
    "(the limit is max_scopes in policies/settings.yaml).",
    kind=RuleKind.REGISTRY,
)
def max_scopes(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    limit = ctx.settings.max_scopes
    count = len(agent.access.scopes)
    if count > limit:
        yield Violation(
            f"`{agent.name}` requests {count} scopes; at most {limit} are allowed", ("access", "scopes", limit)
        )


_PLACEHOLDER = re.compile(r"\b(todo|tbd|fixme|xxx|n/?a|lorem|placeholder)\b", re.IGNORECASE)
MIN_REASON_WORDS = 6


def _restricted(agent: Agent, ctx: RuleContext) -> list[str]:
    """The restricted catalog scopes the agent or its plugins name, sorted (the scopes of :func:`scope_uses`,
    walked directly: this runs twice for every agent)."""
    if ctx.registry is None:
        return []
    catalog = ctx.registry.catalog.scopes
    restricted = Sensitivity.RESTRICTED
    names = [grant.name for grant in agent.access.scopes]
    for plugin in agent.plugins:
        names.extend(plugin.scopes)
    return sorted(
        {scope for scope in names if (info := catalog.get(scope)) is not None and info.sensitivity is restricted}
    )


@rule(
    id="restricted-scope-reason",
    number=7,
    title="Restricted scopes carry a real reason",
    severity=Severity.ERROR,
    nhi=("NHI5",),
    rationale="Restricted data (finance, HR records) is granted on a reviewer's judgement; a placeholder or a "
    "one-word reason gives the reviewer nothing to judge.",
    remediation=f"Say, in at least {MIN_REASON_WORDS} words, which records the agent reads or writes and why its "
    "task needs them.",
    kind=RuleKind.REGISTRY,
)
def restricted_scope_reason(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    restricted = set(_restricted(agent, ctx))
    for index, grant in enumerate(agent.access.scopes):
        if grant.name not in restricted:
            continue
        words = len(grant.reason.split())
        if _PLACEHOLDER.search(grant.reason):
            problem = "is a placeholder"
        elif words < MIN_REASON_WORDS:
            problem = f"has {words} words"
        else:
            continue
        yield Violation(
            f"the reason for restricted scope `{grant.name}` {problem}; explain why the agent needs it",
            ("access", "scopes", index, "reason"),
        )


@rule(
    id="restricted-scope-token-lifetime",
    number=8,
    title="Agents holding restricted scopes get short-lived tokens",
    severity=Severity.ERROR,
    nhi=("NHI5", "NHI7"),
    rationale="A stolen token is usable until it expires; for restricted data that window must be minutes.",
    remediation="Lower access.token_lifetime_minutes to the restricted maximum "
    "(restricted_max_token_minutes in policies/settings.yaml) or drop the restricted scope.",
    kind=RuleKind.REGISTRY,
)
def restricted_scope_token_lifetime(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    restricted = _restricted(agent, ctx)
    limit = ctx.settings.restricted_max_token_minutes
    lifetime = agent.access.token_lifetime_minutes
    if restricted and lifetime > limit:
        yield Violation(
            f"token lifetime {lifetime} min exceeds {limit} min, the maximum for restricted scopes "
            f"({', '.join(f'`{s}`' for s in restricted)})",
            ("access", "token_lifetime_minutes"),
        )


@rule(
    id="plugin-scope-subset",
    number=9,
    title="Plugins hold only scopes their agent holds",
    severity=Severity.ERROR,
    nhi=("NHI5",),
    rationale="A plugin acting with more access than its agent is a side door: the agent's reviewed scopes no "
    "longer bound what the agent can reach.",
    remediation="Add the scope (with its reason) to the agent's access.scopes, or remove it from the plugin.",
    kind=RuleKind.REGISTRY,
    other_standards=("ASI03",),
)
def plugin_scope_subset(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    if not agent.plugins:
        return
    held = set(agent.access.scope_names)
    for p_index, plugin in enumerate(agent.plugins):
        for s_index, scope in enumerate(plugin.scopes):
            if scope not in held:
                yield Violation(
                    f"plugin `{plugin.name}` requests scope `{scope}`, which agent `{agent.name}` does not hold",
                    ("plugins", p_index, "scopes", s_index),
                )
