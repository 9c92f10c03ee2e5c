"""The offline plan: the real Pulumi program (:func:`infra.program.declare`) run under the SDK mock engine.

Resource rules, ``agentid plan``, the PR review and the inventory all read the same :class:`Plan`: every resource the
stack would register, with its inputs as the engine sees them (camelCase keys, secrets masked as ``[secret]``).
No Pulumi CLI, credentials or network are needed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentid.gcpause import cyclic_gc_paused
from agentid.plan.engine import UNKNOWN_PLACEHOLDER, Registration, run_program
from agentid.plan.stackfile import (
    SECRET_PLACEHOLDER,
    PlanError,
    StackNotFoundError,
    available_stacks,
    read_stack_file,
)
from agentid.registry.model import Registry
from agentid.resources import PlannedResource

if TYPE_CHECKING:
    from agentid.conformance.okta import Violation

__all__ = [
    "SECRET_PLACEHOLDER",
    "UNKNOWN_PLACEHOLDER",
    "Plan",
    "PlanError",
    "ResourceOptionsSeen",
    "StackNotFoundError",
    "available_stacks",
    "build_plan",
    "plan_repository",
]

#: Display and iteration order inside a bundle: components, then the Okta resources in dependency order.
_TYPE_ORDER = (
    "agentid:okta:AuthorizationServer",
    "okta:auth/server:Server",
    "okta:auth/serverScope:ServerScope",
    "agentid:okta:LogStreaming",
    "okta:index/logStream:LogStream",
    "agentid:okta:AgentIdentity",
    "okta:app/oAuth:OAuth",
    "okta:auth/serverPolicy:ServerPolicy",
    "okta:auth/serverPolicyRule:ServerPolicyRule",
    "okta:index/appOauthApiScope:AppOauthApiScope",
    "okta:app/oauthRoleAssignment:OauthRoleAssignment",
)


@dataclass(frozen=True, slots=True)
class ResourceOptionsSeen:
    """The resource options the engine received: tests and rules check protection and creation order with these."""

    protect: bool
    delete_before_replace: bool
    depends_on: tuple[str, ...]
    ignore_changes: tuple[str, ...]
    additional_secret_outputs: tuple[str, ...]
    #: the ``import`` option: the existing Okta object this resource adopts (``agentid:adopt``), else ``None``
    import_id: str | None = None


@dataclass(frozen=True)
class Plan:
    """What ``stack`` would deploy. ``resources`` are ordered: shared resources first, then agents by name."""

    stack: str
    resources: tuple[PlannedResource, ...]
    #: Stack outputs (issuer, audience, authorizationServerId, clientIds), secrets masked.
    outputs: Mapping[str, Any] = field(default_factory=dict)
    #: Resource options by URN.
    options: Mapping[str, ResourceOptionsSeen] = field(default_factory=dict)
    #: The stack's ``agentid:maxTokenLifetimeMinutes`` (what token-lifetime rules judge against).
    max_token_lifetime_minutes: int | None = None
    today: dt.date | None = None
    #: What the plan is made of, as the plan cache keys it (every bundle's key, in order): equal digests, equal
    #: resources. None when the plan was built without the cache (agentid.findings_cache then does not cache).
    digest: str | None = field(default=None, init=False, compare=False)
    #: The provider conformance violations of ``resources``, in plan order, when the plan cache already held them
    #: (agentid/plan/incremental.py); ``None``: not computed (:func:`agentid.conformance.plan_findings` computes them).
    violations: tuple[Violation, ...] | None = field(default=None, init=False, repr=False, compare=False)
    # Both are set with :meth:`with_digest` and :meth:`with_violations`, not by the constructor: a copy made with
    # ``dataclasses.replace`` (other resources) must not inherit what is known of these resources, and starts with
    # ``None`` for both.

    def with_digest(self, digest: str) -> Plan:
        """A copy of this plan known by its content digest (the plan cache's keys of its bundles)."""
        return self._with_facts(digest=digest)

    def with_violations(self, violations: Sequence[Violation]) -> Plan:
        """A copy of this plan holding the conformance violations of its resources (the caller's, in plan order)."""
        return self._with_facts(violations=tuple(violations))

    def _with_facts(self, **facts: Any) -> Plan:
        plan = dataclasses.replace(self)
        for name in ("digest", "violations"):  # frozen, and not __init__ arguments (see above)
            object.__setattr__(plan, name, facts.get(name, getattr(self, name)))
        return plan

    def __iter__(self) -> Iterator[PlannedResource]:
        return iter(self.resources)

    def __len__(self) -> int:
        return len(self.resources)

    def named(self, name: str) -> PlannedResource:
        """The resource with this logical name (logical names are unique in this program)."""
        found = [r for r in self.resources if r.name == name]
        if len(found) != 1:
            raise KeyError(f"{len(found)} resources named {name!r} in the {self.stack} plan")
        return found[0]

    def of_type(self, type_token: str) -> tuple[PlannedResource, ...]:
        return tuple(r for r in self.resources if r.type == type_token)

    def for_agent(self, agent: str | None) -> tuple[PlannedResource, ...]:
        """Resources owned by ``agent`` (its own and its plugins'), or the shared ones for ``None``."""
        return tuple(r for r in self.resources if r.agent == agent)

    def options_of(self, resource: PlannedResource) -> ResourceOptionsSeen:
        return self.options[resource.urn]

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``agentid plan --format json``."""
        resources = []
        for r in self.resources:
            entry = r.to_dict()
            seen = self.options.get(r.urn)
            if seen is not None and seen.import_id:
                entry["import"] = seen.import_id  # adopted, not created (agentid:adopt)
            resources.append(entry)
        return {"stack": self.stack, "resources": resources}

    def adopted(self) -> dict[str, str]:
        """Logical name -> id of every existing Okta object the plan adopts (the ``import`` option)."""
        return {
            r.name: seen.import_id
            for r in self.resources
            if (seen := self.options.get(r.urn)) is not None and seen.import_id
        }


def _planned(registrations: tuple[Registration, ...], owners: Mapping[str, str]) -> list[PlannedResource]:
    from infra.components.agent_identity import COMPONENT_TYPE as IDENTITY_TYPE

    by_urn = {r.urn: r for r in registrations}

    def owner(registration: Registration) -> str | None:
        current: Registration | None = registration
        while current is not None:
            if current.type == IDENTITY_TYPE and current.name in owners:
                return owners[current.name]
            current = by_urn.get(current.parent_urn)
        return None

    def identity_path(registration: Registration) -> tuple[str, ...]:
        path: list[str] = []
        current: Registration | None = registration
        while current is not None:
            if current.type == IDENTITY_TYPE:
                path.insert(0, current.name)
            current = by_urn.get(current.parent_urn)
        return tuple(path)

    def order(registration: Registration) -> tuple[Any, ...]:
        agent = owner(registration)
        rank = _TYPE_ORDER.index(registration.type) if registration.type in _TYPE_ORDER else len(_TYPE_ORDER)
        return (agent is not None, agent or "", identity_path(registration), rank, registration.type, registration.name)

    planned = []
    for registration in sorted(registrations, key=order):
        parent = by_urn.get(registration.parent_urn)
        planned.append(
            PlannedResource(
                type=registration.type,
                name=registration.name,
                inputs=registration.inputs,
                parent=parent.name if parent is not None else None,
                urn=registration.urn,
                agent=owner(registration),
            )
        )
    return planned


def prepare() -> None:
    """Import what a plan runs (the program, the Pulumi SDK and the provider: ~0.4 s) ahead of the plan, for
    :func:`agentid.registry.load_registry`'s ``meanwhile``: the imports then overlap the reading of the agent files.
    A failing import is left for :func:`build_plan` to report where the plan is built."""
    try:
        import infra.program  # noqa: F401
    except Exception:  # reported by build_plan, with its context
        return


def build_plan(
    registry: Registry,
    stack: str,
    *,
    today: dt.date,
    root: Path,
    only: frozenset[str] | None = None,
    shared: bool = True,
) -> Plan:
    """Run the Pulumi program for ``stack`` (config from ``root/Pulumi.<stack>.yaml``) under the mock engine.

    Raises :class:`StackNotFoundError` when the stack has no configuration file and :class:`PlanError` when the
    configuration or the program cannot produce a complete plan. ``registry`` must be free of loader errors (see
    :func:`plan_repository`, which checks). ``only`` plans the shared resources and only the agents named (see
    :func:`infra.program.declare`); :mod:`agentid.plan.incremental` assembles the rest from its cache.
    ``shared=False`` (with ``only``) leaves the shared resources out too, when that cache holds them: the plan then
    holds only the named agents' resources.
    """
    from agentid.detect.eventbridge import PatternTooLongError
    from infra.config import ConfigError, load_stack_config
    from infra.program import ProgramError, declare

    stack_file = read_stack_file(root, stack)
    seen: dict[str, Any] = {}

    def program() -> tuple[Any, Mapping[str, Any]]:
        config = load_stack_config()
        seen["max_token_lifetime_minutes"] = config.max_token_lifetime_minutes
        if only is None:
            declared = declare(registry, config, today)
        else:
            declared = declare(registry, config, today, only=only, shared=shared)
        return declared, declared.outputs

    try:
        result = run_program(
            program,
            project=stack_file.project,
            stack=stack,
            config=stack_file.config,
            secret_keys=stack_file.secret_keys,
        )
    except (ConfigError, ProgramError, PatternTooLongError) as exc:
        raise PlanError(str(exc)) from None
    except Exception as exc:
        # pulumi.config.ConfigMissingError: a required key (e.g. agentid:splunkHecToken) is not in the stack file.
        if type(exc).__name__ in ("ConfigMissingError", "ConfigTypeError"):
            raise PlanError(f"Pulumi.{stack}.yaml: {exc}") from None
        # The SDK wraps an input's failure ("While processing input ...") around the program's own message.
        cause: BaseException | None = exc
        while cause is not None and not isinstance(cause, PatternTooLongError):
            cause = cause.__cause__
        if cause is not None:
            raise PlanError(str(cause)) from None
        raise
    # Plain data from here on (no reference cycles; see agentid.gcpause): the SDK's objects from the run were just
    # handed back to the collector, and letting it run now would walk all of them to free nothing of this.
    with cyclic_gc_paused():
        options = {
            r.urn: ResourceOptionsSeen(
                protect=r.protect,
                delete_before_replace=r.delete_before_replace,
                depends_on=tuple(sorted(urn.rsplit("::", 1)[-1] for urn in r.dependencies)),
                ignore_changes=r.ignore_changes,
                additional_secret_outputs=r.additional_secret_outputs,
                import_id=r.import_id or None,
            )
            for r in result.registrations
        }
        return Plan(
            stack=stack,
            resources=tuple(_planned(result.registrations, result.result.owners)),
            outputs=result.outputs,
            options=options,
            max_token_lifetime_minutes=seen.get("max_token_lifetime_minutes"),
            today=today,
        )


def plan_repository(
    root: Path,
    stack: str,
    *,
    today: dt.date,
    agents_dir: Path | None = None,
    catalog: Path | None = None,
) -> Plan:
    """Load the registry under ``root`` and plan ``stack``; invalid definitions raise :class:`PlanError` carrying
    the loader's findings (the plan of a half-valid registry would silently omit the broken agents)."""
    from agentid.registry import CatalogError, load_registry

    try:
        result = load_registry(agents_dir or root / "agents", catalog or root / "policies" / "catalog.yaml", root=root)
    except CatalogError as exc:
        raise PlanError("the scope catalog is invalid", tuple(exc.findings)) from None
    if not result.ok:
        raise PlanError("the agent definitions are invalid; nothing was planned", result.findings)
    return build_plan(result.registry, stack, today=today, root=root)
