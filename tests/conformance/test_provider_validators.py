"""One test per ported provider rule: an input pulumi-okta 7.0.1 refuses, and the finding it must produce.

Each case's id is the check's id, which names the provider file it cites
(okta/terraform-provider-okta@e59c130b okta/services/idaas/<file>); the refused values are taken from the provider's
own validators and error messages in those files, not from our generator. A baseline per resource type (shaped like
the program's real inputs, camelCase as the engine hands them over) must pass every check, so each case fails for
its one mutation only.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from agentid.conformance import okta as provider
from agentid.conformance.okta import CHECKS, check_resource

RSA_N = "3m2K9ldjGAGLBrOoLw3mxCubF02qBTmfGXUwEfAitmNP-VEAuq7lnByoz1YAcIiWnlZ01jt6ETNUJFy2N8YXl97Mxq_8qbPbhxZOsCseUz3n"

VALID: dict[str, dict[str, Any]] = {
    provider.LOG_STREAM: {
        "name": "agentid-dev-system-log",
        "type": "aws_eventbridge",
        "status": "ACTIVE",
        "settings": {"accountId": "123456789012", "eventSourceName": "agentid_dev_okta", "region": "eu-west-1"},
    },
    provider.OAUTH_APP: {
        "label": "agentid:finance-reconciler",
        "type": "service",
        "grantTypes": ["client_credentials"],
        "responseTypes": ["token"],
        "tokenEndpointAuthMethod": "private_key_jwt",
        "jwks": [{"kid": "finance-reconciler-2026-11", "kty": "RSA", "e": "AQAB", "n": RSA_N}],
        "omitSecret": True,
        "skipAuthenticationPolicy": True,
        "status": "ACTIVE",
        "network": {"connection": "ZONE", "includes": ["nzo1devzone0finance01"]},
    },
    provider.AUTH_SERVER: {"name": "agents-dev", "audiences": ["api://agents-dev"], "description": "agents"},
    provider.SERVER_SCOPE: {
        "name": "finance.ledger.read",
        "authServerId": "aus1agents",
        "consent": "IMPLICIT",
        "metadataPublish": "NO_CLIENTS",
    },
    provider.SERVER_POLICY: {
        "name": "finance-reconciler",
        "authServerId": "aus1agents",
        "description": "Access for finance-reconciler",
        "priority": 1,
        "clientWhitelists": ["0oa1finance"],
    },
    provider.POLICY_RULE: {
        "name": "finance-reconciler client credentials",
        "authServerId": "aus1agents",
        "policyId": "00p1finance",
        "priority": 1,
        "grantTypeWhitelists": ["client_credentials"],
        "scopeWhitelists": ["finance.ledger.read"],
        "accessTokenLifetimeMinutes": 5,
    },
    provider.API_SCOPE: {
        "appId": "0oa1auditor",
        "issuer": "https://example-dev.okta.com",
        "scopes": ["okta.users.read"],
    },
    provider.ROLE_ASSIGNMENT: {"clientId": "0oa1auditor", "type": "READ_ONLY_ADMIN"},
}

SPLUNK = {
    "name": "agentid-prod-splunk",
    "type": "splunk_cloud_logstreaming",
    "settings": {"edition": "aws", "host": "acme.splunkcloud.com", "token": "[secret]"},
}


def _set(inputs: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(inputs)
    *parents, last = path.split(".")
    holder = changed
    for key in parents:
        holder = holder[key]
    if value is _DROP:
        holder.pop(last, None)
    else:
        holder[last] = value
    return changed


_DROP = object()
LS, APP, SRV, SCOPE = provider.LOG_STREAM, provider.OAUTH_APP, provider.AUTH_SERVER, provider.SERVER_SCOPE
POL, RULE, API, ROLE = provider.SERVER_POLICY, provider.POLICY_RULE, provider.API_SCOPE, provider.ROLE_ASSIGNMENT

#: check id -> (resource type, inputs the provider refuses). Every check in CHECKS has one (see the last test).
REFUSED: dict[str, tuple[str, dict[str, Any]]] = {
    # resource_okta_log_stream.go
    "resource_okta_log_stream.go:name:required": (LS, _set(VALID[LS], "name", _DROP)),
    "resource_okta_log_stream.go:type:required": (LS, _set(VALID[LS], "type", _DROP)),
    "resource_okta_log_stream.go:type:one-of": (LS, _set(VALID[LS], "type", "datadog")),
    "resource_okta_log_stream.go:status:one-of": (LS, _set(VALID[LS], "status", "ENABLED")),
    "resource_okta_log_stream.go:settings.accountId:length": (LS, _set(VALID[LS], "settings.accountId", "12345678901")),
    "resource_okta_log_stream.go:settings.eventSourceName:regex": (
        LS,
        _set(VALID[LS], "settings.eventSourceName", "agentid-dev-okta"),
    ),
    "resource_okta_log_stream.go:settings.edition:one-of": (LS, _set(SPLUNK, "settings.edition", "azure")),
    "resource_okta_log_stream.go:settings.host:regex": (LS, _set(SPLUNK, "settings.host", "splunk.acme.example")),
    "resource_okta_log_stream.go:settings.token:regex": (LS, _set(SPLUNK, "settings.token", "not-a-hec-token")),
    "resource_okta_log_stream.go:settings:eventbridge": (LS, _set(VALID[LS], "settings.region", _DROP)),
    "resource_okta_log_stream.go:settings:splunk": (LS, _set(SPLUNK, "settings.token", _DROP)),
    # app.go / resource_okta_app_oauth.go
    "app.go:label:required": (APP, _set(VALID[APP], "label", _DROP)),
    "resource_okta_app_oauth.go:type:required": (APP, _set(VALID[APP], "type", _DROP)),
    "resource_okta_app_oauth.go:responseTypes:one-of": (APP, _set(VALID[APP], "responseTypes", ["token", "device"])),
    "resource_okta_app_oauth.go:grantTypes:service": (APP, _set(VALID[APP], "grantTypes", ["authorization_code"])),
    "resource_okta_app_oauth.go:jwks:private-key-jwt": (APP, _set(VALID[APP], "jwks", _DROP)),
    "resource_okta_app_oauth.go:jwks:members": (APP, _set(VALID[APP], "jwks", [{"kid": "k1", "kty": "OKP", "x": "a"}])),
    "resource_okta_app_oauth.go:network:connection": (APP, _set(VALID[APP], "network.connection", "ZONES")),
    "resource_okta_app_oauth.go:skipAuthenticationPolicy:conflicts": (
        APP,
        _set(VALID[APP], "authenticationPolicy", "rst1signon"),
    ),
    "resource_okta_app_oauth.go:skipAuthenticationPolicy:service-update": (
        APP,
        _set(VALID[APP], "skipAuthenticationPolicy", _DROP),
    ),
    # resource_okta_auth_server.go
    "resource_okta_auth_server.go:audiences:required": (SRV, _set(VALID[SRV], "audiences", _DROP)),
    "resource_okta_auth_server.go:name:required": (SRV, _set(VALID[SRV], "name", _DROP)),
    "resource_okta_auth_server.go:audiences:single": (SRV, _set(VALID[SRV], "audiences", ["api://a", "api://b"])),
    # resource_okta_auth_server_scope.go (+ Okta's reserved okta.* namespace)
    "resource_okta_auth_server_scope.go:name:required": (SCOPE, _set(VALID[SCOPE], "name", _DROP)),
    "resource_okta_auth_server_scope.go:authServerId:required": (SCOPE, _set(VALID[SCOPE], "authServerId", _DROP)),
    "resource_okta_auth_server_scope.go:consent:one-of": (SCOPE, _set(VALID[SCOPE], "consent", "ALWAYS")),
    "resource_okta_auth_server_scope.go:metadataPublish:one-of": (SCOPE, _set(VALID[SCOPE], "metadataPublish", "ALL")),
    "resource_okta_auth_server_scope.go:name:okta-namespace": (SCOPE, _set(VALID[SCOPE], "name", "okta.anything")),
    # resource_okta_auth_server_policy.go
    "resource_okta_auth_server_policy.go:name:required": (POL, _set(VALID[POL], "name", _DROP)),
    "resource_okta_auth_server_policy.go:authServerId:required": (POL, _set(VALID[POL], "authServerId", _DROP)),
    "resource_okta_auth_server_policy.go:priority:required": (POL, _set(VALID[POL], "priority", _DROP)),
    "resource_okta_auth_server_policy.go:description:required": (POL, _set(VALID[POL], "description", _DROP)),
    "resource_okta_auth_server_policy.go:clientWhitelists:required": (POL, _set(VALID[POL], "clientWhitelists", _DROP)),
    "resource_okta_auth_server_policy.go:status:create-active": (POL, _set(VALID[POL], "status", "INACTIVE")),
    # resource_okta_auth_server_policy_rule.go
    "resource_okta_auth_server_policy_rule.go:name:required": (RULE, _set(VALID[RULE], "name", _DROP)),
    "resource_okta_auth_server_policy_rule.go:authServerId:required": (RULE, _set(VALID[RULE], "authServerId", _DROP)),
    "resource_okta_auth_server_policy_rule.go:policyId:required": (RULE, _set(VALID[RULE], "policyId", _DROP)),
    "resource_okta_auth_server_policy_rule.go:priority:required": (RULE, _set(VALID[RULE], "priority", _DROP)),
    "resource_okta_auth_server_policy_rule.go:grantTypeWhitelists:required": (
        RULE,
        _set(VALID[RULE], "grantTypeWhitelists", _DROP),
    ),
    "resource_okta_auth_server_policy_rule.go:accessTokenLifetimeMinutes:range": (
        RULE,
        _set(VALID[RULE], "accessTokenLifetimeMinutes", 1441),
    ),
    "resource_okta_auth_server_policy_rule.go:grantTypeWhitelists:implicit": (
        RULE,
        _set(VALID[RULE], "grantTypeWhitelists", ["implicit"]),
    ),
    "resource_okta_auth_server_policy_rule.go:refreshTokenLifetimeMinutes:order": (
        RULE,
        {**VALID[RULE], "accessTokenLifetimeMinutes": 30, "refreshTokenLifetimeMinutes": 10},
    ),
    # resource_okta_app_oauth_api_scope.go
    "resource_okta_app_oauth_api_scope.go:appId:required": (API, _set(VALID[API], "appId", _DROP)),
    "resource_okta_app_oauth_api_scope.go:issuer:required": (API, _set(VALID[API], "issuer", _DROP)),
    "resource_okta_app_oauth_api_scope.go:scopes:required": (API, _set(VALID[API], "scopes", _DROP)),
    # resource_okta_app_oauth_role_assignment.go
    "resource_okta_app_oauth_role_assignment.go:clientId:required": (ROLE, _set(VALID[ROLE], "clientId", _DROP)),
    "resource_okta_app_oauth_role_assignment.go:type:required": (ROLE, _set(VALID[ROLE], "type", _DROP)),
    "resource_okta_app_oauth_role_assignment.go:type:custom": (ROLE, _set(VALID[ROLE], "type", "CUSTOM")),
}


@pytest.mark.parametrize("resource_type", sorted(VALID))
def test_the_programs_shape_of_each_type_passes_every_check(resource_type):
    found = [v.message for v in check_resource(resource_type, "baseline", VALID[resource_type])]
    assert found == []


def test_a_splunk_stream_with_a_cloud_host_and_masked_token_passes():
    assert [v.message for v in check_resource(LS, "okta-system-log", SPLUNK)] == []


@pytest.mark.parametrize("check_id", sorted(REFUSED))
def test_provider_rule_refuses(check_id):
    resource_type, inputs = REFUSED[check_id]
    found = {v.check.id: v for v in check_resource(resource_type, "refused-example", inputs)}
    assert set(found) == {check_id}, f"{check_id}: findings {sorted(found)}"
    violation = found[check_id]
    assert "refused-example" in violation.message and resource_type in violation.message
    assert check_id.split(":")[0] in str(violation.check.source) or violation.check.source.file.startswith("https://")


def test_every_ported_check_has_a_refused_case_and_cites_its_source():
    assert {c.id for c in CHECKS} == set(REFUSED), sorted({c.id for c in CHECKS} ^ set(REFUSED))
    for check in CHECKS:
        cited = str(check.source)
        assert cited.startswith("https://") or (
            provider.PROVIDER_COMMIT[:8] in cited and f":{check.source.line}" in cited
        )


# The named cases the issue asks for, one per ported regex (the parametrised cases above cover every check).


def test_resource_log_stream_go_event_source_name_refuses_hyphen():
    refused = list(check_resource(LS, "okta-system-log", _set(VALID[LS], "settings.eventSourceName", "agentid-dev")))
    assert [v.check.id for v in refused] == ["resource_okta_log_stream.go:settings.eventSourceName:regex"]
    assert "resource_okta_log_stream.go:38" in refused[0].message


@pytest.mark.parametrize(
    "name", ["agentid_dev_okta", "agentid.dev.okta", "a" * 75, "agentid^dev", "x]y", "back\\slash"]
)
def test_resource_log_stream_go_event_source_name_accepts_what_go_accepts(name):
    assert list(check_resource(LS, "s", _set(VALID[LS], "settings.eventSourceName", name))) == []


@pytest.mark.parametrize("name", ["a" * 76, "agentid[dev", "", "agentid dev", "agentid_dev\n"])
def test_resource_log_stream_go_event_source_name_refuses_what_go_refuses(name):
    refused = list(check_resource(LS, "s", _set(VALID[LS], "settings.eventSourceName", name)))
    assert refused, f"{name!r} passed"


@pytest.mark.parametrize(
    "host",
    ["acme.splunkcloud.com", "acme-corp.splunkcloud.com", "acme.splunkcloud.gc.com", "acme.splunkcloud.fed.com",
     "acme.splunkcloud.mil"],
)  # fmt: skip
def test_resource_log_stream_go_splunk_host_accepts_splunk_cloud_forms(host):
    assert list(check_resource(LS, "s", _set(SPLUNK, "settings.host", host))) == []


@pytest.mark.parametrize(
    "host",
    ["https://acme.splunkcloud.com", "Acme.splunkcloud.com", "acme.splunkcloud.org", "eu.acme.splunkcloud.com",
     "acme.splunkcloudgc.com", "acme-.splunkcloud.com", "acme.splunkcloud.com:8088"],
)  # fmt: skip
def test_resource_log_stream_go_splunk_host_refuses(host):
    assert list(check_resource(LS, "s", _set(SPLUNK, "settings.host", host))), host


def test_resource_log_stream_go_splunk_token_wants_a_uuid():
    good = "D1B4A0E2-6F3C-4B8A-9E21-5C7F0A1B2C3D"  # version 4, variant 9: upper case is fine ((?i))
    assert list(check_resource(LS, "s", _set(SPLUNK, "settings.token", good))) == []
    for bad in ("d1b4a0e2-6f3c-6b8a-9e21-5c7f0a1b2c3d", "d1b4a0e2-6f3c-4b8a-7e21-5c7f0a1b2c3d", "d1b4a0e26f3c4b8a"):
        assert list(check_resource(LS, "s", _set(SPLUNK, "settings.token", bad))), bad


# Outside fixture: the values the provider's own acceptance tests and examples deploy with
# (okta/terraform-provider-okta@e59c130b examples/resources/okta_log_stream/basic.tf:8,17,19 and resource.tf:9).
PROVIDER_ACCEPTANCE_EVENT_SOURCE = "testAcc_replace_with_uuid"
PROVIDER_EXAMPLE_EVENT_SOURCE = "okta_log_stream"
PROVIDER_ACCEPTANCE_HOST = "acme.splunkcloud.com"
PROVIDER_ACCEPTANCE_TOKEN = "58A7C8D6-4E2F-4C3B-8F5B-D4E2F3A4B5C6"


def test_resource_log_stream_go_accepts_the_providers_own_acceptance_test_values():
    for name in (PROVIDER_ACCEPTANCE_EVENT_SOURCE, PROVIDER_EXAMPLE_EVENT_SOURCE):
        assert list(check_resource(LS, "s", _set(VALID[LS], "settings.eventSourceName", name))) == [], name
    splunk = {
        **SPLUNK,
        "settings": {"edition": "aws", "host": PROVIDER_ACCEPTANCE_HOST, "token": PROVIDER_ACCEPTANCE_TOKEN},
    }
    assert list(check_resource(LS, "s", splunk)) == []
