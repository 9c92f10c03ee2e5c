"""The privilege diff: what a change to the registry does to what each agent can touch.

Agents are matched by ``name`` (a renamed file is not a removal plus an addition) and compared as models, not text,
so reformatting, re-ordering keys or moving comments is not a change. Every difference becomes a :class:`Change`
classed as an escalation, a reduction or neutral, with a weight that orders escalations the way a reviewer should
read them: restricted data first, then Okta management scopes, then longer-lived tokens, then the rest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from agentid.registry.model import Agent, Catalog, Credentials, Plugin, Registry, Sensitivity


class Impact(StrEnum):
    """Which way a change moves an agent's privileges."""

    ESCALATION = "escalation"
    REDUCTION = "reduction"
    NEUTRAL = "neutral"

    @property
    def rank(self) -> int:
        return {"escalation": 0, "reduction": 1, "neutral": 2}[self.value]


#: Weights order changes within an impact class (higher first). The top three follow the order the review promises:
#: restricted data, Okta management scopes, longer tokens.
WEIGHT_RESTRICTED = 100
WEIGHT_MANAGEMENT = 90
WEIGHT_TOKEN_LIFETIME = 80
WEIGHT_KEY_REUSE = 75
WEIGHT_CONFIDENTIAL = 70
WEIGHT_WAIVER = 65
WEIGHT_NETWORK = 60
WEIGHT_ENVIRONMENT = 55
WEIGHT_AGENT = 50
WEIGHT_LIFECYCLE = 40
WEIGHT_INTERNAL = 30
WEIGHT_CREDENTIALS = 25
WEIGHT_PUBLIC = 20
WEIGHT_PROFILE = 15
WEIGHT_OWNERS = 10
WEIGHT_TEXT = 5

_SENSITIVITY_WEIGHT = {
    Sensitivity.RESTRICTED: WEIGHT_RESTRICTED,
    Sensitivity.CONFIDENTIAL: WEIGHT_CONFIDENTIAL,
    Sensitivity.INTERNAL: WEIGHT_INTERNAL,
    Sensitivity.PUBLIC: WEIGHT_PUBLIC,
}


@dataclass(frozen=True, slots=True)
class Change:
    """One difference for one agent, phrased for a reviewer.

    ``field`` is the dotted place in the definition (``access.scopes``), ``summary`` one line of plain text,
    ``before``/``after`` the compared values (JSON-ready) so tools need not parse the summary.
    """

    agent: str
    kind: str
    field: str
    impact: Impact
    weight: int
    summary: str
    before: Any = None
    after: Any = None
    tags: tuple[str, ...] = ()

    def sort_key(self) -> tuple[int, int, str, str, str]:
        return (self.impact.rank, -self.weight, self.agent, self.kind, self.summary)

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "kind": self.kind,
            "field": self.field,
            "impact": self.impact.value,
            "weight": self.weight,
            "summary": self.summary,
            "before": self.before,
            "after": self.after,
            "tags": list(self.tags),
        }


@dataclass(frozen=True, slots=True)
class RegistryDiff:
    """Every change between two registries, escalations first."""

    changes: tuple[Change, ...]
    agents_added: tuple[str, ...] = ()
    agents_removed: tuple[str, ...] = ()
    agents_changed: tuple[str, ...] = ()
    renamed_files: tuple[tuple[str, str], ...] = field(default=())
    #: agents of the base whose file exists at head but fails to load there (moved to a subfolder, broken): not
    #: compared, and never reported as removed (nothing would delete them: an invalid registry does not deploy)
    agents_not_loaded: tuple[str, ...] = ()

    def by_impact(self, impact: Impact) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.impact is impact)


# --------------------------------------------------------------------------------------------------- helpers


def _scope_label(name: str, catalog: Catalog) -> str:
    info = catalog.scope(name)
    return f"{name} ({info.domain}, {info.sensitivity.value})" if info else f"{name} (not in catalog)"


