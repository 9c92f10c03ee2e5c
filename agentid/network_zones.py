"""``agentid:networkZones`` in ``Pulumi.<stack>.yaml``: the one parser of the Okta network zones agent files name.

Two readers need the setting: the deploy (``infra/config.py``, which resolves the zone names in
``access.network_zones`` to this org's zone ids) and the detections (``agentid/detect/stackconfig.py``, which read the
zones' gateways offline, without the Pulumi engine). It lives here, in the Pulumi-free layer below the program (as
``agentid:shard`` does in :mod:`agentid.stack`), so that the detections need not depend on the Pulumi program to read
a stack file. With two parsers the readers had drifted apart: the detections refused the bare-id form the deploy
accepts (``corp-egress: nzo...``) and accepted zones the deploy refuses (no id, a name agent files cannot write), so
``agentid detect --stack`` and ``pulumi up`` disagreed about the same file. ``agentid show`` (the zone ids it
prints per stack) reads the setting here too, through :func:`stack_file_zones`, for the same reason: its own reader
showed a bare-id zone as "not defined in this stack".

The setting maps zone names to ``{id, gateways?}`` (or a bare id)::

    agentid:networkZones:
      finance-batch:
        id: nzo1x2y3z4a5b6c7d8e9       # this org's zone id (Okta ids belong to one org: dev and prod differ)
        gateways: ["203.0.113.0/24"]    # optional: the zone's gateway CIDRs; detections compare source IPs with them

A wrong value is a :class:`NetworkZoneError` whose message starts with the file and key
(``Pulumi.dev.yaml: agentid:networkZones.finance-batch.id ...``); each reader re-raises it as its own error type.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Stack config key (``agentid:networkZones``).
NETWORK_ZONES_KEY = "networkZones"
#: A zone's name as agent files write it (``access.network_zones``; the agent schema holds the same pattern).
ZONE_NAME = re.compile(r"[a-z][a-z0-9-]{0,62}")
#: An Okta network zone id.
ZONE_ID = re.compile(r"nzo[A-Za-z0-9]{5,40}")
_FIELDS = frozenset({"id", "gateways"})
_EXAMPLE = "{finance-batch: {id: nzo1..., gateways: [203.0.113.0/24]}}"


class NetworkZoneError(ValueError):
    """``agentid:networkZones`` is unusable; the message names the stack file, the key and what to write instead."""


@dataclass(frozen=True, slots=True)
class NetworkZone:
    """One Okta network zone of this stack's org, by the name agent files use."""

    name: str
    id: str
    #: the zone's gateway CIDRs as the stack file writes them (optional; detections compare token requests'
    #: source IPs with them)
    gateways: tuple[str, ...] = ()

    def networks(self) -> tuple[str, ...]:
        """The gateways as networks, host bits cleared, sorted, each once: the form detections match IPs against
        (``203.0.113.7/24`` and ``203.0.113.0/24`` are one network)."""
        return tuple(sorted({str(ipaddress.ip_network(g, strict=False)) for g in self.gateways}))


def parse_network_zones(value: Any, file: str) -> dict[str, NetworkZone]:
    """``agentid:networkZones`` -> zone name -> :class:`NetworkZone`; ``None`` (not set) defines no zones.

    ``file`` is how messages name the stack file (``Pulumi.dev.yaml``, or the path a command was given). A zone's
    gateways are checked before its id, so a bad CIDR is named as such even in a zone whose id is missing too.
    """
    where = f"{file}: agentid:{NETWORK_ZONES_KEY}"
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise NetworkZoneError(
            f"{where} must be a mapping: it must map zone names to {{id, gateways}}, e.g. `{_EXAMPLE}`, not {value!r}"
        )
    zones: dict[str, NetworkZone] = {}
    seen_ids: dict[str, str] = {}
    for name, entry in value.items():
        zone = _parse_zone(name, entry, where)
        if zone.id in seen_ids:
            raise NetworkZoneError(
                f"{where}.{name}.id {zone.id} is also the id of zone {seen_ids[zone.id]}; give each zone its own"
            )
        seen_ids[zone.id] = zone.name
        zones[zone.name] = zone
    return zones


def _parse_zone(name: Any, entry: Any, where: str) -> NetworkZone:
    """One zone: ``{id, gateways?}``, or a bare id standing for ``{id: ...}``."""
    if not isinstance(name, str) or not ZONE_NAME.fullmatch(name):
        raise NetworkZoneError(
            f"{where}: zone name {name!r} must be 1-63 lower-case letters, digits and hyphens, starting with a letter "
            "(the name agent files use in access.network_zones)"
        )
    key = f"{where}.{name}"
    if isinstance(entry, str):
        entry = {"id": entry}
    if not isinstance(entry, Mapping):
        raise NetworkZoneError(f"{key} must be a mapping such as {{id: nzo1..., gateways: [203.0.113.0/24]}}")
    extra = sorted(set(entry) - _FIELDS)
    if extra:
        # A misspelt field (`gateway`) would otherwise be ignored and the zone deployed without it.
        raise NetworkZoneError(f"{key} has unknown field(s) {', '.join(extra)}; allowed: {', '.join(sorted(_FIELDS))}")
    gateways = entry.get("gateways", [])
    if not isinstance(gateways, list) or not all(isinstance(g, str) for g in gateways):
        raise NetworkZoneError(f"{key}.gateways must be a list of CIDRs such as [203.0.113.0/24], not {gateways!r}")
    for gateway in gateways:
        try:
            ipaddress.ip_network(gateway, strict=False)
        except ValueError:
            raise NetworkZoneError(f"{key}.gateways: {gateway!r} is not an IP address or CIDR") from None
    zone_id = entry.get("id")
    if not isinstance(zone_id, str) or not ZONE_ID.fullmatch(zone_id):
        raise NetworkZoneError(
            f"{key}.id must be this org's Okta network zone id (nzo followed by letters and digits; "
            f"Security > Networks in the Admin Console, or GET /api/v1/zones), not {zone_id!r}"
        )
    return NetworkZone(name=name, id=zone_id, gateways=tuple(gateways))


def stack_file_zones(config: Mapping[str, Any], file: str) -> dict[str, NetworkZone]:
    """The zones of a stack file's ``config`` mapping, as the readers that open the file themselves (the detections,
    ``agentid show``, the shared-zone-id check) find them: under ``agentid:networkZones``, written plainly or in
    Pulumi's ``{value: ...}`` form. ``pulumi.Config`` does this lookup for the deploy."""
    value = config.get(f"agentid:{NETWORK_ZONES_KEY}")
    if isinstance(value, Mapping) and set(value) == {"value"}:
        value = value["value"]
    return parse_network_zones(value, file)


__all__ = [
    "NETWORK_ZONES_KEY",
    "ZONE_ID",
    "ZONE_NAME",
    "NetworkZone",
    "NetworkZoneError",
    "parse_network_zones",
    "stack_file_zones",
]
