"""Every generated Sigma rule's detection logic, evaluated: not only rate, shadow and tampering (issue 15, "tests that
would not notice": the inactive-agent rule could lose ``outcome.result: SUCCESS`` and nothing failed).

Each rule is parsed by pySigma (its condition tree, with modifiers applied and wildcards as pySigma reads them) and
evaluated here over a corpus: the Okta event fixtures and near misses of each, one field changed at a time (outcome,
event type, client, grant type, hour, scopes). The oracle for every event is the offline detector judging that event
alone, so a rule that drops a condition, or gains one, disagrees on some near miss. The per-identity grant rule that
feeds the rate correlation is held to a direct definition (a successful grant by that client).
"""

from __future__ import annotations

import copy
import ipaddress
import re
from typing import Any

import orjson
import pytest
from sigma.collection import SigmaCollection
from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
)
from sigma.rule import SigmaRule
from sigma.types import SigmaCIDRExpression, SigmaExists, SigmaRegularExpression, SigmaString

from agentid.detect import sigma
from agentid.detect.detector import detect_bytes
from agentid.detect.synthetic import DEPLOYER_ID, SHADOW_CLIENT_ID
from tests.detect.conftest import EVENTBRIDGE_EXPECTED, load_event


def _field(event: dict[str, Any], path: str) -> Any:
    """The field's value; through a list of objects (Okta's ``target``), the list of their values, as SIEMs
    flatten an array into a multi-value field."""
    values: list[Any] = [event]
    for key in path.split("."):
        step: list[Any] = []
        for value in values:
            for item in value if isinstance(value, list) else (value,):
                if isinstance(item, dict) and item.get(key) is not None:
                    step.append(item[key])
        values = step
    if not values:
        return None
    return values[0] if len(values) == 1 else values


def _pattern(regexp: Any) -> str:
    """pySigma 1.x keeps a regular expression as a SigmaString; its plain text is the pattern."""
    return regexp.to_plain() if isinstance(regexp, SigmaString) else regexp


def _matches_value(expected: Any, actual: Any) -> bool:
    if isinstance(expected, SigmaExists):  # |exists: the field is there (any value), or is not
        return (actual is not None) == expected.exists
    if isinstance(actual, list):  # a multi-value field matches when one of its values does
        return any(_matches_value(expected, one) for one in actual)
    if isinstance(actual, bool) or not isinstance(actual, str | int | float):
        return False
    text = str(actual)
    if isinstance(expected, SigmaRegularExpression):  # |re: unanchored, as Splunk's `regex` command
        return re.search(_pattern(expected.regexp), text) is not None
    if isinstance(expected, SigmaString):  # plain values: whole value, case-insensitive, * and ? wildcards
        return re.fullmatch(_pattern(expected.to_regex().regexp), text, re.IGNORECASE) is not None
    if isinstance(expected, SigmaCIDRExpression):  # |cidr: the address inside the network
        try:
            return ipaddress.ip_address(text) in expected.network
        except ValueError:
            return False
    raise AssertionError(f"value type {type(expected).__name__} not supported by this evaluator: extend it")


def evaluate(node: Any, event: dict[str, Any]) -> bool:
    if isinstance(node, ConditionAND):
        return all(evaluate(arg, event) for arg in node.args)
    if isinstance(node, ConditionOR):
        return any(evaluate(arg, event) for arg in node.args)
    if isinstance(node, ConditionNOT):
        (arg,) = node.args
        return not evaluate(arg, event)
    if isinstance(node, ConditionFieldEqualsValueExpression):
        return _matches_value(node.value, _field(event, node.field))
    raise AssertionError(f"condition {type(node).__name__} not supported by this evaluator: extend it")


_PARSED: dict[int, list[Any]] = {}


def rule_matches(rule: SigmaRule, event: dict[str, Any]) -> bool:
    trees = _PARSED.get(id(rule))
    if trees is None:
        trees = _PARSED[id(rule)] = [condition.parse() for condition in rule.detection.parsed_condition]
    return any(evaluate(tree, event) for tree in trees)


# ----------------------------------------------------------------------------------------------------------- corpus

FIXTURE_NAMES = sorted(EVENTBRIDGE_EXPECTED)


