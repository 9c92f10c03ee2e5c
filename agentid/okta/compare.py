"""Judging the live org against what the registry declares: managed, shadow, orphaned or drifted identities.

The declared side is a :class:`Desired` per identity, built from the registry (``agentid discover``) or from the
stack's offline plan (``agentid drift``): both name apps ``agentid:<identity>``, policies ``<identity>`` and rules
``<identity> client credentials``, so one comparison serves both commands.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agentid.detect.labels import AGENT_LABEL_PREFIX, EXPIRED_LABEL_PREFIX, app_label
from agentid.findings import Finding, Severity
from agentid.okta.live import LiveApp, LiveOrg
from agentid.output.inert import log_text

MANAGED, DRIFTED, SHADOW, ORPHANED, READER = "managed", "drifted", "shadow", "orphaned", "reader"


@dataclass(frozen=True)
class RuleMeta:
    """Metadata of the live-org findings (SARIF rule descriptors; satisfies agentid.output.ruleinfo.RuleInfo)."""

    id: str
    title: str
    severity: Severity
    nhi: tuple[str, ...]
    rationale: str
    remediation: str


RULES = {
    rule.id: rule
    for rule in (
        RuleMeta(
            "live.shadow-agent",
            "Every token-minting identity in the org is registered",
            Severity.ERROR,
            ("NHI1", "NHI5"),
            "A service app that can mint tokens but has no definition has no owner, purpose or review: a shadow agent.",
            "Adopt it with `agentid import CLIENT_ID --owner ... --purpose ...` or deactivate it in Okta.",
        ),
        RuleMeta(
            "live.client-secret",
            "Service apps authenticate with a private key, not a client secret",
            Severity.ERROR,
            ("NHI2", "NHI4", "NHI7"),
            "A client secret is a long-lived shared secret that leaks through config files and logs.",
            "Switch the app to private_key_jwt with a registered public key, then revoke the secret.",
        ),
        RuleMeta(
            "live.drift",
            "The org matches the registry",
            Severity.ERROR,
            ("NHI5", "NHI6"),
            "A change made in the Okta console (an extra rule, scope, role or client) grants access no review saw.",
            "Revert the change in Okta, or declare it in the agent's definition and let `pulumi up` apply it.",
        ),
        RuleMeta(
            "live.orphaned-label",
            "Apps labelled agentid: belong to a definition",
            Severity.ERROR,
            ("NHI1",),
            "An app labelled as an agent that no definition holds escaped offboarding, or was labelled by hand.",
            "Delete or deactivate the app, or restore its definition.",
        ),
        RuleMeta(
            "live.not-deployed",
            "Declared identities exist in the org",
            Severity.WARNING,
            (),
            "A definition the stack deploys has no app in the org: `pulumi up` has not run, or the app was deleted.",
            "Run the deploy, or check who deleted the app (System Log: application.lifecycle.delete).",
        ),
    )
}


@dataclass(frozen=True)
class Desired:
    identity: str
    agent: str
    active: bool
    scopes: tuple[str, ...]
    lifetime_minutes: int | None
    okta_api_scopes: tuple[str, ...] = ()
    admin_roles: tuple[str, ...] = ()
    file: str | None = None

    @property
    def policy_name(self) -> str | None:
        return self.identity if self.scopes else None

    @property
    def rule_name(self) -> str | None:
        return f"{self.identity} client credentials" if self.scopes else None


def desired_from_registry(registry: Any, today: dt.date, stack: str | None = None) -> dict[str, Desired]:
    """Every identity the registry declares (those ``stack`` deploys, when given)."""
    desired: dict[str, Desired] = {}
    for agent in registry:
        if stack is not None and not agent.deployed_to(stack):
            continue
        active = not agent.lifecycle.is_expired(today)
        lifetime = agent.access.token_lifetime_minutes
        desired[agent.name] = Desired(
            agent.name,
            agent.name,
            active,
            tuple(sorted(agent.access.scope_names)),
            lifetime if agent.access.scope_names else None,
            tuple(sorted(agent.access.okta_api_scopes)),
            tuple(sorted(agent.access.okta_admin_roles)),
            agent.file,
        )
        for plugin in agent.plugins:
            name = plugin.identity_name(agent.name)
            desired[name] = Desired(
                name,
                agent.name,
                active,
                tuple(sorted(plugin.scopes)),
                lifetime if plugin.scopes else None,
                tuple(sorted(plugin.okta_api_scopes)),
                tuple(sorted(plugin.okta_admin_roles)),
                agent.file,
            )
    return desired


def desired_from_plan(plan: Any, files: Mapping[str, str] | None = None) -> dict[str, Desired]:
    """Every identity of an offline plan (:class:`agentid.plan.Plan`), read from the resources' inputs."""
    by_identity: dict[str, dict[str, Any]] = {}
    for resource in plan:
        if resource.type == "agentid:okta:AgentIdentity":
            by_identity.setdefault(resource.name, {"agent": resource.agent})
    for resource in plan:
        entry = by_identity.get(resource.parent or "")
        if entry is None:
            continue
        inputs = resource.inputs
        if resource.type == "okta:app/oAuth:OAuth":
            entry["active"] = inputs.get("status", "ACTIVE") == "ACTIVE"
        elif resource.type == "okta:auth/serverPolicyRule:ServerPolicyRule":
            entry["scopes"] = tuple(sorted(inputs.get("scopeWhitelists") or ()))
            entry["lifetime"] = inputs.get("accessTokenLifetimeMinutes")
        elif resource.type == "okta:index/appOauthApiScope:AppOauthApiScope":
            entry["okta"] = tuple(sorted(inputs.get("scopes") or ()))
        elif resource.type == "okta:app/oauthRoleAssignment:OauthRoleAssignment":
            entry.setdefault("roles", []).append(inputs.get("type"))
    return {
        name: Desired(
            name,
            entry.get("agent") or name,
            entry.get("active", True),
            entry.get("scopes", ()),
            entry.get("lifetime"),
            entry.get("okta", ()),
            tuple(sorted(entry.get("roles", ()))),
            (files or {}).get(entry.get("agent") or name),
        )
        for name, entry in sorted(by_identity.items())
    }


