"""Each remaining change kind's direction, asserted both ways round (issue 15, mutation audit): a review that classed
a raised ``max_tokens_per_hour`` as a reduction, or a removed key as an escalation, passed the suite before.

One field is edited at a time on the sample registry; each test names the kind, the impact forward (base -> edited)
and backward (edited -> base), and the compared values, so flipping a comparison or swapping before/after fails.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from agentid.registry.model import Agent, Registry
from agentid.review import Impact, diff_registries


def _with(registry: Registry, agent: Agent) -> Registry:
    return Registry(agents=tuple(agent if a.name == agent.name else a for a in registry), catalog=registry.catalog)


def _changes(base: Registry, head: Registry):
    return [(c.agent, c.kind, c.impact, c.before, c.after) for c in diff_registries(base, head).changes]


def _both_ways(sample_registry, edited: Agent):
    head = _with(sample_registry, edited)
    return _changes(sample_registry, head), _changes(head, sample_registry)


def test_a_raised_token_rate_is_an_escalation_and_a_lowered_one_a_reduction(sample_registry):
    agent = sample_registry.get("meeting-summarizer")
    rate = agent.profile.max_tokens_per_hour
    raised = dataclasses.replace(agent, profile=dataclasses.replace(agent.profile, max_tokens_per_hour=rate * 10))
    forward, backward = _both_ways(sample_registry, raised)
    assert forward == [("meeting-summarizer", "profile-rate", Impact.ESCALATION, rate, rate * 10)]
    assert backward == [("meeting-summarizer", "profile-rate", Impact.REDUCTION, rate * 10, rate)]


def test_changed_active_hours_are_neutral_both_ways(sample_registry):
    agent = sample_registry.get("meeting-summarizer")
    hours = agent.profile.active_hours_utc
    other = "00:00-24:00" if hours != "00:00-24:00" else "08:00-18:00"
    widened = dataclasses.replace(agent, profile=dataclasses.replace(agent.profile, active_hours_utc=other))
    forward, backward = _both_ways(sample_registry, widened)
    assert forward == [("meeting-summarizer", "profile-hours", Impact.NEUTRAL, hours, other)]
    assert backward == [("meeting-summarizer", "profile-hours", Impact.NEUTRAL, other, hours)]


def test_a_moved_access_review_date_is_neutral_both_ways(sample_registry):
    agent = sample_registry.get("finance-reconciler")
    due = agent.lifecycle.review_by
    later = due + dt.timedelta(days=90)
    moved = dataclasses.replace(agent, lifecycle=dataclasses.replace(agent.lifecycle, review_by=later))
    forward, backward = _both_ways(sample_registry, moved)
    assert forward == [("finance-reconciler", "review-by", Impact.NEUTRAL, due.isoformat(), later.isoformat())]
    assert backward == [("finance-reconciler", "review-by", Impact.NEUTRAL, later.isoformat(), due.isoformat())]


def _second_key(agent: Agent):
    """Another RSA public key for the agent (its modulus changed in the last characters: another thumbprint)."""
    key = agent.credentials.keys[0]
    assert key.n, "the fixture agent holds an inline RSA key"
    tail = "AA" if not key.n.endswith("AA") else "AB"
    return dataclasses.replace(key, kid=f"{agent.name}-2027-01", n=key.n[:-2] + tail)


def test_a_key_added_beside_the_old_one_is_neutral_and_removing_it_a_reduction(sample_registry):
    agent = sample_registry.get("finance-reconciler")
    assert not agent.credentials.jwks_uri and len(agent.credentials.keys) == 1
    new_key = _second_key(agent)
    both = dataclasses.replace(
        agent, credentials=dataclasses.replace(agent.credentials, keys=(*agent.credentials.keys, new_key))
    )
    forward, backward = _both_ways(sample_registry, both)
    assert forward == [("finance-reconciler", "key-added", Impact.NEUTRAL, None, [new_key.kid])]
    assert backward == [("finance-reconciler", "key-removed", Impact.REDUCTION, [new_key.kid], None)]


def test_a_key_replaced_is_a_neutral_rotation(sample_registry):
    agent = sample_registry.get("finance-reconciler")
    old_kid, new_key = agent.credentials.keys[0].kid, _second_key(agent)
    rotated = dataclasses.replace(agent, credentials=dataclasses.replace(agent.credentials, keys=(new_key,)))
    forward, _ = _both_ways(sample_registry, rotated)
    assert forward == [("finance-reconciler", "key-rotated", Impact.NEUTRAL, [old_kid], [new_key.kid])]


def test_a_reworded_scope_reason_is_neutral_both_ways(sample_registry):
    agent = sample_registry.get("hr-onboarding-assistant")
    grant = agent.access.scopes[0]
    reworded = dataclasses.replace(
        agent,
        access=dataclasses.replace(
            agent.access,
            scopes=(dataclasses.replace(grant, reason=grant.reason + " (new hires only)"), *agent.access.scopes[1:]),
        ),
    )
    forward, backward = _both_ways(sample_registry, reworded)
    new_reason = grant.reason + " (new hires only)"
    assert forward == [("hr-onboarding-assistant", "scope-reason", Impact.NEUTRAL, grant.reason, new_reason)]
    assert backward == [("hr-onboarding-assistant", "scope-reason", Impact.NEUTRAL, new_reason, grant.reason)]


def test_a_reworded_plugin_description_is_neutral_both_ways(sample_registry):
    agent = next(a for a in sample_registry if a.plugins)
    plugin = agent.plugins[0]
    text = plugin.description + " Read-only."
    edited = dataclasses.replace(agent, plugins=(dataclasses.replace(plugin, description=text), *agent.plugins[1:]))
    forward, backward = _both_ways(sample_registry, edited)
    assert forward == [(agent.name, "plugin-description", Impact.NEUTRAL, plugin.description, text)]
    assert backward == [(agent.name, "plugin-description", Impact.NEUTRAL, text, plugin.description)]
