"""The program: from a loaded registry and a stack's configuration to declared Okta resources.

:func:`declare` is called by ``infra/__main__.py`` (``pulumi preview`` / ``pulumi up``) and by the offline plan
(:func:`agentid.plan.build_plan`, under the SDK mock engine), so both see exactly the same resources.

Order of declaration: the shared authorization server and its scopes, then the log stream (and, after it, the
detections that consume it), then one ``AgentIdentity`` per agent the stack deploys, sorted by name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi_okta.auth import Server, ServerPolicyRule, ServerScope

from agentid.registry.model import Agent, Registry, ScopeInfo
from agentid.stack import CORE_OUTPUTS, in_shard
from infra.components.agent_identity import AgentIdentity, AgentIdentityArgs
from infra.components.authorization_server import (
    AuthorizationServer,
    AuthorizationServerArgs,
    scope_resource_name,
    server_resource_name,
)
from infra.components.log_streaming import LogStreaming, LogStreamingArgs
from infra.config import NAMESPACE, SPLUNK_TOKEN_KEY, StackConfig, check_splunk_token
from infra.sdk_workarounds import install as install_sdk_workarounds
from infra.spec import IdentitySpec, chain_tail

if TYPE_CHECKING:  # imported where declared: pulumi-aws (~40 ms) only for a stack with EventBridge detections
    from infra.components.detections import Detections

AUTHORIZATION_SERVER_NAME = "authorization-server"
DETECTIONS_NAME = "detections"
LOG_STREAMING_NAME = "log-streaming"
#: Logical name of a member stack's reference to its core stack.
CORE_REFERENCE_NAME = "core"


class ProgramError(ValueError):
    """The registry cannot be deployed as it stands (e.g. a scope missing from the catalog)."""


@dataclass
class Declared:
    """What :func:`declare` registered, for the entry point (stack outputs) and the offline plan (ownership)."""

    #: ``None`` in a member stack (see agentid/stack.py): the core stack owns the server and the stream
    authorization_server: AuthorizationServer | None = None
    log_streaming: LogStreaming | None = None
    identities: dict[str, AgentIdentity] = field(default_factory=dict)
    #: logical name of each AgentIdentity component (agent or plugin identity) -> the registry agent owning it
    owners: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, pulumi.Input[object]] = field(default_factory=dict)
    detections: Detections | None = None


def used_scopes(registry: Registry, specs: list[IdentitySpec]) -> list[ScopeInfo]:
    """The catalog entries of every scope a deployed identity requests, each once."""
    names = sorted({scope for spec in specs for scope in spec.scopes})
    missing = [name for name in names if registry.catalog.scope(name) is None]
    if missing:
        raise ProgramError(
            f"scope(s) {', '.join(missing)} are not in {registry.catalog.file}; run `agentid validate` and fix the "
            "agent definitions before deploying"
        )
    return [registry.catalog.scopes[name] for name in names]


def resolve_network_zones(agent: Agent, config: StackConfig) -> tuple[str, ...]:
    """The Okta zone ids of the zones ``agent`` names, from this stack's ``agentid:networkZones``.

    Agent files name zones (``finance-batch``), never ids: an id belongs to one Okta org, and dev and prod are two
    orgs. A name the stack does not define is an error naming the agent file and line and the stack file to edit."""
    ids = []
    for index, name in enumerate(agent.access.network_zones):
        zone = config.network_zones.get(name)
        if zone is None:
            line = agent.line("access", "network_zones", index) or agent.line("access", "network_zones")
            where = f"{agent.file}:{line}" if line else agent.file
            defined = ", ".join(sorted(config.network_zones)) or "none"
            raise ProgramError(
                f"{where}: agent {agent.name} names network zone `{name}`, which stack `{config.stack}` does not "
                f"define (defined: {defined}). Add it to {NAMESPACE}:networkZones in {config.file} "
                f"(`{name}: {{id: nzo...}}`, this org's zone id), or fix the name in {agent.file}."
            )
        ids.append(zone.id)
    return tuple(ids)


def declare(
    registry: Registry,
    config: StackConfig,
    today: dt.date,
    *,
    only: Collection[str] | None = None,
    shared: bool = True,
) -> Declared:
    """Declare every Okta resource of ``config.stack``: the agents whose ``environments`` name the stack.

    With ``agentid:shard`` (agentid/stack.py) a core stack declares only the shared resources (server, scopes, log
    stream) and a member stack only its share of the environment's agents, against the core's server.

    ``only`` (the incremental offline plan, :mod:`agentid.plan.incremental`; never ``pulumi preview``/``up``) declares
    the shared resources and only the identities of the agents named, each exactly as the whole program declares
    it: every agent is still resolved and checked (zones, scopes), and the policy creation chain still runs
    through the agents left out, whose last rule is read (``ServerPolicyRule.get``, not registered) where a declared
    policy must wait for it.

    ``shared=False`` (with ``only`` alone) leaves out the shared resources too, when the incremental plan holds them
    already, planned from the same inputs (their cache key covers the stack file, the code and the catalog entries
    of the scopes used): the server and the scopes the named agents use are read by name (:func:`_shared_links`), so
    each identity gets the same inputs and dependencies as in the whole program. The scopes are still resolved
    against the catalog, as the whole program resolves them.
    """
    if not shared and only is None:
        raise ValueError("shared=False plans part of a stack: name the agents (only=...)")
    # The policy creation chain is as long as the registry; see infra/sdk_workarounds.py.
    install_sdk_workarounds()
    shard = config.shard
    environment_agents = registry.for_stack(shard.environment_of(config.stack))
    agents = in_shard(environment_agents, shard)
    # Zone names resolve to this org's ids here, once per agent; its plugins inherit them.
    zone_ids = {agent.name: resolve_network_zones(agent, config) for agent in agents}
    agent_specs = {agent.name: IdentitySpec.for_agent(agent, today, zone_ids[agent.name]) for agent in agents}
    plugin_specs = {
        agent.name: [IdentitySpec.for_plugin(agent, p, today, zone_ids[agent.name]) for p in agent.plugins]
        for agent in agents
    }
    all_specs = list(agent_specs.values()) + [spec for specs in plugin_specs.values() for spec in specs]

    declared = Declared()
    if shard.deploys_shared_resources() and not shared and shard.deploys_agents():
        # Planned already (see above): read, not declared. The scopes are checked as the whole program checks them.
        used_scopes(registry, all_specs)
        declared_specs = [
            spec
            for name in sorted(only or ())
            if name in agent_specs
            for spec in (agent_specs[name], *plugin_specs[name])
        ]
        server_id, scope_resources = _shared_links(config, declared_specs)
        shared_outputs: dict[str, pulumi.Input[object]] = {}
    elif shard.deploys_shared_resources():
        # A core stack serves every member: it declares every scope the environment's agents request.
        scope_specs = all_specs if shard.deploys_agents() else _specs(environment_agents, today)
        server = AuthorizationServer(
            AUTHORIZATION_SERVER_NAME,
            AuthorizationServerArgs(
                config=config.authorization_server, scopes=used_scopes(registry, scope_specs), org_url=config.org_url
            ),
        )
        splunk_token = None
        if not config.log_stream.is_eventbridge:
            # Held to the provider's UUID validator once decrypted (at preview); offline it stays a placeholder.
            stack = config.stack
            splunk_token = (
                pulumi.Config(NAMESPACE).require_secret(SPLUNK_TOKEN_KEY).apply(lambda t: check_splunk_token(t, stack))
            )
        log_streaming = LogStreaming(
            LOG_STREAMING_NAME, LogStreamingArgs(config=config.log_stream, splunk_token=splunk_token)
        )
        declared.authorization_server, declared.log_streaming = server, log_streaming
        if config.log_stream.is_eventbridge and config.detections.enabled:
            # The rules consume this stream and match agents by app label, not client id: they need no agent, so
            # the stream's owner (a single stack, or a sharded environment's core) declares them.
            declared.detections = _declare_detections(config, log_streaming)
        server_id = server.id
        scope_resources = dict(server.scopes)
        shared_outputs = {
            "issuer": server.issuer,
            "audience": server.audience,
            "authorizationServerId": server.id,
        }
    else:
        # A member reads the core's server; its scopes exist already, so rules wait for the reference instead.
        core = pulumi.StackReference(CORE_REFERENCE_NAME, stack_name=shard.core)
        server_id = core.require_output("authorizationServerId")
        scope_resources = {scope: core for spec in all_specs for scope in spec.scopes}
        shared_outputs = {key: core.require_output(key) for key in CORE_OUTPUTS}

    declared_names = {spec.name for spec in all_specs}
    unknown = sorted(set(config.adopt) - declared_names)
    if unknown:
        raise ProgramError(
            f"{config.file}: {NAMESPACE}:adopt names {', '.join(unknown)}, which stack `{config.stack}` does not "
            "deploy (an identity is an agent name, or <agent>--<plugin>); fix the name or add the stack to the "
            "agent's environments"
        )
    after: pulumi.Resource | None = None
    #: the logical name of the resource ``after`` is, whether declared in this run or not (``only``)
    after_name: str | None = None
    for agent in agents:
        chain = [agent_specs[agent.name], *plugin_specs[agent.name]]
        if only is not None and agent.name not in only:
            tail = chain_tail(chain, after_name)
            if tail != after_name:
                after, after_name = None, tail
            continue
        if after is None and after_name is not None:
            after = _chain_link(after_name)
        after_name = chain_tail(chain, after_name)
        identity = AgentIdentity(
            agent.name,
            AgentIdentityArgs(
                spec=agent_specs[agent.name],
                auth_server_id=server_id,
                scope_resources=scope_resources,
                org_url=config.org_url,
                plugins=plugin_specs[agent.name],
                after=after,
                adopt=config.adopt,
                existing_server_id=config.authorization_server.existing_id,
            ),
        )
        after = identity.last_priority_resource
        declared.identities[agent.name] = identity
        declared.owners[agent.name] = agent.name
        for plugin in plugin_specs[agent.name]:
            declared.owners[plugin.name] = agent.name

    client_ids: dict[str, pulumi.Output[str]] = {}
    for identity in declared.identities.values():
        client_ids.update(identity.client_ids)
    declared.outputs = dict(shared_outputs)
    if shard.deploys_agents():
        declared.outputs["clientIds"] = client_ids
    return declared


def _offline_id(name: str) -> str:
    """The id the offline plan's mock engine gives the resource named ``name`` (agentid/plan/engine.py)."""
    return f"<{name}.id>"


