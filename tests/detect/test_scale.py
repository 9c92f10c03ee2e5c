"""Detections for registries of hundreds of agents: EventBridge patterns split into stable buckets within AWS's size
quota, the shadow-agent rule left out (loudly) when its ``anything-but`` list cannot fit, and the quota rule.

The registry is built in memory from a sample agent (no files, no YAML parsing) and the bucketing functions are
called directly; only one small mocked Pulumi program runs, with a low ``maxPatternChars`` to force several buckets.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
from dataclasses import replace

import boto3
import pytest
import yaml
from moto import mock_aws

from agentid.detect import sigma
from agentid.detect.clientids import offline_client_id
from agentid.detect.definitions import build_detection_set
from agentid.detect.eventbridge import (
    AWS_MAX_PATTERN_CHARS,
    DEFAULT_MAX_PATTERN_CHARS,
    PER_CLIENT_DETECTIONS,
    PatternTooLongError,
    bucket_layout,
    bucket_of,
    check_pattern_size,
    pattern_json,
    per_client_pattern,
    rule_suffix,
    shadow_rule_fits,
    unsafe_constructs,
)
from agentid.plan import PlanError, build_plan
from agentid.registry.model import Registry
from policies.engine import evaluate, load_stack_pattern_limits
from policies.rules import RuleContext, get_rule
from policies.rules import resources as resource_rules
from policies.rules.resources import UNKNOWN
from tests.conftest import TODAY
from tests.detect.conftest import EVENT_SOURCE, load_event
from tests.detect.test_pulumi_detections import EVENTBRIDGE_WITH_DETECTIONS
from tests.plan.conftest import make_stack_root

#: Realistic teams and jobs for the synthetic agents (names are what the buckets hash).
TEAMS = ("finance", "hr", "support", "sales", "legal", "it", "procurement", "marketing", "security", "payroll")
JOBS = ("reconciler", "onboarding-assistant", "triage", "summariser", "auditor", "forecaster")
REFUSED = "token-refused"


def synthetic_registry(sample_registry: Registry, count: int, *, environment: str = "prod") -> Registry:
    """``count`` agents cloned from the finance reconciler (no plugins), each with its own realistic name."""
    template = sample_registry.get("finance-reconciler")
    assert template is not None and not template.plugins
    names = [f"{TEAMS[i % len(TEAMS)]}-{JOBS[(i // len(TEAMS)) % len(JOBS)]}-{i:04d}" for i in range(count)]
    agents = tuple(replace(template, name=name, environments=(environment,)) for name in sorted(names))
    return Registry(agents=agents, catalog=sample_registry.catalog)


def identities_of(registry: Registry) -> list[str]:
    return [identity for agent in registry.agents for identity, _c, _s in agent.identities()]


def bucket_patterns(detection: str, names: list[str], max_chars: int) -> dict[int, dict]:
    """What the Detections component deploys per bucket, with the offline world's (Okta-shaped) client ids."""
    layout = bucket_layout(detection, names, max_chars, EVENT_SOURCE)
    return {
        bucket: per_client_pattern(detection, [offline_client_id(n) for n in members], EVENT_SOURCE)
        for bucket, members in layout.items()
    }


@pytest.fixture(scope="module")
def three_hundred(sample_registry) -> list[str]:
    return identities_of(synthetic_registry(sample_registry, 300))


@pytest.mark.parametrize("max_chars", [DEFAULT_MAX_PATTERN_CHARS, AWS_MAX_PATTERN_CHARS])
@pytest.mark.parametrize("detection", PER_CLIENT_DETECTIONS)
def test_every_bucket_fits_and_every_client_id_is_in_exactly_one(three_hundred, detection, max_chars):
    patterns = bucket_patterns(detection, three_hundred, max_chars)
    assert len(patterns) > 1, "300 identities cannot fit one pattern: the test would prove nothing"
    seen: list[str] = []
    for bucket, pattern in patterns.items():
        text = pattern_json(pattern)
        assert len(text) <= max_chars, f"{detection} bucket {bucket}: {len(text)} > {max_chars}"
        assert unsafe_constructs(pattern) == [], f"{detection} bucket {bucket}"
        seen += pattern["detail"]["actor"]["id"]
    assert sorted(seen) == sorted(offline_client_id(n) for n in three_hundred), "each id exactly once"


