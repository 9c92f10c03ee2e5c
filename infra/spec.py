"""What the program reads about one identity, as plain data (no Pulumi import).

:class:`IdentitySpec` is everything :class:`~infra.components.agent_identity.AgentIdentity` is given about an agent
or a plugin; together with the stack's configuration and the name of the policy rule declared before it (the
creation chain, see :func:`chain_tail`), it determines every resource of the identity. The incremental plan
(:mod:`agentid.plan.incremental`) keys its cache on exactly these values, so they live here, importable without
loading Pulumi.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from agentid.registry.model import Agent, Credentials, Plugin


def rule_resource_name(identity: str) -> str:
    """Logical name of an identity's access policy rule: the priority-bearing resource the chain waits on."""
    return f"{identity}-rule"


def chain_tail(specs: Iterable[IdentitySpec], after: str | None) -> str | None:
    """The name of the last priority-bearing resource once ``specs`` (an agent's own identity, then its plugins, in
    declaration order) are declared after ``after``: only an identity with custom scopes declares a policy and rule
    (:class:`~infra.components.agent_identity.AgentIdentity`); one without passes ``after`` on unchanged."""
    for spec in specs:
        if spec.scopes:
            after = rule_resource_name(spec.name)
    return after


@dataclass(frozen=True, slots=True)
class IdentitySpec:
    """What one Okta identity needs, derived from an agent or one of its plugins."""

    name: str
    agent: str
    description: str
    credentials: Credentials
    scopes: tuple[str, ...]
    token_lifetime_minutes: int
    okta_api_scopes: tuple[str, ...] = ()
    okta_admin_roles: tuple[str, ...] = ()
    #: zone names as the agent file writes them; infra/program.py replaces them with the stack's zone ids
    network_zones: tuple[str, ...] = ()
    active: bool = True

    @classmethod
    def for_agent(cls, agent: Agent, today: dt.date, network_zones: tuple[str, ...] | None = None) -> IdentitySpec:
        """``network_zones``: what the spec holds instead of the zone names the agent writes (the program gives the
        stack's zone ids)."""
        return cls(
            name=agent.name,
            agent=agent.name,
            description=agent.description,
            credentials=agent.credentials,
            scopes=agent.access.scope_names,
            token_lifetime_minutes=agent.access.token_lifetime_minutes,
            okta_api_scopes=agent.access.okta_api_scopes,
            okta_admin_roles=agent.access.okta_admin_roles,
            network_zones=agent.access.network_zones if network_zones is None else network_zones,
            active=not agent.lifecycle.is_expired(today),
        )

    @classmethod
    def for_plugin(
        cls, agent: Agent, plugin: Plugin, today: dt.date, network_zones: tuple[str, ...] | None = None
    ) -> IdentitySpec:
        """A plugin shares its agent's lifetime, network zones and expiry; its Okta management access is its own.
        ``network_zones`` as for :meth:`for_agent`."""
        return cls(
            name=plugin.identity_name(agent.name),
            agent=agent.name,
            description=f"{plugin.description} (plugin of {agent.name})",
            credentials=plugin.credentials,
            scopes=plugin.scopes,
            token_lifetime_minutes=agent.access.token_lifetime_minutes,
            okta_api_scopes=plugin.okta_api_scopes,
            okta_admin_roles=plugin.okta_admin_roles,
            network_zones=agent.access.network_zones if network_zones is None else network_zones,
            active=not agent.lifecycle.is_expired(today),
        )