def _read(resource_class: Any, name: str) -> pulumi.Resource:
    """A resource this (partial, offline) run does not declare, read by its logical name: nothing is registered for
    it, and what depends on it depends on it by that name, as in the whole program."""
    return resource_class.get(name, _offline_id(name))


def _chain_link(name: str) -> pulumi.Resource:
    """The policy rule ``name`` of an identity this (partial) run does not declare: a policy declared after it waits
    for it."""
    return _read(ServerPolicyRule, name)


def _shared_links(
    config: StackConfig, specs: list[IdentitySpec]
) -> tuple[pulumi.Input[str], dict[str, pulumi.Resource]]:
    """The authorization server's id and the scope resources ``specs`` use, as :class:`AuthorizationServer` gives
    them, for a partial run that does not declare the shared resources: an adopted server is its id (no resource, as
    in the component); a created one and each scope are read by name."""
    existing = config.authorization_server.existing_id
    if existing is not None:
        server_id: pulumi.Input[str] = pulumi.Output.from_input(existing)
    else:
        name = server_resource_name(AUTHORIZATION_SERVER_NAME)
        # A read's id stays unknown in a preview; its value is the one the declared server got, and depending on the
        # read's URN makes every input holding it depend on the server, as ``server.id`` does.
        server_id = _read(Server, name).urn.apply(lambda _urn: _offline_id(name))
    scopes = sorted({scope for spec in specs for scope in spec.scopes})
    return server_id, {scope: _read(ServerScope, scope_resource_name(scope)) for scope in scopes}