def identity_of_label(label: str) -> str | None:
    if label.startswith(EXPIRED_LABEL_PREFIX):
        return label[len(EXPIRED_LABEL_PREFIX) :]
    if label.startswith(AGENT_LABEL_PREFIX):
        return label[len(AGENT_LABEL_PREFIX) :]
    return None


@dataclass
class Judged:
    """One live identity and what was found about it."""

    app: LiveApp
    status: str
    identity: str | None = None
    drift: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        app = self.app
        return {
            "classification": self.status,
            "identity": self.identity,
            "label": app.label,
            "client_id": app.client_id,
            "app_id": app.id,
            "kind": app.kind,
            "status": app.status,
            "grant_types": list(app.grant_types),
            "token_endpoint_auth_method": app.auth_method,
            "client_secret_in_use": app.uses_secret,
            "okta_api_scopes": list(app.okta_api_scopes),
            "admin_roles": list(app.admin_roles),
            "policies": [
                {
                    "authorization_server": p.server_name,
                    "policy": p.name,
                    "policy_id": p.id,
                    "rules": [
                        {
                            "rule": r.name,
                            "rule_id": r.id,
                            "status": r.status,
                            "grant_types": list(r.grant_types),
                            "scopes": list(r.scopes),
                            "access_token_lifetime_minutes": r.lifetime_minutes,
                        }
                        for r in p.rules
                    ],
                }
                for p in app.policies
            ],
            "last_token": app.last_token,
            "drift": list(self.drift),
        }


def _diff(what: str, live: Iterable[str], declared: Iterable[str]) -> list[str]:
    live_set, declared_set = set(live), set(declared)
    out = []
    if extra := sorted(live_set - declared_set):
        out.append(f"{what} granted in the org but declared by no definition: {', '.join(extra)}")
    if missing := sorted(declared_set - live_set):
        out.append(f"{what} declared but missing in the org: {', '.join(missing)}")
    return out


def identity_drift(app: LiveApp, want: Desired, server_names: set[str] | None = None) -> list[str]:
    """What differs between one live app and its declaration."""
    drift: list[str] = []
    live_active = app.status == "ACTIVE"
    if want.active and not live_active:
        drift.append(f"app is {app.status} in the org but its definition is active: deactivated by hand")
    elif not want.active and live_active:
        drift.append("app is ACTIVE in the org but its definition expired: reactivated by hand")
    if app.auth_method != "private_key_jwt":
        drift.append(f"client authentication is {app.auth_method}, not private_key_jwt")
    if set(app.grant_types) - {"client_credentials"}:
        drift.append(f"grant types {', '.join(app.grant_types)} (only client_credentials is declared)")
    policies = [p for p in app.policies if server_names is None or p.server_name in server_names]
    for policy in policies:
        if policy.name != want.policy_name:
            scopes = sorted({s for r in policy.rules for s in r.scopes})
            drift.append(
                f"included in policy `{policy.name}` on {policy.server_name}, which no definition declares"
                + (f" (scopes {', '.join(scopes)})" if scopes else "")
            )
            continue
        for rule in policy.rules:
            if rule.name != want.rule_name:
                drift.append(
                    f"rule `{rule.name}` in policy `{policy.name}` was added by hand"
                    + (f" (scopes {', '.join(rule.scopes)})" if rule.scopes else "")
                )
            elif want.lifetime_minutes is not None and rule.lifetime_minutes != want.lifetime_minutes:
                drift.append(
                    f"rule `{rule.name}`: token lifetime {rule.lifetime_minutes} min, declared {want.lifetime_minutes}"
                )
        others = [c for c in policy.clients if c != app.client_id]
        if others:
            drift.append(f"policy `{policy.name}` also includes client(s) {', '.join(sorted(others))}")
    drift += _diff("scope(s)", app.scopes(), want.scopes)
    drift += _diff("Okta API scope(s)", app.okta_api_scopes, want.okta_api_scopes)
    drift += _diff("admin role(s)", app.admin_roles, want.admin_roles)
    return drift


