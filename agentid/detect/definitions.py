"""The detections, generated once from the registry and shared by every front-end.

EventBridge patterns (:mod:`agentid.detect.eventbridge`), Sigma rules (:mod:`agentid.detect.sigma`) and the offline
detector (:mod:`agentid.detect.detector`) all read a :class:`DetectionSet`, so a profile means the same thing in AWS,
in the SIEM and in triage. Plugins are identities of their own (their own client id and scopes) and inherit their
agent's behaviour profile: a plugin acts for its agent, within the same hours and the same hourly budget.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a compiled profile (agentid.detect.profile) builds a DetectionSet without the registry's code
    from agentid.registry.model import Agent, Registry

# --- Okta System Log event types (see the GUIDE's "Okta facts"; custom AS events carry ".as.", org AS ones don't) ---
#: A token minted: custom authorization server, then the org server (which mints the ``okta.*`` management scopes).
GRANT_EVENT_TYPES = ("app.oauth2.as.token.grant.access_token", "app.oauth2.token.grant.access_token")
#: A token request refused (outcome FAILURE, e.g. reason ``no_matching_scope``).
REFUSED_EVENT_TYPES = ("app.oauth2.as.token.grant", "app.oauth2.token.grant")
INVALID_CREDENTIALS_EVENT_TYPES = ("app.oauth2.invalid_client_credentials",)
#: Changes to what an agent is and may do. ``application.lifecycle.*`` is what the Admin Console logs for app edits.
#: Prefixes match from the start of the event type, so ``oauth2.as.`` never matches ``app.oauth2.as.token.*``.
#: Event type names are Okta's catalog's (okta/okta-developer-docs, ``.vuepress/public/docs/okta-event-types.csv``).
TAMPER_PREFIXES = (
    "app.oauth2.client.lifecycle.",
    "app.oauth2.credentials.lifecycle.",
    "app.oauth2.client.privilege.revoke",
    "application.lifecycle.",
    # The agent's access policy itself (created, updated, deactivated, deleted, overwritten), not only its rule.
    "policy.lifecycle.",
    "policy.rule.",
    "oauth2.scope.",
    # The agents' authorization server and its token claims: an audience or claim edited by hand changes every token.
    "oauth2.as.",
    "oauth2.claim.",
)
#: ``app.oauth2.client.read_client_secret`` (catalog release 2024.08.1): an OAuth client's secret was read back.
SECRET_READ_EVENT_TYPES = ("app.oauth2.client.read_client_secret",)
#: Okta management API scopes or admin roles given to a client (``okta.AppOauthApiScope`` is an admin consent grant
#: of each ``okta.*`` scope), and user consent to a client at the org or a custom authorization server.
API_GRANT_EVENT_TYPES = (
    "app.oauth2.admin.consent.grant",
    "app.oauth2.client.privilege.grant",
    "app.oauth2.consent.grant",
    "app.oauth2.as.consent.grant",
)
#: An SSWS API token: unscoped, long-lived, tied to a person; ``system.api_token.create`` in Okta's catalog.
API_TOKEN_EVENT_TYPES = ("system.api_token.create",)
#: ``app.oauth2.trusted_server.add`` / ``.delete``: another authorization server's tokens trusted (or no longer).
TRUSTED_SERVER_PREFIX = "app.oauth2.trusted_server."
#: ``zone.create``, ``zone.update``, ``zone.activate``, ``zone.deactivate``, ``zone.delete``, ``zone.make_blacklist``,
#: ``zone.remove_blacklist``: the network zones that restrict where agents may ask for tokens.
ZONE_PREFIX = "zone."
#: The only client authentication an agent app is deployed with (``token_endpoint_auth_method``).
PRIVATE_KEY_JWT = "private_key_jwt"
LOG_STREAM_PREFIX = "system.log_stream.lifecycle."
CLIENT_CREDENTIALS = "client_credentials"

#: EventBridge envelope of Okta's log stream.
DETAIL_TYPE = "SystemLog"
PARTNER_SOURCE_PREFIX = "aws.partner/okta.com"


class Kind(StrEnum):
    EVENT = "event"  # one event decides: EventBridge rule + offline detector
    AGGREGATE = "aggregate"  # needs counting or time of day: Sigma rule + offline detector
    BASELINE = "baseline"  # needs what earlier runs saw: offline detector with --baseline only


@dataclass(frozen=True, slots=True)
class Detection:
    """What a detection means, for alerts, rule descriptions and docs (generated from this one table)."""

    id: str
    title: str
    kind: Kind
    severity: str  # Sigma levels: low, medium, high, critical
    description: str
    response: str
    tags: tuple[str, ...] = ()


DETECTIONS: Mapping[str, Detection] = MappingProxyType(
    {
        d.id: d
        for d in (
            Detection(
                "token-refused",
                "Token request refused for a registered agent",
                Kind.EVENT,
                "medium",
                "Okta refused a token to an agent's client (for example no_matching_scope: it asked for a scope its "
                "policy rule does not grant). The agent is misconfigured or is probing for more access.",
                "Compare the requested scopes with the agent's definition; ask its owners.",
                ("owasp-nhi.nhi5", "owasp-asi.asi03"),
            ),
            Detection(
                "invalid-client-credentials",
                "Invalid client credentials for a registered agent",
                Kind.EVENT,
                "high",
                "A token request for an agent's client failed client authentication: a rotated key still in use, or "
                "someone without the private key trying to act as the agent.",
                "Check the key id in the request against the agent's published keys; rotate if the key may be exposed.",
                ("owasp-nhi.nhi4", "owasp-nhi.nhi2"),
            ),
            Detection(
                "shadow-agent-token",
                "Client-credentials token granted to a client that is not in the registry",
                Kind.EVENT,
                "high",
                "A machine identity obtained a token but no agent definition declares it: a shadow agent created "
                "outside the registry, with no owner, purpose or review.",
                "Find the app in Okta; register it under agents/ or deactivate it.",
                ("owasp-nhi.nhi1", "owasp-asi.asi10"),
            ),
            Detection(
                "inactive-agent-token",
                "Token granted to an agent that should be inactive",
                Kind.EVENT,
                "critical",
                "The agent's lifecycle has expired, so its app should be INACTIVE, yet Okta minted it a token: the app "
                "was reactivated by hand or the deploy did not run.",
                "Deactivate the app now; find who reactivated it (System Log, app.oauth2.client.lifecycle.activate).",
                ("owasp-nhi.nhi1",),
            ),
            Detection(
                "identity-tampering",
                "Agent identity changed outside the deployment pipeline",
                Kind.EVENT,
                "high",
                "An agent's OAuth app, its credentials, its access policy or policy rule, or the agents' authorization "
                "server (its scopes, claims) was changed by someone other than the deploying principal: the change "
                "bypassed review and will drift from the registry. Changes to other apps and policies are not alerted "
                "by the offline detector and Sigma; EventBridge cannot see the target and alerts on every one.",
                "Revert with `pulumi up` from main; ask the actor why; make the change through a pull request.",
                ("owasp-nhi.nhi5", "owasp-asi.asi03"),
            ),
            Detection(
                "client-secret-read",
                "Client secret of an agent app read",
                Kind.EVENT,
                "high",
                "Someone read back the client secret of an agent's app. Agent apps authenticate with private_key_jwt "
                "and are deployed without a secret, so there is a secret to read only if one was added by hand, and "
                "reading it is the first step to acting as the agent from anywhere.",
                "Delete the secret from the app; find who added and read it; rotate the agent's key if in doubt.",
                ("owasp-nhi.nhi2", "owasp-nhi.nhi4"),
            ),
            Detection(
                "agent-api-grant",
                "Okta API scope, admin role or consent granted to an agent app",
                Kind.EVENT,
                "critical",
                "An agent's app was given Okta management API scopes (admin consent), an admin role, or a user's "
                "consent, by someone other than the deploying principal: the agent can now do more than its "
                "definition says, and nobody reviewed it.",
                "Revoke the grant (Okta Admin Console: the app's Okta API Scopes / Admin roles); ask the actor why.",
                ("owasp-nhi.nhi5", "owasp-asi.asi03"),
            ),
            Detection(
                "weak-client-auth",
                "Agent token granted without private_key_jwt",
                Kind.EVENT,
                "high",
                "Okta minted a token to an agent's client that authenticated with something other than a signed JWT "
                "(debugData.clientAuthType, e.g. client_secret_basic): a shared secret was added to the app and is "
                "in use.",
                "Remove the secret and set the app back to private_key_jwt with `pulumi up`; find who uses the secret.",
                ("owasp-nhi.nhi4", "owasp-nhi.nhi7"),
            ),
            Detection(
                "api-token-created",
                "Okta API token created",
                Kind.EVENT,
                "medium",
                "An SSWS API token was created: unscoped, long-lived and acting with its creator's admin rights, the "
                "kind of credential agent identities exist to replace.",
                "Ask the creator what it is for; prefer a registered service app with scoped Okta API access.",
                ("owasp-nhi.nhi7", "owasp-nhi.nhi5"),
            ),
            Detection(
                "trusted-server-change",
                "Trusted authorization server added or removed",
                Kind.EVENT,
                "high",
                "An authorization server was added to (or removed from) another server's trusted servers, by someone "
                "other than the deploying principal: tokens of one server are then accepted where the other's are.",
                "Confirm the change with the actor; remove a trust nobody reviewed.",
                ("owasp-nhi.nhi5", "owasp-asi.asi03"),
            ),
            Detection(
                "network-zone-change",
                "Okta network zone changed",
                Kind.EVENT,
                "medium",
                "A network zone was created, changed, (de)activated, deleted or (un)blocklisted by someone other than "
                "the deploying principal. Agents' apps restrict token requests to zones: widening one widens where "
                "a stolen key works.",
                "Compare the zone's gateways with the stack's agentid:networkZones; revert changes nobody reviewed.",
                ("owasp-nhi.nhi6",),
            ),
            Detection(
                "log-stream-change",
                "Okta log stream changed",
                Kind.EVENT,
                "high",
                "The log stream that feeds every other detection was created, changed, deactivated or deleted. Okta "
                "itself deactivates a stream after failed deliveries, which silently blinds these detections.",
                "Confirm the change was intended; reactivate the stream and check the event bus.",
                ("owasp-nhi.nhi6",),
            ),
            Detection(
                "token-rate-exceeded",
                "Agent exceeded its declared tokens per hour",
                Kind.AGGREGATE,
                "medium",
                "More tokens were granted to the identity in one UTC clock hour than its max_tokens_per_hour: a loop, "
                "a leaked credential used in parallel, or a profile that no longer fits.",
                "Look at who else requested tokens for the client; raise the profile by pull request if legitimate.",
                ("owasp-nhi.nhi2", "owasp-asi.asi10"),
            ),
            Detection(
                "token-outside-active-hours",
                "Agent obtained a token outside its active hours",
                Kind.AGGREGATE,
                "medium",
                "The identity was granted a token outside its declared active_hours_utc window.",
                "Check the caller's IP and user agent; if a batch job moved, change its profile by pull request.",
                ("owasp-asi.asi10",),
            ),
            Detection(
                "scope-outside-profile",
                "Agent requested scopes outside its declared set",
                Kind.AGGREGATE,
                "high",
                "The identity asked for a scope it does not declare. Okta refuses such a request, but the attempt "
                "shows an agent reaching for data its purpose does not justify.",
                "Ask the owners; if the agent needs the scope, add it to its definition with a reason.",
                ("owasp-nhi.nhi5", "owasp-asi.asi03"),
            ),
            Detection(
                "token-outside-network-zone",
                "Agent token granted to an IP outside its network zones",
                Kind.AGGREGATE,
                "high",
                "The identity's agent names network zones (access.network_zones) whose gateways the stack declares "
                "(agentid:networkZones.<name>.gateways), yet Okta granted it a token requested from an address "
                "outside every one of them: the zone restriction is off or was changed, or the key is used elsewhere.",
                "Check the app's network setting and the zone's gateways in Okta; rotate the key if it may be stolen.",
                ("owasp-nhi.nhi2", "owasp-nhi.nhi6"),
            ),
            Detection(
                "first-seen-source",
                "Agent obtained a token from a source never seen before",
                Kind.BASELINE,
                "medium",
                "The identity was granted a token from an IP address or autonomous system (ASN) that no earlier run "
                "recorded for it (`agentid detect --baseline FILE`; the first run only records).",
                "Confirm with the owners that the agent moved (new host, new egress); if not, treat the key as stolen.",
                ("owasp-nhi.nhi2", "owasp-asi.asi10"),
            ),
        )
    }
)

EVENT_DETECTIONS = tuple(d for d in DETECTIONS.values() if d.kind is Kind.EVENT)
AGGREGATE_DETECTIONS = tuple(d for d in DETECTIONS.values() if d.kind is Kind.AGGREGATE)
BASELINE_DETECTIONS = tuple(d for d in DETECTIONS.values() if d.kind is Kind.BASELINE)


#: One activity table per distinct ``active_hours_utc`` window: thousands of identities share a handful of windows,
#: and building a table costs 1,440 calls (seconds at 10,000 agents, for the detector, Sigma and the synthetic day).
_ACTIVE_TABLES: dict[str, bytes] = {}


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


@dataclass(frozen=True, slots=True)
class IdentityProfile:
    """One Okta client the registry declares, with everything a detection needs to judge its events."""

    identity: str
    agent: str
    client_id: str
    scopes: frozenset[str]
    max_tokens_per_hour: int
    active_hours_utc: str
    expires: dt.date | None
    file: str
    #: gateway CIDRs of the network zones the agent names (``agentid:networkZones.<name>.gateways`` of the stack);
    #: empty when it names none or the stack declares no gateways for them: no network detection then
    networks: tuple[str, ...] = ()

    @property
    def active_bounds(self) -> tuple[int, int]:
        """(start, end) in minutes of the UTC day; end may be below start when the window wraps midnight."""
        start, end = self.active_hours_utc.split("-")
        return _minutes(start), _minutes(end)

    def is_active_minute(self, minute_of_day: int) -> bool:
        """Same semantics as :meth:`agentid.registry.model.Profile.is_active_at` (end exclusive, equal = all day)."""
        lo, hi = self.active_bounds
        if lo % 1440 == hi % 1440:
            return True
        if lo < hi:
            return lo <= minute_of_day < hi
        return minute_of_day >= lo or minute_of_day < hi

    @property
    def active_table(self) -> bytes:
        """1 for each minute of the UTC day inside the window, else 0: one index per event instead of arithmetic.
        Shared by every identity with the same window."""
        table = _ACTIVE_TABLES.get(self.active_hours_utc)
        if table is None:
            table = bytes(1 if self.is_active_minute(m) else 0 for m in range(1440))
            _ACTIVE_TABLES[self.active_hours_utc] = table
        return table

    def inactive_minutes(self) -> list[int]:
        """Every minute of the UTC day outside the active window (for Sigma's time-of-day regex)."""
        return [m for m, active in enumerate(self.active_table) if not active]

    def is_expired_on(self, day: dt.date) -> bool:
        return self.expires is not None and day > self.expires


@dataclass(frozen=True, slots=True)
class DetectionSet:
    """All detection inputs for one stack: the identities it deploys and who may change them."""

    identities: tuple[IdentityProfile, ...]
    today: dt.date
    stack: str | None = None
    #: principals allowed to change agent identities (the Pulumi deployer's user or service app id)
    deployer_ids: tuple[str, ...] = ()
    #: non-agent clients that legitimately get client-credentials tokens (the deployer's own service app, ...)
    allowed_client_ids: tuple[str, ...] = ()
    #: names and ids of the agents' authorization server (``agentid:authorizationServer`` name / existingId): an
    #: admin change naming it as target is tampering with every agent
    auth_servers: tuple[str, ...] = ()
    by_client_id: Mapping[str, IdentityProfile] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_client_id", MappingProxyType({p.client_id: p for p in self.identities}))

    @property
    def client_ids(self) -> tuple[str, ...]:
        """Every registry client id, sorted (patterns and rule files must not change with dict order)."""
        return tuple(sorted(self.by_client_id))

    @property
    def known_client_ids(self) -> tuple[str, ...]:
        """Clients whose tokens are expected: the registry's plus the allowed non-agent ones."""
        return tuple(sorted({*self.by_client_id, *self.allowed_client_ids}))

    def inactive(self) -> tuple[IdentityProfile, ...]:
        """Identities whose agent has expired as of :attr:`today`: the program deploys their apps INACTIVE."""
        return tuple(p for p in self.identities if p.is_expired_on(self.today))


def zone_networks(zones: Iterable[str], gateways: Mapping[str, Iterable[str]]) -> tuple[str, ...]:
    """The gateway CIDRs of ``zones`` (the names an agent file gives; an id is looked up too, for registries that
    still name zones by id), sorted and de-duplicated. A zone without declared gateways adds none."""
    found: set[str] = set()
    for zone in zones:
        found.update(gateways.get(zone, ()))
    return tuple(sorted(found))


def identity_profiles(
    agents: Iterable[Agent],
    client_ids: Mapping[str, str],
    zone_gateways: Mapping[str, Iterable[str]] | None = None,
) -> tuple[IdentityProfile, ...]:
    """One profile per identity (agent, then its plugins), in registry order.

    An identity's expected scopes are its own custom scopes plus its own Okta management scopes (asked of the org
    server): a plugin holding Okta management access may ask for them, and the agent (or a sibling plugin) asking
    for them is an anomaly, since its app holds no such grant. Plugins' apps carry their agent's network zones, so
    they share its networks (``zone_gateways``: zone name or id -> gateway CIDRs, from the stack's configuration).
    """
    profiles = []
    for agent in agents:
        networks = zone_networks(agent.access.network_zones, zone_gateways or {})
        own_okta_scopes = {agent.name: agent.access.okta_api_scopes}
        own_okta_scopes.update({p.identity_name(agent.name): p.okta_api_scopes for p in agent.plugins})
        for identity, _credentials, scopes in agent.identities():
            profiles.append(
                IdentityProfile(
                    identity=identity,
                    agent=agent.name,
                    client_id=client_ids[identity],
                    scopes=frozenset(scopes) | frozenset(own_okta_scopes[identity]),
                    max_tokens_per_hour=agent.profile.max_tokens_per_hour,
                    active_hours_utc=agent.profile.active_hours_utc,
                    expires=agent.lifecycle.expires,
                    file=agent.file,
                    networks=networks,
                )
            )
    return tuple(profiles)


def identity_names(agents: Iterable[Agent]) -> list[str]:
    return [identity for agent in agents for identity, _c, _s in agent.identities()]


def build_detection_set(
    registry: Registry,
    *,
    today: dt.date,
    stack: str | None = None,
    client_ids: Mapping[str, str] | None = None,
    deployer_ids: Iterable[str] = (),
    allowed_client_ids: Iterable[str] = (),
    zone_gateways: Mapping[str, Iterable[str]] | None = None,
    auth_servers: Iterable[str] = (),
) -> DetectionSet:
    """The detections for ``stack`` (every agent when ``None``).

    ``client_ids`` maps identity -> Okta client id; without it the offline world's ids are used
    (:func:`agentid.detect.clientids.offline_client_id`). The deployer is also an allowed client: its own service app
    gets client-credentials tokens from the org server to run ``pulumi up``. ``zone_gateways`` and ``auth_servers``
    come from the stack's configuration (:mod:`agentid.detect.stackconfig`).
    """
    from agentid.detect.clientids import offline_client_ids

    agents = registry.for_stack(stack) if stack else registry.agents
    names = identity_names(agents)
    ids = dict(client_ids) if client_ids is not None else offline_client_ids(names)
    deployers = tuple(sorted(set(deployer_ids)))
    return DetectionSet(
        identities=identity_profiles(agents, ids, zone_gateways),
        today=today,
        stack=stack,
        deployer_ids=deployers,
        allowed_client_ids=tuple(sorted({*allowed_client_ids, *deployers})),
        auth_servers=tuple(sorted(set(auth_servers))),
    )
