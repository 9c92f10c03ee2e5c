"""RFC 7638 thumbprints computed from the members equal joserfc's thumbprint of the imported key."""

from __future__ import annotations

import pytest
from joserfc.jwk import ECKey, RSAKey

from agentid.registry.model import Jwk
from benchmarks.keys import ec_public_jwk, rsa_pool

#: RFC 7638 section 3.1: the example key and its SHA-256 thumbprint.
RFC_N = (
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMs"
    "tn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n"
    "91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
)


def test_rfc_7638_example():
    key = Jwk(kty="RSA", kid="2011-04-29", e="AQAB", n=RFC_N, alg="RS256")
    assert key.thumbprint() == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


@pytest.mark.parametrize("index", range(5))
def test_equals_joserfc_on_imported_keys(index: int):
    ec = ec_public_jwk(3, f"{index}:agent", "hr-onboarding-assistant-2026-12", "P-384" if index % 2 else "P-256")
    ec_key = Jwk(kty="EC", kid=ec["kid"], crv=ec["crv"], x=ec["x"], y=ec["y"])
    assert ec_key.thumbprint() == ECKey.import_key({k: ec[k] for k in ("kty", "crv", "x", "y")}).thumbprint()
    rsa = rsa_pool()[index]
    rsa_key = Jwk(kty="RSA", kid="finance-reconciler-2026-12", n=rsa["n"], e=rsa["e"])
    assert rsa_key.thumbprint() == RSAKey.import_key({"kty": "RSA", **rsa}).thumbprint()


def test_a_key_without_its_required_members_has_no_thumbprint():
    with pytest.raises(ValueError, match="lacks y"):
        Jwk(kty="EC", kid="meeting-summarizer-2026-12", crv="P-256", x="qjoy7Ypkmpt51E0NBC_gxcbYINYE3hk").thumbprint()
    with pytest.raises(ValueError, match="key type 'oct'"):
        Jwk(kty="oct", kid="support-triage-2026-12").thumbprint()
