"""The rules' fast paths give exactly what the straightforward code they replaced gives, on any text.

Each reference below is the code as it was before it was made faster; the properties run
them side by side on generated text, including Unicode whitespace, IP-like hosts and characters JSON must escape.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentid.registry.model import Jwk
from policies.rules.credentials import _is_ip_address
from policies.rules.owners import _normalised
from policies.rules.scopes import wildcard_reason

# The references' constants are written out here, not imported from the modules under test: an oracle that reads the
# code's own tables agrees with any change to them.
#: Scope segments that name everything (docs/rules.md, `scope-wildcard`).
WILDCARD_WORDS = {"*", "all", "any", "every", "everything"}
#: WHATWG URL standard, "ends in a number checker" (https://url.spec.whatwg.org/#ends-in-a-number-checker): a host
#: whose last label is ASCII digits, or `0x`/`0X` and hex digits (an IPv4 number), is an IPv4 address.
NUMERIC_LABEL = re.compile(r"[0-9]+|0[xX][0-9a-fA-F]*")

# Text that leans towards the characters each fast path special-cases.
TRICKY = st.text(alphabet=st.sampled_from(list("ab.:_+-/*?0x9 \t\u00a0\u2003\u001c\u0085Ééf[]%")), max_size=16)
TEXT = st.one_of(TRICKY, st.text(max_size=16))


def reference_normalised(name: str) -> str:
    return re.sub(r"[._+]", "-", name.casefold())


def reference_wildcard_reason(scope: str) -> str | None:
    if not scope.strip():
        return "is empty"
    if any(ch.isspace() for ch in scope):
        return "contains whitespace"
    if "*" in scope or "?" in scope:
        return "contains a wildcard"
    segments = re.split(r"[.:/]", scope)
    if any(segment == "" for segment in segments):
        return "has an empty segment"
    if any(segment.casefold() in WILDCARD_WORDS for segment in segments):
        return "names everything rather than one permission"
    return None


def reference_is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return bool(host) and NUMERIC_LABEL.fullmatch(host.rsplit(".", 1)[-1]) is not None
    return True


def reference_thumbprint(key: Jwk, members: tuple[str, ...]) -> str:
    canonical = json.dumps({m: getattr(key, m) for m in members}, sort_keys=True, separators=(",", ":"))
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode("ascii")).digest()).rstrip(b"=").decode("ascii")


@settings(max_examples=400)
@given(TEXT)
def test_owner_names_normalise_as_before(name):
    assert _normalised(name) == reference_normalised(name)


@settings(max_examples=400)
@given(TEXT)
def test_wildcard_reasons_are_unchanged(scope):
    assert wildcard_reason(scope) == reference_wildcard_reason(scope)
    assert wildcard_reason(scope) == reference_wildcard_reason(scope)  # the remembered answer too


@pytest.mark.parametrize(
    ("host", "is_ip"),
    [  # WHATWG URL standard host parsing: these are IPv4 addresses to a URL parser, whatever they look like
        ("127.1", True),
        ("2130706433", True),
        ("0x7f.0.0.1", True),
        ("keys.example.0x", True),
        ("keys.example.com", False),
        ("keys.example.com1", False),
        ("::1", True),
        ("keys-2026.example.com", False),
    ],
)
def test_ip_address_detection_against_the_url_standard(host, is_ip):
    assert _is_ip_address(host) is is_ip


@pytest.mark.parametrize(
    ("scope", "reason"),
    [
        ("tickets.read", None),
        ("tickets.*", "contains a wildcard"),
        ("tickets.all", "names everything rather than one permission"),
        ("ALL", "names everything rather than one permission"),
        ("tickets..read", "has an empty segment"),
        ("tickets.read all", "contains whitespace"),
        ("", "is empty"),
    ],
)
def test_wildcard_reasons_written_out(scope, reason):
    assert wildcard_reason(scope) == reason


def test_wildcard_reasons_on_realistic_scopes():
    for scope in ["transcripts.read", "crm.*", "ledger..read", "hr.records\u00a0read", "all", "okta.users.read", ""]:
        assert wildcard_reason(scope) == reference_wildcard_reason(scope), scope


@settings(max_examples=400)
@given(
    st.one_of(
        TEXT,
        st.ip_addresses().map(str),
        st.sampled_from(["127.1", "2130706433", "0x7f.0.0.1", "keys.example.com", "::1", "fe80::1%eth0", "1.2.3.4."]),
    )
)
def test_ip_address_detection_is_unchanged(host):
    assert _is_ip_address(host) == reference_is_ip_address(host)


@settings(max_examples=200)
@given(TEXT, TEXT, TEXT)
def test_thumbprints_equal_the_json_dumps_canonical_form(x, y, n):
    ec = Jwk(kty="EC", kid="finance-reconciler-2026", crv="P-256", x=x, y=y)
    rsa = Jwk(kty="RSA", kid="meeting-summariser-2026", n=n, e="AQAB")
    assert ec.thumbprint() == reference_thumbprint(ec, ("crv", "kty", "x", "y"))
    assert rsa.thumbprint() == reference_thumbprint(rsa, ("e", "kty", "n"))
