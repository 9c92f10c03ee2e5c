"""Stack configuration parsing: every wrong value names the file, the key and the fix."""

from __future__ import annotations

import datetime as dt

import pytest

from infra.config import ConfigError, parse_stack_config

OKTA = {"orgName": "example-dev", "baseUrl": "okta.com"}
SERVER = {"name": "agents-dev", "audience": "api://agents-dev"}
EVENTBRIDGE = {
    "type": "aws_eventbridge",
    "name": "agentid-dev-system-log",
    "accountId": "123456789012",
    "region": "eu-west-1",
    "eventSourceName": "agentid_dev_okta",
}


def parse(**agentid):
    return parse_stack_config("dev", OKTA, {"authorizationServer": SERVER, "logStream": EVENTBRIDGE, **agentid})


def test_a_complete_configuration():
    config = parse(
        maxTokenLifetimeMinutes="30",
        today="2026-12-01",
        detections={"enabled": True, "targetArn": "arn:aws:sns:eu-west-1:123456789012:agentid-dev-detections"},
    )
    assert config.org_url == "https://example-dev.okta.com"
    assert config.authorization_server.name == "agents-dev" and not config.authorization_server.reuses_existing
    assert config.log_stream.is_eventbridge and config.log_stream.account_id == "123456789012"
    assert config.max_token_lifetime_minutes == 30
    assert config.today == dt.date(2026, 12, 1)
    assert config.detections.enabled and config.detections.target_arn.endswith(":agentid-dev-detections")


def test_defaults():
    config = parse()
    assert config.max_token_lifetime_minutes == 60, "default stack maximum"
    assert config.today is None and not config.detections.enabled


def test_splunk_stream():
    config = parse(
        logStream={"type": "splunk_cloud_logstreaming", "name": "s", "host": "acme.splunkcloud.com", "edition": "gcp"}
    )
    assert not config.log_stream.is_eventbridge and config.log_stream.host == "acme.splunkcloud.com"


@pytest.mark.parametrize(
    ("agentid", "message"),
    [
        ({"authorizationServer": None}, r"agentid:authorizationServer is not set"),
        ({"authorizationServer": {"audience": "api://a"}}, r"set `name` \(create a server\) or `id`"),
        ({"authorizationServer": {"id": "default", "audience": "api://a"}}, r"Okta's `default` authorization server"),
        ({"authorizationServer": {"name": "a"}}, r"agentid:authorizationServer\.audience is required"),
        ({"authorizationServer": {**SERVER, "audiences": ["x"]}}, r"unknown field\(s\) audiences"),
        ({"logStream": {**EVENTBRIDGE, "eventSourceName": "has spaces"}}, r"eventSourceName must be"),
        (
            {"logStream": {"type": "splunk_cloud_logstreaming", "name": "s", "host": "https://acme", "edition": "aws"}},
            r"host is a bare domain",
        ),
        (
            {
                "logStream": {
                    "type": "splunk_cloud_logstreaming",
                    "name": "s",
                    "host": "acme.splunkcloud.com",
                    "edition": "azure",
                }
            },
            r"edition must be one of",
        ),
        ({"detections": {"enabled": True}}, r"agentid:detections\.targetArn is required"),
        ({"detections": {"enabled": "yes"}}, r"agentid:detections\.enabled must be true or false"),
        (
            {"detections": {"enabled": True, "targetArn": "arn:aws:lambda:eu-west-1:123456789012:function:alert"}},
            r"targetArn must be the ARN of an SNS topic or SQS queue",
        ),
        ({"maxTokenLifetimeMinutes": "4"}, r"between 5 and 1440"),
        ({"today": "01/12/2026"}, r"agentid:today must be a date"),
    ],
)
def test_wrong_values_name_file_and_key(agentid, message):
    with pytest.raises(ConfigError, match=message) as raised:
        parse(**agentid)
    assert str(raised.value).startswith("Pulumi.dev.yaml:"), str(raised.value)


def test_missing_okta_org_says_how_to_set_it():
    with pytest.raises(ConfigError, match=r"pulumi config set okta:orgName"):
        parse_stack_config("prod", {"baseUrl": "okta.com"}, {"authorizationServer": SERVER, "logStream": EVENTBRIDGE})
