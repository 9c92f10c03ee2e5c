"""The least-privilege rules. Importing this package registers every rule module in it.

Modules are discovered rather than listed so that a rule module added by another team (resource and stack rules)
is picked up without editing this file; modules whose name starts with ``_`` are helpers, not rules.
"""

from __future__ import annotations

import importlib
import pkgutil

from policies.rules.base import (
    PolicySettings,
    Rule,
    RuleContext,
    RuleKind,
    RuleMeta,
    Violation,
    all_rules,
    get_rule,
    rule,
)


def _register_all() -> None:
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module.name != "base" and not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")


_register_all()

__all__ = [
    "PolicySettings",
    "Rule",
    "RuleContext",
    "RuleKind",
    "RuleMeta",
    "Violation",
    "all_rules",
    "get_rule",
    "rule",
]
