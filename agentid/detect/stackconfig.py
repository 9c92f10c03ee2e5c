"""What the detections need from a stack's ``Pulumi.<stack>.yaml``: its network zones' gateways and its authorization
server, read without the Pulumi engine (``agentid detect --stack`` and ``agentid detections --stack`` run offline).

The stack file resolves the zone names agent files give (the lead's convention, docs/deploying.md)::

    agentid:networkZones:
      finance-batch:
        id: nzo1x2y3z4a5b6c7d8e9      # this org's zone id
        gateways: ["203.0.113.0/24"]   # optional: the zone's gateway CIDRs; detections use them

Only ``gateways`` matter here: an identity whose zones declare none gets no network detection. A zone is found by
its name or by its id, so a registry that still names zones by id keeps working. The authorization server's
``name`` (or ``id``, when the stack reuses one) tells the tampering detection which server is the agents'.

The zones are parsed by :mod:`agentid.network_zones`, the deploy's own parser (``infra/config.py`` calls it too), so
a stack file ``pulumi up`` refuses is refused here and one it accepts is read alike. A bad value is a
:class:`StackConfigError` naming the file and key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from agentid.network_zones import NetworkZone, NetworkZoneError, stack_file_zones
from agentid.stackyaml import load_yaml

NAMESPACE = "agentid"


class StackConfigError(ValueError):
    """The stack file cannot give the detections what they need; the message names the file and key."""


@dataclass(frozen=True, slots=True)
class DetectionStackConfig:
    #: zone name (and zone id) -> its gateway CIDRs, normalised (``ipaddress.ip_network(..., strict=False)``)
    zone_gateways: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: the agents' authorization server: its name and/or id
    auth_servers: tuple[str, ...] = ()


def _config(data: Any, path: Path) -> dict[str, Any]:
    if not isinstance(data, dict):
        return {}
    config = data.get("config")
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise StackConfigError(f"{path}: `config` must be a mapping")
    return config


def _unwrap(value: Any) -> Any:
    """Pulumi writes structured values either plainly or as ``{value: ...}``."""
    if isinstance(value, dict) and set(value) == {"value"}:
        return value["value"]
    return value


def zone_gateways(zones: Mapping[str, NetworkZone]) -> dict[str, tuple[str, ...]]:
    """Each zone's gateway networks by its name and by its id: a registry that still names zones by id (as it did
    before zones had names) gets the same network detection."""
    result: dict[str, tuple[str, ...]] = {}
    for zone in zones.values():
        result[zone.name] = result[zone.id] = zone.networks()
    return result


def load_detection_config(path: Path) -> DetectionStackConfig:
    """Read ``path`` (a ``Pulumi.<stack>.yaml``); a missing file gives an empty configuration."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return DetectionStackConfig()
    except OSError as exc:
        raise StackConfigError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        raise StackConfigError(f"{path}: not valid YAML ({exc})") from None
    config = _config(data, path)
    try:
        zones = stack_file_zones(config, str(path))
    except NetworkZoneError as exc:
        raise StackConfigError(str(exc)) from None
    server = _unwrap(config.get(f"{NAMESPACE}:authorizationServer"))
    names: list[str] = []
    if isinstance(server, dict):
        names = [v for k in ("name", "id") if isinstance(v := server.get(k), str) and v]
    return DetectionStackConfig(zone_gateways=zone_gateways(zones), auth_servers=tuple(sorted(set(names))))


def stack_file(root: Path, stack: str) -> Path:
    return root / f"Pulumi.{stack}.yaml"


__all__ = ["DetectionStackConfig", "StackConfigError", "load_detection_config", "stack_file", "zone_gateways"]
