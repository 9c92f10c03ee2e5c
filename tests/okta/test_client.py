"""The read-only Okta client against the emulator: private_key_jwt sign-in, Link pagination, 429 back-off on
X-Rate-Limit-Reset, Okta error objects as messages, and the connection rules (https, loopback-only http, the key
never echoed)."""

from __future__ import annotations

import pytest

from agentid.okta.client import OktaClient, next_link
from agentid.okta.connection import Credentials, PrivateKey, check_org_url, load_credentials
from agentid.okta.errors import ConnectionSettingsError, OktaError
from tests.okta import emulator as e
from tests.okta.conftest import READER_ID, SERVER_ID


def make_client(org, reader_key, **kwargs):
    credentials = Credentials(
        READER_ID, PrivateKey(reader_key.as_pem(private=True).decode()), "agentid-org-reader-2026-12"
    )
    credentials = Credentials(
        READER_ID,
        credentials.key,
        credentials.key_id,
        scopes=("okta.apps.read", "okta.authorizationServers.read", "okta.logs.read", "okta.roles.read"),
    )
    return OktaClient(org.url, credentials, **kwargs)


def test_signs_in_with_a_client_assertion_and_pages_through_every_app(org, org_state, reader_key):
    client = make_client(org, reader_key)
    apps = client.list_apps()
    assert [a["id"] for a in apps] == [a["id"] for a in org_state.apps]
    pages = [p for m, p in org_state.requests if m == "GET" and p.startswith("/api/v1/apps")]
    assert len(pages) == -(-len(org_state.apps) // org_state.page_size) > 2  # followed rel="next" to the end
    assert org_state.requests[0] == ("POST", "/oauth2/v1/token")  # one token for the whole run
    assert sum(1 for m, _ in org_state.requests if m == "POST") == 1


def test_rate_limit_waits_until_the_reset_then_retries(org, org_state, reader_key):
    org_state.throttle["/api/v1/authorizationServers"] = 2
    slept: list[float] = []
    client = make_client(org, reader_key, clock=lambda: org_state.now, sleep=slept.append)
    assert [s["id"] for s in client.list_authorization_servers()] == [SERVER_ID]
    assert slept == [8.0, 8.0]  # X-Rate-Limit-Reset is now + 7 s: wait one second past it


def test_rate_limit_gives_up_after_the_retries_with_okta_s_error(org, org_state, reader_key):
    org_state.throttle["/api/v1/authorizationServers"] = 10
    client = make_client(org, reader_key, clock=lambda: org_state.now, sleep=lambda _s: None, max_retries=2)
    with pytest.raises(OktaError, match=r"429 .*E0000047 API call exceeded rate limit.*run again later"):
        client.list_authorization_servers()


def test_okta_error_objects_become_messages(org, org_state, reader_key):
    org_state.failures[f"/api/v1/authorizationServers/{SERVER_ID}/policies"] = (
        403,
        e.error("E0000015", "You do not have permission to access the feature you are requesting"),
    )
    client = make_client(org, reader_key)
    with pytest.raises(OktaError, match=r"403 to GET .*/policies: E0000015 .*API Access Management") as raised:
        client.list_policies(SERVER_ID)
    assert raised.value.code == "E0000015"


def test_a_missing_scope_is_a_403_saying_what_to_grant(org, reader_key):
    credentials = Credentials(
        READER_ID, PrivateKey(reader_key.as_pem(private=True).decode()), None, scopes=("okta.apps.read",)
    )
    client = OktaClient(org.url, credentials)
    with pytest.raises(OktaError, match=r"E0000006 .*READ_ONLY_ADMIN"):
        client.list_authorization_servers()


def test_a_wrong_key_is_refused_and_the_key_is_never_echoed(org):
    from joserfc.jwk import RSAKey

    stranger = RSAKey.generate_key(2048).as_pem(private=True).decode()
    client = OktaClient(org.url, Credentials(READER_ID, PrivateKey(stranger)))
    with pytest.raises(OktaError, match=r"401 to POST /oauth2/v1/token: invalid_client") as raised:
        client.list_apps()
    body = stranger.splitlines()[1]
    assert body not in str(raised.value) and body not in repr(client.__dict__)


def test_a_key_that_is_not_a_key_is_named_by_origin_not_content():
    client = OktaClient(
        "https://example.okta.com", Credentials(READER_ID, PrivateKey("not-a-key-s3cr3t", origin="OKTA_PRIVATE_KEY"))
    )
    with pytest.raises(ConnectionSettingsError) as raised:
        client._assertion()
    assert "OKTA_PRIVATE_KEY" in str(raised.value) and "s3cr3t" not in str(raised.value)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.okta.com", True),
        ("https://example.okta.com/", True),
        ("http://127.0.0.1:8080", True),
        ("http://[::1]:8080", True),
        ("http://localhost:9", True),
        ("http://example.okta.com", False),
        ("http://10.0.0.5", False),
        ("https://example.okta.com/oauth2/default", False),
        ("ftp://example.okta.com", False),
        ("", False),
    ],
)
def test_org_url_https_or_loopback_http_only(url, ok):
    if ok:
        assert check_org_url(url).rstrip("/") == url.rstrip("/")
    else:
        with pytest.raises(ConnectionSettingsError):
            check_org_url(url)


def test_credentials_from_the_environment(tmp_path):
    key = tmp_path / "k.pem"
    key.write_text("PEM")
    loaded = load_credentials({"OKTA_CLIENT_ID": "0oa1", "OKTA_PRIVATE_KEY_FILE": str(key)})
    assert loaded.client_id == "0oa1" and "PEM" not in repr(loaded) and "PEM" not in str(loaded.key)
    with pytest.raises(ConnectionSettingsError, match="OKTA_PRIVATE_KEY_FILE"):
        load_credentials({"OKTA_CLIENT_ID": "0oa1"})
    with pytest.raises(ConnectionSettingsError, match="cannot read"):
        load_credentials({"OKTA_CLIENT_ID": "0oa1", "OKTA_PRIVATE_KEY_FILE": str(tmp_path / "none.pem")})


def test_next_link_reads_okta_s_link_headers():
    headers = [
        ("Link", '<https://o.okta.com/api/v1/apps?limit=2>; rel="self"'),
        ("link", '<https://o.okta.com/api/v1/apps?after=0oa2&limit=2>; rel="next"'),
    ]
    assert next_link(headers) == "https://o.okta.com/api/v1/apps?after=0oa2&limit=2"
    assert (
        next_link([("Link", '<https://o/a?x=1>; rel="self", <https://o/a?after=b>; rel="next"')])
        == "https://o/a?after=b"
    )
    assert next_link(headers[:1]) is None


def test_a_next_link_to_another_host_is_not_followed(org, reader_key):
    client = make_client(org, reader_key)
    with pytest.raises(OktaError, match="another host"):
        client.get("https://attacker.example/api/v1/apps")
