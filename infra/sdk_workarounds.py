"""Work around a Pulumi Python SDK limit that the program's creation chain would otherwise hit.

Priority-bearing Okta policies must be created one after another, so each identity's policy ``depends_on`` the
previous identity's rule: a dependency path as long as the registry. Before registering a resource the SDK checks
that a dependency cannot close a cycle, walking the dependency graph with *recursive* generators
(``pulumi.runtime.resource_cycle_breaker._with_transitive_deps``, pulumi 3.272.0). On a path of a few hundred agents
that raises ``RecursionError`` (the class of bug pulumi/pulumi#16328 fixed for ``_add_dependency`` in #16669), and
before that it costs time cubic in the path length, since every yielded resource climbs back through every frame.

:func:`install` replaces the reachability check with an iterative walk with the same answer: the same resources are
visited and the same cycles refused, in time linear in the graph; and it records each dependency's reverse edge, so
that the check for a new resource searches backwards from it (few resources depend on it yet) instead of walking the
whole chain forwards.
"""

from __future__ import annotations

from typing import Any


def _reachable(from_resource: Any, to_resource: Any) -> bool:
    """Whether ``to_resource`` is reachable from ``from_resource`` through declared dependencies (iteratively)."""
    from pulumi.runtime import resource_cycle_breaker

    deps = resource_cycle_breaker._deps
    pending = [from_resource]
    visited: set[Any] = set()
    while pending:
        resource = pending.pop()
        if resource == to_resource:
            return True
        if resource in visited:
            continue
        visited.add(resource)
        pending.extend(deps(resource))
    return False


#: Attribute holding the resources that depend on a resource (the reverse of the SDK's dependency edges).
_DEPENDENTS = "_agentid_dependents"
#: The SDK's own attribute for a resource's direct dependencies (``resource_cycle_breaker._DEPENDENCIES_PROPERTY``).
_DEPENDENCIES = "_direct_computed_dependencies"


def _add_dep_recording(from_resource: Any, to_resource: Any) -> None:
    """The SDK's ``_add_dep``, adding to the dependency set in place, and recording the reverse edge.

    The SDK rebuilds the whole set for every dependency (``deps | {to}``): a resource that depends on every agent's
    app (the detections' event rules, the stack's ``clientIds`` output) cost O(N²), 83% of a 10,000-agent plan.
    Only the cycle breaker reads the set, so adding in place is the same graph.
    """
    deps = getattr(from_resource, _DEPENDENCIES, None)
    if deps is None:
        setattr(from_resource, _DEPENDENCIES, {to_resource})
    else:
        deps.add(to_resource)
    dependents = getattr(to_resource, _DEPENDENTS, None)
    if dependents is None:
        dependents = set()
        setattr(to_resource, _DEPENDENTS, dependents)
    dependents.add(from_resource)


def _reachable_tracked(from_resource: Any, to_resource: Any) -> bool:
    """:func:`_reachable`, searched backwards: from ``to_resource`` through its dependents towards ``from_resource``.

    The SDK asks "is the new resource reachable from its dependency?" before every dependency it records. Forwards,
    along the policy chain, that walk is as long as the chain, so a plan cost O(N²) (1.45 s at 1,000 agents,
    ~145 s at 10,000). Backwards it starts at the resource being registered, which few or no resources depend on
    yet. Same edges, same answer (the reverse edges are recorded as the SDK adds the forward ones, from
    :func:`install` on).
    """
    if from_resource == to_resource:
        return True
    pending = [to_resource]
    visited: set[Any] = {to_resource}
    while pending:
        for dependent in getattr(pending.pop(), _DEPENDENTS, ()):
            if dependent == from_resource:
                return True
            if dependent not in visited:
                visited.add(dependent)
                pending.append(dependent)
    return False


def install() -> None:
    """Idempotent; a no-op if a future SDK no longer has the recursive helper.

    Dependencies declared before the first call have no recorded reverse edge, so the backward search is exact for
    resources created afterwards: :func:`infra.program.declare` calls it before declaring anything.
    """
    from pulumi.runtime import resource_cycle_breaker

    if not (hasattr(resource_cycle_breaker, "_reachable") and hasattr(resource_cycle_breaker, "_with_transitive_deps")):
        return
    if getattr(resource_cycle_breaker, "_DEPENDENCIES_PROPERTY", None) != _DEPENDENCIES:
        return  # a future SDK stores dependencies differently: keep its own functions
    resource_cycle_breaker._add_dep = _add_dep_recording
    resource_cycle_breaker._reachable = _reachable_tracked
