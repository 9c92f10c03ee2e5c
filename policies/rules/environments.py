"""Environment isolation: a stack deploys exactly the agents that list it (OWASP NHI8)."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence

from agentid.findings import Severity
from agentid.registry.model import Agent
from agentid.resources import PlannedResource
from policies.rules.base import RuleContext, RuleKind, Violation, rule


@rule(
    id="agent-outside-environment",
    number=21,
    title="A stack deploys only agents that list it",
    severity=Severity.ERROR,
    nhi=("NHI8",),
    rationale="`environments` is the reviewed statement of where an agent runs. A plan that creates an agent's "
    "Okta app in another stack (hand-written Pulumi code, a copied stack config) puts a dev-grade identity into "
    "production, or an identity nobody registered.",
    remediation="Add the stack to the agent's environments in a reviewed change, or remove the resources from the "
    "Pulumi program so the stack only deploys registered agents.",
    kind=RuleKind.STACK,
    waivable=False,
    # Each resource is judged by the agent that owns it, and every resource of an agent is in that agent's bundle.
    by_bundle=True,
)
def agent_outside_environment(resources: Sequence[PlannedResource], ctx: RuleContext) -> Iterator[Violation]:
    if ctx.registry is None or ctx.stack is None:
        return
    # A member stack of a sharded environment (prod-shard-03) deploys the agents that list its environment (prod).
    environment = ctx.environment_of(ctx.stack)
    shown = ctx.stack if environment == ctx.stack else f"{ctx.stack} (environment {environment})"
    reported: set[str] = set()
    for resource in resources:
        name = resource.agent
        if name is None or name in reported:
            continue
        agent = ctx.registry.get(name)
        if agent is None:
            reported.add(name)
            yield Violation(
                f"the {shown} plan deploys `{name}` (resource `{resource.name}`), which no agent file defines", ()
            )
        elif not agent.deployed_to(environment):
            reported.add(name)
            yield Violation(
                f"the {shown} plan deploys `{name}` (resource `{resource.name}`), but its environments are "
                f"{', '.join(agent.environments)}",
                ("environments",),
                agent=name,
            )


@rule(
    id="environment-has-stack",
    number=44,
    title="Every environment an agent lists is a configured stack",
    severity=Severity.ERROR,
    nhi=("NHI8",),
    rationale="A misspelt environment (`prd`) names no `Pulumi.<stack>.yaml`: every check passes, nothing deploys "
    "the agent there, and whoever relies on it finds out in production.",
    remediation="Name an existing stack (one with a Pulumi.<stack>.yaml at the repository root), or add that stack's "
    "file in a change the platform team reviews.",
    kind=RuleKind.REGISTRY,
    waivable=False,
)
def environment_has_stack(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    known = ctx.known_environments
    if known is None:  # the front-end did not read the stack files (check, checkov and the pack all do)
        return
    for index, environment in enumerate(agent.environments):
        if environment in known:
            continue
        close = difflib.get_close_matches(environment, sorted(known), n=1, cutoff=0.5)
        hint = f"; did you mean `{close[0]}`?" if close else ""
        listed = ", ".join(f"`{name}`" for name in sorted(known)) or "none"
        yield Violation(
            f"environment `{environment}` has no stack: Pulumi.{environment}.yaml does not exist, so nothing deploys "
            f"`{agent.name}` there{hint} (configured stacks: {listed})",
            ("environments", index),
        )
