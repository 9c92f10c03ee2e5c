"""Where the org is and how agentid proves who it is: ``--org-url``/``OKTA_ORG_URL`` and a read-only service app.

The credential is a separate, read-only Okta service app (``private_key_jwt``, ``*.read`` scopes, the
``READ_ONLY_ADMIN`` role): its client id in ``OKTA_CLIENT_ID``, its private key (PEM or a private JWK) in
``OKTA_PRIVATE_KEY`` or in a file named by ``OKTA_PRIVATE_KEY_FILE``, never in the repository. The key is held in a
:class:`PrivateKey` whose ``repr`` hides it, and no error message quotes it.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from agentid.okta.errors import ConnectionSettingsError

#: What agentid reads, and nothing more (docs/adopting.md lists them for the service app).
READ_SCOPES = (
    "okta.apps.read",
    "okta.authorizationServers.read",
    "okta.logs.read",
    "okta.oauthIntegrations.read",
    "okta.roles.read",
)

ORG_URL_ENV = "OKTA_ORG_URL"
CLIENT_ID_ENV = "OKTA_CLIENT_ID"
PRIVATE_KEY_ENV = "OKTA_PRIVATE_KEY"
PRIVATE_KEY_FILE_ENV = "OKTA_PRIVATE_KEY_FILE"
KEY_ID_ENV = "OKTA_PRIVATE_KEY_ID"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_org_url(url: str | None) -> str:
    """The org URL without a trailing slash: ``https://`` (plain ``http://`` only to a loopback address, for tests),
    no path, query, fragment or user info."""
    if not url:
        raise ConnectionSettingsError(
            f"no Okta org URL: pass --org-url https://<your-org>.okta.com or set {ORG_URL_ENV}"
        )
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise ConnectionSettingsError(f"--org-url must look like https://<your-org>.okta.com, not {url!r}")
    if parts.scheme == "http" and not _is_loopback(host):
        raise ConnectionSettingsError(
            f"--org-url {url!r} uses plain http: tokens and the org's data would cross the network unencrypted. "
            "Use https:// (plain http is accepted only for a loopback address, as the tests' emulator uses)"
        )
    if parts.username or parts.password or parts.query or parts.fragment or parts.path.strip("/"):
        raise ConnectionSettingsError(
            f"--org-url must be the org's base URL alone (https://<your-org>.okta.com), not {url!r}"
        )
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class PrivateKey:
    """The private key material; its ``repr`` and ``str`` never show it."""

    material: str = field(repr=False)
    origin: str = "environment"

    def __str__(self) -> str:
        return f"<private key from {self.origin}>"


@dataclass(frozen=True)
class Credentials:
    client_id: str
    key: PrivateKey
    key_id: str | None = None
    scopes: tuple[str, ...] = READ_SCOPES


def load_credentials(env: Mapping[str, str] | None = None) -> Credentials:
    """The read-only app's credentials from the environment (key inline or from a file)."""
    env = os.environ if env is None else env
    client_id = env.get(CLIENT_ID_ENV, "").strip()
    if not client_id:
        raise ConnectionSettingsError(
            f"no client id: set {CLIENT_ID_ENV} to the read-only service app's client id (docs/adopting.md)"
        )
    inline, path = env.get(PRIVATE_KEY_ENV, ""), env.get(PRIVATE_KEY_FILE_ENV, "")
    if inline and path:
        raise ConnectionSettingsError(f"set {PRIVATE_KEY_ENV} or {PRIVATE_KEY_FILE_ENV}, not both")
    if path:
        try:
            material = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConnectionSettingsError(
                f"{PRIVATE_KEY_FILE_ENV}: cannot read {path}: {exc.strerror or type(exc).__name__}"
            ) from None
        key = PrivateKey(material, origin=f"file {path}")
    elif inline:
        key = PrivateKey(inline, origin=PRIVATE_KEY_ENV)
    else:
        raise ConnectionSettingsError(
            f"no private key: set {PRIVATE_KEY_FILE_ENV} to the path of the read-only app's private key (PEM or "
            f"JWK), or {PRIVATE_KEY_ENV} to the key itself; never commit it"
        )
    key_id = env.get(KEY_ID_ENV, "").strip() or None
    return Credentials(client_id=client_id, key=key, key_id=key_id)


def signing_key(key: PrivateKey, key_id: str | None):  # -> (joserfc key, alg, kid)
    """Parse the private key (PEM or private JWK); errors name the origin, never the material."""
    from joserfc.jwk import ECKey, RSAKey

    text = key.material.strip()
    try:
        if text.startswith("{"):
            data = json.loads(text)
            kid = key_id or data.get("kid")
            imported = (ECKey if data.get("kty") == "EC" else RSAKey).import_key(data)
        else:
            kid = key_id
            try:
                imported = RSAKey.import_key(text)
            except Exception:
                imported = ECKey.import_key(text)
    except Exception:
        raise ConnectionSettingsError(
            f"the private key from {key.origin} is not a PEM private key or a private JWK (RSA or EC)"
        ) from None
    if not imported.is_private:
        raise ConnectionSettingsError(f"the key from {key.origin} is a public key: the app's private key is needed")
    alg = (
        "RS256"
        if imported.key_type == "RSA"
        else {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}.get(imported.as_dict().get("crv", ""), "ES256")
    )
    return imported, alg, kid