def _scope_weight(name: str, catalog: Catalog) -> tuple[int, tuple[str, ...]]:
    info = catalog.scope(name)
    if info is None:
        return WEIGHT_CONFIDENTIAL, ("unknown-scope",)
    tags = ("restricted-data",) if info.sensitivity is Sensitivity.RESTRICTED else ()
    return _SENSITIVITY_WEIGHT[info.sensitivity], tags


def _scope_info(name: str, catalog: Catalog) -> dict[str, Any]:
    info = catalog.scope(name)
    return {
        "scope": name,
        "domain": info.domain if info else None,
        "sensitivity": info.sensitivity.value if info else None,
    }


def _max_scope_weight(scopes: Iterable[str], catalog: Catalog) -> tuple[int, tuple[str, ...]]:
    best, tags = 0, ()
    for scope in scopes:
        weight, scope_tags = _scope_weight(scope, catalog)
        if weight > best:
            best, tags = weight, scope_tags
    return best, tags


def _thumbprints(credentials: Credentials) -> dict[str, str]:
    """kid -> RFC 7638 thumbprint. A key that cannot be fingerprinted is compared by its kid alone."""
    prints = {}
    for key in credentials.keys:
        try:
            prints[key.kid] = key.thumbprint()
        except Exception:  # a malformed key is the loader's and the rules' business, not the diff's
            prints[key.kid] = f"kid:{key.kid}"
    return prints


