"""The iterative reachability check that lets the policy creation chain be as long as the registry."""

from __future__ import annotations

import sys

from pulumi.runtime import resource_cycle_breaker

from infra.sdk_workarounds import _reachable, _reachable_tracked, install


class Node:
    """Stands in for a Resource: the cycle breaker only reads its declared dependencies."""

    def __init__(self, name: str) -> None:
        self.name = name


def _chain(length: int) -> list[Node]:
    nodes = [Node(f"finance-reconciler-{i:05d}-policy") for i in range(length)]
    for later, earlier in zip(nodes[1:], nodes, strict=False):
        resource_cycle_breaker._add_dep(later, earlier)
    return nodes


def test_a_chain_longer_than_the_recursion_limit_is_walked():
    nodes = _chain(sys.getrecursionlimit() * 3)
    assert _reachable(nodes[-1], nodes[0]), "the first policy is reachable from the last one"
    assert not _reachable(nodes[0], nodes[-1]), "dependencies point one way only"


def test_cycles_are_still_refused_after_install():
    install()
    assert resource_cycle_breaker._reachable is _reachable_tracked, "install() replaced the recursive check"
    first, *_, last = _chain(50)
    assert not resource_cycle_breaker.declare_dependency(first, last), "a dependency closing a cycle is refused"
    assert resource_cycle_breaker.declare_dependency(last, Node("scope-calendar.read")), "a new dependency is kept"


def test_tracked_check_answers_exactly_like_the_walk_on_random_graphs():
    import random

    install()
    rng = random.Random(20261201)
    nodes = [Node(f"hr-onboarding-assistant-{i:03d}-rule") for i in range(120)]
    for index, node in enumerate(nodes[1:], start=1):
        for target in rng.sample(nodes[:index], k=min(index, rng.randint(0, 3))):
            resource_cycle_breaker._add_dep(node, target)  # recorded: install() ran first
    for _ in range(2000):
        a, b = rng.choice(nodes), rng.choice(nodes)
        assert _reachable_tracked(a, b) == _reachable(a, b), (a.name, b.name)


def test_a_new_resource_is_checked_without_walking_the_chain(monkeypatch):
    install()
    chain = _chain(2000)
    newest = Node("support-triage-policy")
    walked = []
    monkeypatch.setattr(resource_cycle_breaker, "_deps", lambda r: walked.append(r) or set())
    assert not _reachable_tracked(chain[-1], newest), "nothing depends on the new resource yet"
    assert walked == [], "the forward walk along the chain was not needed"
    assert _reachable_tracked(chain[-1], chain[0]), "the chain is still found, backwards"


def test_dependencies_are_added_in_place_with_the_same_resulting_set():
    install()
    rules = Node("detections-shadow-agent-token")
    apps = [Node(f"finance-reconciler-{i:05d}-app") for i in range(3000)]
    for app in apps:
        resource_cycle_breaker._add_dep(rules, app)
    assert resource_cycle_breaker._deps(rules) == set(apps), "every dependency recorded once"
    assert all(_reachable_tracked(rules, app) for app in apps[:50]), "and reachable through the recorded edges"
