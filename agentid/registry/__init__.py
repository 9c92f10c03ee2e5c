"""The agent registry: strict loading of ``agents/*.yaml`` and the catalog into one immutable model.

The names below are imported on first use (PEP 562), not with the package: ``agentid.registry.forkmap`` is also
used by the detector, and ``agentid detect --profile`` must not pay for PyYAML and the schema engines it never uses.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentid.registry.loader import (
        PRIVATE_JWK_MEMBERS,
        CatalogError,
        LoadResult,
        load_agent_bytes,
        load_catalog,
        load_registry,
    )
    from agentid.registry.model import Agent, Catalog, Jwk, Plugin, Registry, Sensitivity

_LOADER = ("PRIVATE_JWK_MEMBERS", "CatalogError", "LoadResult", "load_agent_bytes", "load_catalog", "load_registry")
_MODEL = ("Agent", "Catalog", "Jwk", "Plugin", "Registry", "Sensitivity")
_WHERE = {**dict.fromkeys(_LOADER, "agentid.registry.loader"), **dict.fromkeys(_MODEL, "agentid.registry.model")}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once imported, an ordinary attribute
    return value


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
