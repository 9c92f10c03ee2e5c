"""What the provider or Okta refuses, refused already by the schemas with file:line and a fix."""

from __future__ import annotations

import pytest

from agentid.cli.main import main
from tests.conftest import FIXTURES

HERE = FIXTURES / "conformance"


@pytest.fixture(autouse=True)
def _at_fixture_repo(monkeypatch):
    monkeypatch.chdir(HERE / "repo")


def test_catalog_scope_in_okta_namespace_fails_validate_with_file_and_line(capsys):
    """Okta reserves okta.* for its own scopes (support.okta.com, add-okta-reserved-scopes-to-custom-authorization-
    server): a custom scope named okta.anything would be refused when the server's scopes are created."""
    code = main(["validate", "--catalog", str(HERE / "okta-scope-catalog" / "catalog.yaml")])
    err = capsys.readouterr().err
    assert code != 0, err
    assert "okta-scope-catalog/catalog.yaml:10:3" in err, err
    assert "`okta.anything`" in err and "reserves" in err and "okta_api_scopes" in err, err


def test_resource_okta_app_oauth_go_jwks_drops_crv_so_only_p256_is_allowed(capsys):
    """resource_okta_app_oauth.go:1220-1235 (okta/terraform-provider-okta@e59c130b) sends kid, kty, x, y of an EC
    key and no crv; P-256 is the one curve the provider's tests exercise."""
    code = main(["validate", "--agents", str(HERE / "p384-agent" / "agents")])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "expense-auditor.yaml:17:12" in out and "must be P-256" in out and "RSA key" in out, out


def test_fixture_repo_with_zone_names_validates(capsys):
    assert main(["validate"]) == 0, capsys.readouterr()


#: The one EC key the provider's own acceptance test deploys: okta/terraform-provider-okta@e59c130b
#: examples/resources/okta_app_oauth/service_with_jwks.tf:23-28 (documented there as crv P-256, :31-40) and checked by
#: okta/services/idaas/resource_okta_app_oauth_test.go:337-340.
PROVIDER_TEST_EC_KEY = (
    "{kty: EC, kid: SIGNING_KEY_EC, crv: P-256, x: K37X78mXJHHldZYMzrwipjKR-YZUS2SMye0KindHp6I, "
    "y: 8IfvsvXWzbFWOZoVOMwgF5p46mUj3kbOVf9Fk0vVVHo}"
)


def test_resource_okta_app_oauth_go_the_providers_own_p256_test_key_is_accepted():
    from agentid.registry import load_agent_bytes

    text = (HERE / "p384-agent" / "agents" / "expense-auditor.yaml").read_text(encoding="utf-8")
    start, end = text.index("    - kty: EC"), text.index("access:")
    patched = text[:start] + f"    - {PROVIDER_TEST_EC_KEY}\n" + text[end:]
    agent, findings = load_agent_bytes(patched.encode(), "agents/expense-auditor.yaml", expected_name="expense-auditor")
    assert agent is not None and not findings, [f.message for f in findings]
    [key] = agent.credentials.keys
    assert (key.kty, key.crv) == ("EC", "P-256")
