"""Detections for registries of hundreds of agents: the EventBridge rules stay twelve, constant patterns within AWS's
size quota whatever the registry (agents are matched by app label); only the configured id lists can overflow it,
which fails the plan naming the rule; the Sigma shadow rule (by client id) converts at scale; and the quota rule.

The registries are built in memory from a sample agent (no files, no YAML parsing); only small mocked Pulumi programs
run.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import pytest
import yaml

from agentid.detect import sigma
from agentid.detect.definitions import EVENT_DETECTIONS, build_detection_set
from agentid.detect.eventbridge import (
    AWS_MAX_PATTERN_CHARS,
    DEFAULT_MAX_PATTERN_CHARS,
    MIN_PATTERN_CHARS,
    PatternInputs,
    PatternTooLongError,
    build_patterns,
    check_pattern_size,
    checked_patterns,
    pattern_json,
)
from agentid.plan import PlanError, build_plan
from agentid.registry.model import Registry
from policies.engine import evaluate, load_stack_pattern_limits
from policies.rules import RuleContext, get_rule
from policies.rules import resources as resource_rules
from policies.rules.resources import UNKNOWN
from tests.conftest import TODAY
from tests.detect.conftest import EVENT_SOURCE
from tests.detect.test_pulumi_detections import EVENTBRIDGE_WITH_DETECTIONS
from tests.plan.conftest import make_stack_root

#: Realistic teams and jobs for the synthetic agents.
TEAMS = ("finance", "hr", "support", "sales", "legal", "it", "procurement", "marketing", "security", "payroll")
JOBS = ("reconciler", "onboarding-assistant", "triage", "summariser", "auditor", "forecaster")
#: A deployer service app and a break-glass admin, Okta-shaped.
DEPLOYERS = ("0oa5pulumi0deployer7", "00u8breakglass0adm1")


def synthetic_registry(sample_registry: Registry, count: int, *, environment: str = "prod") -> Registry:
    """``count`` agents cloned from the finance reconciler (no plugins), each with its own realistic name."""
    template = sample_registry.get("finance-reconciler")
    assert template is not None and not template.plugins
    names = [f"{TEAMS[i % len(TEAMS)]}-{JOBS[(i // len(TEAMS)) % len(JOBS)]}-{i:04d}" for i in range(count)]
    agents = tuple(replace(template, name=name, environments=(environment,)) for name in sorted(names))
    return Registry(agents=agents, catalog=sample_registry.catalog)


def test_patterns_do_not_depend_on_the_registry(sample_registry):
    """Six patterns for 1 or 300 agents, identical, within the default quota and above the smallest allowed one."""
    small = build_detection_set(synthetic_registry(sample_registry, 1), today=TODAY, deployer_ids=DEPLOYERS)
    large = build_detection_set(synthetic_registry(sample_registry, 300), today=TODAY, deployer_ids=DEPLOYERS)
    patterns = checked_patterns(PatternInputs.from_detection_set(large, EVENT_SOURCE), DEFAULT_MAX_PATTERN_CHARS)
    assert patterns == checked_patterns(
        PatternInputs.from_detection_set(small, EVENT_SOURCE), DEFAULT_MAX_PATTERN_CHARS
    )
    assert set(patterns) == {d.id for d in EVENT_DETECTIONS}
    bare = build_patterns(PatternInputs(event_source=EVENT_SOURCE))
    assert max(len(pattern_json(p)) for p in bare.values()) < MIN_PATTERN_CHARS, "any allowed limit fits them"
    assert not any(p.client_id in "".join(patterns.values()) for p in large.identities), "no agent's id is listed"


def test_real_pattern_size_is_checked_with_the_rule_name_and_the_fix():
    text = "x" * 2049
    with pytest.raises(PatternTooLongError, match=r"agentid-identity-tampering.*2049 characters.*maxPatternChars"):
        check_pattern_size("agentid-identity-tampering", text, DEFAULT_MAX_PATTERN_CHARS)
    assert check_pattern_size("agentid-identity-tampering", text, AWS_MAX_PATTERN_CHARS) == text


# ------------------------------------------------------------------------------------- the mocked Pulumi program

LOW_LIMIT = 600


def _stack(limit: int, extra: str = "") -> str:
    return EVENTBRIDGE_WITH_DETECTIONS + f"    maxPatternChars: {limit}\n" + extra


def test_mocked_program_declares_one_rule_per_detection_for_twenty_agents_within_a_low_limit(sample_registry, tmp_path):
    """20 agents (6 resources each under the mock engine), patterns capped at 600 characters: one rule and one
    target per detection, shadow rule included (it no longer grows with the registry), and the quota rule agrees."""
    registry = synthetic_registry(sample_registry, 20, environment="test")
    plan = build_plan(registry, "test", today=dt.date(2026, 12, 1), root=make_stack_root(tmp_path, "test", _stack(600)))
    rules = plan.of_type("aws:cloudwatch/eventRule:EventRule")
    targets = {t.inputs["rule"] for t in plan.of_type("aws:cloudwatch/eventTarget:EventTarget")}
    assert sorted(r.inputs["tags"]["detection"] for r in rules) == sorted(d.id for d in EVENT_DETECTIONS)
    for rule in rules:
        assert len(rule.inputs["eventPattern"]) <= LOW_LIMIT, rule.urn
        assert rule.inputs["name"] in targets, f"{rule.urn} has no target"
    shadow = json.loads(plan.named("detections-shadow-agent-token").inputs["eventPattern"])
    assert shadow["detail"]["actor"] == {
        "displayName": [{"anything-but": {"prefix": "agentid:"}}],
        "id": [{"anything-but": ["0oa5pulumi0deployer7"]}],
    }
    findings = evaluate(registry, today=TODAY, stack="test", resources=plan.resources)
    assert [f.message for f in findings if f.rule == "event-pattern-within-quota"] == []


def test_a_pattern_that_overflows_fails_the_plan_with_the_rule_name(sample_registry, tmp_path):
    """Only the configured id lists can grow a pattern; a long deployer list over a low limit fails the plan."""
    deployers = ", ".join(f"0oa{n:017d}" for n in range(30))
    stack = _stack(LOW_LIMIT).replace("deployerIds: [0oa5pulumi0deployer7]", f"deployerIds: [{deployers}]")
    root = make_stack_root(tmp_path, "test", stack)
    registry = synthetic_registry(sample_registry, 2, environment="test")
    with pytest.raises(PlanError, match=r"rule `agentid-shadow-agent-token` is \d+ characters, over the limit of 600"):
        build_plan(registry, "test", today=dt.date(2026, 12, 1), root=root)


# ---------------------------------------------------------------------------------------- Sigma takes over shadow


def test_sigma_shadow_rule_lists_every_registered_client_and_converts_to_splunk(sample_registry):
    from sigma.backends.splunk import SplunkBackend
    from sigma.collection import SigmaCollection

    registry = synthetic_registry(sample_registry, 300)
    detection_set = build_detection_set(registry, today=TODAY, deployer_ids=["0oa5pulumi0deployer7"])
    # Only the registry-wide rules: generating 300 identities' hourly rules would cost seconds and prove nothing here.
    text = yaml.safe_dump_all(sigma.registry_rules(detection_set)["shadow-agent-token"], sort_keys=False)
    (query,) = SplunkBackend().convert(SigmaCollection.from_yaml(text))
    assert "NOT" in query and "client_credentials" in query
    for client_id in detection_set.known_client_ids:
        assert client_id in query, f"{client_id} missing from the Splunk search"


# ------------------------------------------------------------------------------------------------ the quota rule


def _rule(pattern):
    return resource_rules.PlannedResource(
        resource_rules.EVENT_RULE, "support-token-refused-watch", {"eventPattern": pattern}
    )


def test_quota_rule_follows_the_stack_setting_up_to_awss_maximum():
    check = get_rule("event-pattern-within-quota").check
    long = "x" * 3000
    assert [v.message for v in check(_rule(long), RuleContext(today=TODAY, stack="prod"))]
    raised = RuleContext(today=TODAY, stack="prod", stack_pattern_limits={"prod": 4096})
    assert list(check(_rule(long), raised)) == []
    beyond = RuleContext(today=TODAY, stack="prod", stack_pattern_limits={"prod": 10_000})
    (violation,) = check(_rule("x" * 5000), beyond)
    assert "allows at most 4096" in violation.message
    assert list(check(_rule(UNKNOWN), RuleContext(today=TODAY, stack="prod"))) == []


def test_quota_constants_agree_between_policies_and_detections():
    assert resource_rules.DEFAULT_MAX_PATTERN_CHARS == DEFAULT_MAX_PATTERN_CHARS
    assert resource_rules.AWS_MAX_PATTERN_CHARS == AWS_MAX_PATTERN_CHARS


def test_stack_pattern_limits_are_read_from_the_stack_files(tmp_path):
    (tmp_path / "Pulumi.prod.yaml").write_text(
        "config:\n  agentid:detections:\n    enabled: true\n    maxPatternChars: 4096\n", encoding="utf-8"
    )
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  agentid:detections: {enabled: false}\n", encoding="utf-8")
    assert load_stack_pattern_limits(tmp_path) == {"prod": 4096}


def test_policy_pack_skips_a_pattern_unknown_during_preview_and_judges_a_known_one():
    """A pattern unknown at preview (a hand-written rule built from an Output) is not judged; a known one is. The
    generated patterns are always known: they depend on the stack's configuration only."""
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

    from tests.pack.test_validators import resource_args, violations

    unknown = resource_args(
        resource_rules.EVENT_RULE, "detections-token-refused", {"eventPattern": UNKNOWN_STRING_VALUE}
    )
    assert violations("event-pattern-within-quota", unknown) == []
    known = resource_args(resource_rules.EVENT_RULE, "support-token-refused-watch", {"eventPattern": "x" * 2100})
    (message,) = violations("event-pattern-within-quota", known)
    assert "2100 characters" in message and "allows at most 2048" in message


