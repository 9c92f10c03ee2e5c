"""The emulated org the live-org tests run against: the sample registry's dev identities as deployed by agentid
(built from the Okta-shaped builders in emulator.py), plus the read-only reader app agentid signs in with."""

from __future__ import annotations

import pytest

from tests.conftest import TODAY
from tests.okta import emulator as e

ORG_ISSUER = "https://example-dev.okta.com"
SERVER_ID = "aus0agentsdev0000001"
READER_ID = "0oa0agentidreader001"
READ_SCOPES = [
    "okta.apps.read",
    "okta.authorizationServers.read",
    "okta.logs.read",
    "okta.roles.read",
    "okta.oauthIntegrations.read",
]
#: the shadow app of the scenarios: a nightly export someone created in the console, with a client secret
SHADOW_ID = "0oa0shadowexport0001"


def client_id_of(identity: str) -> str:
    """A stable, Okta-shaped (20 characters) client id per identity."""
    import hashlib

    return "0oa" + hashlib.sha256(identity.encode()).hexdigest()[:17]


@pytest.fixture(scope="session")
def reader_key():
    from joserfc.jwk import RSAKey

    return RSAKey.generate_key(2048, parameters={"kid": "agentid-org-reader-2026-12"})


@pytest.fixture(scope="session")
def desired(sample_registry):
    from agentid.okta.compare import desired_from_registry

    return desired_from_registry(sample_registry, TODAY, "dev")


def deployed_org(desired, reader_key) -> e.OrgState:
    """The dev org as `pulumi up` leaves it for the sample registry, and the reader app."""
    state = e.OrgState()
    state.servers.append(e.server(SERVER_ID, "agents-dev", "api://agents-dev", ORG_ISSUER))
    state.policies[SERVER_ID] = []
    for n, (name, want) in enumerate(sorted(desired.items())):
        client_id = client_id_of(name)
        label = f"agentid:{name}" if want.active else f"agentid:expired:{name}"
        jwk = {"kty": "RSA", "kid": f"{name}-2026-11", "e": "AQAB", "n": "sXch" + "A" * 338, "use": "sig"}
        state.apps.append(e.service_app(client_id, label, status="ACTIVE" if want.active else "INACTIVE", jwks=[jwk]))
        state.grants[client_id] = [e.grant(client_id, s, ORG_ISSUER) for s in want.okta_api_scopes]
        state.roles[client_id] = [e.role(r) for r in want.admin_roles]
        if want.scopes:
            policy_id, rule_id = f"00p{n:017d}", f"0pr{n:017d}"
            state.policies[SERVER_ID].append(e.policy(policy_id, want.policy_name, [client_id]))
            state.rules[policy_id] = [e.rule(rule_id, want.rule_name, list(want.scopes), want.lifetime_minutes)]
    reader_jwk = reader_key.as_dict(private=False)
    state.apps.append(e.service_app(READER_ID, "agentid org reader", jwks=[reader_jwk]))
    state.client_keys[READER_ID] = [reader_jwk]
    state.client_scopes[READER_ID] = READ_SCOPES
    state.grants[READER_ID] = [e.grant(READER_ID, s, ORG_ISSUER) for s in READ_SCOPES]
    state.roles[READER_ID] = [e.role("READ_ONLY_ADMIN")]
    return state


@pytest.fixture
def org_state(desired, reader_key):
    return deployed_org(desired, reader_key)


@pytest.fixture
def org(org_state):
    with e.Emulator(org_state) as running:
        yield running


@pytest.fixture
def reader_env(reader_key, tmp_path, monkeypatch, org):
    """The environment a command reads its connection from: the key in a file outside the repository."""
    key_file = tmp_path / "reader.pem"
    key_file.write_bytes(reader_key.as_pem(private=True))
    env = {
        "OKTA_ORG_URL": org.url,
        "OKTA_CLIENT_ID": READER_ID,
        "OKTA_PRIVATE_KEY_FILE": str(key_file),
        "OKTA_PRIVATE_KEY_ID": "agentid-org-reader-2026-12",
    }
    for name in ("OKTA_PRIVATE_KEY",):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def add_shadow_app(state: e.OrgState, *, last_token: str | None = "2026-11-30T02:10:00.000Z") -> None:
    """A service app created in the console: no agentid label, a client secret, a policy of its own."""
    state.apps.append(e.service_app(SHADOW_ID, "Nightly invoice export", auth_method="client_secret_basic"))
    state.grants[SHADOW_ID] = [e.grant(SHADOW_ID, "okta.users.read", ORG_ISSUER)]
    state.policies[SERVER_ID].append(e.policy("00pshadowexport00001", "invoice export", [SHADOW_ID], priority=9))
    state.rules["00pshadowexport00001"] = [e.rule("0prshadowexport00001", "export", ["finance.ledger.read"], 120)]
    if last_token:
        state.logs.append(e.token_event(SHADOW_ID, "Nightly invoice export", last_token, scopes="finance.ledger.read"))
