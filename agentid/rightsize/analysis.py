"""From usage to proposals: what each identity could lose, and the guards that stop a proposal.

Guards (docs/rightsizing.md):

* a scope seen in the window (granted, or asked for in a refused request) is never proposed for removal;
* a scope a plugin holds stays on its agent (rule ``plugin-scope-subset``), and a removal never empties an
  identity (a dormant identity is proposed for offboarding instead);
* a scope with a valid ``keep`` entry stays (:func:`policies.rules.keep.active_keeps`);
* below ``min_coverage`` (days of the window with at least one event / N) nothing is proposed: a gap in the export
  looks exactly like a scope nobody used.

Budgets, hours and token lifetime belong to the agent (its plugins act within them), so they are judged on all of
its identities together and listed on the agent's own identity.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from agentid.registry.model import Agent
from agentid.rightsize.usage import MINUTES_PER_DAY, IdentityUsage, Usage

#: The proposed budget leaves this much room above the 99th percentile of busy hours (never below the peak).
HEADROOM = 1.5
#: A shorter token lifetime is proposed only from at least this many renewals, and only when it at least halves it.
MIN_RENEWALS = 10
#: Kinds of proposal ``--write`` applies; the others need a person (offboarding, how long a token is used).
APPLIED_KINDS = frozenset({"remove_scope", "remove_okta_api_scope", "max_tokens_per_hour", "active_hours_utc"})


@dataclass(frozen=True, slots=True)
class Proposal:
    """One proposed change to an agent file. ``path`` is the model path of the value (for the line and the edit)."""

    kind: str
    agent: str
    identity: str
    path: tuple[str | int, ...]
    old: Any
    new: Any
    reason: str

    @property
    def applies(self) -> bool:
        return self.kind in APPLIED_KINDS

    @property
    def field(self) -> str:
        return ".".join(str(p) for p in self.path)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "agent": self.agent,
            "identity": self.identity,
            "field": self.field,
            "old": self.old,
            "new": self.new,
            "reason": self.reason,
            "applied_by_write": self.applies,
        }


@dataclass(slots=True)
class IdentityReport:
    identity: str
    agent: str
    file: str
    client_id: str
    is_agent: bool
    team: str
    owners: list[str]
    tokens: int
    refusals: int
    dormant: bool
    declared_scopes: list[str]
    granted_scopes: list[str]
    unused_scopes: list[str]
    unused_okta_api_scopes: list[str]
    kept_scopes: list[dict[str, str]]
    observed_peak_tokens_per_hour: int
    observed_p99_tokens_per_hour: int
    max_tokens_per_hour: int
    observed_hours: list[int]
    active_hours_utc: str
    tokens_outside_active_hours: int
    renewal_interval_p99_minutes: int | None
    token_lifetime_minutes: int
    proposed: list[Proposal] = field(default_factory=list)
    #: the owners' GitHub handles (policies/owners.yaml), for the pull request's reviewers
    reviewers: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "identity": self.identity,
            "agent": self.agent,
            "file": self.file,
            "team": self.team,
            "owners": self.owners,
            "reviewers": self.reviewers,
            "client_id": self.client_id,
            "tokens": self.tokens,
            "refusals": self.refusals,
            "dormant": self.dormant,
            "declared_scopes": self.declared_scopes,
            "granted_scopes": self.granted_scopes,
            "unused_scopes": self.unused_scopes,
            "unused_okta_api_scopes": self.unused_okta_api_scopes,
            "kept_scopes": self.kept_scopes,
            "observed_peak_tokens_per_hour": self.observed_peak_tokens_per_hour,
            "observed_p99_tokens_per_hour": self.observed_p99_tokens_per_hour,
            "max_tokens_per_hour": self.max_tokens_per_hour,
            "observed_hours": self.observed_hours,
            "active_hours_utc": self.active_hours_utc,
            "tokens_outside_active_hours": self.tokens_outside_active_hours,
            "renewal_interval_p99_minutes": self.renewal_interval_p99_minutes,
            "token_lifetime_minutes": self.token_lifetime_minutes,
            "proposed": [p.to_dict() for p in self.proposed],
        }


@dataclass(slots=True)
class RightsizeReport:
    usage: Usage
    stack: str | None
    min_coverage: float
    identities: list[IdentityReport]

    @property
    def blocked(self) -> bool:
        return self.usage.coverage < self.min_coverage

    @property
    def proposals(self) -> list[Proposal]:
        return [p for r in self.identities for p in r.proposed]

    def to_dict(self) -> dict[str, Any]:
        usage = self.usage
        return {
            "stack": self.stack,
            "window": usage.window.to_dict(),
            "coverage": {
                "days_with_events": usage.covered_days,
                "days": usage.window.days,
                "ratio": round(usage.coverage, 4),
                "min_coverage": self.min_coverage,
                "blocked": self.blocked,
            },
            "events": {
                "read": usage.events,
                "in_window": usage.in_window,
                "duplicates": usage.duplicates,
                "malformed": len(usage.problems),
            },
            "identities": [r.to_dict() for r in self.identities],
            "summary": {
                "identities": len(self.identities),
                "dormant": sum(1 for r in self.identities if r.dormant),
                "proposals": len(self.proposals),
            },
        }


def percentile(values: Sequence[int], fraction: float) -> int:
    """Nearest-rank percentile (the smallest value with at least ``fraction`` of the values at or below it)."""
    if not values:
        return 0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def _hours_window(hours: set[int]) -> tuple[int, int] | None:
    """The shortest run of whole UTC hours (start, end; end may wrap, 24 = midnight) covering ``hours``."""
    if not hours or len(hours) == 24:
        return None
    ordered = sorted(hours)
    # the largest gap between consecutive observed hours (circularly): the window is everything else
    best_gap, best_after = -1, ordered[0]
    for index, hour in enumerate(ordered):
        following = ordered[(index + 1) % len(ordered)]
        gap = (following - hour - 1) % 24
        if gap > best_gap:
            best_gap, best_after = gap, hour
    end = (best_after + 1) % 24 or 24
    start = (best_after + best_gap + 1) % 24
    return start, end


def _window_minutes(start: int, end: int) -> list[int]:
    lo, hi = start * 60, end * 60
    return list(range(lo, hi)) if lo < hi else [*range(lo, MINUTES_PER_DAY), *range(0, hi)]


def analyse(
    usage: Usage,
    agents: Sequence[Agent],
    *,
    stack: str | None = None,
    min_coverage: float = 0.9,
    waiver_max_days: int = 90,
) -> RightsizeReport:
    from policies.rules.keep import active_keeps

    today = usage.window.today
    reports: list[IdentityReport] = []
    for agent in agents:
        keeps = active_keeps(agent, today, waiver_max_days)
        plugin_scopes = {s for p in agent.plugins for s in p.scopes}
        agent_reports: list[tuple[IdentityReport, IdentityUsage]] = []
        for index, (identity, _credentials, _scopes) in enumerate(agent.identities()):
            used = usage.identities.get(identity)
            if used is None:
                continue
            plugin = agent.plugins[index - 1] if index else None
            report = _identity_report(agent, plugin, index, used, keeps, plugin_scopes)
            agent_reports.append((report, used))
            reports.append(report)
        if not agent_reports or usage.coverage < min_coverage:
            continue
        for report, _used in agent_reports:
            if not report.dormant:
                _scope_proposals(agent, report, keeps, plugin_scopes)
        _agent_proposals(agent, agent_reports, today)
    return RightsizeReport(usage, stack, min_coverage, reports)


def _identity_report(agent, plugin, index, used: IdentityUsage, keeps, plugin_scopes) -> IdentityReport:
    profile = used.profile
    custom = list(plugin.scopes if plugin else agent.access.scope_names)
    okta = list(plugin.okta_api_scopes if plugin else agent.access.okta_api_scopes)
    seen = used.granted | used.refused
    minutes = used.token_minutes()
    table = profile.active_table
    outside = sum(1 for m in minutes if not table[m % MINUTES_PER_DAY])
    hours = sorted({m % MINUTES_PER_DAY // 60 for m in minutes})
    counts = list(used.hourly.values())
    lifetime = agent.access.token_lifetime_minutes
    renewals = [b - a for a, b in itertools.pairwise(minutes) if b - a < lifetime]
    return IdentityReport(
        identity=profile.identity,
        agent=agent.name,
        file=agent.file,
        client_id=profile.client_id,
        is_agent=index == 0,
        team=agent.team,
        owners=list(agent.owners),
        tokens=used.tokens,
        refusals=used.refusals,
        dormant=used.tokens == 0,
        declared_scopes=custom + okta,
        granted_scopes=sorted(used.granted),
        unused_scopes=[s for s in custom if s not in seen],
        unused_okta_api_scopes=[s for s in okta if s not in seen],
        kept_scopes=[
            {"scope": s, "reason": keeps[s].reason, "until": keeps[s].until.isoformat()}
            for s in custom + okta
            if s in keeps and s not in seen
        ],
        observed_peak_tokens_per_hour=max(counts, default=0),
        observed_p99_tokens_per_hour=percentile(counts, 0.99),
        max_tokens_per_hour=agent.profile.max_tokens_per_hour,
        observed_hours=hours,
        active_hours_utc=agent.profile.active_hours_utc,
        tokens_outside_active_hours=outside,
        renewal_interval_p99_minutes=percentile(renewals, 0.99) if len(renewals) >= MIN_RENEWALS else None,
        token_lifetime_minutes=agent.access.token_lifetime_minutes,
    )


def _scope_proposals(agent: Agent, report: IdentityReport, keeps, plugin_scopes: set[str]) -> None:
    index = (
        None
        if report.is_agent
        else next(i for i, p in enumerate(agent.plugins) if p.identity_name(agent.name) == report.identity)
    )
    base: tuple[str | int, ...] = ("access",) if index is None else ("plugins", index)
    custom_key = "scopes"
    removals: list[Proposal] = []
    for scope in report.unused_scopes:
        if scope in keeps:
            continue
        if index is None and scope in plugin_scopes:
            continue  # a plugin holds it: the agent must keep it (plugin-scope-subset)
        removals.append(
            Proposal(
                "remove_scope",
                agent.name,
                report.identity,
                (*base, custom_key),
                scope,
                None,
                f"not granted to {report.identity} in the window ({report.tokens} tokens granted)",
            )
        )
    for scope in report.unused_okta_api_scopes:
        if scope in keeps:
            continue
        removals.append(
            Proposal(
                "remove_okta_api_scope",
                agent.name,
                report.identity,
                (*base, "okta_api_scopes"),
                scope,
                None,
                f"no org authorization server token for {report.identity} carried it in the window",
            )
        )
    if len(removals) >= len(report.declared_scopes):
        return  # never empty an identity; one that gets tokens without any declared scope is odd: a person looks
    report.proposed.extend(removals)


def _agent_proposals(agent: Agent, reports: list[tuple[IdentityReport, IdentityUsage]], today: dt.date) -> None:
    own = reports[0][0]
    if not own.is_agent:
        return
    if all(r.dormant for r, _u in reports):
        own.proposed.append(
            Proposal(
                "offboard",
                agent.name,
                own.identity,
                ("lifecycle", "expires"),
                agent.lifecycle.expires.isoformat() if agent.lifecycle.expires else None,
                today.isoformat(),
                "no token for any of its identities in the window: offboard it (remove the file) or set an earlier "
                "lifecycle.expires",
            )
        )
        return
    for report, _used in reports[1:]:
        if report.dormant:
            own.proposed.append(
                Proposal(
                    "remove_plugin",
                    agent.name,
                    report.identity,
                    ("plugins", report.identity.removeprefix(agent.name + "--")),
                    report.identity,
                    None,
                    f"plugin identity {report.identity} got no token in the window",
                )
            )
    active = [r for r, _u in reports if not r.dormant]
    peak = max(r.observed_peak_tokens_per_hour for r in active)
    p99 = max(r.observed_p99_tokens_per_hour for r in active)
    budget = agent.profile.max_tokens_per_hour
    proposed = max(peak, math.ceil(p99 * HEADROOM), 1)
    if proposed < budget:
        own.proposed.append(
            Proposal(
                "max_tokens_per_hour",
                agent.name,
                own.identity,
                ("profile", "max_tokens_per_hour"),
                budget,
                proposed,
                f"busiest hour {peak} token{'' if peak == 1 else 's'}, 99th percentile {p99} (hours with tokens, "
                f"every identity of the agent); {HEADROOM}x headroom, never below the peak",
            )
        )
    hours = {h for r in active for h in r.observed_hours}
    window = _hours_window(hours)
    if window is not None:
        table = reports[0][1].profile.active_table
        minutes = _window_minutes(*window)
        declared = sum(table)
        if all(table[m] for m in minutes) and len(minutes) < declared:
            value = f"{window[0]:02d}:00-{window[1]:02d}:00"
            own.proposed.append(
                Proposal(
                    "active_hours_utc",
                    agent.name,
                    own.identity,
                    ("profile", "active_hours_utc"),
                    agent.profile.active_hours_utc,
                    value,
                    f"every token in the window fell in UTC hours {_hour_list(sorted(hours))}",
                )
            )
    lifetime = agent.access.token_lifetime_minutes
    custom_active = [r for r in active if any(not s.startswith("okta.") for s in r.declared_scopes)]
    intervals = [r.renewal_interval_p99_minutes for r in custom_active]
    if custom_active and all(i is not None for i in intervals):
        proposed_lifetime = max(5, 5 * math.ceil(max(intervals) / 5))  # type: ignore[type-var]
        if proposed_lifetime * 2 <= lifetime:
            own.proposed.append(
                Proposal(
                    "token_lifetime_minutes",
                    agent.name,
                    own.identity,
                    ("access", "token_lifetime_minutes"),
                    lifetime,
                    proposed_lifetime,
                    f"a new token was requested within {max(intervals)} minutes of the previous one (99th "  # type: ignore[type-var]
                    "percentile of renewals): tokens are not kept for their whole life. Confirm how long one is "
                    "used before shortening",
                )
            )


def _hour_list(hours: list[int]) -> str:
    return ", ".join(f"{h:02d}" for h in hours)
