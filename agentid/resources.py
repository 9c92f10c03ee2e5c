"""What would be deployed: the Okta resources a plan declares, as the engine sees them.

Resource rules judge these, whether they come from the offline plan (SDK mock engine), from the policy pack at a
real ``pulumi preview`` (CrossGuard hands the same inputs), or from hand-written Pulumi code that bypassed the
YAML. Input keys are the engine's camelCase names (``grantTypes``), which is what both sources provide.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class PlannedResource:
    """One resource of a plan.

    ``type`` is the Pulumi type token (``okta:app/oAuth:OAuth``), ``name`` the logical name, ``parent`` the parent's
    logical name (``None`` under the stack), ``agent`` the registry agent that owns it when known (``None`` for shared
    resources such as the authorization server or the log stream). Secret inputs are already masked.
    """

    type: str
    name: str
    inputs: Mapping[str, Any] = field(default_factory=dict)
    parent: str | None = None
    urn: str = ""
    agent: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "name": self.name, "parent": self.parent, "inputs": dict(self.inputs)}
