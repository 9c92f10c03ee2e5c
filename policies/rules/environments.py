"""Environment isolation: a stack deploys exactly the agents that list it (OWASP NHI8)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from agentid.findings import Severity
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
