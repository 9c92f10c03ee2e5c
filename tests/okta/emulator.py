"""A local Okta Management API emulator: a real HTTP server on 127.0.0.1, serving the endpoints agentid reads with
Okta's JSON shapes (validated against Okta's published OpenAPI schemas in test_emulator_conformance.py), its
``Link: rel="next"`` pagination, 429 responses with ``X-Rate-Limit-*`` headers and its error objects.

The token endpoint checks the client assertion as Okta does for ``private_key_jwt``: signed by a key registered on
the app, ``iss``/``sub`` the client id, ``aud`` the token endpoint, not expired, and the scopes granted to the app.
Every API call needs a token holding the endpoint's ``*.read`` scope.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

CREATED = "2026-11-02T09:15:00.000Z"


def error(code: str, summary: str) -> dict[str, Any]:
    """An Okta error object (schema Error)."""
    return {
        "errorCode": code,
        "errorSummary": summary,
        "errorLink": code,
        "errorId": "oae" + secrets.token_hex(8),
        "errorCauses": [],
    }


def service_app(
    app_id: str,
    label: str,
    *,
    status: str = "ACTIVE",
    auth_method: str = "private_key_jwt",
    jwks: list[dict[str, Any]] | None = None,
    grant_types: tuple[str, ...] = ("client_credentials",),
) -> dict[str, Any]:
    """An OAuth service app as GET /api/v1/apps returns it (schema OpenIdConnectApplication)."""
    credentials: dict[str, Any] = {
        "userNameTemplate": {"template": "${source.login}", "type": "BUILT_IN"},
        "signing": {"kid": "Rbo1mA0a5fIRh4gCh0CW2vEZHIsj6uz6tkPRbMkvo3w"},
        "oauthClient": {"autoKeyRotation": True, "client_id": app_id, "token_endpoint_auth_method": auth_method},
    }
    oauth_client: dict[str, Any] = {
        "response_types": ["token"],
        "grant_types": list(grant_types),
        "application_type": "service",
        "consent_method": "REQUIRED",
        "issuer_mode": "DYNAMIC",
    }
    if jwks is not None:
        oauth_client["jwks"] = {
            "keys": [{"use": "sig", **k, "status": "ACTIVE", "id": "pks" + k.get("kid", "k")[:17]} for k in jwks]
        }
    return {
        "id": app_id,
        "name": "oidc_client",
        "label": label,
        "status": status,
        "lastUpdated": CREATED,
        "created": CREATED,
        "accessibility": {"selfService": False},
        "visibility": {"autoSubmitToolbar": False, "hide": {"iOS": True, "web": True}, "appLinks": {}},
        "features": [],
        "signOnMode": "OPENID_CONNECT",
        "credentials": credentials,
        "settings": {
            "app": {},
            "notifications": {"vpn": {"network": {"connection": "DISABLED"}}},
            "oauthClient": oauth_client,
        },
        "_links": {"self": {"href": f"/api/v1/apps/{app_id}"}},
    }


def grant(app_id: str, scope: str, issuer: str) -> dict[str, Any]:
    """An Okta API scope grant (schema OAuth2ScopeConsentGrant)."""
    return {
        "id": "oag" + secrets.token_hex(8),
        "status": "ACTIVE",
        "created": CREATED,
        "lastUpdated": CREATED,
        "issuer": issuer,
        "clientId": app_id,
        "scopeId": scope,
        "source": "ADMIN",
        "_links": {"app": {"href": f"/api/v1/apps/{app_id}"}},
    }


def role(role_type: str) -> dict[str, Any]:
    """A standard admin role assigned to a client (schema StandardRole)."""
    return {
        "id": "irb" + secrets.token_hex(7),
        "label": role_type.replace("_", " ").title(),
        "type": role_type,
        "status": "ACTIVE",
        "created": CREATED,
        "lastUpdated": CREATED,
        "assignmentType": "CLIENT",
    }


def api_service_integration(integration_id: str, name: str, client_id: str, scopes: list[str]) -> dict[str, Any]:
    """An API service integration as GET /integrations/api/v1/api-services returns it (APIServiceIntegrationInstance):
    its OAuth client is linked, not embedded."""
    return {
        "id": integration_id,
        "type": name.lower().replace(" ", "_"),
        "name": name,
        "createdAt": CREATED,
        "createdBy": "00u0admin00000000001",
        "grantedScopes": scopes,
        "_links": {
            "client": {"href": f"https://example-dev.okta.com/oauth2/v1/clients/{client_id}"},
            "self": {"href": f"https://example-dev.okta.com/integrations/api/v1/api-services/{integration_id}"},
        },
    }


def server(server_id: str, name: str, audience: str, org_url: str) -> dict[str, Any]:
    return {
        "id": server_id,
        "name": name,
        "description": f"{name} authorization server",
        "audiences": [audience],
        "issuer": f"{org_url}/oauth2/{server_id}",
        "issuerMode": "ORG_URL",
        "status": "ACTIVE",
        "created": CREATED,
        "lastUpdated": CREATED,
    }


def policy(policy_id: str, name: str, clients: list[str], *, priority: int = 1) -> dict[str, Any]:
    return {
        "id": policy_id,
        "type": "OAUTH_AUTHORIZATION_POLICY",
        "name": name,
        "description": f"Access for {name}",
        "priority": priority,
        "status": "ACTIVE",
        "system": False,
        "conditions": {"clients": {"include": clients}},
        "created": CREATED,
        "lastUpdated": CREATED,
    }


def rule(rule_id: str, name: str, scopes: list[str], lifetime: int, *, priority: int = 1) -> dict[str, Any]:
    return {
        "id": rule_id,
        "type": "RESOURCE_ACCESS",
        "name": name,
        "priority": priority,
        "status": "ACTIVE",
        "system": False,
        "conditions": {
            "people": {"groups": {"include": ["EVERYONE"]}},
            "grantTypes": {"include": ["client_credentials"]},
            "scopes": {"include": scopes},
        },
        "actions": {
            "token": {
                "accessTokenLifetimeMinutes": lifetime,
                "refreshTokenLifetimeMinutes": 0,
                "refreshTokenWindowMinutes": 10080,
            }
        },
        "created": CREATED,
        "lastUpdated": CREATED,
    }


def token_event(
    client_id: str, label: str, published: str, *, uuid: str | None = None, scopes: str = ""
) -> dict[str, Any]:
    """A client-credentials token grant as the System Log records it (schema LogEvent)."""
    return {
        "actor": {"id": client_id, "type": "PublicClientApp", "alternateId": client_id, "displayName": label},
        "client": {"ipAddress": "198.51.100.20", "userAgent": {"rawUserAgent": "python-httpx/0.28"}},
        "authenticationContext": {"authenticationStep": 0, "externalSessionId": "unknown"},
        "displayMessage": "OIDC access token is granted",
        "eventType": "app.oauth2.as.token.grant.access_token",
        "outcome": {"result": "SUCCESS"},
        "published": published,
        "severity": "INFO",
        "uuid": uuid or secrets.token_hex(16),
        "version": "0",
        "legacyEventType": "app.oauth2.as.token.grant.access_token_success",
        "transaction": {"type": "WEB", "id": secrets.token_hex(8), "detail": {}},
        "debugContext": {
            "debugData": {"grantType": "client_credentials", "grantedScopes": scopes, "requestedScopes": scopes}
        },
        "target": [{"id": "aus0agentsdev0000001", "type": "AuthorizationServer", "displayName": "agents-dev"}],
    }


#: the scope an API endpoint needs (prefix of the path -> scope)
_SCOPES = (
    ("/api/v1/apps", "okta.apps.read"),
    ("/api/v1/authorizationServers", "okta.authorizationServers.read"),
    ("/api/v1/logs", "okta.logs.read"),
    ("/oauth2/v1/clients/", "okta.roles.read"),
    ("/integrations/api/v1/api-services", "okta.oauthIntegrations.read"),
)


@dataclass
class OrgState:
    """What the emulated org holds. Tests edit it between requests (the server reads it on every request)."""

    apps: list[dict[str, Any]] = field(default_factory=list)
    grants: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    roles: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    servers: list[dict[str, Any]] = field(default_factory=list)
    policies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    rules: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    logs: list[dict[str, Any]] = field(default_factory=list)
    integrations: list[dict[str, Any]] = field(default_factory=list)
    #: client id -> public JWKs the token endpoint accepts assertions from
    client_keys: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: client id -> the Okta API scopes it may request at the token endpoint
    client_scopes: dict[str, list[str]] = field(default_factory=dict)
    page_size: int = 2
    #: path -> how many 429s to answer before serving it
    throttle: dict[str, int] = field(default_factory=dict)
    #: path -> (status, body) answered instead of the resource
    failures: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    #: every request served: (method, path with query)
    requests: list[tuple[str, str]] = field(default_factory=list)
    tokens: dict[str, set[str]] = field(default_factory=dict)
    #: the time the emulator believes it is (X-Rate-Limit-Reset is computed from it)
    now: float = 1_796_000_000.0


def _b64json(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


class _Handler(BaseHTTPRequestHandler):
    server_version = "okta-emulator"

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    @property
    def state(self) -> OrgState:
        return self.server.state  # type: ignore[attr-defined]

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]  # type: ignore[misc]
        return f"http://{host}:{port}"

    def _send(self, status: int, body: Any, headers: list[tuple[str, str]] | None = None) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for name, value in headers or []:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)

    def _limits(self) -> list[tuple[str, str]]:
        reset = int(self.state.now) + 30
        return [("X-Rate-Limit-Limit", "600"), ("X-Rate-Limit-Remaining", "599"), ("X-Rate-Limit-Reset", str(reset))]

    def _gate(self, path: str) -> bool:
        """429s and injected failures; True when answered."""
        state = self.state
        if state.throttle.get(path, 0) > 0:
            state.throttle[path] -= 1
            headers = [
                ("X-Rate-Limit-Limit", "600"),
                ("X-Rate-Limit-Remaining", "0"),
                ("X-Rate-Limit-Reset", str(int(state.now) + 7)),
            ]
            self._send(429, error("E0000047", "API call exceeded rate limit due to too many requests."), headers)
            return True
        if path in state.failures:
            status, body = state.failures[path]
            self._send(status, body)
            return True
        return False

    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        self.state.requests.append(("POST", self.path))
        if parts.path != "/oauth2/v1/token":
            self._send(404, error("E0000022", "The endpoint does not support the provided HTTP method"))
            return
        if self._gate(parts.path):
            return
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        self._token(form)

    def _token(self, form: dict[str, str]) -> None:
        from joserfc import jwt
        from joserfc.jwk import KeySet

        def refuse(code: str, description: str) -> None:
            self._send(401 if code == "invalid_client" else 400, {"error": code, "error_description": description})

        if form.get("grant_type") != "client_credentials":
            return refuse("unsupported_grant_type", "The authorization grant type is not supported.")
        if form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
            return refuse("invalid_client", "Client authentication failed.")
        assertion = form.get("client_assertion", "")
        try:
            claims = _b64json(assertion.split(".")[1])
            client_id = claims["sub"]
            keys = KeySet.import_key_set({"keys": self.state.client_keys[client_id]})
            token = jwt.decode(assertion, keys)
        except Exception:
            return refuse("invalid_client", "The client_assertion signature is invalid.")
        c = token.claims
        if (
            c.get("iss") != client_id
            or c.get("aud") != f"{self.base}/oauth2/v1/token"
            or c.get("exp", 0) < c.get("iat", 0)
        ):
            return refuse("invalid_client", "The client_assertion token is invalid.")
        scopes = form.get("scope", "").split()
        allowed = set(self.state.client_scopes.get(client_id, []))
        if not scopes or not set(scopes) <= allowed:
            return refuse(
                "invalid_scope", "The following scopes are not allowed: " + " ".join(sorted(set(scopes) - allowed))
            )
        access = secrets.token_urlsafe(24)
        self.state.tokens[access] = set(scopes)
        self._send(200, {"token_type": "Bearer", "expires_in": 3600, "access_token": access, "scope": " ".join(scopes)})

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path, query = parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.state.requests.append(("GET", self.path))
        auth = self.headers.get("Authorization", "")
        granted = self.state.tokens.get(auth.removeprefix("Bearer "), None) if auth.startswith("Bearer ") else None
        if granted is None:
            self._send(401, error("E0000011", "Invalid token provided"))
            return
        needed = next((scope for prefix, scope in _SCOPES if path.startswith(prefix)), None)
        if needed is None:
            self._send(404, error("E0000022", "The endpoint does not support the provided HTTP method"))
            return
        if needed not in granted:
            self._send(403, error("E0000006", "You do not have permission to perform the requested action"))
            return
        if self._gate(path):
            return
        items = self._resource(path.rstrip("/").split("/")[1:], query)
        if items is None:
            self._send(404, error("E0000007", f"Not found: Resource not found: {path} (Path)"))
            return
        self._page(path, query, items, polling=path == "/api/v1/logs" and "until" not in query)

    def _resource(self, seg: list[str], query: dict[str, str]) -> list[dict[str, Any]] | None:
        s = self.state
        if seg == ["api", "v1", "apps"]:
            apps = s.apps
            flt = query.get("filter", "")
            if flt.startswith("status eq "):
                apps = [a for a in apps if a["status"] == flt.split('"')[1]]
            elif flt.startswith("name eq "):
                apps = [a for a in apps if a["name"] == flt.split('"')[1]]
            if "q" in query:
                apps = [a for a in apps if a["label"].lower().startswith(query["q"].lower())]
            return apps
        if len(seg) == 5 and seg[:3] == ["api", "v1", "apps"] and seg[4] == "grants":
            return s.grants.get(seg[3], []) if any(a["id"] == seg[3] for a in s.apps) else None
        if len(seg) == 5 and seg[:3] == ["oauth2", "v1", "clients"] and seg[4] == "roles":
            return (
                s.roles.get(seg[3], [])
                if any(a["credentials"]["oauthClient"]["client_id"] == seg[3] for a in s.apps)
                else None
            )
        if seg == ["api", "v1", "authorizationServers"]:
            return s.servers
        if len(seg) == 5 and seg[3] and seg[4] == "policies":
            return s.policies.get(seg[3]) if any(x["id"] == seg[3] for x in s.servers) else None
        if len(seg) == 7 and seg[4] == "policies" and seg[6] == "rules":
            return s.rules.get(seg[5]) if any(p["id"] == seg[5] for p in s.policies.get(seg[3], [])) else None
        if seg == ["integrations", "api", "v1", "api-services"]:
            return s.integrations
        if seg == ["api", "v1", "logs"]:
            events = sorted(s.logs, key=lambda e: e["published"])
            if "since" in query:
                events = [e for e in events if e["published"] >= query["since"]]
            if "until" in query:
                events = [e for e in events if e["published"] < query["until"]]
            flt = query.get("filter")
            if flt:
                wanted = {part.split('"')[1] for part in flt.split(" or ") if part.startswith("eventType eq ")}
                events = [e for e in events if e["eventType"] in wanted]
            if query.get("sortOrder", "ASCENDING") == "DESCENDING":
                events.reverse()
            return events
        return None

    def _page(self, path: str, query: dict[str, str], items: list[dict[str, Any]], *, polling: bool) -> None:
        limit = min(int(query.get("limit", "200")), self.state.page_size)
        start = int(base64.urlsafe_b64decode(query["after"]).decode()) if "after" in query else 0
        page = items[start : start + limit]
        headers = self._limits()
        rest = {k: v for k, v in query.items() if k not in ("after", "limit")}
        more = start + limit < len(items)
        if more or polling:
            after = base64.urlsafe_b64encode(str(start + len(page)).encode()).decode()
            extra = "&" + urlencode(sorted(rest.items())) if rest else ""
            headers.append(("Link", f'<{self.base}{path}?limit={limit}{extra}>; rel="self"'))
            headers.append(("Link", f'<{self.base}{path}?after={after}&limit={limit}{extra}>; rel="next"'))
        self._send(200, page, headers)


class Emulator:
    """Start with ``with Emulator(state) as org:``; ``org.url`` is the org URL to pass as ``--org-url``."""

    def __init__(self, state: OrgState) -> None:
        self.state = state
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.state = state  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Emulator:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


__all__ = ["Emulator", "OrgState", "time"]
