"""Plans of the sample registry, built once per session (the mock engine costs a few ms per resource)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from agentid.plan import Plan, build_plan
from tests.conftest import STACKS, TODAY

#: The day after incident-responder's `expires: 2026-12-20`: it must be deployed INACTIVE.
AFTER_INCIDENT_EXPIRY = dt.date(2026, 12, 21)


@pytest.fixture(scope="session")
def dev_plan(sample_registry) -> Plan:
    return build_plan(sample_registry, "dev", today=TODAY, root=STACKS)


@pytest.fixture(scope="session")
def prod_plan(sample_registry) -> Plan:
    return build_plan(sample_registry, "prod", today=TODAY, root=STACKS)


def make_stack_root(tmp_path: Path, stack: str, stack_yaml: str) -> Path:
    """A throwaway project root holding the real Pulumi.yaml and one stack file written by the test."""
    shutil.copy(STACKS / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / f"Pulumi.{stack}.yaml").write_text(stack_yaml, encoding="utf-8")
    return tmp_path


EVENTBRIDGE_STACK = """\
config:
  okta:orgName: example-test
  okta:baseUrl: oktapreview.com
  agentid:authorizationServer: {name: agents-test, audience: "api://agents-test"}
  agentid:logStream:
    type: aws_eventbridge
    name: agentid-test-system-log
    accountId: "123456789012"
    region: eu-west-1
    eventSourceName: agentid_test_okta
  agentid:networkZones:
    finance-batch: {id: nzo1testzone0finance1}
  agentid:maxTokenLifetimeMinutes: "45"
"""

SPLUNK_STACK = """\
config:
  okta:orgName: example-test
  okta:baseUrl: oktapreview.com
  agentid:authorizationServer: {name: agents-test, audience: "api://agents-test"}
  agentid:logStream:
    type: splunk_cloud_logstreaming
    name: agentid-test-splunk
    host: acme.splunkcloud.com
    edition: aws
  agentid:networkZones:
    finance-batch: {id: nzo1testzone0finance1}
  agentid:splunkHecToken:
    secure: v1:Q2lwaGVydGV4dE5vdEFSZWFsVG9rZW4=
"""
