"""The agent registry: strict loading of ``agents/*.yaml`` and the catalog into one immutable model."""

from agentid.registry.loader import (
    PRIVATE_JWK_MEMBERS,
    CatalogError,
    LoadResult,
    load_agent_bytes,
    load_catalog,
    load_registry,
)
from agentid.registry.model import Agent, Catalog, Jwk, Plugin, Registry, Sensitivity

__all__ = [
    "PRIVATE_JWK_MEMBERS",
    "Agent",
    "Catalog",
    "CatalogError",
    "Jwk",
    "LoadResult",
    "Plugin",
    "Registry",
    "Sensitivity",
    "load_agent_bytes",
    "load_catalog",
    "load_registry",
]
