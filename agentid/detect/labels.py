"""The Okta app label of an agent identity: how EventBridge recognises agents without listing their client ids.

Okta's System Log names the OAuth client in ``actor`` of a client-credentials grant
(``app.oauth2.as.token.grant.access_token``): the app's label in ``actor.displayName`` and its client id in
``actor.id`` (Okta support, "How to Review System Logs for OpenID Connect Applications to Verify if They Use a Custom
Authorization Server"). So every app the program deploys carries a label that starts with a fixed prefix,
``agentid:<identity>``, and an expired agent's app (deployed INACTIVE) ``agentid:expired:<identity>``. One
EventBridge ``prefix`` test then tells an agent's events from any other client's, and the rules never change when an
agent is added (docs/detections.md explains the trade-off: an app labelled by hand with the prefix passes as an
agent, which the id-based Sigma and offline detectors and the identity-tampering rule still catch).

The expired prefix starts with the agent prefix, so "any agent" rules (refused token, invalid credentials, not a
shadow agent) match expired agents too, as the offline detector does; identity names never contain ``:``, so no live
agent's label can start with the expired prefix.

Okta limits an app label to 100 characters (okta-blog-archive pull request 1458, OKTA-146865: raised from 50 in
2017). Identity names reach 106 characters (a 63-character agent, ``--``, a 41-character plugin), so a label that
would be longer is cut and ends with ``~`` and 8 hex characters of the identity's SHA-256: deterministic, still
distinct, and the prefix, which is all detections read, is kept whole.

Used by the program (``infra/components/agent_identity.py``), the synthetic traffic generator and the tests; the
offline detector and Sigma judge by client id and do not need it.
"""

from __future__ import annotations

import hashlib

#: Every agent identity's app label starts with this (agent or plugin, live or expired).
AGENT_LABEL_PREFIX = "agentid:"
#: An expired agent's app (deployed INACTIVE) starts with this instead; it extends the agent prefix on purpose.
EXPIRED_LABEL_PREFIX = AGENT_LABEL_PREFIX + "expired:"
#: Okta's limit on an app label.
OKTA_LABEL_MAX_CHARS = 100
_DIGEST_CHARS = 8


def app_label(identity: str, *, expired: bool = False) -> str:
    """The label of ``identity``'s Okta app: ``agentid:<identity>``, or ``agentid:expired:<identity>`` once expired,
    cut to Okta's 100 characters with a hash of the full name when longer."""
    prefix = EXPIRED_LABEL_PREFIX if expired else AGENT_LABEL_PREFIX
    label = prefix + identity
    if len(label) <= OKTA_LABEL_MAX_CHARS:
        return label
    digest = hashlib.sha256(identity.encode()).hexdigest()[:_DIGEST_CHARS]
    keep = OKTA_LABEL_MAX_CHARS - len(prefix) - len(digest) - 1
    return f"{prefix}{identity[:keep]}~{digest}"


def is_agent_label(label: object) -> bool:
    """Whether an app label (an event's ``actor.displayName``) marks an agent identity, expired or not."""
    return isinstance(label, str) and label.startswith(AGENT_LABEL_PREFIX)


def is_expired_label(label: object) -> bool:
    """Whether an app label marks an expired agent's app."""
    return isinstance(label, str) and label.startswith(EXPIRED_LABEL_PREFIX)
