"""Okta app labels of agent identities: the prefix the EventBridge rules match, within Okta's 100-character limit."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from agentid.detect.labels import (
    AGENT_LABEL_PREFIX,
    EXPIRED_LABEL_PREFIX,
    OKTA_LABEL_MAX_CHARS,
    app_label,
    is_agent_label,
    is_expired_label,
)

#: The schema's agent and plugin name patterns (policies/agent.schema.json); a plugin identity is `agent--plugin`.
AGENT_NAME = re.compile(r"[a-z][a-z0-9-]{2,62}")
PLUGIN_NAME = re.compile(r"[a-z][a-z0-9-]{1,40}")
identities = st.one_of(
    st.from_regex(AGENT_NAME, fullmatch=True),
    st.tuples(st.from_regex(AGENT_NAME, fullmatch=True), st.from_regex(PLUGIN_NAME, fullmatch=True)).map("--".join),
)


def test_labels_of_live_and_expired_agents():
    assert app_label("meeting-summarizer") == "agentid:meeting-summarizer"
    assert app_label("meeting-summarizer--calendar") == "agentid:meeting-summarizer--calendar"
    assert app_label("incident-responder", expired=True) == "agentid:expired:incident-responder"
    assert is_agent_label("agentid:expired:incident-responder") and is_expired_label(
        "agentid:expired:incident-responder"
    )
    assert is_agent_label("agentid:meeting-summarizer") and not is_expired_label("agentid:meeting-summarizer")
    for other in ("crm-export-bot", "AgentID:crm-export-bot", "agentid-deployer", None, 42):
        assert not is_agent_label(other) and not is_expired_label(other), other


def test_the_longest_identity_is_cut_to_oktas_limit_with_a_hash():
    agent, plugin = "finance-" + "r" * 55, "knowledge-base-" + "x" * 26
    identity = f"{agent}--{plugin}"
    assert len(identity) == 106, "63 + 2 + 41: the longest name the schema allows"
    for expired in (False, True):
        label = app_label(identity, expired=expired)
        assert len(label) == OKTA_LABEL_MAX_CHARS, label
        prefix = EXPIRED_LABEL_PREFIX if expired else AGENT_LABEL_PREFIX
        assert re.fullmatch(re.escape(prefix) + r"finance-r+--[a-z-]+~[0-9a-f]{8}", label), label
        assert identity.startswith(label.removeprefix(prefix).rsplit("~", 1)[0]), "the start of the name is kept"
    # Two long identities sharing their first 90 characters still get different labels.
    assert app_label(identity) != app_label(identity[:-1] + "y")


@given(identities, st.booleans())
def test_every_schema_valid_identity_gets_a_label_okta_accepts_and_the_rules_classify(identity, expired):
    label = app_label(identity, expired=expired)
    assert len(label) <= OKTA_LABEL_MAX_CHARS
    assert label.startswith(AGENT_LABEL_PREFIX), "every agent rule and the shadow rule rely on this prefix"
    assert is_expired_label(label) is expired, "no live agent's name can start with `expired:` (names have no colon)"
    assert label.startswith(EXPIRED_LABEL_PREFIX) is expired
    assert app_label(identity, expired=expired) == label, "deterministic"
