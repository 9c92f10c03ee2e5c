"""The contract issue 2 fixes: the schema's dialect and strictness, the catalog's required entries, the samples.

These are the promises other tools (editors, checkov, the Pulumi program) and reviewers rely on; each assertion says
which promise broke.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from policies import AGENT_SCHEMA_PATH, CATALOG_SCHEMA_PATH
from tests.conftest import CATALOG

#: Keywords whose subschemas constrain the object they sit in (they do not describe a new object).
_CONDITIONS = ("if", "then", "else", "oneOf", "anyOf", "allOf", "not")


def _object_schemas(schema: Any, path: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every subschema that describes an object of its own (conditions on an enclosing object excluded)."""
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "object":
        yield path, schema
    for key, value in schema.items():
        if key in _CONDITIONS:
            continue
        if key in ("properties", "$defs", "patternProperties"):
            for name, child in value.items():
                yield from _object_schemas(child, f"{path}/{key}/{name}")
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            yield from _object_schemas(value, f"{path}/{key}")


@pytest.mark.parametrize("schema_path", [AGENT_SCHEMA_PATH, CATALOG_SCHEMA_PATH], ids=lambda p: p.name)
def test_schema_is_draft_2020_12_and_closed_everywhere(schema_path):
    schema = json.loads(schema_path.read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema", f"{schema_path.name}: dialect"
    Draft202012Validator.check_schema(schema)
    objects = list(_object_schemas(schema))
    assert len(objects) >= 2, f"{schema_path.name}: found only {[p for p, _ in objects]}"
    # Closed: no unknown key. A map keyed by name (the catalog's scopes) constrains its keys with `propertyNames` and
    # its values with an `additionalProperties` schema, which is itself walked and must be closed.
    open_objects = [
        path
        for path, sub in objects
        if sub.get("additionalProperties") is not False
        and not (isinstance(sub.get("additionalProperties"), dict) and "propertyNames" in sub)
    ]
    assert not open_objects, f"{schema_path.name}: objects accepting unknown keys: {open_objects}"


def test_every_object_in_the_agent_schema_is_checked():
    """The walk above reaches the nested objects (lifecycle, keys, scopes, plugins, waivers), not just the top."""
    paths = {path for path, _ in _object_schemas(json.loads(AGENT_SCHEMA_PATH.read_text()))}
    for expected in (
        "#",
        "#/properties/lifecycle",
        "#/properties/credentials",
        "#/properties/access/properties/scopes/items",
        "#/properties/plugins/items",
        "#/properties/plugins/items/properties/credentials",
        "#/properties/profile",
        "#/properties/waivers/items",
        "#/$defs/jwk",
    ):
        assert expected in paths, f"{expected} is not checked for additionalProperties: false"


REQUIRED_SCOPES = {
    "transcripts.read": ("collaboration", "internal"),
    "calendar.read": ("calendar", "internal"),
    "tickets.read": ("support", "internal"),
    "tickets.write": ("support", "internal"),
    "crm.accounts.read": ("sales", "confidential"),
    "finance.ledger.read": ("finance", "restricted"),
    "hr.records.read": ("hr", "restricted"),
}
REQUIRED_PURPOSES = {
    "summarization": {"collaboration", "calendar"},
    "reconciliation": {"finance"},
    "onboarding": {"hr", "calendar"},
    "support-triage": {"support", "sales"},
}


def test_catalog_holds_the_required_scopes_and_purposes(sample_registry):
    catalog = sample_registry.catalog
    assert catalog.file == "policies/catalog.yaml" and CATALOG.is_file()
    for name, (domain, sensitivity) in REQUIRED_SCOPES.items():
        scope = catalog.scope(name)
        assert scope is not None, f"catalog: scope {name} is missing"
        assert (scope.domain, scope.sensitivity.value) == (domain, sensitivity), f"catalog: scope {name}"
    for name, domains in REQUIRED_PURPOSES.items():
        assert name in catalog.purposes, f"catalog: purpose {name} is missing"
        assert domains <= catalog.purposes[name].domains, f"catalog: purpose {name} lacks {domains}"
    for name in ("incident-response", "identity-audit"):
        assert catalog.purposes.get(name) and catalog.purposes[name].domains, f"catalog: purpose {name}"


def test_sample_agents_cover_what_the_issue_lists(sample_registry, today):
    summarizer = sample_registry.get("meeting-summarizer")
    assert [p.name for p in summarizer.plugins] == ["calendar"], "meeting-summarizer has its calendar plugin"
    finance = sample_registry.get("finance-reconciler")
    sensitivities = {sample_registry.catalog.scope(s).sensitivity.value for s in finance.access.scope_names}
    assert "restricted" in sensitivities, "finance-reconciler works with restricted data"
    assert finance.access.token_lifetime_minutes <= 10, "finance-reconciler has short tokens"
    responder = sample_registry.get("incident-responder")
    assert responder.lifecycle.kind.value == "ephemeral" and responder.lifecycle.expires is not None
    auditor = sample_registry.get("okta-user-auditor")
    # Okta management access on a plugin of its own (rule okta-management-separate-identity), not beside custom scopes
    reader = next(p for p in auditor.plugins if p.name == "directory-reader")
    assert "okta.users.read" in reader.okta_api_scopes, "okta-user-auditor's directory-reader holds okta.users.read"
    assert not reader.scopes and not auditor.access.okta_api_scopes, "no identity mixes custom and Okta scopes"
    for name in ("hr-onboarding-assistant", "support-triage"):
        assert sample_registry.get(name) is not None, f"sample agent {name} is missing"