class _KeyHolders:
    """:func:`_identity_thumbprints` of the head, worked out on first use: only an agent whose keys changed asks, and
    a pull request rarely changes keys, while thumbprinting every key of a large registry takes a while."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.holders: dict[str, set[str]] | None = None

    def get(self, thumbprint: str, default: set[str]) -> set[str]:
        if self.holders is None:
            self.holders = _identity_thumbprints(self.registry)
        return self.holders.get(thumbprint, default)


def _identity_thumbprints(registry: Registry) -> dict[str, set[str]]:
    """thumbprint -> the identities (agents and plugins) holding that public key."""
    holders: dict[str, set[str]] = {}
    for agent in registry:
        for identity, credentials, _scopes in agent.identities():
            for thumb in _thumbprints(credentials).values():
                holders.setdefault(thumb, set()).add(identity)
    return holders


# --------------------------------------------------------------------------------------------------- comparers


class _AgentComparer:
    """Compares one agent's two versions; each ``_field`` method appends the changes for one part of the model."""

    def __init__(self, base: Agent, head: Agent, base_catalog: Catalog, head_catalog: Catalog, key_holders):
        self.base, self.head = base, head
        self.base_catalog, self.head_catalog = base_catalog, head_catalog
        self.key_holders: _KeyHolders = key_holders
        self.changes: list[Change] = []

    def add(
        self,
        kind: str,
        field_name: str,
        impact: Impact,
        weight: int,
        summary: str,
        before=None,
        after=None,
        tags: tuple[str, ...] = (),
    ) -> None:
        self.changes.append(Change(self.head.name, kind, field_name, impact, weight, summary, before, after, tags))

    def run(self) -> list[Change]:
        self.scopes()
        self.scope_reasons()
        self.management_scopes()
        self.admin_roles()
        self.token_lifetime()
        self.network_zones()
        self.environments()
        self.credentials("credentials", self.head.name, self.base.credentials, self.head.credentials)
        self.plugins()
        self.waivers()
        self.keeps()
        self.lifecycle()
        self.owners()
        self.texts()
        self.profile()
        return self.changes

    def scope_set(self, kind: str, field_name: str, subject: str, before: set[str], after: set[str]) -> None:
        """Scopes one identity gains (escalations) and loses (reductions); ``subject`` opens the summary."""
        for name in sorted(after - before):
            weight, tags = _scope_weight(name, self.head_catalog)
            self.add(
                f"{kind}-added",
                field_name,
                Impact.ESCALATION,
                weight,
                f"{subject}gains scope {_scope_label(name, self.head_catalog)}",
                after=_scope_info(name, self.head_catalog),
                tags=tags,
            )
        for name in sorted(before - after):
            weight, tags = _scope_weight(name, self.base_catalog)
            self.add(
                f"{kind}-removed",
                field_name,
                Impact.REDUCTION,
                weight,
                f"{subject}loses scope {_scope_label(name, self.base_catalog)}",
                before=_scope_info(name, self.base_catalog),
                tags=tags,
            )

    def scopes(self) -> None:
        before, after = set(self.base.access.scope_names), set(self.head.access.scope_names)
        self.scope_set("scope", "access.scopes", "", before, after)
        for name in sorted(before & after):
            old, new = self.base_catalog.scope(name), self.head_catalog.scope(name)
            if old and new and old.sensitivity != new.sensitivity:
                raised = new.sensitivity.rank > old.sensitivity.rank
                self.add(
                    "scope-reclassified",
                    "access.scopes",
                    Impact.ESCALATION if raised else Impact.REDUCTION,
                    _SENSITIVITY_WEIGHT[new.sensitivity],
                    f"scope {name} is reclassified in the catalog from {old.sensitivity} to {new.sensitivity}",
                    old.sensitivity.value,
                    new.sensitivity.value,
                )

    def scope_reasons(self) -> None:
        old = {g.name: g.reason for g in self.base.access.scopes}
        for grant in self.head.access.scopes:
            if grant.name in old and old[grant.name] != grant.reason:
                self.add(
                    "scope-reason",
                    "access.scopes.reason",
                    Impact.NEUTRAL,
                    WEIGHT_TEXT,
                    f"reason for {grant.name} reworded",
                    old[grant.name],
                    grant.reason,
                )

    def management_scopes(self) -> None:
        self.okta_management(
            "management-scope", "access.okta_api_scopes", "", "Okta management scope",
            self.base.access.okta_api_scopes, self.head.access.okta_api_scopes,
        )  # fmt: skip

    def admin_roles(self) -> None:
        """An Okta admin role is the app's standing privilege in the identity provider: as weighty as a scope."""
        self.okta_management(
            "admin-role", "access.okta_admin_roles", "", "Okta admin role",
            self.base.access.okta_admin_roles, self.head.access.okta_admin_roles,
        )  # fmt: skip

    def okta_management(
        self, kind: str, field_name: str, subject: str, noun: str, before: Sequence[str], after: Sequence[str]
    ) -> None:
        """Okta management privileges one identity gains (escalations) and loses (reductions), one change each;
        ``subject`` opens the summary (a plugin's identity name, empty for the agent)."""
        gained, lost = set(after) - set(before), set(before) - set(after)
        for name in sorted(gained):
            self.add(
                f"{kind}-added",
                field_name,
                Impact.ESCALATION,
                WEIGHT_MANAGEMENT,
                f"{subject}gains {noun} {name}",
                after=name,
                tags=("okta-management",),
            )
        for name in sorted(lost):
            self.add(
                f"{kind}-removed",
                field_name,
                Impact.REDUCTION,
                WEIGHT_MANAGEMENT,
                f"{subject}loses {noun} {name}",
                before=name,
                tags=("okta-management",),
            )

    def token_lifetime(self) -> None:
        old, new = self.base.access.token_lifetime_minutes, self.head.access.token_lifetime_minutes
        if new > old:
            self.add(
                "token-lifetime",
                "access.token_lifetime_minutes",
                Impact.ESCALATION,
                WEIGHT_TOKEN_LIFETIME,
                f"tokens live longer: {old} → {new} min",
                old,
                new,
                ("longer-tokens",),
            )
        elif new < old:
            self.add(
                "token-lifetime",
                "access.token_lifetime_minutes",
                Impact.REDUCTION,
                WEIGHT_TOKEN_LIFETIME,
                f"tokens live shorter: {old} → {new} min",
                old,
                new,
            )

    def network_zones(self) -> None:
        before, after = set(self.base.access.network_zones), set(self.head.access.network_zones)
        if before == after:
            return
        if before and not after:
            self.add(
                "network-zones",
                "access.network_zones",
                Impact.ESCALATION,
                WEIGHT_NETWORK,
                "token requests no longer restricted to network zones (any network may ask)",
                sorted(before),
                [],
            )
        elif not before and after:
            self.add(
                "network-zones",
                "access.network_zones",
                Impact.REDUCTION,
                WEIGHT_NETWORK,
                f"token requests restricted to zones {', '.join(sorted(after))}",
                [],
                sorted(after),
            )
        else:
            # Zones are an allow-list: adding one widens where tokens may be requested from.
            widened = bool(after - before)
            self.add(
                "network-zones",
                "access.network_zones",
                Impact.ESCALATION if widened else Impact.REDUCTION,
                WEIGHT_NETWORK,
                _set_summary("network zones", before, after),
                sorted(before),
                sorted(after),
            )

    def environments(self) -> None:
        before, after = set(self.base.environments), set(self.head.environments)
        for env in sorted(after - before):
            self.add(
                "environment-added",
                "environments",
                Impact.ESCALATION,
                WEIGHT_ENVIRONMENT,
                f"deployed to {env}",
                after=env,
                tags=("production",) if env == "prod" else (),
            )
        for env in sorted(before - after):
            self.add(
                "environment-removed",
                "environments",
                Impact.REDUCTION,
                WEIGHT_ENVIRONMENT,
                f"no longer deployed to {env} (its identity there is deleted)",
                before=env,
            )

    def credentials(self, field_name: str, identity: str, old: Credentials, new: Credentials) -> None:
        """Rotation (new key replaces old) is routine; a key another identity holds is reuse and an escalation."""
        if old == new:
            return
        if old.jwks_uri != new.jwks_uri and (old.jwks_uri or new.jwks_uri):
            if old.jwks_uri and new.jwks_uri:
                summary = f"{identity}: JWKS URL changed {old.jwks_uri} → {new.jwks_uri}"
            elif new.jwks_uri:
                summary = f"{identity}: inline keys replaced by JWKS URL {new.jwks_uri}"
            else:
                summary = f"{identity}: JWKS URL {old.jwks_uri} replaced by inline keys"
            self.add("credentials", field_name, Impact.NEUTRAL, WEIGHT_CREDENTIALS, summary, old.jwks_uri, new.jwks_uri)
        old_prints, new_prints = _thumbprints(old), _thumbprints(new)
        old_set, new_set = set(old_prints.values()), set(new_prints.values())
        added = [kid for kid, thumb in new_prints.items() if thumb not in old_set]
        removed = [kid for kid, thumb in old_prints.items() if thumb not in new_set]
        for kid in added:
            others = sorted(self.key_holders.get(new_prints[kid], set()) - {identity})
            if others:
                self.add(
                    "key-reuse",
                    field_name,
                    Impact.ESCALATION,
                    WEIGHT_KEY_REUSE,
                    f"{identity}: key {kid} is also the key of {', '.join(others)} (shared credential)",
                    after=kid,
                    tags=("key-reuse",),
                )
        if added and removed:
            self.add(
                "key-rotated",
                field_name,
                Impact.NEUTRAL,
                WEIGHT_CREDENTIALS,
                f"{identity}: key rotated ({', '.join(removed)} → {', '.join(added)})",
                removed,
                added,
            )
        elif added:
            self.add(
                "key-added",
                field_name,
                Impact.NEUTRAL,
                WEIGHT_CREDENTIALS,
                f"{identity}: key {', '.join(added)} added alongside the existing key(s); remove the old one "
                "once the agent uses the new one",
                after=added,
            )
        elif removed:
            self.add(
                "key-removed",
                field_name,
                Impact.REDUCTION,
                WEIGHT_CREDENTIALS,
                f"{identity}: key {', '.join(removed)} removed",
                before=removed,
            )
        elif old.keys != new.keys and not (old.jwks_uri or new.jwks_uri):
            self.add(
                "key-metadata",
                field_name,
                Impact.NEUTRAL,
                WEIGHT_TEXT,
                f"{identity}: key ids or metadata changed (same key material)",
            )

    def plugins(self) -> None:
        old = {p.name: p for p in self.base.plugins}
        new = {p.name: p for p in self.head.plugins}
        for name in sorted(new.keys() - old.keys()):
            plugin = new[name]
            weight, tags = _plugin_weight(plugin, self.head_catalog)
            self.add(
                "plugin-added",
                "plugins",
                Impact.ESCALATION,
                weight,
                f"new plugin identity {plugin.identity_name(self.head.name)} with "
                + _plugin_access(plugin, self.head_catalog),
                after=_plugin_dict(plugin, self.head_catalog),
                tags=tags,
            )
        for name in sorted(old.keys() - new.keys()):
            plugin = old[name]
            weight, tags = _plugin_weight(plugin, self.base_catalog)
            self.add(
                "plugin-removed",
                "plugins",
                Impact.REDUCTION,
                weight,
                f"plugin identity {plugin.identity_name(self.base.name)} removed",
                before=_plugin_dict(plugin, self.base_catalog),
                tags=tags,
            )
        for name in sorted(old.keys() & new.keys()):
            before, after = old[name], new[name]
            identity = after.identity_name(self.head.name)
            self.scope_set(
                "plugin-scope", f"plugins.{name}.scopes", f"{identity} ", set(before.scopes), set(after.scopes)
            )
            # A plugin's Okta management access is as weighty as the agent's: the same identity provider.
            self.okta_management(
                "plugin-management-scope", f"plugins.{name}.okta_api_scopes", f"{identity} ", "Okta management scope",
                before.okta_api_scopes, after.okta_api_scopes,
            )  # fmt: skip
            self.okta_management(
                "plugin-admin-role", f"plugins.{name}.okta_admin_roles", f"{identity} ", "Okta admin role",
                before.okta_admin_roles, after.okta_admin_roles,
            )  # fmt: skip
            self.credentials(f"plugins.{name}.credentials", identity, before.credentials, after.credentials)
            if before.description != after.description:
                self.add(
                    "plugin-description",
                    f"plugins.{name}.description",
                    Impact.NEUTRAL,
                    WEIGHT_TEXT,
                    f"{identity}: description reworded",
                    before.description,
                    after.description,
                )

    def waivers(self) -> None:
        old = {(w.rule, w.approved_by): w for w in self.base.waivers}
        new = {(w.rule, w.approved_by): w for w in self.head.waivers}
        for key in sorted(new.keys() - old.keys()):
            waiver = new[key]
            self.add(
                "waiver-added",
                "waivers",
                Impact.ESCALATION,
                WEIGHT_WAIVER,
                f"waives rule {waiver.rule} until {waiver.expires} (approved by {waiver.approved_by})",
                after=waiver.to_dict(),
                tags=("waiver",),
            )
        for key in sorted(old.keys() - new.keys()):
            waiver = old[key]
            self.add(
                "waiver-removed",
                "waivers",
                Impact.REDUCTION,
                WEIGHT_WAIVER,
                f"waiver of rule {waiver.rule} removed",
                before=waiver.to_dict(),
            )
        for key in sorted(old.keys() & new.keys()):
            before, after = old[key], new[key]
            if before == after or (before.to_dict() == after.to_dict()):
                continue
            longer = after.expires > before.expires
            self.add(
                "waiver-changed",
                "waivers",
                Impact.ESCALATION if longer else Impact.NEUTRAL,
                WEIGHT_WAIVER,
                f"waiver of rule {after.rule} changed (expires {before.expires} → {after.expires})",
                before.to_dict(),
                after.to_dict(),
                ("waiver",) if longer else (),
            )

    def keeps(self) -> None:
        """A ``keep`` entry holds a scope `agentid rightsize` would propose removing: an exception, reviewed like a
        waiver (added or extended: escalation; dropped: neutral, the scope itself is unchanged)."""
        old = {k.scope: k for k in self.base.keep}
        new = {k.scope: k for k in self.head.keep}
        for scope in sorted(new.keys() - old.keys()):
            entry = new[scope]
            self.add(
                "keep-added",
                "keep",
                Impact.ESCALATION,
                WEIGHT_WAIVER,
                f"keeps scope {scope} even if unused, until {entry.until}: {entry.reason}",
                after=entry.to_dict(),
                tags=("waiver",),
            )
        for scope in sorted(old.keys() - new.keys()):
            self.add(
                "keep-removed",
                "keep",
                Impact.NEUTRAL,
                WEIGHT_WAIVER,
                f"no longer keeps scope {scope} on purpose",
                before=old[scope].to_dict(),
            )
        for scope in sorted(old.keys() & new.keys()):
            before, after = old[scope], new[scope]
            if before.to_dict() != after.to_dict():
                longer = after.until > before.until
                self.add(
                    "keep-changed",
                    "keep",
                    Impact.ESCALATION if longer else Impact.NEUTRAL,
                    WEIGHT_WAIVER,
                    f"keep entry for scope {scope} changed (until {before.until} → {after.until})",
                    before.to_dict(),
                    after.to_dict(),
                    ("waiver",) if longer else (),
                )

    def lifecycle(self) -> None:
        old, new = self.base.lifecycle, self.head.lifecycle
        if old.kind != new.kind:
            longer = new.kind == "persistent"
            self.add(
                "lifecycle-kind",
                "lifecycle.kind",
                Impact.ESCALATION if longer else Impact.REDUCTION,
                WEIGHT_LIFECYCLE,
                f"lifecycle {old.kind} → {new.kind}",
                old.kind.value,
                new.kind.value,
            )
        if old.expires != new.expires:
            if new.expires is None or (old.expires is not None and new.expires > old.expires):
                impact = Impact.ESCALATION
            else:
                impact = Impact.REDUCTION
            self.add(
                "expires",
                "lifecycle.expires",
                impact,
                WEIGHT_LIFECYCLE,
                f"expires {_date(old.expires)} → {_date(new.expires)}",
                _date(old.expires),
                _date(new.expires),
            )
        if old.review_by != new.review_by:
            self.add(
                "review-by",
                "lifecycle.review_by",
                Impact.NEUTRAL,
                WEIGHT_LIFECYCLE,
                f"access review due {old.review_by} → {new.review_by}",
                old.review_by.isoformat(),
                new.review_by.isoformat(),
            )

    def owners(self) -> None:
        before, after = self.base.owners, self.head.owners
        if set(before) != set(after):
            self.add(
                "owners",
                "owners",
                Impact.NEUTRAL,
                WEIGHT_OWNERS,
                _set_summary("owners", set(before), set(after)),
                list(before),
                list(after),
            )
        if self.base.team != self.head.team:
            self.add(
                "team",
                "team",
                Impact.NEUTRAL,
                WEIGHT_OWNERS,
                f"team {self.base.team} → {self.head.team}",
                self.base.team,
                self.head.team,
            )

    def texts(self) -> None:
        if self.base.purpose != self.head.purpose:
            self.add(
                "purpose",
                "purpose",
                Impact.NEUTRAL,
                WEIGHT_OWNERS,
                f"purpose {self.base.purpose} → {self.head.purpose} (changes which data domains are justified)",
                self.base.purpose,
                self.head.purpose,
            )
        if self.base.description != self.head.description:
            self.add(
                "description",
                "description",
                Impact.NEUTRAL,
                WEIGHT_TEXT,
                "description reworded",
                self.base.description,
                self.head.description,
            )

    def profile(self) -> None:
        old, new = self.base.profile, self.head.profile
        if old.max_tokens_per_hour != new.max_tokens_per_hour:
            more = new.max_tokens_per_hour > old.max_tokens_per_hour
            self.add(
                "profile-rate",
                "profile.max_tokens_per_hour",
                Impact.ESCALATION if more else Impact.REDUCTION,
                WEIGHT_PROFILE,
                f"expected tokens per hour {old.max_tokens_per_hour} → {new.max_tokens_per_hour}",
                old.max_tokens_per_hour,
                new.max_tokens_per_hour,
            )
        if old.active_hours_utc != new.active_hours_utc:
            self.add(
                "profile-hours",
                "profile.active_hours_utc",
                Impact.NEUTRAL,
                WEIGHT_PROFILE,
                f"active hours (UTC) {old.active_hours_utc} → {new.active_hours_utc}",
                old.active_hours_utc,
                new.active_hours_utc,
            )


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else "never"


