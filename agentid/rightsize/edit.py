"""``agentid rightsize --write``: apply proposals to agent files so the diff a reviewer sees is exactly the change.

A minimal line-based edit, not a YAML round-trip: the loader already knows the line and column of every value
(:class:`agentid.registry.model.Source`), so a removed block-sequence item is its own lines deleted (with any
deeper-indented comment inside it), a removed flow-sequence item (``scopes: [calendar.read, transcripts.read]``)
rewrites that one line, and a lowered budget or narrower hours replaces the value in place, keeping its quotes.
Every other byte (comments, blank lines, key order, quoting, line endings) is left as it was; a round-trip
library re-emits the whole document and rewraps folded text and flow lists. The edited text is loaded again and
must hold exactly the proposed values, or nothing is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from agentid.registry.model import Agent
from agentid.rightsize.analysis import Proposal

_SCALAR = re.compile(r'"[^"\n]*"|\'[^\'\n]*\'|[^\s#,\]}]+')


class EditError(ValueError):
    """The file cannot be edited faithfully; the message says what to change by hand."""


def _sequence(agent: Agent, path: tuple[str | int, ...]) -> list[str]:
    if path[0] == "access":
        return list(agent.access.scope_names if path[1] == "scopes" else agent.access.okta_api_scopes)
    plugin = agent.plugins[int(path[1])]
    return list(plugin.scopes if path[2] == "scopes" else plugin.okta_api_scopes)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def edit_text(text: str, agent: Agent, proposals: Iterable[Proposal]) -> str:
    """``text`` (the agent's file as loaded) with every applicable proposal applied."""
    lines = text.splitlines(keepends=True)
    positions = agent.source.positions
    removals: dict[tuple[str | int, ...], set[str]] = {}
    replacements: dict[int, str] = {}
    dropped: list[tuple[int, int]] = []
    for proposal in proposals:
        if not proposal.applies:
            continue
        if proposal.kind in ("remove_scope", "remove_okta_api_scope"):
            removals.setdefault(proposal.path, set()).add(proposal.old)
            continue
        position = positions.get(proposal.path)
        if position is None:
            raise EditError(f"{agent.file}: no `{proposal.field}` to change; set it to {proposal.new} by hand")
        index = position.line - 1
        line = replacements.get(index, lines[index])
        start = position.column - 1
        match = _SCALAR.match(line, start)
        if match is None:
            raise EditError(f"{agent.file}:{position.line}: cannot read `{proposal.field}`; change it by hand")
        old = match.group()
        quote = old[0] if old[0] in "\"'" else ""
        replacements[index] = f"{line[:start]}{quote}{proposal.new}{quote}{line[match.end() :]}"
    for path, names in removals.items():
        current = _sequence(agent, path)
        kept = [name for name in current if name not in names]
        if not kept:
            raise EditError(f"{agent.file}: removing every item of `{'.'.join(map(str, path))}` is not proposed")
        position = positions[path]
        index = position.line - 1
        line = replacements.get(index, lines[index])
        if line[position.column - 1 : position.column] == "[":
            close = line.find("]", position.column)
            if close < 0:
                raise EditError(f"{agent.file}:{position.line}: a flow list over several lines; edit it by hand")
            replacements[index] = f"{line[: position.column - 1]}[{', '.join(kept)}]{line[close + 1 :]}"
            continue
        for item, name in enumerate(current):
            if name in names:
                dropped.append(_item_lines(lines, positions[(*path, item)].line - 1, agent.file))
    for index, line in replacements.items():
        lines[index] = line
    for start, end in sorted(dropped, reverse=True):
        del lines[start:end]
    return "".join(lines)


def _item_lines(lines: list[str], start: int, file: str) -> tuple[int, int]:
    """[start, end) of the block-sequence item whose ``- `` is on line ``start``: the lines indented deeper than
    its dash that follow it, up to a blank line or anything at or left of the dash."""
    dash = lines[start].find("-")
    if dash < 0 or lines[start][:dash].strip():
        raise EditError(f"{file}:{start + 1}: expected a `- ` list item; remove it by hand")
    end = start + 1
    while end < len(lines) and lines[end].strip() and _indent(lines[end]) > dash:
        end += 1
    return start, end


def expected_values(agent: Agent, proposals: Iterable[Proposal]) -> dict[tuple[str | int, ...], Any]:
    """What each edited field must hold once the proposals are applied (to check the edit)."""
    expected: dict[tuple[str | int, ...], Any] = {}
    for proposal in proposals:
        if not proposal.applies:
            continue
        if proposal.kind in ("remove_scope", "remove_okta_api_scope"):
            current = expected.get(proposal.path) or _sequence(agent, proposal.path)
            expected[proposal.path] = [name for name in current if name != proposal.old]
        else:
            expected[proposal.path] = proposal.new
    return expected


def value_at(agent: Agent, path: tuple[str | int, ...]) -> Any:
    if path[-1] in ("scopes", "okta_api_scopes"):
        return _sequence(agent, path)
    if path == ("profile", "max_tokens_per_hour"):
        return agent.profile.max_tokens_per_hour
    if path == ("profile", "active_hours_utc"):
        return agent.profile.active_hours_utc
    raise KeyError(path)
