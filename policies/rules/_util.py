"""Small helpers several rule modules share: walking an agent's scopes and identities with their file paths."""

from __future__ import annotations

from collections.abc import Iterator

from agentid.registry.model import Agent, Credentials, Registry

ScopePath = tuple[str | int, ...]


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