def _set_summary(label: str, before: set[str], after: set[str]) -> str:
    parts = []
    if after - before:
        parts.append("+" + ", +".join(sorted(after - before)))
    if before - after:
        parts.append("-" + ", -".join(sorted(before - after)))
    return f"{label} {' '.join(parts)}"


def _all_scopes(agent: Agent) -> list[str]:
    """The scopes of every identity of the agent: its own and its plugins'."""
    return [scope for _identity, _credentials, scopes in agent.identities() for scope in scopes]


def _plugin_dict(plugin: Plugin, catalog: Catalog) -> dict[str, Any]:
    return {
        "name": plugin.name,
        "scopes": [_scope_info(s, catalog) for s in plugin.scopes],
        "okta_api_scopes": list(plugin.okta_api_scopes),
        "okta_admin_roles": list(plugin.okta_admin_roles),
    }


def _plugin_weight(plugin: Plugin, catalog: Catalog) -> tuple[int, tuple[str, ...]]:
    """A plugin identity weighs what its agent would: its scopes' data, or Okta management access above all but
    restricted data."""
    weight, tags = _max_scope_weight(plugin.scopes, catalog)
    if plugin.holds_okta_management:
        weight, tags = max(weight, WEIGHT_MANAGEMENT), (*tags, "okta-management")
    return max(weight, WEIGHT_AGENT), tags