def test_one_more_agent_changes_only_its_own_bucket(three_hundred):
    before = bucket_layout(REFUSED, three_hundred, DEFAULT_MAX_PATTERN_CHARS, EVENT_SOURCE)
    newcomer = "legal-contract-summariser-9999"
    after = bucket_layout(REFUSED, [*three_hundred, newcomer], DEFAULT_MAX_PATTERN_CHARS, EVENT_SOURCE)
    assert len(after) == len(before) > 1, "the same bucket count, so the newcomer must not move anyone"
    changed = {bucket for bucket in after if after[bucket] != before.get(bucket)}
    assert changed == {bucket_of(newcomer, len(after))}, "only the newcomer's bucket (its rule) changes"
    removed = bucket_layout(REFUSED, three_hundred[1:], DEFAULT_MAX_PATTERN_CHARS, EVENT_SOURCE)
    assert {b for b in before if before[b] != removed.get(b)} == {bucket_of(three_hundred[0], len(before))}


def test_crossing_a_doubling_threshold_only_splits_buckets(sample_registry):
    """When the registry outgrows its buckets they double: every old bucket keeps a subset of its identities under
    the same rule name (in-place update) and no identity moves between two old buckets."""
    names = identities_of(synthetic_registry(sample_registry, 400))
    previous = bucket_layout(REFUSED, names[:40], DEFAULT_MAX_PATTERN_CHARS, EVENT_SOURCE)
    doubled = False
    for size in range(41, len(names) + 1):
        current = bucket_layout(REFUSED, names[:size], DEFAULT_MAX_PATTERN_CHARS, EVENT_SOURCE)
        old_count = max(previous) + 1
        if max(current) + 1 > old_count:
            doubled = True
            for bucket, members in current.items():
                assert set(members) - {names[size - 1]} <= set(previous[bucket % old_count]), bucket
            assert rule_suffix(0) == "" and rule_suffix(3) == "-b3", "names follow the bucket, not the position"
        previous = current
    assert doubled, "400 identities must cross at least one doubling threshold"


def test_shadow_rule_fits_a_small_registry_but_not_hundreds(three_hundred):
    assert shadow_rule_fits(6, ["0oa5pulumi0deployer7"], DEFAULT_MAX_PATTERN_CHARS, EVENT_SOURCE)
    assert not shadow_rule_fits(len(three_hundred), [], AWS_MAX_PATTERN_CHARS, EVENT_SOURCE)


def test_real_pattern_size_is_checked_with_the_rule_name_and_the_fix():
    text = "x" * 2049
    with pytest.raises(PatternTooLongError, match=r"agentid-token-refused-b3.*2049 characters.*maxPatternChars"):
        check_pattern_size("agentid-token-refused-b3", text, DEFAULT_MAX_PATTERN_CHARS)
    assert check_pattern_size("agentid-token-refused", text, AWS_MAX_PATTERN_CHARS) == text


# ------------------------------------------------------------------------------------- the mocked Pulumi program

LOW_LIMIT = 600


def _stack(limit: int, extra: str = "") -> str:
    return EVENTBRIDGE_WITH_DETECTIONS + f"    maxPatternChars: {limit}\n" + extra


@pytest.fixture(scope="module")
def low_limit_run(sample_registry, tmp_path_factory):
    """20 agents (6 resources each under the mock engine) with patterns capped at 600 characters."""
    registry = synthetic_registry(sample_registry, 20, environment="test")
    root = make_stack_root(tmp_path_factory.mktemp("scale"), "test", _stack(LOW_LIMIT))
    handler = _Records()
    logging.getLogger().addHandler(handler)
    try:
        plan = build_plan(registry, "test", today=dt.date(2026, 12, 1), root=root)
    finally:
        logging.getLogger().removeHandler(handler)
    return registry, plan, handler.messages


