"""The emulator cannot drift from the real API: every body it serves in the scenarios is validated against the
schemas of Okta's published OpenAPI specification (tests/fixtures/okta/README.md names the version and commit)."""

from __future__ import annotations

import json

import jsonschema
import pytest

from agentid.okta.client import OktaClient
from agentid.okta.connection import Credentials, PrivateKey
from agentid.okta.errors import OktaError
from tests.conftest import FIXTURES
from tests.okta import emulator as e
from tests.okta.conftest import READ_SCOPES, READER_ID, SERVER_ID, add_shadow_app

SCHEMAS = json.loads((FIXTURES / "okta" / "openapi-schemas.json").read_text())


def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = {"$defs": SCHEMAS["$defs"], "$ref": f"#/$defs/{name}"}
    return jsonschema.Draft202012Validator(schema)


def check(name: str, items: list) -> None:
    assert items, f"no {name} served"
    v = validator(name)
    for item in items:
        errors = sorted(v.iter_errors(item), key=lambda err: list(err.path))
        assert not errors, f"{name} {item.get('id')}: " + "; ".join(f"{list(x.path)}: {x.message}" for x in errors[:5])


@pytest.fixture
def client(org, reader_key, org_state):
    add_shadow_app(org_state)
    org_state.logs.append(e.token_event("0oa1", "agentid:finance-reconciler", "2026-11-30T01:00:00.000Z"))
    org_state.integrations.append(
        e.api_service_integration("0oa0integration00001", "Acme Log Sync", "0oa0acmelogsync0001", ["okta.logs.read"])
    )
    key = PrivateKey(reader_key.as_pem(private=True).decode())
    return OktaClient(org.url, Credentials(READER_ID, key, scopes=tuple(READ_SCOPES)))


def test_the_schemas_are_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMAS)


def test_every_served_object_matches_okta_s_schemas(client, org_state):
    apps = client.list_apps()
    check("OpenIdConnectApplication", apps)
    check("OAuth2ScopeConsentGrant", [g for a in apps for g in client.list_app_grants(a["id"])])
    check(
        "StandardRole",
        [r for a in apps for r in client.list_client_roles(a["credentials"]["oauthClient"]["client_id"])],
    )
    check("AuthorizationServer", client.list_authorization_servers())
    policies = client.list_policies(SERVER_ID)
    check("AuthorizationServerPolicy", policies)
    check("AuthorizationServerPolicyRule", [r for p in policies for r in client.list_rules(SERVER_ID, p["id"])])
    check("LogEvent", [ev for page in client.log_pages(since="2026-11-01T00:00:00Z") for ev in page])
    check("APIServiceIntegrationInstance", client.list_api_service_integrations())


def test_error_bodies_match_okta_s_error_schema(client, org_state):
    org_state.failures["/api/v1/authorizationServers"] = (403, e.error("E0000006", "You do not have permission"))
    with pytest.raises(OktaError):
        client.list_authorization_servers()
    check(
        "Error",
        [e.error("E0000006", "You do not have permission"), e.error("E0000047", "API call exceeded rate limit")],
    )


def test_the_schemas_catch_a_wrong_shape():
    """The validation has teeth: a rule whose lifetime is a string, an app with an unknown status, fail."""
    bad_rule = e.rule("0pr1", "r", ["a"], 5)
    bad_rule["actions"]["token"]["accessTokenLifetimeMinutes"] = "5"
    assert list(validator("AuthorizationServerPolicyRule").iter_errors(bad_rule))
    bad_app = e.service_app("0oa1", "x", status="PAUSED")
    assert list(validator("OpenIdConnectApplication").iter_errors(bad_app))
