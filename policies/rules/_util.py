"""Small helpers several rule modules share: walking an agent's scopes and identities with their file paths."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from agentid.registry.model import Agent, Credentials, Plugin, Registry

ScopePath = tuple[str | int, ...]


class IdentityAccess(NamedTuple):
    """What one identity of a definition (the agent, or one plugin) may request, and where it is written.

    ``path`` is the block holding the identity's fields: ``("access",)`` for the agent, ``("plugins", i)`` for a
    plugin, so ``(*path, "okta_api_scopes", j)`` points at the line of one Okta scope whichever identity holds it."""

    #: the plugin's own name, or ``None`` for the agent itself
    plugin: str | None
    #: custom authorization-server scope names
    scopes: tuple[str, ...]
    okta_api_scopes: tuple[str, ...]
    okta_admin_roles: tuple[str, ...]
    path: ScopePath

    @property
    def subject(self) -> str:
        """How a message names this identity: ``the agent`` or ``plugin `directory-reader```."""
        return "the agent" if self.plugin is None else f"plugin `{self.plugin}`"

    @property
    def of_whom(self) -> str:
        """Text to add after a value to say who holds it: nothing for the agent, `` of plugin `x``` for a plugin."""
        return "" if self.plugin is None else f" of plugin `{self.plugin}`"


def okta_access(agent: Agent) -> Iterator[IdentityAccess]:
    """Every identity of the definition that holds Okta management access (``okta_api_scopes`` or
    ``okta_admin_roles``), the agent first, with its custom scopes and the path of its block.

    Okta management access may sit on the agent (a management-only agent) or on any plugin (the usual place when the
    agent also needs custom scopes), so the Okta rules judge each identity, never only ``access``. Identities
    without Okta access are skipped before anything is built: most agents have none, and six rules ask."""
    for index, holder in agent.okta_management_holders():
        if isinstance(holder, Plugin):
            yield IdentityAccess(
                holder.name, holder.scopes, holder.okta_api_scopes, holder.okta_admin_roles, ("plugins", index)
            )
        else:
            yield IdentityAccess(None, holder.scope_names, holder.okta_api_scopes, holder.okta_admin_roles, ("access",))


def scope_uses(agent: Agent) -> Iterator[tuple[str, ScopePath, str]]:
    """Every scope the definition names, agent's and plugins', with its path and who holds it."""
    for index, grant in enumerate(agent.access.scopes):
        yield grant.name, ("access", "scopes", index, "name"), agent.name
    for p_index, plugin in enumerate(agent.plugins):
        for s_index, scope in enumerate(plugin.scopes):
            yield scope, ("plugins", p_index, "scopes", s_index), plugin.identity_name(agent.name)


def credential_uses(agent: Agent) -> Iterator[tuple[str, Credentials, ScopePath]]:
    """Every identity's credentials with the path of its ``credentials`` block."""
    yield agent.name, agent.credentials, ("credentials",)
    for index, plugin in enumerate(agent.plugins):
        yield plugin.identity_name(agent.name), plugin.credentials, ("plugins", index, "credentials")


def local_part(email: str) -> str:
    """The mailbox name without a ``+tag``, lower-cased: ``Priya.Raman+agents@x`` -> ``priya.raman``."""
    return email.rsplit("@", 1)[0].split("+", 1)[0].casefold()


def domain_of(email: str) -> str:
    return email.rsplit("@", 1)[-1].casefold() if "@" in email else ""


def agent_of_identity(registry: Registry, identity: str) -> Agent | None:
    """The agent whose definition creates ``identity``: the agent itself, or the one whose plugin it is
    (``<agent>--<plugin>``). Agent names may contain ``--`` themselves, so every split is tried; each is one lookup,
    never a scan of the registry (the policy pack asks this for every resource of the stack)."""
    agent = registry.get(identity)
    if agent is not None:
        return agent
    split = identity.find("--")
    while split > 0:
        agent = registry.get(identity[:split])
        if agent is not None and any(p.identity_name(agent.name) == identity for p in agent.plugins):
            return agent
        split = identity.find("--", split + 1)
    return None
