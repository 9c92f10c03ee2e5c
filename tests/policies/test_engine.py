"""The engine: findings carry file, line, remediation and OWASP tags; waivers apply only when valid; loader and
rule findings merge without duplicates; settings and stack limits are read with clear errors."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from agentid.findings import Severity
from agentid.registry import load_registry
from agentid.resources import PlannedResource
from policies import engine
from policies.rules import base
from policies.rules.base import PolicySettings, RuleKind, Violation
from tests.conftest import CATALOG, FIXTURES, REPO, TODAY
from tests.policies import builders as b

FAILING = FIXTURES / "policies" / "failing"


@pytest.fixture(scope="module")
def failing():
    return load_registry(FAILING, CATALOG, root=REPO)


def test_sample_registry_has_no_findings(sample_registry):
    assert engine.evaluate(sample_registry, today=TODAY) == []


def test_findings_point_at_the_offending_line_with_metadata(failing):
    findings = engine.evaluate(failing.registry, today=TODAY)
    wildcard = next(f for f in findings if f.rule == "scope-wildcard")
    assert (wildcard.file, wildcard.line, wildcard.column) == (
        "tests/fixtures/policies/failing/meeting-notes-digest.yaml",
        25,
        13,
    )
    assert wildcard.agent == "meeting-notes-digest"
    assert wildcard.nhi == ("NHI5",) and wildcard.severity is Severity.ERROR
    assert wildcard.remediation.startswith("Replace it with the exact catalog scopes")


def test_a_valid_waiver_waives_and_an_owner_approved_one_does_not(failing):
    findings = {
        f.rule: f for f in engine.evaluate(failing.registry, today=TODAY) if f.agent == "vendor-invoice-matcher"
    }
    waived = findings["okta-management-scope"]
    assert waived.waived and waived.waiver == {
        "rule": "okta-management-scope",
        "reason": "Deactivates vendor portal users until the HR-driven lifecycle flow ships (SEC-142).",
        "approved_by": "nina.petrova@example.com",
        "expires": "2027-01-15",
    }
    assert not findings["restricted-scope-token-lifetime"].waived
    assert not findings["waiver-self-approved"].waived


def test_an_expired_waiver_stops_waiving_on_the_day_after_it_expires(failing):
    on_last_day = engine.evaluate(failing.registry, today=TODAY.replace(year=2027, month=1, day=15))
    assert any(f.rule == "okta-management-scope" and f.waived for f in on_last_day)
    after = engine.evaluate(failing.registry, today=TODAY.replace(year=2027, month=1, day=16))
    rules = {(f.rule, f.waived) for f in after if f.agent == "vendor-invoice-matcher"}
    assert ("okta-management-scope", False) in rules and ("waiver-expired", False) in rules


def test_unwaivable_rules_are_never_waived(sample_registry):
    reader = b.okta_plugin(okta_api_scopes=("okta.roles.manage",))
    registry = b.with_agent(
        b.okta_access(sample_registry, "okta-user-auditor", plugins=(reader,)),
        "okta-user-auditor",
        waivers=(b.waiver("okta-admin-scope"),),
    )
    found = {(f.rule, f.waived) for f in engine.evaluate(registry, today=TODAY)}
    assert found == {("okta-admin-scope", False), ("waiver-unwaivable-rule", False)}


def test_loader_and_rule_findings_merge_each_problem_once(failing):
    merged = engine.merge_loader_findings(failing.findings, engine.evaluate(failing.registry, today=TODAY))
    assert [f.rule for f in failing.findings].count("private-key-material") == 1  # the loader reports it ...
    assert [f.rule for f in merged].count("private-key-material") == 1  # ... and so does the rule: kept once
    assert any(f.rule == "load.unknown-scope" for f in failing.findings)
    assert not any(f.rule == "load.unknown-scope" for f in merged), "scope-wildcard supersedes it at that line"


def test_an_unknown_scope_that_is_not_wildcard_like_stays_a_loader_finding(failing):
    unknown = dataclasses.replace(failing.findings[0], rule="load.unknown-scope", line=99, nhi=())
    merged = engine.merge_loader_findings([unknown], [])
    assert merged[0].rule == "load.unknown-scope" and merged[0].nhi == ("NHI5",)


def test_plan_findings_land_in_the_owning_agents_file_and_can_be_waived(sample_registry):
    app = PlannedResource(
        type="okta:app/oAuth:OAuth",
        name="finance-reconciler-app",
        agent="finance-reconciler",
        inputs={
            "label": "finance-reconciler",
            "type": "service",
            "grantTypes": ["client_credentials", "authorization_code"],
            "responseTypes": ["token"],
            "tokenEndpointAuthMethod": "private_key_jwt",
            "omitSecret": True,
            "jwksUri": "https://keys.example.com/agents/finance-reconciler/jwks.json",
        },
    )
    found = [f for f in engine.evaluate(sample_registry, today=TODAY, stack="dev", resources=[app])]
    grant = next(f for f in found if f.rule == "app-client-credentials-only")
    assert (grant.file, grant.line, grant.agent) == ("agents/finance-reconciler.yaml", 2, "finance-reconciler")
    waived_registry = b.with_agent(
        sample_registry, "finance-reconciler", waivers=(b.waiver("app-client-credentials-only"),)
    )
    again = engine.evaluate(waived_registry, today=TODAY, stack="dev", resources=[app])
    assert next(f for f in again if f.rule == "app-client-credentials-only").waived


def test_a_broken_rule_becomes_a_finding_not_a_crash(sample_registry, monkeypatch):
    def explode(agent, ctx):
        raise KeyError("owners")
        yield Violation("unreachable")

    meta = base.RuleMeta("test-broken", 49, "t", Severity.ERROR, ("NHI1",), "r", "f", RuleKind.REGISTRY)
    monkeypatch.setitem(base._RULES, "test-broken", base.Rule(meta, explode))
    found = engine.evaluate(sample_registry, today=TODAY)
    assert [(f.rule, f.message) for f in found] == [
        (engine.ENGINE_ERROR_RULE, "rule `test-broken` failed: KeyError: 'owners'")
    ]


def test_committed_settings_load_and_match_the_documented_limits():
    settings = engine.load_settings(engine.SETTINGS_PATH)
    assert settings.allowed_owner_domains == ("example.com",)
    assert (settings.max_scopes, settings.restricted_max_token_minutes, settings.waiver_max_days) == (6, 15, 90)
    assert "okta.roles.manage" in settings.forbidden_okta_scopes and settings.service_account_patterns


def test_broken_settings_name_the_file_and_line(tmp_path: Path):
    path = tmp_path / "settings.yaml"
    text = engine.SETTINGS_PATH.read_text().replace("max_scopes: 6", "max_scopes: six")
    path.write_text(text)
    with pytest.raises(engine.SettingsError) as caught:
        engine.load_settings(path)
    (problem,) = caught.value.findings
    assert problem.file == str(path) and problem.line == text.splitlines().index("max_scopes: six") + 1
    assert "max_scopes" in problem.message


def test_settings_change_what_the_rules_allow(sample_registry):
    strict = dataclasses.replace(engine.default_settings(), max_scopes=3)
    found = engine.evaluate(sample_registry, today=TODAY, settings=strict)
    assert [(f.rule, f.agent) for f in found] == [("max-scopes", "support-triage")]
    assert isinstance(strict, PolicySettings)


def test_stack_limits_come_from_pulumi_stack_files(tmp_path: Path):
    (tmp_path / "Pulumi.prod.yaml").write_text(
        "config:\n  okta:orgName: example\n  agentid:maxTokenLifetimeMinutes: 20\n"
    )
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  okta:orgName: example-dev\n")
    (tmp_path / "Pulumi.broken.yaml").write_text("config: [unclosed\n")
    assert engine.load_stack_limits(tmp_path) == {"prod": 20}


def test_a_stack_file_whose_config_is_not_a_mapping_sets_no_limit(tmp_path: Path):
    (tmp_path / "Pulumi.prod.yaml").write_text("config:\n  - agentid:maxTokenLifetimeMinutes\n")
    (tmp_path / "Pulumi.dev.yaml").write_text(
        "config:\n  agentid:maxTokenLifetimeMinutes: 45\n  agentid:detections:\n    maxPatternChars: 4096\n"
    )
    assert engine.load_stack_limits(tmp_path) == {"dev": 45}
    assert engine.load_stack_pattern_limits(tmp_path) == {"dev": 4096}


def test_a_plan_finding_that_repeats_a_registry_finding_is_reported_once(sample_registry):
    rule = PlannedResource(
        type="okta:auth/serverPolicyRule:ServerPolicyRule",
        name="support-triage-rule",
        agent="support-triage",
        inputs={"grantTypeWhitelists": ["client_credentials"], "scopeWhitelists": ["tickets.read"],
                "accessTokenLifetimeMinutes": 90},
    )  # fmt: skip
    stream = PlannedResource(
        type="okta:index/logStream:LogStream",
        name="system-log-eventbridge",
        inputs={"name": "agentid-dev-system-log", "type": "aws_eventbridge", "status": "ACTIVE"},
    )
    too_long = b.access(sample_registry, "support-triage", token_lifetime_minutes=90)
    found = [f.rule for f in engine.evaluate(too_long, today=TODAY, stack="dev", resources=[rule, stream])]
    assert found == ["token-lifetime-stack-max"]
    # the file says 30 but hand-written Pulumi code deploys 90: only the plan can tell
    found = [f.rule for f in engine.evaluate(sample_registry, today=TODAY, stack="dev", resources=[rule, stream])]
    assert found == ["token-lifetime-bounds"]


def test_shared_resource_findings_point_at_the_stack_config(sample_registry):
    found = engine.evaluate(sample_registry, today=TODAY, stack="dev", resources=[])
    assert [(f.rule, f.file, f.agent) for f in found] == [("stack-has-log-stream", "Pulumi.dev.yaml", None)]


def test_the_pinned_day_comes_from_agentid_today(monkeypatch):
    monkeypatch.setenv("AGENTID_TODAY", "2026-12-21")
    assert engine.pinned_today() == dt.date(2026, 12, 21)
    monkeypatch.setenv("AGENTID_TODAY", "21 December")
    with pytest.raises(ValueError, match=r"AGENTID_TODAY='21 December' is not a date; use YYYY-MM-DD"):
        engine.pinned_today()


@pytest.mark.parametrize(
    ("rule_id", "number", "problem"),
    [
        ("meeting-summary-retention", 0, "numbers start at 1"),  # CKV_AGENT_0 is the checkov load check
        ("owner-allowed-domain", 999, "registered twice"),  # an id already taken
        ("meeting-summary-retention", base.all_rules()[0].meta.number, "registered twice"),  # a number taken
    ],
)
def test_rule_registration_refuses_ids_and_numbers_that_would_clash(rule_id, number, problem):
    register = base.rule(
        id=rule_id,
        number=number,
        title="Meeting summaries are kept no longer than the retention period",
        severity=Severity.WARNING,
        nhi=("NHI5",),
        rationale="A summariser that keeps transcripts forever holds more than its job needs.",
        remediation="Delete summaries after the retention period.",
        kind=RuleKind.REGISTRY,
    )
    with pytest.raises(ValueError, match=problem):
        register(lambda agent, ctx: ())
    assert "meeting-summary-retention" not in {r.meta.id for r in base.all_rules()}
