"""Provider conformance: refuse offline what ``pulumi preview`` / ``pulumi up`` with pulumi-okta 7.0.1 would refuse.

:mod:`agentid.conformance.okta` holds the provider's rules (ported from its Go source, each citing file, line and
commit); :func:`plan_findings` turns a plan's violations into findings that name the resource and the file to edit:
the agent's file for an agent's resources, the stack file for the shared ones (authorization server, scopes, log
stream). ``agentid plan`` and ``agentid check`` fail on them.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from agentid.conformance.okta import CHECKED_TYPES, CHECKS, Violation, check_resource, check_resources
from agentid.findings import Finding, Severity
from agentid.network_zones import NetworkZoneError, stack_file_zones

__all__ = [
    "CHECKED_TYPES",
    "CHECKS",
    "RULE_ID",
    "Violation",
    "check_resource",
    "check_resources",
    "plan_findings",
    "shared_zone_ids",
    "violation_findings",
]

#: The rule id conformance findings carry (not a registry/resource rule: a fact about the provider).
RULE_ID = "provider-conformance"

#: Which stack-file key configures each shared resource type, to point at the line to edit.
_STACK_KEYS = {
    "okta:index/logStream:LogStream": "agentid:logStream",
    "okta:auth/server:Server": "agentid:authorizationServer",
    "okta:auth/serverScope:ServerScope": None,  # scopes come from the catalog (policies/catalog.yaml)
}


#: The agent-file key an input comes from, by the planned input a check reads (the agent's own identity; a plugin's
#: inputs fall back to the agent's `name` line).
_AGENT_KEYS = {
    "accessTokenLifetimeMinutes": ("access", "token_lifetime_minutes"),
    "scopeWhitelists": ("access", "scopes"),
    "jwks": ("credentials",),
    "jwksUri": ("credentials",),
    "network": ("access", "network_zones"),
    "scopes": ("access", "okta_api_scopes"),
    "type": ("access", "okta_admin_roles"),
}


def _agent_line(agent: Any, violation: Violation) -> int | None:
    field = violation.check.id.split(":")[1].split(".")[0]
    path = _AGENT_KEYS.get(field)
    own = violation.resource_name.startswith(f"{agent.name}-") and not violation.resource_name.startswith(
        f"{agent.name}--"
    )
    if path is not None and own and (field != "type" or "RoleAssignment" in violation.resource_type):
        line = agent.line(*path)
        if line is not None:
            return line
    return agent.line("name")


def _stack_line(root: Path | None, stack: str, key: str | None) -> int | None:
    if root is None or key is None:
        return None
    try:
        lines = (root / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for number, line in enumerate(lines, start=1):
        if line.strip().startswith(f"{key}:"):
            return number
    return None


def plan_findings(plan: Any, registry: Any = None, *, root: Path | None = None) -> list[Finding]:
    """One error finding per provider rule a planned resource breaks, in plan order. A plan assembled from the plan
    cache holds its violations already (``plan.violations``, stored with each bundle: agentid/plan/incremental.py),
    so the resources reused unchanged are not checked again; otherwise (``None``) they are checked here."""
    violations = getattr(plan, "violations", None)
    if violations is None:
        violations = check_resources(plan.resources)
    return violation_findings(violations, plan.stack, registry, root=root)


def violation_findings(
    violations: Iterable[Violation], stack: str, registry: Any = None, *, root: Path | None = None
) -> list[Finding]:
    """:func:`plan_findings` of a plan of ``stack`` whose violations are ``violations`` (a plan judged by its bundles,
    agentid.plan.judged, is never assembled)."""
    return [_finding(v, stack, registry, root) for v in violations]


def _finding(violation: Violation, stack: str, registry: Any, root: Path | None) -> Finding:
    agent = registry.get(violation.agent) if registry is not None and violation.agent else None
    if agent is not None:
        file, line = agent.file, _agent_line(agent, violation)
        fix = f"Fix {agent.file} (agent {agent.name}) so stack `{stack}` plans inputs the provider accepts."
    elif violation.resource_type == "okta:auth/serverScope:ServerScope":
        file, line = "policies/catalog.yaml", None
        fix = "Rename the scope in policies/catalog.yaml (and the agents requesting it)."
    else:
        key = _STACK_KEYS.get(violation.resource_type)
        file, line = f"Pulumi.{stack}.yaml", _stack_line(root, stack, key)
        fix = f"Fix {key or 'the configuration'} in Pulumi.{stack}.yaml."
    return Finding(
        rule=RULE_ID,
        severity=Severity.ERROR,
        message=f"stack `{stack}`: {violation.message}",
        file=file,
        line=line,
        agent=violation.agent,
        remediation=f"{fix} Rule: {violation.check.description} ({violation.check.source}).",
    )


def shared_zone_ids(root: Path) -> list[Finding]:
    """A network zone id that two stack files both use (``agentid:networkZones``): every Okta id belongs to one org,
    and each stack deploys to its own org, so one of them names a zone its org does not have.

    The zones are read with the deploy's parser (:mod:`agentid.network_zones`), so a bare-id zone is compared like
    any other. A stack file whose zones it refuses is left out: that stack's plan already fails with the parser's
    message, and an id in a setting the deploy refuses is not yet a zone of any org."""
    import yaml

    from agentid.stackyaml import load_yaml

    users: dict[str, list[tuple[str, str, int | None]]] = {}
    for path in sorted(root.glob("Pulumi.*.yaml")):
        try:
            text = path.read_text(encoding="utf-8")
            config = (load_yaml(text) or {}).get("config") or {}
        except (OSError, yaml.YAMLError, AttributeError):
            continue  # an unreadable stack file is reported by its plan
        try:
            zones = stack_file_zones(config, path.name) if isinstance(config, dict) else {}
        except NetworkZoneError:
            continue  # reported by its plan, with the same message
        lines = text.splitlines()
        for zone in zones.values():
            line = next((n for n, t in enumerate(lines, 1) if zone.id in t), None)
            users.setdefault(zone.id, []).append((path.name, zone.name, line))
    findings = []
    for zone_id, used in sorted(users.items()):
        files = sorted({file for file, _name, _line in used})
        if len(files) < 2:
            continue
        for file, name, line in used:
            others = ", ".join(f for f in files if f != file)
            findings.append(
                Finding(
                    rule=RULE_ID,
                    severity=Severity.ERROR,
                    message=(
                        f"network zone `{name}` has id {zone_id}, which {others} also uses: Okta ids belong to one "
                        "org and each stack deploys to its own, so at most one of them is right"
                    ),
                    file=file,
                    line=line,
                    remediation=(
                        f"Look the zone up in the org {file} deploys to (Security > Networks, or GET /api/v1/zones) "
                        "and set its own id in agentid:networkZones."
                    ),
                )
            )
    return findings


def describe(violations: Iterable[Violation]) -> str:
    """Violations as lines of text (for errors raised outside the findings pipeline)."""
    return "\n".join(f"- {v.message}" for v in violations)