class _Records(logging.Handler):
    """The mock engine sends pulumi.log.warn to the root logger; keep what it says."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_mocked_program_splits_rules_within_the_configured_limit(low_limit_run):
    registry, plan, _ = low_limit_run
    client_ids = plan.outputs["clientIds"]
    assert set(client_ids) == set(identities_of(registry))
    rules = plan.of_type("aws:cloudwatch/eventRule:EventRule")
    targets = {t.inputs["rule"] for t in plan.of_type("aws:cloudwatch/eventTarget:EventTarget")}
    for detection in ("token-refused", "invalid-client-credentials"):
        mine = [r for r in rules if r.inputs["tags"]["detection"] == detection]
        assert len(mine) > 1, f"{detection}: a {LOW_LIMIT}-character limit must split 20 client ids"
        listed: list[str] = []
        for rule in mine:
            assert len(rule.inputs["eventPattern"]) <= LOW_LIMIT, rule.urn
            assert rule.inputs["name"] in targets, f"{rule.urn} has no target"
            suffix = rule.name.removeprefix(f"detections-{detection}")
            assert rule.inputs["name"] == f"agentid-{detection}{suffix}", rule.urn
            listed += json.loads(rule.inputs["eventPattern"])["detail"]["actor"]["id"]
        assert sorted(listed) == sorted(client_ids.values()), f"{detection}: every client id exactly once"
    # The policy rule judges the same plan and finds nothing over the quota.
    findings = evaluate(registry, today=TODAY, stack="test", resources=plan.resources)
    assert [f.message for f in findings if f.rule == "event-pattern-within-quota"] == []


def test_mocked_program_omits_the_shadow_rule_and_says_so(low_limit_run):
    from agentid.cli.plan import _summary

    _, plan, warnings = low_limit_run
    detections = {r.inputs["tags"]["detection"] for r in plan.of_type("aws:cloudwatch/eventRule:EventRule")}
    assert "shadow-agent-token" not in detections and "identity-tampering" in detections
    assert any("shadow-agent-token" in m and "Sigma" in m for m in warnings), warnings
    assert "WARNING: no shadow-agent-token EventBridge rule" in _summary(plan)


def test_a_pattern_that_still_overflows_fails_the_plan_with_the_rule_name(sample_registry, tmp_path):
    """Ids the program cannot size at plan time (here, a long deployer list) are caught once they are known."""
    deployers = ", ".join(f"0oa{n:017d}" for n in range(30))
    stack = _stack(LOW_LIMIT).replace("deployerIds: [0oa5pulumi0deployer7]", f"deployerIds: [{deployers}]")
    root = make_stack_root(tmp_path, "test", stack)
    registry = synthetic_registry(sample_registry, 2, environment="test")
    with pytest.raises(PlanError, match=r"rule `agentid-identity-tampering` is \d+ characters, over the limit of 600"):
        build_plan(registry, "test", today=dt.date(2026, 12, 1), root=root)


# ------------------------------------------------------------------------------------------ moto, second bucket


def test_a_refused_token_for_an_agent_in_the_second_bucket_reaches_its_rule(three_hundred):
    patterns = bucket_patterns(REFUSED, three_hundred, DEFAULT_MAX_PATTERN_CHARS)
    second = sorted(patterns)[1]
    agent_id = patterns[second]["detail"]["actor"]["id"][0]
    with mock_aws():
        events = boto3.client("events", region_name="eu-west-1")
        sqs = boto3.client("sqs", region_name="eu-west-1")
        events.create_event_bus(Name="okta-agentid-scale")
        queues = {}
        for bucket, pattern in patterns.items():
            name = f"agentid-{REFUSED}{rule_suffix(bucket)}"
            url = sqs.create_queue(QueueName=name)["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            events.put_rule(Name=name, EventBusName="okta-agentid-scale", EventPattern=pattern_json(pattern))
            events.put_targets(Rule=name, EventBusName="okta-agentid-scale", Targets=[{"Id": "alerts", "Arn": arn}])
            queues[bucket] = url

        def fired(client_id: str) -> set[int]:
            event = copy.deepcopy(load_event("grant-refused-no-matching-scope"))
            event["actor"]["id"] = client_id
            events.put_events(
                Entries=[
                    {
                        "Source": EVENT_SOURCE,
                        "DetailType": "SystemLog",
                        "Detail": json.dumps(event),
                        "EventBusName": "okta-agentid-scale",
                    }
                ]
            )
            return {b for b, url in queues.items() if sqs.receive_message(QueueUrl=url).get("Messages")}

        assert fired(agent_id) == {second}, "exactly the second bucket's rule fires"
        assert fired("0oa9unregistered0000") == set(), "an unregistered client matches no bucket"


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
    """At a real preview the generated patterns are unknown (Okta has not minted the ids); hand-written ones are not."""
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


def test_agentid_detections_writes_the_split_patterns_the_stack_deploys(sample_registry, detection_set):
    from agentid.detect.eventbridge import PatternInputs, build_patterns, split_patterns

    small, omitted = split_patterns(detection_set, DEFAULT_MAX_PATTERN_CHARS, EVENT_SOURCE)
    assert not omitted and small == build_patterns(PatternInputs.from_detection_set(detection_set, EVENT_SOURCE))
    large_set = build_detection_set(synthetic_registry(sample_registry, 300), today=TODAY)
    large, omitted = split_patterns(large_set, DEFAULT_MAX_PATTERN_CHARS, EVENT_SOURCE)
    assert omitted and "shadow-agent-token" not in large
    names = identities_of(synthetic_registry(sample_registry, 300))
    expected = {
        f"{REFUSED}{rule_suffix(b)}" for b in bucket_layout(REFUSED, names, DEFAULT_MAX_PATTERN_CHARS, EVENT_SOURCE)
    }
    assert {name for name in large if name.startswith(REFUSED)} == expected, "same rule names as the deployed stack"
    assert all(len(pattern_json(p)) <= DEFAULT_MAX_PATTERN_CHARS for p in large.values())