def _okta_access(okta_api_scopes: Sequence[str], okta_admin_roles: Sequence[str]) -> list[str]:
    parts = []
    if okta_api_scopes:
        parts.append("Okta management " + ", ".join(okta_api_scopes))
    if okta_admin_roles:
        parts.append("Okta admin roles " + ", ".join(okta_admin_roles))
    return parts


def _plugin_access(plugin: Plugin, catalog: Catalog) -> str:
    """What a plugin identity holds, for a summary: custom scopes with their data, then Okta management access."""
    parts = [", ".join(_scope_label(s, catalog) for s in plugin.scopes)] if plugin.scopes else []
    parts += _okta_access(plugin.okta_api_scopes, plugin.okta_admin_roles)
    return "; ".join(parts) or "no access"


def _plugin_mention(plugin: Plugin) -> str:
    """``directory-reader (Okta management okta.users.read; Okta admin roles READ_ONLY_ADMIN)``, or the name."""
    okta = _okta_access(plugin.okta_api_scopes, plugin.okta_admin_roles)
    return f"{plugin.name} ({'; '.join(okta)})" if okta else plugin.name


def _agent_added(agent: Agent, catalog: Catalog) -> Change:
    weight, tags = _max_scope_weight(_all_scopes(agent), catalog)
    if any(agent.okta_management_holders()):
        weight, tags = max(weight, WEIGHT_MANAGEMENT), (*tags, "okta-management")
    scopes = ", ".join(_scope_label(s, catalog) for s in agent.access.scope_names) or "no custom scopes"
    extras = _okta_access(agent.access.okta_api_scopes, agent.access.okta_admin_roles)
    if agent.plugins:
        extras.append("plugins " + ", ".join(_plugin_mention(p) for p in agent.plugins))
    summary = (
        f"new agent ({agent.purpose}, {agent.access.token_lifetime_minutes}-min tokens, "
        f"{'/'.join(agent.environments)}) with {scopes}"
    )
    if extras:
        summary += "; " + "; ".join(extras)
    detail = {
        "purpose": agent.purpose,
        "owners": list(agent.owners),
        "environments": list(agent.environments),
        "scopes": [_scope_info(s, catalog) for s in agent.access.scope_names],
        "okta_api_scopes": list(agent.access.okta_api_scopes),
        "okta_admin_roles": list(agent.access.okta_admin_roles),
        "token_lifetime_minutes": agent.access.token_lifetime_minutes,
        "plugins": [_plugin_dict(p, catalog) for p in agent.plugins],
        "file": agent.file,
    }
    return Change(
        agent.name, "agent-added", "", Impact.ESCALATION, max(weight, WEIGHT_AGENT), summary, None, detail, tags
    )


