"""The typed, immutable model of the agent registry.

Everything downstream (rules, the Pulumi program, review, inventory, detections) reads these classes, never raw
YAML, so a field is interpreted in exactly one place. Instances are frozen: a rule cannot "fix" an agent while
judging it, and a model can be shared safely between the plan and the rules.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from agentid.registry.yamlsafe import Path, Position


class Sensitivity(StrEnum):
    """Data sensitivity, ordered from least to most sensitive (compare with :attr:`rank`)."""

    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    RESTRICTED = "restricted"

    @property
    def rank(self) -> int:
        return _SENSITIVITY_ORDER.index(self)


_SENSITIVITY_ORDER = list(Sensitivity)


class LifecycleKind(StrEnum):
    PERSISTENT = "persistent"
    EPHEMERAL = "ephemeral"


@dataclass(frozen=True, slots=True)
class ScopeInfo:
    """A catalog scope: what it grants, which data domain it touches and how sensitive that data is."""

    name: str
    description: str
    domain: str
    sensitivity: Sensitivity


@dataclass(frozen=True, slots=True)
class PurposeInfo:
    """A catalog purpose and the data domains it justifies touching."""

    name: str
    description: str
    domains: frozenset[str]


@dataclass(frozen=True, slots=True)
class Catalog:
    """``policies/catalog.yaml``: the vocabulary agents are written in."""

    scopes: Mapping[str, ScopeInfo]
    purposes: Mapping[str, PurposeInfo]
    file: str = "policies/catalog.yaml"

    def scope(self, name: str) -> ScopeInfo | None:
        return self.scopes.get(name)


@dataclass(frozen=True, slots=True)
class Source:
    """Where a definition came from, and where each of its values stood, for findings that point at a line."""

    file: str
    positions: Mapping[Path, Position] = field(default_factory=dict, compare=False, hash=False, repr=False)
    #: The SHA-256 git blob id of the bytes the definition was read from (``loader.content_ids``), None for one built
    #: in memory: with ``file``, what results computed from the model are cached by
    digest: str | None = field(default=None, compare=False, hash=False, repr=False)
    #: The SHA-1 git blob id of the same bytes: how a review finds the files a SHA-1 repository's base shares
    git_sha1: str | None = field(default=None, compare=False, hash=False, repr=False)

    def blob_id(self, id_length: int) -> str | None:
        """The id git gives the bytes this came from: SHA-256 (64 hex digits) or SHA-1 (40); None if unknown."""
        return self.digest if id_length == 64 else self.git_sha1 if id_length == 40 else None

    def line(self, *path: str | int) -> int | None:
        """The line of ``path``, or of its nearest ancestor present in the file."""
        probe: Path = tuple(path)
        while probe:
            found = self.positions.get(probe)
            if found is not None:
                return found.line
            probe = probe[:-1]
        root = self.positions.get(())
        return root.line if root else 1

    def column(self, *path: str | int) -> int | None:
        found = self.positions.get(tuple(path))
        return found.column if found else None


#: The members RFC 7638 hashes, per key type (section 3.2), in sorted order.
_THUMBPRINT_MEMBERS = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y")}

#: json's own encoder for one string with ensure_ascii (the C one when available): quotes and escapes included.
_json_string = json.encoder.encode_basestring_ascii


@dataclass(frozen=True, slots=True)
class Jwk:
    """A public JSON Web Key. Only public members are kept; ``private_members`` names (never values) any private
    members the file contained, so the private-key rule can report them without the value ever leaving the loader."""

    kty: str
    kid: str
    use: str | None = None
    alg: str | None = None
    n: str | None = None
    e: str | None = None
    crv: str | None = None
    x: str | None = None
    y: str | None = None
    private_members: tuple[str, ...] = ()

    def public_members(self) -> dict[str, str]:
        """The JWK as Okta and RFC 7638 expect it: only the members that are set, and only public ones."""
        names = ("kty", "kid", "use", "alg", "n", "e", "crv", "x", "y")
        return {name: value for name in names if (value := getattr(self, name)) is not None}

    def thumbprint(self) -> str:
        """RFC 7638 SHA-256 thumbprint: the same key has the same thumbprint whatever its ``kid``.

        Computed from the key's required members alone (RFC 7638 section 3.2), without building a key object:
        checking that an EC point lies on its curve costs a hundred times more than the hash, and two identities
        holding the same bytes share a key whether or not those bytes are a usable key. The hash is RFC 7638
        section 3 verbatim (sorted members, no whitespace, SHA-256, base64url); hashing here rather than through
        joserfc spares every ``agentid check`` joserfc's import (tens of milliseconds). Tests compare the two."""
        required = _THUMBPRINT_MEMBERS.get(self.kty)
        if required is None:
            raise ValueError(f"no RFC 7638 thumbprint for key type {self.kty!r}")
        values = [getattr(self, name) for name in required]
        missing = [name for name, value in zip(required, values, strict=True) if value is None]
        if missing:
            raise ValueError(f"{self.kty} key `{self.kid}` lacks {', '.join(missing)}")
        if all(type(value) is str for value in values):
            # What json.dumps(sort_keys, no whitespace, ensure_ascii) writes, built directly: the member names are
            # already in sorted order and each value is encoded by json's own ASCII string encoder.
            pairs = [f'"{name}":{_json_string(value)}' for name, value in zip(required, values, strict=True)]
            canonical = "{" + ",".join(pairs) + "}"
        else:
            members = dict(zip(required, values, strict=True))
            canonical = json.dumps(members, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        digest = hashlib.sha256(canonical.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True, slots=True)
class Credentials:
    """Exactly one of ``jwks_uri`` or ``keys`` is set (the schema guarantees it)."""

    jwks_uri: str | None = None
    keys: tuple[Jwk, ...] = ()

    @property
    def style(self) -> str:
        return "jwks_uri" if self.jwks_uri else "keys"


@dataclass(frozen=True, slots=True)
class ScopeGrant:
    """A scope the agent requests and the reason a reviewer can weigh it against."""

    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class Lifecycle:
    kind: LifecycleKind
    review_by: dt.date
    expires: dt.date | None = None

    def is_expired(self, today: dt.date) -> bool:
        """Expired from the day after ``expires``: an agent may work through its last day."""
        return self.expires is not None and today > self.expires


@dataclass(frozen=True, slots=True)
class Access:
    scopes: tuple[ScopeGrant, ...]
    token_lifetime_minutes: int
    okta_api_scopes: tuple[str, ...] = ()
    #: network zone *names* (``finance-batch``); each stack resolves them to its org's zone ids
    #: (``agentid:networkZones`` in Pulumi.<stack>.yaml, infra/program.py)
    network_zones: tuple[str, ...] = ()
    #: Okta standard admin roles (``READ_ONLY_ADMIN``) assigned to the agent's app: Okta refuses management API
    #: calls (403) from a service app without one, whatever ``okta_api_scopes`` its tokens carry
    okta_admin_roles: tuple[str, ...] = ()

    @property
    def scope_names(self) -> tuple[str, ...]:
        return tuple([grant.name for grant in self.scopes])

    @property
    def holds_okta_management(self) -> bool:
        return bool(self.okta_api_scopes or self.okta_admin_roles)


@dataclass(frozen=True, slots=True)
class Plugin:
    """A tool the agent calls that acts with its own identity (its own Okta app and credential)."""

    name: str
    description: str
    scopes: tuple[str, ...]
    credentials: Credentials
    #: Okta management API access held by the plugin's own app: an agent that also needs custom scopes keeps its
    #: Okta management access on a plugin, so one leaked key never opens both the company's APIs and Okta itself
    okta_api_scopes: tuple[str, ...] = ()
    okta_admin_roles: tuple[str, ...] = ()

    def identity_name(self, agent_name: str) -> str:
        """The plugin's identity name, unique across the registry: ``<agent>--<plugin>``."""
        return f"{agent_name}--{self.name}"

    @property
    def holds_okta_management(self) -> bool:
        return bool(self.okta_api_scopes or self.okta_admin_roles)


@dataclass(frozen=True, slots=True)
class Profile:
    """Declared behaviour, turned into detections."""

    max_tokens_per_hour: int
    active_hours_utc: str

    @property
    def active_window(self) -> tuple[dt.time, dt.time]:
        """(start, end) in UTC; ``end`` may be before ``start`` when the window wraps midnight. 24:00 is midnight."""
        start, end = self.active_hours_utc.split("-")
        return _parse_hhmm(start), _parse_hhmm(end)

    def is_active_at(self, moment: dt.time) -> bool:
        start, end = self.active_hours_utc.split("-")
        minute = moment.hour * 60 + moment.minute
        lo, hi = _minutes(start), _minutes(end)
        if lo == hi:
            return True
        if lo < hi:
            return lo <= minute < hi
        return minute >= lo or minute < hi


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _parse_hhmm(hhmm: str) -> dt.time:
    total = _minutes(hhmm) % (24 * 60)
    return dt.time(total // 60, total % 60)


@dataclass(frozen=True, slots=True)
class Waiver:
    """An accepted, time-limited exception to one rule for one agent."""

    rule: str
    reason: str
    approved_by: str
    expires: dt.date
    index: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "reason": self.reason,
            "approved_by": self.approved_by,
            "expires": self.expires.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Keep:
    """A scope kept on purpose although ``agentid rightsize`` may find it unused (a quarterly job, a break-glass
    path): never proposed for removal while ``until`` has not passed. Reviewed like a waiver (rule
    ``keep-entry-reviewed``): a lapsed entry or a placeholder reason protects nothing and is a finding."""

    scope: str
    reason: str
    until: dt.date
    index: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"scope": self.scope, "reason": self.reason, "until": self.until.isoformat()}


@dataclass(frozen=True, slots=True)
class Agent:
    """One registered agent: a first-class non-human identity with accountable owners."""

    name: str
    description: str
    owners: tuple[str, ...]
    team: str
    purpose: str
    environments: tuple[str, ...]
    lifecycle: Lifecycle
    credentials: Credentials
    access: Access
    profile: Profile
    plugins: tuple[Plugin, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    #: scopes kept on purpose (top-level ``keep``): rightsize never proposes removing them while the entry holds
    keep: tuple[Keep, ...] = ()
    source: Source = field(default_factory=lambda: Source("<memory>"), compare=False)
    #: The SHA-256 of the bytes this model was built from (``source.digest``), set by the loader on the object it
    #: builds (:meth:`loaded`) and on nothing else: ``dataclasses.replace`` (an agent edited in memory) leaves it
    #: unset. Results cached by content (verdicts, identity specs) are keyed by it, so they are never read for a
    #: model that is not what those bytes say.
    loaded_from: str | None = field(default=None, init=False, compare=False, repr=False, hash=False)

    def loaded(self, digest: str | None) -> Agent:
        """This model, marked as built from the bytes whose SHA-256 is ``digest`` (the loader's call)."""
        object.__setattr__(self, "loaded_from", digest)
        return self

    def moved_to(self, file: str) -> Agent:
        """The same model read from the same bytes at another path (a git revision lists its files relative to
        another directory)."""
        return dataclasses.replace(self, source=dataclasses.replace(self.source, file=file)).loaded(self.loaded_from)

    @property
    def file(self) -> str:
        return self.source.file

    def line(self, *path: str | int) -> int | None:
        return self.source.line(*path)

    def deployed_to(self, stack: str) -> bool:
        return stack in self.environments

    def identities(self) -> Iterator[tuple[str, Credentials, tuple[str, ...]]]:
        """Every identity this definition creates: the agent itself, then each plugin, with credentials and scopes."""
        yield self.name, self.credentials, self.access.scope_names
        for plugin in self.plugins:
            yield plugin.identity_name(self.name), plugin.credentials, plugin.scopes

    def okta_management_holders(self) -> Iterator[tuple[int | None, Access | Plugin]]:
        """Every identity holding Okta management access (``okta_api_scopes`` or ``okta_admin_roles``), the agent
        first: ``(None, access)`` for the agent itself, ``(i, plugin)`` for its i-th plugin.

        Why one place: that access may sit on the agent (a management-only agent) or on any plugin (where an agent
        that also needs custom scopes keeps it), so rules, inventory and review must all look at every identity."""
        if self.access.holds_okta_management:
            yield None, self.access
        for index, plugin in enumerate(self.plugins):
            if plugin.holds_okta_management:
                yield index, plugin


@dataclass(frozen=True, slots=True)
class Registry:
    """All agents, sorted by name, and the catalog they were checked against."""

    agents: tuple[Agent, ...]
    catalog: Catalog

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", MappingProxyType({a.name: a for a in self.agents}))

    _by_name: Mapping[str, Agent] = field(default_factory=dict, init=False, repr=False, compare=False)

    def get(self, name: str) -> Agent | None:
        return self._by_name.get(name)

    def __iter__(self) -> Iterator[Agent]:
        return iter(self.agents)

    def __len__(self) -> int:
        return len(self.agents)

    def for_stack(self, stack: str) -> tuple[Agent, ...]:
        """The agents a stack deploys: exactly those whose ``environments`` name it."""
        return tuple(agent for agent in self.agents if agent.deployed_to(stack))
