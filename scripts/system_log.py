#!/usr/bin/env python3
"""Export Okta System Log token events of a window as JSON lines, for `agentid rightsize` (the monthly workflow).

Authenticates as a read-only Okta service app holding only ``okta.logs.read``, with private_key_jwt (RFC 7523: a
client assertion signed with the app's private key) at the org authorization server's token endpoint, then pages
``GET /api/v1/logs`` with ``since``, ``until``, ``filter`` and ``limit``, following the ``Link: <...>; rel="next"``
header as Okta's System Log API documents (developer.okta.com/docs/reference/api/system-log/), and waiting for
``X-Rate-Limit-Reset`` on a 429. Only token events are exported (``eventType sw "app.oauth2"``): grants, refusals.

Environment: OKTA_LOGS_API_CLIENT_ID, OKTA_LOGS_API_PRIVATE_KEY (PEM), OKTA_LOGS_API_PRIVATE_KEY_ID.

    python scripts/system_log.py --stack prod --days 30 --today 2026-12-01 --out events.jsonl
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

FILTER = 'eventType sw "app.oauth2"'
SCOPE = "okta.logs.read"
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')

Opener = Callable[[urllib.request.Request], Any]


def org_url(root: Path, stack: str) -> str:
    """``https://<okta:orgName>.<okta:baseUrl>`` from ``Pulumi.<stack>.yaml``."""
    import yaml

    config = (yaml.safe_load((root / f"Pulumi.{stack}.yaml").read_text()) or {}).get("config") or {}
    name, base = config.get("okta:orgName"), config.get("okta:baseUrl", "okta.com")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9-]+", name) or not re.fullmatch(r"[a-z0-9.-]+", base):
        raise SystemExit(f"Pulumi.{stack}.yaml: okta:orgName / okta:baseUrl do not name an Okta org")
    return f"https://{name}.{base}"


def client_assertion(org: str, client_id: str, pem: str, kid: str, now: float | None = None) -> str:
    from joserfc import jwt
    from joserfc.jwk import RSAKey

    issued = int(now if now is not None else time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": f"{org}/oauth2/v1/token",
        "iat": issued,
        "exp": issued + 300,
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode({"alg": "RS256", "kid": kid}, claims, RSAKey.import_key(pem))


def access_token(org: str, assertion: str, opener: Opener) -> str:
    body = urllib.parse.urlencode(
        {
            "grant_type": "client_credentials",
            "scope": SCOPE,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        }
    ).encode()
    request = urllib.request.Request(f"{org}/oauth2/v1/token", data=body, method="POST")
    request.add_header("Accept", "application/json")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    with opener(request) as response:
        return json.loads(response.read())["access_token"]


def pages(org: str, token: str, since: str, until: str, opener: Opener, sleep=time.sleep) -> Iterator[list[Any]]:
    """Every page of events in [since, until), oldest first."""
    query = urllib.parse.urlencode({"since": since, "until": until, "filter": FILTER, "limit": 1000})
    url: str | None = f"{org}/api/v1/logs?{query}"
    while url:
        request = urllib.request.Request(url)
        request.add_header("Accept", "application/json")
        request.add_header("Authorization", f"Bearer {token}")
        try:
            with opener(request) as response:
                page = json.loads(response.read())
                links = response.headers.get_all("Link") or []
        except urllib.error.HTTPError as exc:
            if exc.code != 429:
                raise
            reset = int(exc.headers.get("X-Rate-Limit-Reset", "0") or 0)
            sleep(min(max(reset - time.time(), 1), 60))
            continue
        yield page
        following = next((m.group(1) for link in links if (m := _NEXT.search(link))), None)
        # Okta always sends a next link for a bounded query until a page comes back empty
        url = following if page and following and following.startswith(org + "/") else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.datetime.now(dt.UTC).date())
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    missing = [
        name
        for name in ("OKTA_LOGS_API_CLIENT_ID", "OKTA_LOGS_API_PRIVATE_KEY", "OKTA_LOGS_API_PRIVATE_KEY_ID")
        if not os.environ.get(name)
    ]
    if missing:
        print(f"system_log: set {', '.join(missing)} (docs/rightsizing.md)", file=sys.stderr)
        return 2
    org = org_url(Path.cwd(), args.stack)
    since = f"{args.today - dt.timedelta(days=args.days)}T00:00:00.000Z"
    until = f"{args.today}T00:00:00.000Z"
    assertion = client_assertion(
        org,
        os.environ["OKTA_LOGS_API_CLIENT_ID"],
        os.environ["OKTA_LOGS_API_PRIVATE_KEY"],
        os.environ["OKTA_LOGS_API_PRIVATE_KEY_ID"],
    )
    opener = urllib.request.urlopen
    token = access_token(org, assertion, opener)
    count = 0
    with args.out.open("w", encoding="utf-8") as out:
        for page in pages(org, token, since, until, opener):
            for event in page:
                out.write(json.dumps(event, separators=(",", ":")) + "\n")
                count += 1
    print(f"system_log: {count} events from {since} to {until} written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
