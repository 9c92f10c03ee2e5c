"""A small, typed, read-only client for the Okta Management API endpoints agentid reads.

* Authentication: OAuth 2.0 client credentials with ``private_key_jwt`` (RFC 7523): a short-lived client assertion
  signed with the read-only service app's private key buys an access token from the org authorization server
  (``/oauth2/v1/token``) holding only ``*.read`` scopes. The token is renewed once when Okta answers 401.
* Pagination: Okta's ``Link: <...>; rel="next"`` header is followed as an opaque URL (never parsed or rebuilt), and
  only when it points at the same org: the bearer token never leaves for another host.
* Rate limits: a 429 is retried after ``X-Rate-Limit-Reset`` (epoch seconds; one second past it, at least one second,
  at most ``max_wait``), at most ``max_retries`` times; the clock and the sleep are injectable for tests.
* Errors: Okta's error objects (``errorCode`` E0000xxx, ``errorSummary``) become :class:`OktaError` messages.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from agentid.okta.connection import Credentials, check_org_url, signing_key
from agentid.okta.errors import OktaError

#: (status, headers as (name, value) pairs, body)
Response = tuple[int, list[tuple[str, str]], bytes]
#: (method, url, headers, body) -> Response
Transport = Callable[[str, str, Mapping[str, str], bytes | None], Response]

USER_AGENT = "agentid-readonly/0.1"


def urllib_transport(method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> Response:
    """The standard library's HTTP client; HTTP errors are responses too (Okta's error object is in the body)."""
    request = urllib.request.Request(url, data=body, headers=dict(headers), method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, list(reply.headers.items()), reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, list(exc.headers.items()) if exc.headers else [], exc.read()
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise OktaError(f"cannot reach {urlsplit(url).netloc}: {reason}") from None


def next_link(headers: Sequence[tuple[str, str]]) -> str | None:
    """The ``rel="next"`` target of the ``Link`` headers (one header or several, comma-separated or not)."""
    for name, value in headers:
        if name.lower() != "link":
            continue
        for part in value.split(","):
            target, _, params = part.partition(";")
            rels = [p.strip() for p in params.split(";")]
            if any(p.replace(" ", "") in ('rel="next"', "rel=next") for p in rels):
                return target.strip().strip("<>")
    return None


def _header(headers: Sequence[tuple[str, str]], wanted: str) -> str | None:
    return next((value for name, value in headers if name.lower() == wanted.lower()), None)


@dataclass
class Page:
    items: list[Any]
    headers: list[tuple[str, str]]
    next_url: str | None


class OktaClient:
    """Read-only calls to one org. ``transport``, ``clock`` and ``sleep`` are injectable (tests)."""

    def __init__(
        self,
        org_url: str,
        credentials: Credentials,
        *,
        transport: Transport = urllib_transport,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        max_retries: int = 5,
        max_wait: float = 120.0,
        page_limit: int = 200,
    ) -> None:
        self.org_url = check_org_url(org_url)
        self._credentials = credentials
        self._transport, self._clock, self._sleep = transport, clock, sleep
        self.max_retries, self.max_wait, self.page_limit = max_retries, max_wait, page_limit
        self._token: str | None = None
        #: seconds slept waiting for rate limits (reported by the commands; tests read it)
        self.waited: list[float] = []

    @property
    def client_id(self) -> str:
        """The client id agentid signs in with (the reader app)."""
        return self._credentials.client_id

    # -- authentication -------------------------------------------------------------------------------------------
    def _assertion(self) -> str:
        from joserfc import jwt

        key, alg, kid = signing_key(self._credentials.key, self._credentials.key_id)
        now = int(self._clock())
        claims = {
            "iss": self._credentials.client_id,
            "sub": self._credentials.client_id,
            "aud": f"{self.org_url}/oauth2/v1/token",
            "iat": now,
            "exp": now + 300,
            "jti": str(uuid.uuid4()),
        }
        header = {"alg": alg, **({"kid": kid} if kid else {})}
        return jwt.encode(header, claims, key)

    def _fetch_token(self) -> str:
        body = urlencode(
            {
                "grant_type": "client_credentials",
                "scope": " ".join(self._credentials.scopes),
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": self._assertion(),
            }
        ).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        status, _headers, raw = self._send("POST", f"{self.org_url}/oauth2/v1/token", headers, body)
        data = _json(raw)
        if status != 200 or not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
            raise OktaError.from_response("POST", "/oauth2/v1/token", status, data)
        return data["access_token"]

    # -- requests -------------------------------------------------------------------------------------------------
    def _send(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> Response:
        """One request, retried on 429 after ``X-Rate-Limit-Reset``."""
        headers = {"User-Agent": USER_AGENT, **headers}
        for attempt in range(self.max_retries + 1):
            status, reply_headers, raw = self._transport(method, url, headers, body)
            if status != 429 or attempt == self.max_retries:
                return status, reply_headers, raw
            self._wait_for_reset(reply_headers)
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait_for_reset(self, headers: Sequence[tuple[str, str]]) -> None:
        reset = _header(headers, "X-Rate-Limit-Reset")
        try:
            delay = float(reset) - self._clock() + 1 if reset is not None else 1.0
        except ValueError:
            delay = 1.0
        delay = min(max(delay, 1.0), self.max_wait)
        self.waited.append(delay)
        self._sleep(delay)

    def get(self, path_or_url: str, params: Mapping[str, Any] | None = None) -> Page:
        """GET one page: ``path_or_url`` is a path under the org or a ``next`` link the org returned."""
        url = path_or_url if path_or_url.startswith(("http://", "https://")) else self.org_url + path_or_url
        if params:
            url += ("&" if "?" in url else "?") + urlencode({k: v for k, v in params.items() if v is not None})
        if urlsplit(url).netloc != urlsplit(self.org_url).netloc:
            raise OktaError(f"Okta returned a link to another host ({urlsplit(url).netloc}); not followed")
        shown = urlsplit(url).path
        for renewed in (False, True):
            if self._token is None:
                self._token = self._fetch_token()
            headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
            status, reply_headers, raw = self._send("GET", url, headers, None)
            if status == 401 and not renewed:
                self._token = None  # expired: one new token, then give up
                continue
            break
        data = _json(raw)
        if status != 200:
            raise OktaError.from_response("GET", shown, status, data)
        items = data if isinstance(data, list) else [data]
        return Page(items=items, headers=reply_headers, next_url=next_link(reply_headers))

    def paginate(
        self, path: str, params: Mapping[str, Any] | None = None, *, stop_on_empty: bool = True
    ) -> Iterator[Any]:
        """Every item of a list endpoint, following ``rel="next"`` until there is none (or a page is empty)."""
        page = self.get(path, {"limit": self.page_limit, **(params or {})})
        while True:
            yield from page.items
            if page.next_url is None or (stop_on_empty and not page.items):
                return
            page = self.get(page.next_url)

    # -- endpoints ------------------------------------------------------------------------------------------------
    def list_apps(self, *, filter: str | None = None, q: str | None = None) -> list[dict[str, Any]]:
        return list(self.paginate("/api/v1/apps", {"filter": filter, "q": q}))

    def list_app_grants(self, app_id: str) -> list[dict[str, Any]]:
        """The Okta API scopes granted to an app (``okta.*`` consent grants)."""
        return list(self.paginate(f"/api/v1/apps/{_segment(app_id)}/grants"))

    def list_client_roles(self, client_id: str) -> list[dict[str, Any]]:
        """Admin roles assigned to a client app (``GET /oauth2/v1/clients/{clientId}/roles``, listRolesForClient)."""
        return list(self.paginate(f"/oauth2/v1/clients/{_segment(client_id)}/roles"))

    def list_authorization_servers(self) -> list[dict[str, Any]]:
        return list(self.paginate("/api/v1/authorizationServers"))

    def list_policies(self, server_id: str) -> list[dict[str, Any]]:
        return list(self.paginate(f"/api/v1/authorizationServers/{_segment(server_id)}/policies"))

    def list_rules(self, server_id: str, policy_id: str) -> list[dict[str, Any]]:
        return list(
            self.paginate(f"/api/v1/authorizationServers/{_segment(server_id)}/policies/{_segment(policy_id)}/rules")
        )

    def list_api_service_integrations(self) -> list[dict[str, Any]]:
        """API service integrations (OIN apps with Okta API access; scope okta.oauthIntegrations.read). An org
        without the feature answers 404: none."""
        try:
            return list(self.paginate("/integrations/api/v1/api-services"))
        except OktaError as exc:
            if exc.status == 404:
                return []
            raise

    def log_pages(
        self, *, since: str | None, until: str | None = None, filter: str | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """System Log pages, oldest first (``sortOrder=ASCENDING``), following ``rel="next"``. Without ``until``
        Okta keeps returning a next link (polling): reading stops at the first empty page."""
        page = self.get(
            "/api/v1/logs",
            {"since": since, "until": until, "filter": filter, "sortOrder": "ASCENDING", "limit": 1000},
        )
        while True:
            if page.items:
                yield page.items
            if page.next_url is None or not page.items:
                return
            page = self.get(page.next_url)


def _segment(value: str) -> str:
    from urllib.parse import quote

    return quote(str(value), safe="")


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None
