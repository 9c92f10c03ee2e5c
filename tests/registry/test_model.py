"""The sample registry loads into the typed model, and the model means what the definitions say."""

from __future__ import annotations

import datetime as dt

import pytest

from agentid.registry.model import LifecycleKind, Sensitivity


def test_sample_registry_has_the_six_agents(sample_registry):
    assert [a.name for a in sample_registry] == [
        "finance-reconciler",
        "hr-onboarding-assistant",
        "incident-responder",
        "meeting-summarizer",
        "okta-user-auditor",
        "support-triage",
    ]


def test_both_credential_styles_are_used(sample_registry):
    styles = {a.credentials.style for a in sample_registry}
    assert styles == {"jwks_uri", "keys"}


def test_dates_are_dates(sample_registry):
    responder = sample_registry.get("incident-responder")
    assert responder.lifecycle.kind is LifecycleKind.EPHEMERAL
    assert responder.lifecycle.expires == dt.date(2026, 12, 20)
    assert responder.lifecycle.is_expired(dt.date(2026, 12, 21))
    assert not responder.lifecycle.is_expired(dt.date(2026, 12, 20))


def test_plugins_are_their_own_identities(sample_registry):
    summarizer = sample_registry.get("meeting-summarizer")
    identities = [name for name, _creds, _scopes in summarizer.identities()]
    assert identities == ["meeting-summarizer", "meeting-summarizer--calendar"]


def test_model_is_immutable(sample_registry):
    agent = sample_registry.get("finance-reconciler")
    with pytest.raises(AttributeError):
        agent.owners = ()  # type: ignore[misc]


def test_catalog_sensitivity_and_purposes(sample_registry):
    catalog = sample_registry.catalog
    assert catalog.scope("finance.ledger.read").sensitivity is Sensitivity.RESTRICTED
    assert catalog.scope("crm.accounts.read").sensitivity is Sensitivity.CONFIDENTIAL
    assert catalog.purposes["summarization"].domains == {"collaboration", "calendar"}
    assert catalog.purposes["onboarding"].domains == {"hr", "calendar"}
    assert Sensitivity.RESTRICTED.rank > Sensitivity.INTERNAL.rank


def test_rfc7638_thumbprint_ignores_kid(sample_registry):
    import dataclasses

    key = sample_registry.get("finance-reconciler").credentials.keys[0]
    assert key.thumbprint() == dataclasses.replace(key, kid="another-kid").thumbprint()


def test_lines_point_into_the_file(sample_registry):
    agent = sample_registry.get("meeting-summarizer")
    assert agent.line("access", "token_lifetime_minutes") == 19
    assert agent.line("plugins", 0, "scopes", 0) == 25


@pytest.mark.parametrize(
    ("window", "inside", "outside"),
    [("06:00-20:00", dt.time(6, 0), dt.time(20, 0)), ("22:00-06:00", dt.time(23, 30), dt.time(12, 0))],
)
def test_active_hours_window(sample_registry, window, inside, outside):
    from agentid.registry.model import Profile

    profile = Profile(10, window)
    assert profile.is_active_at(inside) and not profile.is_active_at(outside)
