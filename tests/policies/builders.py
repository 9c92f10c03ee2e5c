"""Variants of the sample agents for rule fixtures: one realistic change per case, everything else compliant.

Each builder takes the sample registry and returns a new one in which one agent differs from its committed file,
so a failing fixture fails for exactly the reason it names and a passing fixture shows where the line is drawn.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from agentid.registry.model import (
    Access,
    Agent,
    Credentials,
    Jwk,
    Lifecycle,
    LifecycleKind,
    Plugin,
    Registry,
    ScopeGrant,
    Waiver,
)
from tests.conftest import TODAY

# Fresh P-256 public keys (no private part exists anywhere): for identities that must not collide with the samples.
KEY_A = Jwk(kty="EC", kid="kb-2026-12", crv="P-256", x="DYJDlWv_cZYKwjI6QXP7QubmlV1KR8yZaAHDa0wiORk",
            y="70lNOBdjNEchn54FsH121utbVa1srMGMwdbyiB2_WHU")  # fmt: skip
KEY_B = Jwk(kty="EC", kid="kb-2027-01", crv="P-256", x="pvEegPnQzeVX9JRo9KADhVjRAACdzqL03crM7iS2Tok",
            y="Hwki7tVKqPtWErIXGYDAw8WtUiZnbr5NtvR0uUF8Oa4")  # fmt: skip
KEY_C = Jwk(kty="EC", kid="directory-reader-2026-12", crv="P-256", x="oA9-nmfO7zBZLpc-FXcHszTC46zGLQhp6qC9T5tcrQc",
            y="1IAy198H7ywwOSiXGNPBDw76PfxyLlqCm3nVMg6rmDM")  # fmt: skip


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def with_agent(registry: Registry, name: str, **changes: Any) -> Registry:
    """``registry`` with agent ``name`` replaced by a copy carrying ``changes`` (top-level Agent fields)."""
    agents = tuple(dataclasses.replace(a, **changes) if a.name == name else a for a in registry.agents)
    return Registry(agents=agents, catalog=registry.catalog)


def renamed(registry: Registry, name: str, new_name: str) -> Registry:
    """``registry`` with agent ``name`` called ``new_name`` (plugins follow: their identities derive from it)."""
    agents = tuple(dataclasses.replace(a, name=new_name) if a.name == name else a for a in registry.agents)
    return Registry(agents=agents, catalog=registry.catalog)


def agent(registry: Registry, name: str) -> Agent:
    found = registry.get(name)
    assert found is not None, name
    return found


def access(registry: Registry, name: str, **changes: Any) -> Registry:
    return with_agent(registry, name, access=dataclasses.replace(agent(registry, name).access, **changes))


def lifecycle(registry: Registry, name: str, **changes: Any) -> Registry:
    return with_agent(registry, name, lifecycle=dataclasses.replace(agent(registry, name).lifecycle, **changes))


def scopes(registry: Registry, name: str, *extra: tuple[str, str]) -> Registry:
    current = agent(registry, name).access.scopes
    return access(registry, name, scopes=current + tuple(ScopeGrant(n, r) for n, r in extra))


def plugin_credentials(registry: Registry, name: str, index: int, credentials: Credentials) -> Registry:
    plugins = list(agent(registry, name).plugins)
    plugins[index] = dataclasses.replace(plugins[index], credentials=credentials)
    return with_agent(registry, name, plugins=tuple(plugins))


def plugin_scopes(registry: Registry, name: str, index: int, scope_names: tuple[str, ...]) -> Registry:
    plugins = list(agent(registry, name).plugins)
    plugins[index] = dataclasses.replace(plugins[index], scopes=scope_names)
    return with_agent(registry, name, plugins=tuple(plugins))


def okta_plugin(
    name: str = "directory-reader",
    description: str = "Reads Okta users for the weekly access review.",
    *,
    scopes: tuple[str, ...] = (),
    okta_api_scopes: tuple[str, ...] = ("okta.users.read",),
    okta_admin_roles: tuple[str, ...] = ("READ_ONLY_ADMIN",),
) -> Plugin:
    """A plugin holding Okta management access on its own key, where the design puts it beside custom scopes."""
    return Plugin(
        name,
        description,
        scopes,
        Credentials(keys=(KEY_C,)),
        okta_api_scopes=okta_api_scopes,
        okta_admin_roles=okta_admin_roles,
    )


def okta_access(
    registry: Registry,
    name: str,
    *,
    okta_api_scopes: tuple[str, ...] = (),
    okta_admin_roles: tuple[str, ...] = (),
    plugins: tuple[Plugin, ...] = (),
) -> Registry:
    """``registry`` with agent ``name``'s own Okta management access and its plugins replaced: every Okta case states
    where all of that agent's Okta access sits, whatever the sample file holds."""
    changed = access(registry, name, okta_api_scopes=okta_api_scopes, okta_admin_roles=okta_admin_roles)
    return with_agent(changed, name, plugins=plugins)


def waiver(rule: str, *, approved_by: str = "security-lead@example.com", expires: dt.date | None = None) -> Waiver:
    return Waiver(rule, "Vendor API has no read-only scope until Q1; tracked in SEC-142.", approved_by,
                  expires or days(30))  # fmt: skip


def ephemeral(registry: Registry, name: str, expires: dt.date) -> Registry:
    return with_agent(
        registry, name, lifecycle=Lifecycle(kind=LifecycleKind.EPHEMERAL, review_by=expires, expires=expires)
    )


__all__ = [
    "KEY_A",
    "KEY_B",
    "KEY_C",
    "Access",
    "Credentials",
    "ScopeGrant",
    "access",
    "agent",
    "days",
    "ephemeral",
    "lifecycle",
    "okta_access",
    "okta_plugin",
    "plugin_credentials",
    "plugin_scopes",
    "scopes",
    "waiver",
    "with_agent",
]
