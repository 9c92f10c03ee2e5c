"""Pulumi SDK mocks for component tests, each test in a fresh context so no runtime state leaks between tests."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from typing import Any

import pulumi
import pytest


class RecordingMocks(pulumi.runtime.Mocks):
    """Echo inputs back as outputs, invent ids and client ids, and remember every resource by logical name."""

    def __init__(self) -> None:
        self.resources: dict[str, pulumi.runtime.MockResourceArgs] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources[args.name] = args
        outputs = dict(args.inputs)
        if args.typ == "okta:app/oAuth:OAuth":
            outputs["clientId"] = f"0oa-{args.name}"
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        raise AssertionError(f"the program must not call provider functions ({args.token})")


class MockedRuntime:
    """A Pulumi runtime with mocks, living in its own contextvars context."""

    def __init__(self, config: dict[str, str]) -> None:
        self.mocks = RecordingMocks()
        self.context = contextvars.copy_context()
        self.context.run(self._configure, config)

    def _configure(self, config: dict[str, str]) -> None:
        from pulumi.runtime import settings
        from pulumi.runtime.config import set_all_config

        settings.ROOT.set(None)
        settings.SETTINGS.outputs = set()
        settings.SETTINGS.lock = threading.Lock()
        set_all_config(config, [])
        pulumi.runtime.set_mocks(self.mocks, project="agentid", stack="dev", preview=False)

    def run(self, test: Callable[[], Any]) -> None:
        """Run ``test`` as a ``@pulumi.runtime.test``: the Output it returns is awaited, so its asserts run."""
        self.context.run(pulumi.runtime.test(test))


DEV_CONFIG = {
    "okta:orgName": "example-dev",
    "okta:baseUrl": "okta.com",
    "agentid:authorizationServer": '{"name": "agents-dev", "audience": "api://agents-dev"}',
    "agentid:logStream": '{"type": "aws_eventbridge", "name": "agentid-dev-system-log", "accountId": "123456789012",'
    ' "region": "eu-west-1", "eventSourceName": "agentid_dev_okta"}',
    "agentid:networkZones": '{"finance-batch": {"id": "nzo1testzone0finance1"}}',
}


@pytest.fixture
def runtime() -> MockedRuntime:
    return MockedRuntime(dict(DEV_CONFIG))
