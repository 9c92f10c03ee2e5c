"""The inventory: one flat, JSON-ready record per agent, and its risk level.

Every renderer (Markdown, CSV, JSON, HTML) reads these records, so the four formats cannot disagree.

Risk level (documented in README.md; derived only from the registry and the catalog):

1. Start from the most sensitive data the agent or any of its plugins can reach:
   public or internal -> low, confidential -> medium, restricted -> high.
2. Raise one level for each aggravating factor:
   - Okta management API scopes, held by the agent or by one of its plugins (it can read or change identities);
   - tokens living longer than 60 minutes (a stolen token stays useful longer);
   - plugins holding custom scopes (each is another identity with its own credential). A plugin holding only Okta
     management access is already counted by the first factor: keeping that access on its own identity (as rule
     ``okta-management-separate-identity`` requires) must not read as riskier than the same access on one key;
   - waivers in force (an accepted exception to a rule).
3. An Okta management scope that can change things (``okta.*.manage``), on any identity, makes the agent at least
   high.
The level is capped at critical. Each raise is listed as a reason, so the level can be argued with.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from agentid.lifecycle import lifecycle_status
from agentid.registry.model import Agent, Catalog, Registry, Sensitivity

LEVELS = ("low", "medium", "high", "critical")
LONG_TOKEN_MINUTES = 60
_BASE_LEVEL = {
    Sensitivity.PUBLIC: 0,
    Sensitivity.INTERNAL: 0,
    Sensitivity.CONFIDENTIAL: 1,
    Sensitivity.RESTRICTED: 2,
}


@dataclass(frozen=True, slots=True)
class Risk:
    level: str
    reasons: tuple[str, ...]

    @property
    def rank(self) -> int:
        return LEVELS.index(self.level)


def max_sensitivity(agent: Agent, catalog: Catalog) -> Sensitivity | None:
    scopes = list(agent.access.scope_names) + [s for p in agent.plugins for s in p.scopes]
    known = [info.sensitivity for s in scopes if (info := catalog.scope(s)) is not None]
    return max(known, key=lambda s: s.rank) if known else None


def okta_management(agent: Agent) -> list[tuple[str | None, tuple[str, ...], tuple[str, ...]]]:
    """(plugin name or ``None`` for the agent, Okta management scopes, admin roles) of every identity holding any."""
    return [
        (None if index is None else agent.plugins[index].name, holder.okta_api_scopes, holder.okta_admin_roles)
        for index, holder in agent.okta_management_holders()
    ]


def risk_of(agent: Agent, catalog: Catalog, today: dt.date) -> Risk:
    """The agent's risk level by the formula in this module's docstring."""
    top = max_sensitivity(agent, catalog)
    level = _BASE_LEVEL[top] if top else 0
    reasons = [f"reaches {top.value} data" if top else "reaches no catalogued data"]
    management = [(name, scopes) for name, scopes, _roles in okta_management(agent) if scopes]
    if management:
        level += 1
        reasons.append(
            "Okta management scopes "
            + "; ".join(", ".join(scopes) + (f" (plugin {name})" if name else "") for name, scopes in management)
        )
    if agent.access.token_lifetime_minutes > LONG_TOKEN_MINUTES:
        level += 1
        reasons.append(f"{agent.access.token_lifetime_minutes}-minute tokens (over {LONG_TOKEN_MINUTES})")
    plugins = [p for p in agent.plugins if p.scopes]
    if plugins:
        level += 1
        reasons.append(f"{len(plugins)} plugin identit{'y' if len(plugins) == 1 else 'ies'}")
    waivers = waivers_in_force(agent, today)
    if waivers:
        level += 1
        reasons.append(f"{len(waivers)} waiver(s) in force")
    if any(scope.endswith(".manage") for _name, scopes in management for scope in scopes) and level < 2:
        level = 2
        reasons.append("can change Okta objects (okta.*.manage)")
    return Risk(LEVELS[min(level, len(LEVELS) - 1)], tuple(reasons))


def waivers_in_force(agent: Agent, today: dt.date) -> list[dict[str, Any]]:
    """Waivers not yet expired on ``today`` (a waiver holds through its ``expires`` day)."""
    return [w.to_dict() for w in agent.waivers if w.expires >= today]


def _scope(name: str, catalog: Catalog, reason: str | None = None) -> dict[str, Any]:
    info = catalog.scope(name)
    entry = {
        "name": name,
        "domain": info.domain if info else None,
        "sensitivity": info.sensitivity.value if info else None,
    }
    if reason is not None:
        entry["reason"] = reason
    return entry


def agent_record(agent: Agent, catalog: Catalog, today: dt.date) -> dict[str, Any]:
    risk = risk_of(agent, catalog, today)
    top = max_sensitivity(agent, catalog)
    return {
        "name": agent.name,
        "description": agent.description,
        "owners": list(agent.owners),
        "team": agent.team,
        "purpose": agent.purpose,
        "environments": list(agent.environments),
        "lifecycle": {
            "kind": agent.lifecycle.kind.value,
            "review_by": agent.lifecycle.review_by.isoformat(),
            "expires": agent.lifecycle.expires.isoformat() if agent.lifecycle.expires else None,
            "status": lifecycle_status(agent, today),
        },
        "scopes": [_scope(g.name, catalog, g.reason) for g in agent.access.scopes],
        "okta_api_scopes": list(agent.access.okta_api_scopes),
        "okta_admin_roles": list(agent.access.okta_admin_roles),
        "token_lifetime_minutes": agent.access.token_lifetime_minutes,
        "network_zones": list(agent.access.network_zones),
        "credentials": agent.credentials.style,
        "plugins": [
            {
                "name": p.name,
                "identity": p.identity_name(agent.name),
                "description": p.description,
                "scopes": [_scope(s, catalog) for s in p.scopes],
                "okta_api_scopes": list(p.okta_api_scopes),
                "okta_admin_roles": list(p.okta_admin_roles),
                "credentials": p.credentials.style,
            }
            for p in agent.plugins
        ],
        "waivers": waivers_in_force(agent, today),
        "max_sensitivity": top.value if top else None,
        "risk": {"level": risk.level, "reasons": list(risk.reasons)},
        "file": agent.file,
    }


def build_inventory(registry: Registry, today: dt.date) -> dict[str, Any]:
    """The whole inventory: when it was judged, a summary, and one record per agent (sorted by name)."""
    records = [agent_record(agent, registry.catalog, today) for agent in registry]
    by_level = {level: sum(1 for r in records if r["risk"]["level"] == level) for level in LEVELS}
    return {
        "as_of": today.isoformat(),
        "summary": {
            "agents": len(records),
            "identities": sum(1 + len(r["plugins"]) for r in records),
            "risk": by_level,
            "restricted_data_agents": sum(1 for r in records if r["max_sensitivity"] == "restricted"),
        },
        "agents": records,
    }
