"""`agentid discover` on the emulated org: managed, shadow, drifted and reader identities; a client secret in use, a
hand-added rule with extra scopes and an undeclared admin role are findings; org values reach the output inert."""

from __future__ import annotations

import json

import pytest

from agentid.cli.main import main
from tests.conftest import TODAY
from tests.okta import emulator as e
from tests.okta.conftest import SERVER_ID, SHADOW_ID, add_shadow_app, client_id_of

FINANCE = "finance-reconciler"
READER_PLUGIN = "okta-user-auditor--directory-reader"


def discover(capsys, *args: str) -> tuple[int, str, str]:
    status = main(["discover", "--today", TODAY.isoformat(), *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def by_label(document: dict) -> dict[str, dict]:
    return {i["label"]: i for i in document["identities"]}


def hand_added_rule(state: e.OrgState) -> None:
    """Someone adds a rule to the finance reconciler's policy in the console, granting one more scope."""
    policy = next(p for p in state.policies[SERVER_ID] if p["name"] == FINANCE)
    state.rules[policy["id"]].append(
        e.rule(
            "0prhandadded0000001", "temporary export", ["finance.ledger.read", "finance.payments.write"], 60, priority=2
        )
    )


def test_a_deployed_org_is_all_managed(org, reader_env, capsys, desired):
    status, out, err = discover(capsys, "--format", "json")
    assert status == 0, err
    document = json.loads(out)
    assert document["summary"] == {"managed": len(desired), "reader": 1}
    assert not document["findings"]
    finance = by_label(document)[f"agentid:{FINANCE}"]
    assert finance["classification"] == "managed" and finance["token_endpoint_auth_method"] == "private_key_jwt"
    (policy,) = finance["policies"]
    assert policy["authorization_server"] == "agents-dev" and policy["rules"][0]["scopes"] == [
        "finance.ledger.read",
        "finance.reconciliation.write",
    ]


def test_shadow_app_with_a_client_secret_and_its_last_token(org, org_state, reader_env, capsys):
    add_shadow_app(org_state, last_token="2026-11-30T02:10:00.000Z")
    status, out, err = discover(capsys, "--format", "json")
    assert status == 1, err
    document = json.loads(out)
    shadow = by_label(document)["Nightly invoice export"]
    assert shadow["classification"] == "shadow" and shadow["client_id"] == SHADOW_ID
    assert shadow["client_secret_in_use"] and shadow["okta_api_scopes"] == ["okta.users.read"]
    assert shadow["last_token"] == "2026-11-30T02:10:00.000Z"
    assert shadow["policies"][0]["rules"][0]["access_token_lifetime_minutes"] == 120
    rules = sorted(f["rule"] for f in document["findings"])
    assert rules == ["live.client-secret", "live.shadow-agent"]


def test_hand_added_rule_and_undeclared_admin_role_are_drift(org, org_state, reader_env, capsys):
    hand_added_rule(org_state)
    org_state.roles[client_id_of(READER_PLUGIN)].append(e.role("APP_ADMIN"))
    status, out, err = discover(capsys, "--format", "json")
    assert status == 1, err
    identities = by_label(json.loads(out))
    finance = identities[f"agentid:{FINANCE}"]
    assert finance["classification"] == "drifted"
    assert any("rule `temporary export`" in d and "finance.payments.write" in d for d in finance["drift"])
    assert any(
        "scope(s) granted in the org but declared by no definition: finance.payments.write" in d
        for d in finance["drift"]
    )
    reader = identities[f"agentid:{READER_PLUGIN}"]
    assert reader["classification"] == "drifted"
    assert reader["drift"] == ["admin role(s) granted in the org but declared by no definition: APP_ADMIN"]


def test_text_and_sarif_reports(org, org_state, reader_env, capsys, desired):
    add_shadow_app(org_state)
    status, out, _ = discover(capsys)
    assert status == 1
    assert "shadow    Nightly invoice export" in out and "[live.shadow-agent]" in out
    assert out.rstrip().splitlines()[-1].startswith(f"{len(desired) + 2} identities that can mint tokens (")
    status, out, _ = discover(capsys, "--format", "sarif")
    sarif = json.loads(out)
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == {"live.shadow-agent", "live.client-secret"}
    assert {r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]} >= {"live.drift", "live.shadow-agent"}


def test_hostile_values_from_the_org_reach_the_terminal_inert(org, org_state, reader_env, capsys):
    hostile = "evil\n::error::forged\x1b[31m"
    org_state.apps.append(e.service_app("0oahostile0000000001", hostile, auth_method="client_secret_post"))
    status, out, _ = discover(capsys)
    assert status == 1
    assert "\x1b" not in out and "\n::error::" not in out
    assert "evil \\::error::forged\\x1b[31m" in out or "evil ::error::forged\\x1b[31m" in out


def test_unreachable_or_refused_org_is_a_usage_error(org, org_state, reader_env, capsys, monkeypatch):
    org_state.failures["/api/v1/authorizationServers"] = (403, e.error("E0000006", "You do not have permission"))
    status, _, err = discover(capsys)
    assert status == 2 and "E0000006" in err and "READ_ONLY_ADMIN" in err
    monkeypatch.setenv("OKTA_ORG_URL", "http://example.okta.com")
    status, _, err = discover(capsys)
    assert status == 2 and "plain http" in err
    assert "PRIVATE KEY" not in err


@pytest.mark.parametrize("missing", ["OKTA_CLIENT_ID", "OKTA_PRIVATE_KEY_FILE"])
def test_missing_credentials_say_what_to_set(org, reader_env, capsys, monkeypatch, missing):
    monkeypatch.delenv(missing)
    status, _, err = discover(capsys)
    assert status == 2 and missing in err


def test_api_service_integration_is_listed_by_its_client(org, org_state, reader_env, capsys):
    org_state.integrations.append(
        e.api_service_integration("0oa0integration00001", "Acme Log Sync", "0oa0acmelogsync0001", ["okta.logs.read"])
    )
    org_state.logs.append(e.token_event("0oa0acmelogsync0001", "Acme Log Sync", "2026-11-29T23:00:00.000Z"))
    status, out, _ = discover(capsys, "--format", "json")
    assert status == 1
    sync = by_label(json.loads(out))["Acme Log Sync"]
    assert (sync["kind"], sync["classification"], sync["client_id"]) == (
        "API service integration",
        "shadow",
        "0oa0acmelogsync0001",
    )
    assert sync["okta_api_scopes"] == ["okta.logs.read"] and sync["last_token"] == "2026-11-29T23:00:00.000Z"


def test_sarif_is_valid_and_inert(org, org_state, reader_env, capsys):
    import jsonschema

    from tests.conftest import FIXTURES

    org_state.apps.append(
        e.service_app("0oahostile0000000001", "evil\n::error::forged\x1b[2J", auth_method="client_secret_post")
    )
    status, out, _ = discover(capsys, "--format", "sarif")
    assert status == 1
    sarif = json.loads(out)
    schema = json.loads((FIXTURES / "policies" / "sarif" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(sarif, schema)
    texts = [r["message"]["text"] for r in sarif["runs"][0]["results"]]
    assert texts and all("\x1b" not in t and "\n" not in t for t in texts), texts
    assert any("evil \\::error::forged\\x1b[2J" in t or "evil ::error::forged\\x1b[2J" in t for t in texts), texts


def test_a_key_file_that_is_not_a_key_is_a_usage_error_naming_the_file_not_its_content(
    org, reader_env, capsys, tmp_path, monkeypatch
):
    bad = tmp_path / "reader.pem"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXNhdXNhZ2U=\n-----END PRIVATE KEY-----\n")
    monkeypatch.setenv("OKTA_PRIVATE_KEY_FILE", str(bad))
    status, out, err = discover(capsys)
    assert status == 2 and f"file {bad}" in err and "not a PEM private key" in err
    assert "c2VjcmV0LXNhdXNhZ2U" not in out + err


def test_the_reader_key_never_reaches_the_output(org, org_state, reader_env, reader_key, capsys):
    add_shadow_app(org_state)
    body = reader_key.as_pem(private=True).decode().splitlines()[1]
    for fmt in ("text", "json", "sarif"):
        _, out, err = discover(capsys, "--format", fmt)
        assert body not in out + err
