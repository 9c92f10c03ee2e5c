"""Real public keys for synthetic agents: unique per identity, reproducible from a seed.

Every identity needs its own key, or the registry-wide ``shared-key`` rule fires on every synthetic agent. EC keys
are derived from the seed (a private scalar from SHA-256 of ``seed:index``), so 10,000 unique, real P-256/P-384
public keys cost milliseconds and come out the same on every machine. RSA key generation cannot be seeded and costs
~30 ms a key, so a pool of real RSA public keys was generated once (``python -m benchmarks keys``) and is committed
as ``benchmarks/data/rsa-public-jwks.json``; each pool entry is used by one identity only. Only public members are
ever written: the private halves are discarded the moment the public numbers are read.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec, rsa

RSA_POOL_PATH = Path(__file__).with_name("data") / "rsa-public-jwks.json"

_CURVES: dict[str, tuple[ec.EllipticCurve, int, str]] = {
    # crv: (curve, coordinate bytes, alg)
    "P-256": (ec.SECP256R1(), 32, "ES256"),
    "P-384": (ec.SECP384R1(), 48, "ES384"),
}
#: Group orders, so a derived scalar is always a valid private key.
_ORDERS = {
    "P-256": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    "P-384": 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973,
}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _uint(value: int, size: int | None = None) -> bytes:
    return value.to_bytes(size or (value.bit_length() + 7) // 8, "big")


def ec_public_jwk(seed: int, label: str, kid: str, crv: str = "P-256") -> dict[str, str]:
    """A real EC public JWK derived from ``(seed, label)``: the same inputs always give the same key."""
    curve, size, alg = _CURVES[crv]
    digest = hashlib.sha512(f"agentid-bench:{seed}:{label}".encode()).digest()
    scalar = int.from_bytes(digest, "big") % (_ORDERS[crv] - 1) + 1
    numbers = ec.derive_private_key(scalar, curve).public_key().public_numbers()
    return {
        "kty": "EC",
        "kid": kid,
        "use": "sig",
        "alg": alg,
        "crv": crv,
        "x": b64url(_uint(numbers.x, size)),
        "y": b64url(_uint(numbers.y, size)),
    }


@lru_cache(maxsize=1)
def rsa_pool() -> tuple[dict[str, str], ...]:
    """The committed RSA public keys (``n``, ``e`` only), in a fixed order."""
    return tuple(json.loads(RSA_POOL_PATH.read_text(encoding="utf-8"))["keys"])


def rsa_public_jwk(index: int, kid: str) -> dict[str, str] | None:
    """Pool key ``index`` as a JWK with ``kid``, or ``None`` when the pool is exhausted (callers fall back to EC)."""
    pool = rsa_pool()
    if index >= len(pool):
        return None
    return {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "e": pool[index]["e"], "n": pool[index]["n"]}


def generate_rsa_pool(count: int, path: Path = RSA_POOL_PATH) -> None:
    """Generate ``count`` RSA-2048 key pairs and keep only their public numbers (run once; the file is committed)."""
    keys = []
    for _ in range(count):
        numbers = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_numbers()
        keys.append({"n": b64url(_uint(numbers.n)), "e": b64url(_uint(numbers.e))})
    document = {
        "description": "Public RSA-2048 keys for synthetic benchmark agents (public numbers only; private halves "
        "were never stored). Regenerate with `python -m benchmarks keys --rsa N`.",
        "keys": keys,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=0) + "\n", encoding="utf-8")
