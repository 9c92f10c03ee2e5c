"""Generated Sigma rules: valid for pySigma, converted by the Splunk backend into searches that say the right thing,
and whose regular expressions mean exactly what the profile means (checked minute by minute, scope by scope)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sigma.backends.splunk import SplunkBackend
from sigma.collection import SigmaCollection
from sigma.rule import SigmaRule

from agentid.detect import sigma
from agentid.detect.definitions import GRANT_EVENT_TYPES


@pytest.fixture(scope="module")
def files(detection_set) -> dict[str, str]:
    return sigma.generate(detection_set)


@pytest.fixture(scope="module")
def splunk(files) -> dict[str, list[str]]:
    backend = SplunkBackend()
    converted = {}
    for name, text in files.items():
        collection = SigmaCollection.from_yaml(text)
        assert not collection.errors, f"{name}: {collection.errors}"
        converted[name] = backend.convert(collection)
    return converted


def test_every_rule_passes_pysigmas_validators(files):
    """What `sigma check` runs: tag namespaces, identifiers, duplicate titles and ids, field names and the rest."""
    from sigma.validators.core import validators

    checks = [validator() for validator in validators.values()]
    rules = [rule for text in files.values() for rule in SigmaCollection.from_yaml(text).rules]
    issues = [
        f"{rule.title}: {type(issue).__name__}" for rule in rules for check in checks for issue in check.validate(rule)
    ]
    # Validators that judge the whole collection (duplicate ids, titles) report when they finish.
    issues += [type(issue).__name__ for check in checks for issue in check.finalize()]
    assert len(rules) >= len(files)
    assert issues == [], issues
    detections = [rule for rule in rules if isinstance(rule, SigmaRule)]  # correlation rules refer to these
    assert detections and all(rule.custom_attributes.get("owasp") for rule in detections), "OWASP risks named"


def test_one_file_per_detection_and_identity(files, detection_set):
    for profile in detection_set.identities:
        assert f"{profile.identity}/token-rate-exceeded.yml" in files
        assert f"{profile.identity}/scope-outside-profile.yml" in files
        all_day = not profile.inactive_minutes()
        assert (f"{profile.identity}/token-outside-active-hours.yml" in files) is not all_day, profile.identity
    for single in ("shadow-agent-token", "token-refused", "invalid-client-credentials", "identity-tampering"):
        assert f"{single}.yml" in files


def test_generation_is_byte_stable(detection_set, files):
    assert sigma.generate(detection_set) == files


def test_rate_rule_is_an_event_count_correlation_with_the_threshold(splunk, detection_set):
    for profile in detection_set.identities:
        (query,) = splunk[f"{profile.identity}/token-rate-exceeded.yml"]
        assert f'actor.id="{profile.client_id}"' in query, query
        assert all(event_type in query for event_type in GRANT_EVENT_TYPES), query
        assert 'outcome.result="SUCCESS"' in query
        assert "| bin _time span=1h" in query
        assert "by _time actor.id" in query
        assert query.rstrip().endswith(f"| search event_count > {profile.max_tokens_per_hour}"), query


def test_active_hours_rule_tests_published_against_the_window(splunk, detection_set):
    finance = next(p for p in detection_set.identities if p.identity == "finance-reconciler")
    (query,) = splunk["finance-reconciler/token-outside-active-hours.yml"]
    assert f'actor.id="{finance.client_id}"' in query
    match = re.search(r'\| regex published="([^"]+)"', query)
    assert match, query
    expression = re.compile(match.group(1).replace("\\\\", "\\"))
    assert expression.search("2026-12-01T14:30:00.000Z"), "14:30 is outside 01:00-05:00"
    assert not expression.search("2026-12-01T03:10:00.000Z"), "03:10 is inside 01:00-05:00"


def test_scope_rule_names_the_client_and_the_declared_scopes(splunk, detection_set):
    (query,) = splunk["support-triage/scope-outside-profile.yml"]
    profile = next(p for p in detection_set.identities if p.identity == "support-triage")
    assert f'actor.id="{profile.client_id}"' in query
    assert "| regex debugContext.debugData.requestedScopes=" in query
    for scope in profile.scopes:
        assert re.escape(scope).replace("\\", "\\\\") in query, scope


def test_shadow_rule_excludes_every_registered_and_allowed_client(splunk, detection_set):
    (query,) = splunk["shadow-agent-token.yml"]
    assert 'debugContext.debugData.grantType="client_credentials"' in query
    assert "NOT (actor.id IN (" in query
    for client_id in detection_set.known_client_ids:
        assert f'"{client_id}"' in query


def test_tampering_rule_uses_prefixes_and_spares_the_deployer(splunk, detection_set):
    (query,) = splunk["identity-tampering.yml"]
    assert '"policy.rule.*"' in query and '"app.oauth2.credentials.lifecycle.*"' in query
    assert f'NOT actor.id="{detection_set.deployer_ids[0]}"' in query


def _inside(window: str, minute: int) -> bool:
    """The window's meaning, written here from the agent schema's words (``HH:MM-HH:MM`` UTC, start included, end
    excluded, wrapping past midnight when the end is earlier, equal bounds all day), not taken from the code under
    test."""
    start, end = ((int(t[:2]) * 60 + int(t[3:])) % 1440 for t in window.split("-"))
    if start == end:
        return True
    return start <= minute < end if start < end else minute >= start or minute < end


@pytest.mark.parametrize("window", ["01:00-05:00", "06:00-20:00", "22:00-06:00", "06:30-18:45", "00:00-24:00"])
def test_hours_regex_matches_exactly_the_minutes_outside_the_window(detection_set, window):
    from dataclasses import replace

    profile = replace(detection_set.identities[0], active_hours_utc=window)
    expression = sigma.minutes_regex(profile.inactive_minutes())
    if expression is None:
        assert all(_inside(window, m) for m in range(1440)), window
        return
    compiled = re.compile(expression)
    for minute in range(1440):
        stamp = f"2026-12-01T{minute // 60:02d}:{minute % 60:02d}:07.250Z"
        assert bool(compiled.search(stamp)) is not _inside(window, minute), (window, stamp)


def test_the_hand_oracle_reads_windows_as_the_schema_says():
    """The oracle itself, on hand-picked boundaries: an inclusive end or a missed wrap would show here."""
    assert [_inside("01:00-05:00", m) for m in (59, 60, 299, 300)] == [False, True, True, False]
    assert [_inside("22:00-06:00", m) for m in (1319, 1320, 0, 359, 360)] == [False, True, True, True, False]
    assert all(_inside("00:00-24:00", m) for m in (0, 720, 1439))


SCOPES = ["tickets.read", "tickets.write", "crm.accounts.read", "docs.public.read", "payroll.read", "tickets.reader"]


@settings(max_examples=300, deadline=None)
@given(
    st.sets(st.sampled_from(SCOPES), min_size=1),
    st.lists(st.sampled_from(SCOPES), max_size=5),
    # Okta's ", " (public samples) first; a bare comma or a space as some exports write them.
    st.sampled_from([", ", ",", " ", " , "]),
)
def test_scope_regex_agrees_with_set_logic(allowed, requested, separator):
    expression = re.compile(sigma.outside_scopes_regex(allowed))
    text = separator.join(requested)
    assert bool(expression.search(text)) is bool(set(requested) - allowed), (allowed, text)


def test_tampering_secret_and_grant_rules_name_the_agents_targets(splunk, detection_set):
    for name in ("identity-tampering.yml", "client-secret-read.yml", "agent-api-grant.yml"):
        (query,) = splunk[name]
        assert 'target.displayName="agentid:*"' in query, name
        assert "meeting-summarizer client credentials" in query, name  # the policy rule infra names
        assert '"agents"' in query, name  # the stack's authorization server
    (secret,) = splunk["client-secret-read.yml"]
    assert "NOT actor.id" not in secret, "a secret read is news whoever reads it"


def test_weak_auth_and_network_rules(splunk, detection_set):
    (weak,) = splunk["weak-client-auth.yml"]
    assert "debugContext.debugData.clientAuthType=*" in weak
    assert 'NOT debugContext.debugData.clientAuthType="private_key_jwt"' in weak
    (zones,) = splunk["finance-reconciler/token-outside-network-zone.yml"]
    assert 'NOT client.ipAddress="203.0.113.0/24"' in zones
    assert "meeting-summarizer/token-outside-network-zone.yml" not in splunk, "no zones, no rule"
    for name in ("api-token-created.yml", "trusted-server-change.yml", "network-zone-change.yml"):
        assert name in splunk
