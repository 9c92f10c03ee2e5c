"""Load the hand-built resource fixtures (tests/fixtures/policies_resources/cases.yaml) as PlannedResources."""

from __future__ import annotations

from functools import cache
from typing import Any

import yaml

from agentid.resources import PlannedResource
from tests.conftest import FIXTURES

CASES_FILE = FIXTURES / "policies_resources" / "cases.yaml"


@cache
def cases() -> dict[str, Any]:
    return yaml.safe_load(CASES_FILE.read_text())


def planned(raw: dict[str, Any]) -> PlannedResource:
    return PlannedResource(
        type=raw["type"], name=raw["name"], inputs=raw.get("inputs", {}), agent=raw.get("agent"), parent=None
    )


def compliant() -> list[PlannedResource]:
    return [planned(raw) for raw in cases()["compliant"]]
