"""A snapshot of the live org's non-human identities: every client that can mint tokens, and what it may do.

Read once per command: service apps (OAuth apps allowed the ``client_credentials`` grant) and API service
integrations, each with its client authentication method, Okta API scope grants, admin roles, the custom
authorization-server policies and rules that include it, its status and its last token from the System Log.
Values read here come from the org, which anyone with admin rights there can set: renderers pass them through
:mod:`agentid.output.inert`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from agentid.okta.client import OktaClient

CLIENT_CREDENTIALS = "client_credentials"
#: token endpoint authentication methods that use a shared secret (the secret can leak; OWASP NHI2, NHI7)
SECRET_METHODS = frozenset({"client_secret_basic", "client_secret_post", "client_secret_jwt"})
#: the System Log event of a token minted by a custom or the org authorization server
TOKEN_EVENTS = ("app.oauth2.as.token.grant.access_token", "app.oauth2.token.grant.access_token")

SERVICE_APP = "service app"
API_SERVICE_INTEGRATION = "API service integration"


@dataclass(frozen=True)
class LiveRule:
    id: str
    name: str
    status: str
    grant_types: tuple[str, ...]
    scopes: tuple[str, ...]
    lifetime_minutes: int | None


@dataclass(frozen=True)
class LivePolicy:
    id: str
    name: str
    status: str
    server_id: str
    server_name: str
    clients: tuple[str, ...]
    rules: tuple[LiveRule, ...]


@dataclass
class LiveApp:
    """One non-human identity of the org."""

    id: str
    client_id: str
    label: str
    status: str
    kind: str
    grant_types: tuple[str, ...] = ()
    auth_method: str | None = None
    jwks: tuple[dict[str, Any], ...] = ()
    okta_api_scopes: tuple[str, ...] = ()
    admin_roles: tuple[str, ...] = ()
    #: policies (on any custom authorization server) whose client list includes this app
    policies: tuple[LivePolicy, ...] = ()
    last_token: str | None = None

    @property
    def uses_secret(self) -> bool:
        return self.auth_method in SECRET_METHODS

    def scopes(self) -> tuple[str, ...]:
        """Every custom scope a rule of its policies grants to client credentials, sorted."""
        return tuple(
            sorted(
                {
                    s
                    for p in self.policies
                    for r in p.rules
                    if r.status == "ACTIVE" and CLIENT_CREDENTIALS in r.grant_types
                    for s in r.scopes
                }
            )
        )

    def lifetime_minutes(self) -> int | None:
        lifetimes = [r.lifetime_minutes for p in self.policies for r in p.rules if r.lifetime_minutes is not None]
        return max(lifetimes) if lifetimes else None


@dataclass
class LiveOrg:
    org_url: str
    apps: list[LiveApp] = field(default_factory=list)
    servers: list[dict[str, Any]] = field(default_factory=list)
    policies: list[LivePolicy] = field(default_factory=list)
    #: the client id agentid itself reads the org with (reported as such, never as a shadow agent)
    reader_client_id: str | None = None
    activity_since: str | None = None

    def app_by_client(self, client_id: str) -> LiveApp | None:
        return next((a for a in self.apps if a.client_id == client_id), None)

    def server_named(self, name: str) -> dict[str, Any] | None:
        return next((s for s in self.servers if s.get("name") == name), None)


def _dig(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _rule(raw: dict[str, Any]) -> LiveRule:
    lifetime = _dig(raw, "actions", "token", "accessTokenLifetimeMinutes")
    return LiveRule(
        id=str(raw.get("id", "")),
        name=str(raw.get("name", "")),
        status=str(raw.get("status", "ACTIVE")),
        grant_types=_strings(_dig(raw, "conditions", "grantTypes", "include")),
        scopes=_strings(_dig(raw, "conditions", "scopes", "include")),
        lifetime_minutes=lifetime if isinstance(lifetime, int) else None,
    )


def _is_token_minting_app(raw: dict[str, Any]) -> bool:
    grants = _dig(raw, "settings", "oauthClient", "grant_types")
    return raw.get("signOnMode") == "OPENID_CONNECT" and isinstance(grants, list) and CLIENT_CREDENTIALS in grants


def read_policies(client: OktaClient, servers: Iterable[dict[str, Any]]) -> list[LivePolicy]:
    policies = []
    for server in servers:
        server_id, server_name = str(server.get("id", "")), str(server.get("name", ""))
        for raw in client.list_policies(server_id):
            policy_id = str(raw.get("id", ""))
            policies.append(
                LivePolicy(
                    id=policy_id,
                    name=str(raw.get("name", "")),
                    status=str(raw.get("status", "ACTIVE")),
                    server_id=server_id,
                    server_name=server_name,
                    clients=_strings(_dig(raw, "conditions", "clients", "include")),
                    rules=tuple(_rule(r) for r in client.list_rules(server_id, policy_id)),
                )
            )
    return policies


def last_tokens(client: OktaClient, since: str | None) -> dict[str, str]:
    """client id -> time of its latest token in the System Log since ``since``."""
    latest: dict[str, str] = {}
    expression = " or ".join(f'eventType eq "{t}"' for t in TOKEN_EVENTS)
    for page in client.log_pages(since=since, filter=expression):
        for event in page:
            if not isinstance(event, dict) or event.get("eventType") not in TOKEN_EVENTS:
                continue
            client_id = _dig(event, "actor", "id") or _dig(event, "client", "id")
            published = event.get("published")
            if isinstance(client_id, str) and isinstance(published, str):
                latest[client_id] = max(latest.get(client_id, ""), published)
    return latest


def read_org(client: OktaClient, *, activity_since: str | None = None, reader_client_id: str | None = None) -> LiveOrg:
    """Read every non-human identity of the org and what it may do (about 3 requests per identity), with each
    one's last token since ``activity_since`` (left out when ``None``)."""
    org = LiveOrg(org_url=client.org_url, reader_client_id=reader_client_id, activity_since=activity_since)
    org.servers = client.list_authorization_servers()
    org.policies = read_policies(client, org.servers)
    # The System Log only when asked (discover): drift and import need no last-token times.
    tokens = last_tokens(client, activity_since) if activity_since is not None else {}
    for raw in client.list_apps():
        if not isinstance(raw, dict) or not _is_token_minting_app(raw):
            continue
        app_id = str(raw.get("id", ""))
        client_id = str(_dig(raw, "credentials", "oauthClient", "client_id") or app_id)
        grants = client.list_app_grants(app_id)
        okta_scopes = sorted(
            {str(g.get("scopeId")) for g in grants if isinstance(g, dict) and g.get("status", "ACTIVE") == "ACTIVE"}
        )
        roles = sorted({str(r.get("type")) for r in client.list_client_roles(client_id) if isinstance(r, dict)})
        keys = _dig(raw, "settings", "oauthClient", "jwks", "keys")
        org.apps.append(
            LiveApp(
                id=app_id,
                client_id=client_id,
                label=str(raw.get("label", "")),
                status=str(raw.get("status", "")),
                kind=SERVICE_APP,
                grant_types=_strings(_dig(raw, "settings", "oauthClient", "grant_types")),
                auth_method=_dig(raw, "credentials", "oauthClient", "token_endpoint_auth_method"),
                jwks=tuple(k for k in keys if isinstance(k, dict)) if isinstance(keys, list) else (),
                okta_api_scopes=tuple(okta_scopes),
                admin_roles=tuple(roles),
                policies=tuple(p for p in org.policies if client_id in p.clients),
                last_token=tokens.get(client_id),
            )
        )
    known = {a.client_id for a in org.apps}
    for raw in client.list_api_service_integrations():
        if not isinstance(raw, dict):
            continue
        integration_id = str(raw.get("id", ""))
        # Its OAuth client is linked, not embedded: `_links.client.href` ends with the client id.
        href = _dig(raw, "_links", "client", "href")
        client_id = href.rstrip("/").rsplit("/", 1)[-1] if isinstance(href, str) and href else integration_id
        if client_id in known:
            continue
        org.apps.append(
            LiveApp(
                id=integration_id,
                client_id=client_id,
                label=str(raw.get("name", "")),
                status="ACTIVE",
                kind=API_SERVICE_INTEGRATION,
                grant_types=(CLIENT_CREDENTIALS,),
                auth_method="client_secret_basic",
                okta_api_scopes=tuple(sorted(_strings(raw.get("grantedScopes")))),
                last_token=tokens.get(client_id),
            )
        )
    org.apps.sort(key=lambda a: (a.label, a.client_id))
    return org
