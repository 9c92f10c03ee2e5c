"""scripts/system_log.py, the monthly workflow's export: a private_key_jwt client assertion Okta accepts, and every
page of /api/v1/logs followed through its Link headers (offline: a fake opener stands in for Okta)."""

from __future__ import annotations

import email.message
import importlib.util
import io
import json
import urllib.error
import urllib.parse

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.conftest import REPO, SAMPLE_REPO

spec = importlib.util.spec_from_file_location("system_log", REPO / "scripts" / "system_log.py")
system_log = importlib.util.module_from_spec(spec)
spec.loader.exec_module(system_log)

ORG = "https://example.okta.com"


class _Response(io.BytesIO):
    def __init__(self, body, links=()):
        super().__init__(json.dumps(body).encode())
        self.headers = email.message.Message()
        for link in links:
            self.headers["Link"] = link


def test_the_org_url_comes_from_the_stack_file():
    assert system_log.org_url(SAMPLE_REPO, "prod") == ORG


def test_the_client_assertion_is_an_rs256_jwt_for_the_token_endpoint():
    key = RSAKey.generate_key(2048)
    pem = key.as_pem(private=True).decode()
    token = system_log.client_assertion(ORG, "0oa1logs0reader0app1", pem, "logs-2026-12", now=1_764_547_200)
    decoded = jwt.decode(token, key)
    assert decoded.header == {"alg": "RS256", "kid": "logs-2026-12", "typ": "JWT"}
    claims = decoded.claims
    assert claims["iss"] == claims["sub"] == "0oa1logs0reader0app1"
    assert claims["aud"] == f"{ORG}/oauth2/v1/token" and claims["exp"] - claims["iat"] == 300


def test_the_token_request_asks_only_for_okta_logs_read():
    seen = []

    def opener(request):
        seen.append(request)
        return _Response({"access_token": "eyJ.token", "token_type": "Bearer"})

    assert system_log.access_token(ORG, "assertion", opener) == "eyJ.token"
    form = urllib.parse.parse_qs(seen[0].data.decode())
    assert seen[0].full_url == f"{ORG}/oauth2/v1/token"
    assert form["scope"] == ["okta.logs.read"] and form["grant_type"] == ["client_credentials"]
    assert form["client_assertion_type"] == ["urn:ietf:params:oauth:client-assertion-type:jwt-bearer"]


def test_pages_follow_next_links_until_an_empty_page_and_wait_on_429():
    second = f"{ORG}/api/v1/logs?after=abc"
    third = f"{ORG}/api/v1/logs?after=def"
    answers = [
        _Response([{"uuid": "1"}], [f'<{ORG}/api/v1/logs?since=x>; rel="self"', f'<{second}>; rel="next"']),
        "429",
        _Response([{"uuid": "2"}], [f'<{third}>; rel="next"']),
        _Response([], [f'<{ORG}/api/v1/logs?after=ghi>; rel="next"']),
    ]
    urls, slept = [], []

    def opener(request):
        urls.append(request.full_url)
        assert request.get_header("Authorization") == "Bearer tok"
        answer = answers.pop(0)
        if answer == "429":
            headers = email.message.Message()
            headers["X-Rate-Limit-Reset"] = "0"
            raise urllib.error.HTTPError(request.full_url, 429, "Too Many Requests", headers, None)
        return answer

    got = list(
        system_log.pages(ORG, "tok", "2026-11-01T00:00:00.000Z", "2026-12-01T00:00:00.000Z", opener, slept.append)
    )
    assert got == [[{"uuid": "1"}], [{"uuid": "2"}], []]
    assert urls[1] == urls[2] == second and urls[3] == third and slept == [1]
    query = urllib.parse.parse_qs(urllib.parse.urlparse(urls[0]).query)
    assert query["filter"] == ['eventType sw "app.oauth2"'] and query["until"] == ["2026-12-01T00:00:00.000Z"]


def test_without_credentials_it_says_which_to_set(monkeypatch, capsys, tmp_path):
    for name in ("OKTA_LOGS_API_CLIENT_ID", "OKTA_LOGS_API_PRIVATE_KEY", "OKTA_LOGS_API_PRIVATE_KEY_ID"):
        monkeypatch.delenv(name, raising=False)
    assert system_log.main(["--stack", "prod", "--out", str(tmp_path / "e.jsonl")]) == 2
    assert "OKTA_LOGS_API_PRIVATE_KEY" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["bad name", "evil.com/x"])
def test_an_org_name_that_is_not_one_is_refused(tmp_path, name):
    (tmp_path / "Pulumi.prod.yaml").write_text(json.dumps({"config": {"okta:orgName": name}}))
    with pytest.raises(SystemExit):
        system_log.org_url(tmp_path, "prod")