def near_misses(detection_set) -> list[tuple[str, dict[str, Any]]]:
    """Every fixture, and each with one field changed: the corpus every rule is judged on."""
    registered = [p.client_id for p in detection_set.identities]
    expired = [p.client_id for p in detection_set.inactive()]
    changes: list[tuple[str, Any]] = [
        ("outcome.result", "SUCCESS"),
        ("outcome.result", "FAILURE"),
        ("eventType", "app.oauth2.as.token.grant.access_token"),
        ("eventType", "app.oauth2.token.grant.access_token"),
        ("eventType", "app.oauth2.as.token.grant"),
        ("eventType", "app.oauth2.invalid_client_credentials"),
        ("eventType", "policy.rule.update"),
        ("eventType", "system.log_stream.lifecycle.deactivate"),
        ("eventType", "user.session.start"),
        ("actor.id", SHADOW_CLIENT_ID),
        ("actor.id", DEPLOYER_ID),
        *(("actor.id", client) for client in registered + expired),
        ("debugContext.debugData.grantType", "authorization_code"),
        ("debugContext.debugData.grantType", "client_credentials"),
        ("published", "2026-12-21T03:10:07.250Z"),
        ("published", "2026-12-21T14:30:07.250Z"),
        ("debugContext.debugData.requestedScopes", "payroll.read"),
        ("debugContext.debugData.requestedScopes", "calendar.read"),
    ]
    corpus = []
    for name in FIXTURE_NAMES:
        fixture = load_event(name)
        fixture["published"] = "2026-12-21" + fixture["published"][10:]  # after the expiry: Sigma judges "today"
        corpus.append((name, fixture))
        for path, value in changes:
            event = copy.deepcopy(fixture)
            holder = event
            keys = path.split(".")
            for key in keys[:-1]:
                holder = holder.setdefault(key, {}) if isinstance(holder.get(key, {}), dict) else {}
            holder[keys[-1]] = value
            corpus.append((f"{name} with {path}={value}", event))
    for profile in detection_set.identities:  # each identity's own rules, at two hours, asking for too much
        for stamp in ("2026-12-21T03:10:07.250Z", "2026-12-21T14:30:07.250Z"):
            event = load_event("grant-meeting-summarizer")
            event["actor"]["id"], event["published"] = profile.client_id, stamp
            event["debugContext"]["debugData"]["requestedScopes"] = "payroll.read"
            corpus.append((f"{profile.identity} asking for payroll.read at {stamp}", event))
    return corpus


@pytest.fixture(scope="module")
def rules(detection_set) -> dict[str, SigmaRule]:
    """file name -> its detection rule (the rate file's correlation rule is judged by the Splunk test)."""
    found = {}
    for name, text in sigma.generate(detection_set).items():
        collection = SigmaCollection.from_yaml(text)
        assert not collection.errors, name
        (rule,) = [r for r in collection.rules if isinstance(r, SigmaRule)]
        found[name] = rule
    return found


def offline_alerts(event: dict[str, Any], detection_set) -> set[tuple[str, str | None]]:
    report = detect_bytes(orjson.dumps(event), detection_set)
    return {(alert.detection, alert.identity) for alert in report.alerts}


def test_every_rule_agrees_with_the_offline_detector_on_every_near_miss(detection_set, rules):
    by_identity = {p.identity: p for p in detection_set.identities}
    checked: dict[str, int] = {}
    disagreements = []
    for label, event in near_misses(detection_set):
        alerts = offline_alerts(event, detection_set)
        for name, rule in rules.items():
            identity, _, file = name.rpartition("/")
            detection = file.removesuffix(".yml")
            if detection == "token-rate-exceeded":
                # The correlation's base rule: every successful grant of the identity, counted per hour.
                profile = by_identity[identity]
                expected = (
                    event.get("eventType")
                    in ("app.oauth2.as.token.grant.access_token", "app.oauth2.token.grant.access_token")
                    and _field(event, "outcome.result") == "SUCCESS"
                    and _field(event, "actor.id") == profile.client_id
                )
            else:
                expected = (detection, identity or None) in alerts if identity else detection in {d for d, _ in alerts}
            got = rule_matches(rule, event)
            checked[name] = checked.get(name, 0) + int(got)
            if got != expected:
                disagreements.append(f"{name} on {label}: Sigma {got}, detector {expected}")
    assert disagreements == [], "\n".join(disagreements[:20])
    assert len(rules) > 10 and all(rules)
    never = sorted(name for name, hits in checked.items() if not hits)
    assert never == [], f"rules no event of the corpus matched (their logic went unexercised): {never}"


def test_the_inactive_agent_rule_requires_a_successful_grant(detection_set, rules):
    """The mutation the audit planted: without ``outcome.result: SUCCESS`` a refused request would page someone."""
    grant = load_event("grant-incident-responder-after-expiry")
    assert rule_matches(rules["inactive-agent-token.yml"], grant)
    refused = copy.deepcopy(grant)
    refused["outcome"] = {"result": "FAILURE", "reason": "invalid_client"}
    assert not rule_matches(rules["inactive-agent-token.yml"], refused)
    other_type = copy.deepcopy(grant)
    other_type["eventType"] = "app.oauth2.as.token.grant"
    assert not rule_matches(rules["inactive-agent-token.yml"], other_type)