def _agent_removed(agent: Agent, catalog: Catalog) -> Change:
    weight, tags = _max_scope_weight(_all_scopes(agent), catalog)
    if any(agent.okta_management_holders()):
        weight, tags = max(weight, WEIGHT_MANAGEMENT), (*tags, "okta-management")
    identities = len(agent.plugins) + 1
    summary = f"agent removed: its {identities} identit{'y' if identities == 1 else 'ies'} will be deleted"
    return Change(
        agent.name,
        "agent-removed",
        "",
        Impact.REDUCTION,
        max(weight, WEIGHT_AGENT),
        summary,
        {"file": agent.file, "scopes": list(agent.access.scope_names)},
        None,
        tags,
    )


def diff_registries(base: Registry, head: Registry, not_loaded: Collection[str] = ()) -> RegistryDiff:
    """Every privilege-relevant difference between ``base`` and ``head``, escalations first.

    ``not_loaded`` names agents whose file at head exists but fails to load: a base agent among them is listed in
    ``agents_not_loaded`` instead of being reported removed.
    """
    unloaded = set(not_loaded)
    not_compared: list[str] = []
    changes: list[Change] = []
    key_holders = _KeyHolders(head)
    # An agent the review reused from the head for the base (its file's bytes unchanged) is one object at both
    # revisions: with the same catalog, comparing it finds nothing, and at 10,000 agents that is most of the work.
    same_catalog = base.catalog == head.catalog
    added, removed, changed, renamed = [], [], [], []
    for agent in head:
        old = base.get(agent.name)
        if old is None:
            added.append(agent.name)
            changes.append(_agent_added(agent, head.catalog))
            continue
        if old is agent and same_catalog:
            continue
        if old.file != agent.file:
            renamed.append((old.file, agent.file))
        agent_changes = _AgentComparer(old, agent, base.catalog, head.catalog, key_holders).run()
        if agent_changes:
            changed.append(agent.name)
            changes.extend(agent_changes)
    for agent in base:
        if head.get(agent.name) is None:
            if agent.name in unloaded:
                not_compared.append(agent.name)
                continue
            removed.append(agent.name)
            changes.append(_agent_removed(agent, base.catalog))
    return RegistryDiff(
        changes=tuple(sorted(changes, key=Change.sort_key)),
        agents_added=tuple(added),
        agents_removed=tuple(removed),
        agents_changed=tuple(changed),
        renamed_files=tuple(renamed),
        agents_not_loaded=tuple(not_compared),
    )
