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
