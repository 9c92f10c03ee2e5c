"""``agentid:networkZones`` has one parser (agentid/network_zones.py) and two readers: the deploy (infra/config.py,
fed by ``pulumi.Config``) and the detections (agentid/detect/stackconfig.py, reading the file offline). They must
agree on the same stack file: accept the same zones with the same gateways, and refuse a bad zone with one message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from agentid.detect.stackconfig import StackConfigError, load_detection_config
from agentid.network_zones import stack_file_zones
from infra.config import ConfigError, StackConfig, parse_stack_config
from tests.conftest import FIXTURES

ZONE_STACKS = FIXTURES / "stacks" / "network-zones"
VALID = ZONE_STACKS / "Pulumi.zones-valid.yaml"
INVALID = ZONE_STACKS / "Pulumi.zones-invalid.yaml"


def deploy_reading(path: Path) -> StackConfig:
    """The file as the Pulumi program reads it: ``pulumi.Config`` hands it each namespace's keys without the prefix."""
    namespaces: dict[str, dict[str, Any]] = {"okta": {}, "agentid": {}}
    for key, value in yaml.safe_load(path.read_text(encoding="utf-8"))["config"].items():
        namespace, _, name = key.partition(":")
        namespaces[namespace][name] = value
    stack = path.name.removeprefix("Pulumi.").removesuffix(".yaml")
    return parse_stack_config(stack, namespaces["okta"], namespaces["agentid"])


def test_both_readers_accept_a_valid_zone_alike():
    deployed = deploy_reading(VALID).network_zones
    detected = load_detection_config(VALID).zone_gateways
    assert {name: zone.id for name, zone in deployed.items()} == {
        "finance-batch": "nzo1pr6j3n8p2x5y7z4v",
        "corp-egress": "nzo1corp0egress0zone1",
    }
    # the detections find each zone by its name and by its id, with the deploy's gateways as networks
    assert detected == {key: zone.networks() for zone in deployed.values() for key in (zone.name, zone.id)}
    assert detected["finance-batch"] == ("2001:db8::/32", "203.0.113.0/24")
    assert detected["corp-egress"] == (), "a bare id declares no gateways"


def test_both_readers_refuse_an_invalid_zone_with_the_same_message():
    with pytest.raises(ConfigError) as deployed:
        deploy_reading(INVALID)
    with pytest.raises(StackConfigError) as detected:
        load_detection_config(INVALID)
    message = str(deployed.value)
    assert message.startswith(
        "Pulumi.zones-invalid.yaml: agentid:networkZones.office.id must be this org's Okta network zone id"
    ), message
    assert message.endswith("not '0oa1notazone00000001'"), message
    # the same words; the detections name the file by the path they were given
    assert str(detected.value) == message.replace(INVALID.name, str(INVALID), 1)


def test_readers_of_the_file_find_the_setting_plainly_or_in_pulumis_value_form():
    """stack_file_zones: the lookup the file's own readers (detections, `agentid show`, shared zone ids) share."""
    zones = {"corp-egress": "nzo1corp0egress0zone1"}
    plain = stack_file_zones({"agentid:networkZones": zones}, VALID.name)
    assert plain == stack_file_zones({"agentid:networkZones": {"value": zones}}, VALID.name)
    assert {name: zone.id for name, zone in plain.items()} == zones
    assert stack_file_zones({}, VALID.name) == {}, "not set: no zones"
