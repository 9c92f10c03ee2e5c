"""Credentials: each identity proves itself with its own public key, fetched safely (OWASP NHI2, NHI4, NHI8, NHI9)."""

from __future__ import annotations

import ipaddress
import re
from collections import defaultdict
from collections.abc import Iterator
from urllib.parse import urlsplit

from agentid.findings import Severity
from agentid.registry.loader import PRIVATE_KEY_RULE
from agentid.registry.model import Agent, Registry
from agentid.registry.schema import dotted
from policies.rules._util import credential_uses
from policies.rules.base import RuleContext, RuleKind, Violation, rule


@rule(
    id=PRIVATE_KEY_RULE,
    number=10,
    title="Agent files hold public keys only",
    severity=Severity.ERROR,
    nhi=("NHI2",),
    rationale="A private JWK member (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`) in a reviewed file is a leaked "
    "credential: everyone with read access to the repository, and its history, can act as the agent. The loader "
    "finds them in any shape under `credentials` (a list, a mapping, nested lists, JSON or YAML pasted as text) "
    "and in any mapping with a `kty`, and a PEM private key block (`-----BEGIN ... PRIVATE KEY-----`) anywhere in "
    "the file, comments included, is the same finding. The values are stripped before anything else sees them, "
    "so findings name the members or the PEM header, never a value.",
    remediation="Delete the private members from the file and its git history, and rotate the key: anyone who read "
    "this file or its history holds the agent's credential.",
    kind=RuleKind.REGISTRY,
    waivable=False,
)
def private_key_material(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    for _identity, credentials, path in credential_uses(agent):
        for index, key in enumerate(credentials.keys):
            if key.private_members:
                members = ", ".join(f"`{name}`" for name in key.private_members)
                key_path = (*path, "keys", index)
                yield Violation(
                    f"{dotted(key_path)} contains private key material ({members}); "
                    "only public keys belong in an agent definition",
                    key_path,
                )


@rule(
    id="shared-key",
    number=11,
    title="Every identity has its own key",
    severity=Severity.ERROR,
    nhi=("NHI9", "NHI8"),
    rationale="Two identities holding one key (same RFC 7638 thumbprint, whatever the `kid`) are one identity to an "
    "attacker: stealing it compromises both, logs cannot tell them apart, and neither can be revoked alone. This "
    "holds across agents, plugins and environments (a dev agent and a prod agent sharing a key break isolation).",
    remediation="Generate a new key pair for this identity and publish only its public key.",
    kind=RuleKind.REGISTRY_WIDE,
    other_standards=("RFC 7638",),
)
def shared_key(registry: Registry, ctx: RuleContext) -> Iterator[tuple[Agent, Violation]]:
    holders: dict[str, list[tuple[Agent, str, tuple[str | int, ...], str]]] = defaultdict(list)
    for agent in registry:
        for identity, credentials, path in credential_uses(agent):
            for index, key in enumerate(credentials.keys):
                try:
                    thumbprint = key.thumbprint()  # once per key: no pairwise comparison
                except Exception:  # malformed key material is the schema's and Okta's concern, not a share
                    continue
                holders[thumbprint].append((agent, identity, (*path, "keys", index), key.kid))
    for thumbprint, uses in holders.items():
        identities = sorted({identity for _a, identity, _p, _k in uses})
        if len(identities) < 2:
            continue
        for agent, identity, path, kid in uses:
            yield (
                agent,
                Violation(
                    f"key `{kid}` of `{identity}` (thumbprint {thumbprint[:12]}…) is also held by "
                    f"{_others(identities, identity)}",
                    path,
                ),
            )


#: How many of the other holders a shared-key or shared-jwks-uri finding names; the rest are counted. Every holder
#: still gets its finding (its file is annotated, its own waiver applies), but the report grows with the number of
#: holders, not with its square: 3,000 agents sharing one jwks_uri printed every pair (454 MB) before.
OTHERS_LISTED = 10


def _others(identities: list[str], identity: str) -> str:
    """The sorted holders other than ``identity``: the first :data:`OTHERS_LISTED` named, then a count."""
    others = [other for other in identities if other != identity]
    shown = ", ".join(f"`{other}`" for other in others[:OTHERS_LISTED])
    rest = len(others) - OTHERS_LISTED
    return shown + (f" and {rest:,} more" if rest > 0 else "")


def normalise_uri(uri: str) -> str:
    """Compare URLs as a server would: scheme and host case-insensitively, default port and trailing slash dropped."""
    parts = urlsplit(uri.strip())
    host = (parts.hostname or "").casefold()
    port = f":{parts.port}" if parts.port and parts.port != 443 else ""
    return f"{parts.scheme.casefold()}://{host}{port}{parts.path.rstrip('/')}{'?' + parts.query if parts.query else ''}"


@rule(
    id="shared-jwks-uri",
    number=12,
    title="Every identity has its own jwks_uri",
    severity=Severity.ERROR,
    nhi=("NHI9", "NHI8"),
    rationale="Identities that read their keys from one JWKS URL accept each other's signatures: whoever can sign "
    "for one can sign for all of them.",
    remediation="Publish a separate JWKS for this identity (e.g. …/agents/<agent>/<plugin>/jwks.json).",
    kind=RuleKind.REGISTRY_WIDE,
)
def shared_jwks_uri(registry: Registry, ctx: RuleContext) -> Iterator[tuple[Agent, Violation]]:
    holders: dict[str, list[tuple[Agent, str, tuple[str | int, ...]]]] = defaultdict(list)
    for agent in registry:
        for identity, credentials, path in credential_uses(agent):
            if credentials.jwks_uri:
                holders[normalise_uri(credentials.jwks_uri)].append((agent, identity, (*path, "jwks_uri")))
    for uri, uses in holders.items():
        if len({identity for _a, identity, _p in uses}) < 2:
            continue
        identities = sorted({identity for _a, identity, _p in uses})
        for agent, identity, path in uses:
            yield (
                agent,
                Violation(f"jwks_uri {uri} of `{identity}` is also used by {_others(identities, identity)}", path),
            )


def insecure_uri_reason(uri: str) -> str | None:
    """Why Okta must not fetch keys from ``uri``, or ``None``."""
    try:
        parts = urlsplit(uri.strip())
        host = parts.hostname or ""
    except ValueError:
        return "is not a valid URL"
    if parts.scheme.casefold() != "https":
        return "is not https: keys fetched in clear text can be swapped in transit"
    if not host:
        return "has no host"
    if parts.username or parts.password:
        return "embeds credentials in the URL"
    host = host.rstrip(".")  # `localhost.` is the fully qualified spelling of the same name
    if host == "localhost" or host.endswith(".localhost"):
        return "points at localhost, which Okta cannot reach and an attacker's machine can impersonate"
    if _is_ip_address(host):
        return "points at a bare IP address: no certificate names it, and it moves with the network"
    return None


_NUMERIC_LABEL = re.compile(r"0x[0-9a-f]*|[0-9]+", re.IGNORECASE)

#: ``ipaddress.ip_address`` accepts only dotted ASCII digits (IPv4) or text with a colon (IPv6): a host with neither
#: is a name, known without two raised and caught exceptions per URL.
_IPV4_CHARACTERS = frozenset("0123456789.")


def _is_ip_address(host: str) -> bool:
    """An IPv4/IPv6 literal, including the shorthand forms URL parsers and resolvers accept as IPv4 (`127.1`,
    `2130706433`, `0x7f.0.0.1`): per the WHATWG URL standard a host whose last label is a number is an IPv4
    address, never a DNS name."""
    if ":" in host or _IPV4_CHARACTERS.issuperset(host):
        try:
            ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            return True
    return bool(host) and _NUMERIC_LABEL.fullmatch(host.rsplit(".", 1)[-1]) is not None


@rule(
    id="jwks-uri-insecure",
    number=13,
    title="jwks_uri is an https URL on a named host",
    severity=Severity.ERROR,
    nhi=("NHI4",),
    rationale="Okta trusts whatever keys the jwks_uri serves. Plain http, localhost or a bare IP lets someone "
    "other than the agent's owners decide which keys are accepted.",
    remediation="Serve the JWKS over https from a DNS name your team controls.",
    kind=RuleKind.REGISTRY,
)
def jwks_uri_insecure(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    for identity, credentials, path in credential_uses(agent):
        if credentials.jwks_uri and (reason := insecure_uri_reason(credentials.jwks_uri)) is not None:
            yield Violation(f"jwks_uri of `{identity}` {reason}", (*path, "jwks_uri"))
