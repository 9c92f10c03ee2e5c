"""The comparison itself, on hand-built live apps: what drift means for one identity."""

from __future__ import annotations

from agentid.okta.compare import DRIFTED, MANAGED, ORPHANED, SHADOW, Desired, identity_drift, judge
from agentid.okta.live import LiveApp, LiveOrg, LivePolicy, LiveRule

SUMMARISER = Desired("meeting-summarizer", "meeting-summarizer", True, ("transcripts.read",), 15)


def app(
    label: str, status: str = "ACTIVE", rules=(("meeting-summarizer client credentials", ("transcripts.read",), 15),)
):
    live_rules = tuple(
        LiveRule(f"0pr{i}", name, "ACTIVE", ("client_credentials",), scopes, life)
        for i, (name, scopes, life) in enumerate(rules)
    )
    policy = LivePolicy("00p1", "meeting-summarizer", "ACTIVE", "aus1", "agents-prod", ("0oa1",), live_rules)
    return LiveApp("0oa1", "0oa1", label, status, "service app", ("client_credentials",), "private_key_jwt",
                   policies=(policy,))  # fmt: skip


def test_as_declared_is_managed():
    assert identity_drift(app("agentid:meeting-summarizer"), SUMMARISER) == []


def test_reactivated_by_hand_after_expiry():
    expired = Desired("meeting-summarizer", "meeting-summarizer", False, ("transcripts.read",), 15)
    drift = identity_drift(app("agentid:expired:meeting-summarizer"), expired)
    assert drift == ["app is ACTIVE in the org but its definition expired: reactivated by hand"]


def test_classification_by_label():
    org = LiveOrg("https://example.okta.com", apps=[
        app("agentid:meeting-summarizer"),
        app("agentid:meeting-summarizer", status="INACTIVE"),
        app("Nightly invoice export"),
        app("agentid:payroll-bot"),
        app("agentid:expired:meeting-summarizer"),
    ])  # fmt: skip
    judged, missing = judge(org, {"meeting-summarizer": SUMMARISER})
    assert [j.status for j in judged] == [MANAGED, DRIFTED, SHADOW, ORPHANED, DRIFTED]
    assert judged[4].drift == ["label `agentid:expired:meeting-summarizer` (declared `agentid:meeting-summarizer`)"]
    assert missing == []


def test_a_second_rule_and_a_longer_lifetime():
    changed = app(
        "agentid:meeting-summarizer",
        rules=(("meeting-summarizer client credentials", ("transcripts.read",), 120), ("extra", ("hr.read",), 60)),
    )
    drift = identity_drift(changed, SUMMARISER)
    assert "rule `extra` in policy `meeting-summarizer` was added by hand (scopes hr.read)" in drift
    assert "rule `meeting-summarizer client credentials`: token lifetime 120 min, declared 15" in drift
    assert "scope(s) granted in the org but declared by no definition: hr.read" in drift