def judge(
    org: LiveOrg, desired: Mapping[str, Desired], *, server_names: set[str] | None = None
) -> tuple[list[Judged], list[str]]:
    """Classify every live identity; also return the declared identities the org does not hold."""
    judged: list[Judged] = []
    seen: set[str] = set()
    for app in org.apps:
        if org.reader_client_id and app.client_id == org.reader_client_id:
            judged.append(Judged(app, READER))
            continue
        identity = identity_of_label(app.label)
        if identity is None:
            judged.append(Judged(app, SHADOW))
            continue
        want = desired.get(identity)
        if want is None:
            judged.append(
                Judged(app, ORPHANED, identity, [f"labelled `{app.label}` but no definition holds {identity}"])
            )
            continue
        seen.add(identity)
        drift = identity_drift(app, want, server_names)
        if app.label != app_label(identity, expired=not want.active):
            drift.append(f"label `{app.label}` (declared `{app_label(identity, expired=not want.active)}`)")
        judged.append(Judged(app, DRIFTED if drift else MANAGED, identity, drift))
    missing = sorted(set(desired) - seen)
    return judged, missing


def server_drift(org: LiveOrg, server_id: str, desired: Mapping[str, Desired]) -> list[str]:
    """Policies on our authorization server that no identity declares (an app's own drift lists the rest)."""
    declared = {d.policy_name for d in desired.values() if d.policy_name}
    out = []
    for policy in org.policies:
        if policy.server_id != server_id or policy.name in declared:
            continue
        scopes = sorted({s for r in policy.rules for s in r.scopes})
        out.append(
            f"policy `{policy.name}` on {policy.server_name} is declared by no definition (clients "
            f"{', '.join(policy.clients) or 'none'}; scopes {', '.join(scopes) or 'none'})"
        )
    return out


def findings(
    judged: Iterable[Judged],
    missing: Iterable[str] = (),
    extra: Iterable[str] = (),
    *,
    desired: Mapping[str, Desired] | None = None,
) -> list[Finding]:
    """The judgements as findings (text, JSON and SARIF render these). Messages quote org values (labels, policy,
    rule and scope names an Okta admin chose): each message is made inert here, once, so SARIF and JSON carry no
    control character or workflow command either (the text renderer's second pass leaves inert text as it is)."""
    out: list[Finding] = []

    def add(rule: str, message: str, agent: str | None = None, file: str | None = None) -> None:
        meta = RULES[rule]
        out.append(
            Finding(
                rule,
                meta.severity,
                log_text(message),
                file=file,
                agent=agent,
                remediation=meta.remediation,
                nhi=meta.nhi,
            )
        )

    desired = desired or {}
    for item in judged:
        app = item.app
        who = f"{app.kind} `{app.label}` (client {app.client_id})"
        file = desired[item.identity].file if item.identity in desired else None
        if item.status == SHADOW:
            add("live.shadow-agent", f"{who} can mint tokens and is not in the registry")
        if app.uses_secret:
            add(
                "live.client-secret",
                f"{who} authenticates with a client secret ({app.auth_method})",
                item.identity,
                file,
            )
        if item.status == ORPHANED:
            add("live.orphaned-label", f"{who}: {item.drift[0]}", item.identity)
        for drift in item.drift if item.status == DRIFTED else ():
            add("live.drift", f"{who}: {drift}", item.identity, file)
    for name in missing:
        add("live.not-deployed", f"identity {name} is declared but has no app in the org", name)
    for message in extra:
        add("live.drift", message)
    return out


def to_json(org: LiveOrg, judged: list[Judged], found: list[Finding], **extra: Any) -> str:
    counts: dict[str, int] = {}
    for item in judged:
        counts[item.status] = counts.get(item.status, 0) + 1
    document = {
        "org_url": org.org_url,
        **extra,
        "summary": counts,
        "identities": [j.to_dict() for j in judged],
        "findings": [f.to_dict() for f in found],
    }
    return json.dumps(document, indent=2)
