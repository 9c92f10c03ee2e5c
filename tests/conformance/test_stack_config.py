"""The stack config check (infra/config.py) accepts exactly what pulumi-okta 7.0.1 accepts for the log stream, and
resolves network zone names per stack."""

from __future__ import annotations

import pytest

from infra.config import ConfigError, check_splunk_token, parse_network_zones, parse_stack_config

OKTA = {"orgName": "example-dev", "baseUrl": "okta.com"}
SERVER = {"name": "agents-dev", "audience": "api://agents-dev"}


def eventbridge(source: str) -> dict[str, str]:
    return {
        "type": "aws_eventbridge",
        "name": "agentid-dev-system-log",
        "accountId": "123456789012",
        "region": "eu-west-1",
        "eventSourceName": source,
    }


def splunk(host: str) -> dict[str, str]:
    return {"type": "splunk_cloud_logstreaming", "name": "agentid-dev-splunk", "host": host, "edition": "aws"}


def parse(**agentid):
    return parse_stack_config("dev", OKTA, {"authorizationServer": SERVER, **agentid})


def test_resource_log_stream_go_event_source_name_hyphen_refused_with_a_fix():
    with pytest.raises(ConfigError) as refused:
        parse(logStream=eventbridge("agentid-dev-okta"))
    message = str(refused.value)
    assert message.startswith("Pulumi.dev.yaml: agentid:logStream.eventSourceName"), message
    assert "no hyphen" in message and "'agentid_dev_okta'" in message, "the message suggests the fixed name"
    assert "resource_okta_log_stream.go:38" in message, "the message cites the provider's validator"


# Go reads `[\\.\\-_A-Za-z0-9]` as \ . and the range \.._ (\ ] ^ _) plus letters and digits (test_goregex.py).
@pytest.mark.parametrize("source", ["agentid_dev_okta", "agentid.dev.okta", "A" * 75, "agentid^dev", "x]y", "a\\b"])
def test_resource_log_stream_go_event_source_name_accepted(source):
    assert parse(logStream=eventbridge(source)).log_stream.event_source_name == source


@pytest.mark.parametrize("source", ["a" * 76, "agentid[dev", "agentid dev", "agentid/dev", "agentid_dev\n", "-"])
def test_resource_log_stream_go_event_source_name_refused(source):
    with pytest.raises(ConfigError, match=r"eventSourceName must be 1-75 letters"):
        parse(logStream=eventbridge(source))


@pytest.mark.parametrize(
    "host", ["acme.splunkcloud.com", "acme-corp.splunkcloud.gc.com", "acme.splunkcloud.fed.com", "acme.splunkcloud.mil"]
)
def test_resource_log_stream_go_splunk_host_accepted(host):
    assert parse(logStream=splunk(host)).log_stream.host == host


@pytest.mark.parametrize(
    "host", ["splunk.acme.example", "ACME.splunkcloud.com", "http-inputs-acme.splunkcloud.com.evil", "acme.splunkcloud"]
)
def test_resource_log_stream_go_splunk_host_refused(host):
    with pytest.raises(ConfigError, match=r"host must be a Splunk Cloud host"):
        parse(logStream=splunk(host))


def test_resource_log_stream_go_splunk_token_refused_without_echoing_it():
    assert check_splunk_token("d1b4a0e2-6f3c-4b8a-9e21-5c7f0a1b2c3d", "prod")
    assert check_splunk_token("[secret]", "prod") == "[secret]", "offline the token cannot be decrypted"
    with pytest.raises(ConfigError) as refused:
        check_splunk_token("Splunk abc123-not-a-uuid", "prod")
    assert "Pulumi.prod.yaml: agentid:splunkHecToken is not a Splunk HEC token" in str(refused.value)
    assert "abc123" not in str(refused.value), "a secret is never echoed"


def test_network_zones_by_name():
    finance = {"id": "nzo1devzone0finance01", "gateways": ["198.51.100.0/24"]}
    zones = parse_network_zones({"finance-batch": finance, "corp-egress": "nzo1corp0egress0dev1"}, "dev")
    assert zones["finance-batch"].id == "nzo1devzone0finance01"
    assert zones["finance-batch"].gateways == ("198.51.100.0/24",)
    assert zones["corp-egress"].id == "nzo1corp0egress0dev1", "a bare id is accepted as {id: ...}"
    assert parse(logStream=eventbridge("agentid_dev_okta")).network_zones == {}, "none configured: none defined"


@pytest.mark.parametrize(
    ("zones", "message"),
    [
        ({"Finance_Batch": {"id": "nzo1devzone0finance01"}}, r"zone name 'Finance_Batch' must be"),
        ({"finance-batch": {"id": "0oa1notazone00000001"}}, r"finance-batch\.id must be this org's Okta network zone"),
        ({"finance-batch": {"id": "nzo1devzone0finance01", "gateway": []}}, r"unknown field\(s\) gateway"),
        ({"finance-batch": {"id": "nzo1devzone0finance01", "gateways": ["10.0.0.0/33"]}}, r"not an IP address or CIDR"),
        ({"a": {"id": "nzo1devzone0finance01"}, "b": {"id": "nzo1devzone0finance01"}}, r"also the id of zone a"),
        (["finance-batch"], r"agentid:networkZones must be a mapping"),
    ],
)  # fmt: skip
def test_network_zones_wrong_values_name_file_and_key(zones, message):
    with pytest.raises(ConfigError, match=message) as refused:
        parse_network_zones(zones, "dev")
    assert str(refused.value).startswith("Pulumi.dev.yaml: agentid:networkZones")
