"""Registry rules that judge every stack alike never look at the stack, and the verdict cache's split of the registry
rules (agentid/findings_cache.py: the stack-free part cached once for all stacks) gives the engine's own verdict."""

from __future__ import annotations

import datetime as dt

import pytest

import policies.engine
from agentid.findings_cache import FindingsCache, cached_evaluate
from agentid.registry import load_registry
from policies.engine import default_settings, evaluate, stack_context, stack_free_rule_ids
from policies.rules import all_rules
from policies.rules.base import RuleContext, RuleKind
from tests.conftest import TODAY, fixture_repo
from tests.policies.test_registry_rules import CASES, KNOWN_ENVIRONMENTS


class _Tripwire:
    """A stack that fails any use: comparing, hashing or printing it."""

    def _refuse(self, *_args):
        raise AssertionError("a rule marked stack-free looked at the stack")

    __eq__ = __ne__ = __hash__ = __str__ = __format__ = __bool__ = __lt__ = _refuse


def _run(rule, registry, stack) -> list:
    ctx = RuleContext(
        today=TODAY,
        settings=default_settings(),
        registry=registry,
        stack=stack,
        known_environments=KNOWN_ENVIRONMENTS,
    )
    if rule.meta.kind is RuleKind.REGISTRY:
        return [v for agent in registry for v in rule.check(agent, ctx)]
    return list(rule.check(registry, ctx))


REGISTRY_RULES = [r for r in all_rules() if r.meta.kind in (RuleKind.REGISTRY, RuleKind.REGISTRY_WIDE)]


@pytest.mark.parametrize("rule", REGISTRY_RULES, ids=lambda r: r.meta.id)
def test_a_rule_is_marked_reads_stack_exactly_when_it_looks_at_the_stack(rule, sample_registry):
    """On its failing fixture (so every branch that reports runs), a stack-free rule never touches the stack it is
    given; a rule marked ``reads_stack`` does."""
    registry = CASES[rule.meta.id].fails(sample_registry)
    if rule.meta.reads_stack:
        with pytest.raises(AssertionError, match="looked at the stack"):
            _run(rule, registry, _Tripwire())
    else:
        assert _run(rule, registry, _Tripwire()) == _run(rule, registry, None)
    assert (rule.meta.id in stack_free_rule_ids()) is not rule.meta.reads_stack


@pytest.fixture
def hostile_repo(tmp_path):
    """The sample repository with findings from both parts: an owner outside the domains (stack-free) and a
    lifetime over prod's ceiling of 30 minutes (stack-bound), for the support triage agent."""
    repo = fixture_repo(tmp_path / "repo")
    path = repo / "agents" / "support-triage.yaml"
    text = path.read_text(encoding="utf-8")
    for old, new in (
        ("token_lifetime_minutes: 30", "token_lifetime_minutes: 45"),
        ("omar.haddad@example.com", "omar.haddad@gmail.com"),
    ):
        assert old in text
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    return repo


@pytest.mark.parametrize("stack", [None, "dev", "prod"])
def test_the_split_verdict_is_the_engines_own(hostile_repo, tmp_path, stack):
    registry = load_registry(hostile_repo / "agents", hostile_repo / "policies" / "catalog.yaml", root=hostile_repo)
    arguments = {"today": dt.date(2026, 12, 1), "stack": stack, **stack_context(hostile_repo)}
    whole = evaluate(registry.registry, **arguments)
    expected = {"owner-allowed-domain"} | ({"token-lifetime-stack-max"} if stack != "dev" else set())
    assert expected <= {f.rule for f in whole}, "both parts must find something, or the merge proves little"
    cache = FindingsCache(tmp_path / "cache")
    for _cold_then_warm in range(2):
        split = cached_evaluate(policies.engine.evaluate, cache, registry.registry, **arguments)
        assert [f.to_dict() for f in split] == [f.to_dict() for f in whole]
