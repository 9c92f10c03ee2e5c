"""Work around a Pulumi Python SDK limit that the program's creation chain would otherwise hit.

Priority-bearing Okta policies must be created one after another, so each identity's policy ``depends_on`` the
previous identity's rule: a dependency path as long as the registry. Before registering a resource the SDK checks
that a dependency cannot close a cycle, walking the dependency graph with *recursive* generators
(``pulumi.runtime.resource_cycle_breaker._with_transitive_deps``, pulumi 3.272.0). On a path of a few hundred agents
that raises ``RecursionError`` (the class of bug pulumi/pulumi#16328 fixed for ``_add_dependency`` in #16669), and
before that it costs time cubic in the path length, since every yielded resource climbs back through every frame.

:func:`install` replaces the reachability check with an iterative walk with the same answer: the same resources are
visited and the same cycles refused, in time linear in the graph. It changes nothing else in the SDK.
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


def install() -> None:
    """Idempotent; a no-op if a future SDK no longer has the recursive helper."""
    from pulumi.runtime import resource_cycle_breaker

    if hasattr(resource_cycle_breaker, "_reachable") and hasattr(resource_cycle_breaker, "_with_transitive_deps"):
        resource_cycle_breaker._reachable = _reachable
