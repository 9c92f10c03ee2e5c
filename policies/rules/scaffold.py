"""Scaffold leftovers: a definition from `agentid new` is a draft until every TODO in it is replaced (OWASP NHI1, NHI5).

`agentid new` writes `TODO: ...` where only the author knows the answer (what the agent does, why it needs each
scope). Left in, the file still validates, and reviewers approve an identity nobody described.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from agentid.findings import Severity
from agentid.registry.model import Agent
from policies.rules.base import RuleContext, RuleKind, Violation, rule
from policies.rules.scopes import _restricted

#: ``TODO`` as a word, in any case: `TODO: say what...`, a team called `todo`; not `Todoist` nor `to-do`.
_TODO = re.compile(r"(?<![a-z0-9])todo(?![a-z0-9])", re.IGNORECASE)


def todo_fields(agent: Agent, ctx: RuleContext) -> Iterator[tuple[str, tuple[str | int, ...]]]:
    """(what, path) of every field of ``agent`` that still holds a TODO. A restricted scope's reason is left to
    `restricted-scope-reason`, which reports the same line as a placeholder.

    Speed: one search over every field joined by line feeds answers for a definition without a TODO (almost all of
    them). A line feed is neither a letter nor a digit, so the joined text holds a TODO exactly when one field does;
    only then are the fields searched one by one, and the restricted scopes worked out only for a reason with one."""
    texts = [agent.description, agent.team]
    texts += [grant.reason for grant in agent.access.scopes]
    texts += [plugin.description for plugin in agent.plugins]
    texts += [waiver.reason for waiver in agent.waivers]
    joined = "\n".join(texts)
    # `todo` in the lower-cased text first: a substring search, where the case-insensitive expression with its
    # look-arounds steps through every character (the largest share of regex work in a registry check). Whatever
    # the expression matches, in any case, lower-cases to `todo`; the expression then decides on word boundaries.
    if "todo" not in joined.lower() or not _TODO.search(joined):
        return
    if _TODO.search(agent.description):
        yield "description", ("description",)
    if _TODO.search(agent.team):
        yield "team", ("team",)
    restricted: set[str] | None = None
    for index, grant in enumerate(agent.access.scopes):
        if _TODO.search(grant.reason):
            if restricted is None:
                restricted = set(_restricted(agent, ctx))
            if grant.name not in restricted:
                yield f"the reason for scope `{grant.name}`", ("access", "scopes", index, "reason")
    for index, plugin in enumerate(agent.plugins):
        if _TODO.search(plugin.description):
            yield f"the description of plugin `{plugin.name}`", ("plugins", index, "description")
    for index, waiver in enumerate(agent.waivers):
        if _TODO.search(waiver.reason):
            yield f"the reason of the waiver of `{waiver.rule}`", ("waivers", index, "reason")


@rule(
    id="scaffold-todo",
    number=45,
    title="No TODO is left from the scaffold",
    severity=Severity.ERROR,
    nhi=("NHI1", "NHI5"),
    rationale="`agentid new` marks with TODO what only the author can say: what the agent does, for which team, why "
    "it needs each scope. A definition still holding one validates, but reviewers would approve an identity that "
    "nobody has described.",
    remediation="Replace each TODO with the real text: what the agent does and for whom, the owning team's slug, "
    "and for each scope which records the agent reads or writes and why.",
    kind=RuleKind.REGISTRY,
    waivable=False,
)
def scaffold_todo(agent: Agent, ctx: RuleContext) -> Iterator[Violation]:
    for what, path in todo_fields(agent, ctx):
        yield Violation(f"{what} of `{agent.name}` still holds a TODO from the scaffold", path)