def _specs(agents: tuple[Agent, ...] | list[Agent], today: dt.date) -> list[IdentitySpec]:
    """Every identity (agents and plugins) of ``agents``."""
    specs = []
    for agent in agents:
        specs.append(IdentitySpec.for_agent(agent, today))
        specs.extend(IdentitySpec.for_plugin(agent, plugin, today) for plugin in agent.plugins)
    return specs


def _declare_detections(config: StackConfig, stream: LogStreaming) -> Detections:
    """EventBridge rules for the single-event detections: a fixed set, whatever the registry holds. Their module (and
    pulumi-aws with it) is imported here: a stack without them, or a partial plan, never needs it."""
    from infra.components.detections import Detections, DetectionsArgs

    settings = config.log_stream
    return Detections(
        DETECTIONS_NAME,
        DetectionsArgs(
            org_name=config.org_name,
            event_source_name=settings.event_source_name or "",
            region=settings.region or "",
            target_arn=config.detections.target_arn or "",
            deployer_ids=config.detections.deployer_ids,
            allowed_client_ids=config.detections.allowed_client_ids,
            max_pattern_chars=config.detections.max_pattern_chars,
            # Okta's log stream creates the EventBridge partner event source the rules listen on: it must exist first.
            depends_on=[stream],
        ),
    )
