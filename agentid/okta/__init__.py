"""Read-only access to a live Okta org: a small typed Management API client (:mod:`agentid.okta.client`), the
connection and credential settings (:mod:`agentid.okta.connection`), a snapshot of the org's non-human identities
(:mod:`agentid.okta.live`) and the judgements made on it (:mod:`agentid.okta.compare`).

Why not the official ``okta`` SDK: version 3.x (3.4.6 checked) is async-only (aiohttp) and pulls pydantic,
pycryptodomex, jwcrypto, PyJWT, pydash and blinker for seven GET endpoints and one token request. This package uses
the standard library's HTTP client and joserfc (already in the lock) for the client assertion.
"""