@pytest.mark.parametrize(
    ("value", "expected"), [(None, 2048), (4096, 4096), ("3000", 3000), (5000, None), (100, None), (True, None)]
)
def test_max_pattern_chars_config_is_bounded_by_what_aws_can_grant(value, expected):
    from infra.config import ConfigError, parse_detections

    detections = {"enabled": True, "targetArn": "arn:aws:sns:eu-west-1:123456789012:agentid-prod-detections"}
    if value is not None:
        detections["maxPatternChars"] = value
    if expected is None:
        with pytest.raises(
            ConfigError, match=r"Pulumi\.prod\.yaml: agentid:detections\.maxPatternChars must be .*4096"
        ):
            parse_detections(detections, "prod")
    else:
        assert parse_detections(detections, "prod").max_pattern_chars == expected


def test_agentid_detections_writes_the_patterns_the_stack_deploys_and_fails_like_it(sample_registry, detection_set):
    inputs = PatternInputs.from_detection_set(detection_set, EVENT_SOURCE)
    assert {d: json.loads(t) for d, t in checked_patterns(inputs, DEFAULT_MAX_PATTERN_CHARS).items()} == (
        build_patterns(inputs)
    )
    many = PatternInputs.of([f"0oa{n:017d}" for n in range(100)], [], EVENT_SOURCE)
    with pytest.raises(PatternTooLongError, match=r"agentid-shadow-agent-token.*allowedClientIds"):
        checked_patterns(many, DEFAULT_MAX_PATTERN_CHARS)
    assert checked_patterns(many, AWS_MAX_PATTERN_CHARS), "4096 holds 100 allowed clients"
