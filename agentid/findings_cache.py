"""A cache of policy-engine verdicts, keyed by a digest of everything the rules read.

Why. A pull request's ``agentid check`` and ``agentid review`` judge the same things more than once: the review
judges the base revision (which the main branch's check judged when it filled the plan cache) and the head's plans
(which the pull request's check just judged). A verdict is a pure function of its inputs, so it is computed once and
reused wherever the inputs are identical.

What a key covers (anything missing means no key, and the rules simply run):

* the rules' code: :func:`agentid.plan.incremental.code_digest` (the ``agentid`` and ``infra`` packages, SDK and
  provider versions, Python) and every file of the ``policies`` package (rules, schema, settings, catalog);
* the registry: each agent's file name and the SHA-256 of the bytes it was loaded from
  (its SHA-256 git blob id, :func:`agentid.registry.loader.content_ids`), and the catalog's content;
* the plan judged, if any: its content digest (:attr:`agentid.plan.Plan.digest`, the plan cache's keys of every
  bundle, themselves digests of the definitions, the stack files and the program code);
* every other argument of :func:`policies.engine.evaluate`: the day, the stack, the settings, the stack files'
  limits, shards and environments, ``plan_rules_only``.

A plan's verdict is also kept in parts, one per bundle, so that a plan differing from a judged one by a bundle is
judged without being assembled: :mod:`agentid.plan.judged` (``findings-v1/<code digest>/parts-v1/``).

Entries live beside the plan cache (``.agentid-cache/findings-v1/<code digest>/``, git-ignored; ``AGENTID_CACHE=off``
or ``--no-cache`` turn both off), are written atomically and read as a miss when damaged. Only the engine's verdicts
are kept: what the loader finds (key material pasted into a definition, among others) is never written here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import hashlib
import inspect
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from agentid.findings import Finding, Severity, sorted_findings

#: Bumped when the entry format or the key's make-up changes.
FORMAT = "findings-v1"

#: The policy engine's signature: evaluate(registry, *, today, ...) -> findings.
Evaluate = Callable[..., list[Finding]]


class Uncacheable(Exception):
    """An argument without a stable digest: the rules run, nothing is cached."""


@functools.lru_cache(maxsize=1)
def rules_code_digest() -> str:
    """The plan cache's code digest, plus every file of the ``policies`` package (rules, schema, settings, the
    catalog): a change to any of them means fresh verdicts."""
    from agentid.plan.incremental import code_digest

    root = Path(__file__).resolve().parents[1] / "policies"
    digest = hashlib.sha256(f"{FORMAT}\0{code_digest()}\0".encode())
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if not path.is_file() or any(part == "__pycache__" or "venv" in part for part in relative.parts):
            continue
        if path.suffix not in (".py", ".yaml", ".yml", ".json"):
            continue
        digest.update(relative.as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _canonical(value: Any) -> Any:
    """``value`` as plain JSON data whose text does not depend on set order or object identity; raises
    :class:`Uncacheable` for anything else."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return ["enum", type(value).__name__, _canonical(value.value)]
    if isinstance(value, dt.date):
        return ["date", value.isoformat()]
    if isinstance(value, re.Pattern):
        return ["re", value.pattern, value.flags]
    if isinstance(value, Mapping):
        items = [[_canonical(k), _canonical(v)] for k, v in value.items()]
        return ["map", sorted(items, key=lambda item: json.dumps(item, sort_keys=True))]
    if isinstance(value, set | frozenset):
        return ["set", sorted((_canonical(v) for v in value), key=lambda item: json.dumps(item, sort_keys=True))]
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [
            "dataclass",
            type(value).__name__,
            [[f.name, _canonical(getattr(value, f.name))] for f in dataclasses.fields(value) if f.compare],
        ]
    raise Uncacheable(type(value).__name__)


def catalog_digest(registry: Any) -> str:
    """The digest of the registry's catalog alone (what a bundle's rules may read of the registry besides its own
    agent: agentid.plan.judged)."""
    return hashlib.sha256(json.dumps(_canonical(registry.catalog), sort_keys=True).encode()).hexdigest()


def registry_digest(registry: Any) -> str:
    """Each agent's file and content digest, and the catalog. Raises :class:`Uncacheable` when an agent was not
    loaded from bytes (built in memory: nothing says what it was made of). Worked out afresh each time (~10 ms at
    10,000 agents): a memo would keep the registry alive past the command, for the collector to scan at exit."""
    digest = hashlib.sha256(b"registry\0")
    for agent in registry.agents:
        content = agent.loaded_from  # None for an agent built or edited in memory: nothing says what it is made of
        if content is None:
            raise Uncacheable(f"agent {agent.name} has no content digest")
        digest.update(f"{agent.file}\0{content}\0".encode("utf-8", "surrogatepass"))
    digest.update(catalog_digest(registry).encode())
    return digest.hexdigest()


def evaluation_key(
    registry: Any, *, plan_digest: str | None = None, registry_key: str | None = None, **arguments: Any
) -> str:
    """The key of ``evaluate(registry, **arguments)``; with ``resources`` among the arguments, ``plan_digest`` must
    say what they are. ``registry_key``: :func:`registry_digest` of ``registry`` when the caller has it already (one
    verdict is keyed in two parts). Raises :class:`Uncacheable`."""
    from policies.engine import default_settings, evaluate

    # Every parameter, defaults included: `stack=None` passed and `stack` left out are the same verdict.
    bound = inspect.signature(evaluate).bind(registry, **arguments)
    bound.apply_defaults()
    arguments = {name: value for name, value in bound.arguments.items() if name != "registry"}
    resources = arguments.pop("resources", None)
    if resources is not None and plan_digest is None:
        raise Uncacheable("a plan without a content digest")
    if arguments.get("settings") is None:
        arguments["settings"] = default_settings()  # what evaluate() uses: the same verdict as passing it
    body = json.dumps(
        {
            "code": rules_code_digest(),
            "registry": registry_key or registry_digest(registry),
            "plan": plan_digest if resources is not None else None,
            "arguments": _canonical(arguments),
        },
        sort_keys=True,
    )
    return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()


# --------------------------------------------------------------------------------------------------- entries


def finding_rows(findings: list[Finding]) -> list[list[Any]] | None:
    """The findings as JSON rows, or None when they would not read back as they are (a waiver holding a tuple, or
    something JSON cannot say): such a verdict is not cached."""
    rows = [_finding_row(f) for f in findings]
    try:
        text = json.dumps(rows, ensure_ascii=False)
        text.encode("utf-8")
    except (TypeError, ValueError):
        return None
    read_back = findings_of(json.loads(text))
    if read_back != findings or [f.waiver for f in read_back] != [f.waiver for f in findings]:
        return None
    return rows


def findings_of(rows: Any) -> list[Finding]:
    """The findings of :func:`finding_rows`' rows; raises ValueError, TypeError or KeyError on a damaged row."""
    return [_finding_of(row) for row in rows]


def _finding_row(finding: Finding) -> list[Any]:
    return [
        finding.rule,
        finding.severity.value,
        finding.message,
        finding.file,
        finding.line,
        finding.column,
        finding.agent,
        finding.remediation,
        list(finding.nhi),
        finding.waived,
        finding.waiver,
    ]


def _finding_of(row: list[Any]) -> Finding:
    rule, severity, message, file, line, column, agent, remediation, nhi, waived, waiver = row
    return Finding(
        rule=rule,
        severity=Severity(severity),
        message=message,
        file=file,
        line=line,
        column=column,
        agent=agent,
        remediation=remediation,
        nhi=tuple(nhi),
        waived=waived,
        waiver=waiver,
    )


class FindingsCache:
    """Verdicts under ``directory/findings-v1/<code digest>/``. Unreadable entries are misses; failing to write is
    not an error (the cache only saves time)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.base = directory / FORMAT / rules_code_digest()[:32]
        #: tables read by this process, by name (agentid.plan.judged: a review reads one stack's at both revisions)
        self.tables: dict[str, Any] = {}

    @classmethod
    def for_root(cls, root: Path, *, enabled: bool = True) -> FindingsCache | None:
        """The cache beside the repository's plan cache, or None when caching is off (as the plan cache's)."""
        from agentid.plan.incremental import PlanCache

        plan_cache = PlanCache.for_root(root, enabled=enabled)
        return cls(plan_cache.directory) if plan_cache is not None else None

    def _path(self, key: str) -> Path:
        return self.base / key[:2] / f"{key}.json"

    def get(self, key: str) -> list[Finding] | None:
        try:
            return findings_of(json.loads(self._path(key).read_bytes()))
        except (OSError, ValueError, TypeError, KeyError):  # absent, damaged or foreign: a miss
            return None

    def put(self, key: str, findings: list[Finding]) -> None:
        rows = finding_rows(findings)
        if rows is None:  # would not read back as it is (a tuple in a waiver, say): not cached
            return
        from agentid.plan.incremental import write_entry

        write_entry(self.directory, self._path(key), json.dumps(rows, ensure_ascii=False).encode("utf-8"))


def known_verdict(
    evaluate: Evaluate, cache: FindingsCache | None, registry: Any, *, plan_digest: str, **arguments: Any
) -> list[Finding] | None:
    """The cached verdict on the plan whose content digest is ``plan_digest`` (its resources need not be at hand:
    the digest says what they are), or None when it was not judged before."""
    if cache is None or not is_policy_engine(evaluate):
        return None
    try:
        key = evaluation_key(registry, plan_digest=plan_digest, resources=(), **arguments)
    except Uncacheable:
        return None
    return cache.get(key)


def remember_verdict(
    evaluate: Evaluate,
    cache: FindingsCache | None,
    registry: Any,
    findings: list[Finding],
    *,
    plan_digest: str,
    **arguments: Any,
) -> None:
    """Store ``findings`` as the verdict on the plan whose content digest is ``plan_digest``, where
    :func:`known_verdict` finds it: a plan judged by its bundles (agentid.plan.judged) was judged without
    :func:`cached_evaluate`."""
    if cache is None or not is_policy_engine(evaluate):
        return
    try:
        key = evaluation_key(registry, plan_digest=plan_digest, resources=(), **arguments)
    except Uncacheable:
        return
    cache.put(key, findings)


def cached_evaluate(
    evaluate: Evaluate,
    cache: FindingsCache | None,
    registry: Any,
    *,
    plan_digest: str | None = None,
    **arguments: Any,
) -> list[Finding]:
    """``evaluate(registry, **arguments)``, read from ``cache`` when the same inputs were judged before (and
    written there when not). Without a cache, with an input that has no stable digest, or with an evaluator other
    than the policy engine (whose code the key covers), the rules simply run."""
    if cache is None or not is_policy_engine(evaluate):
        return evaluate(registry, **arguments)
    try:
        registry_key = registry_digest(registry)  # worked out once for every part of this verdict (~7 ms a 10,000)
    except Uncacheable:
        return evaluate(registry, **arguments)
    if arguments.get("resources") is None and arguments.get("rule_ids") is None:
        return _registry_verdict(evaluate, cache, registry, registry_key, **arguments)
    return _cached(evaluate, cache, registry, registry_key, plan_digest=plan_digest, **arguments)


def _registry_verdict(
    evaluate: Evaluate, cache: FindingsCache, registry: Any, registry_key: str, **arguments: Any
) -> list[Finding]:
    """The registry rules' verdict in two parts: the rules that judge every stack alike, cached once for all stacks
    (a pull request's ``check --stack prod`` leaves what its ``review``, judging without a stack, reads), and the few
    that read the stack, cached per stack. The engine sorts findings by file, position and rule, and each rule is in
    one part, so the parts sorted together are the whole verdict, in its order."""
    from policies.engine import rules_for, stack_free_rule_ids

    stack_free = stack_free_rule_ids()
    by_stack = frozenset(r.meta.id for r in rules_for(with_resources=False)) - stack_free
    free = _cached(evaluate, cache, registry, registry_key, **{**arguments, "stack": None, "rule_ids": stack_free})
    bound = _cached(evaluate, cache, registry, registry_key, **{**arguments, "rule_ids": by_stack})
    return sorted_findings([*free, *bound])


def _cached(
    evaluate: Evaluate,
    cache: FindingsCache,
    registry: Any,
    registry_key: str,
    *,
    plan_digest: str | None = None,
    **arguments: Any,
) -> list[Finding]:
    """One evaluation, read from ``cache`` or run and stored there."""
    try:
        key = evaluation_key(registry, plan_digest=plan_digest, registry_key=registry_key, **arguments)
    except Uncacheable:
        return evaluate(registry, **arguments)
    found = cache.get(key)
    if found is not None:
        return found
    findings = evaluate(registry, **arguments)
    cache.put(key, findings)
    return findings


def is_policy_engine(evaluate: Evaluate | None) -> bool:
    """Whether ``evaluate`` is the policy engine, whose code a verdict's key covers (another evaluator's is not)."""
    try:
        from policies.engine import evaluate as engine
    except ImportError:
        return False
    return evaluate is engine


__all__ = [
    "FORMAT",
    "FindingsCache",
    "Uncacheable",
    "cached_evaluate",
    "catalog_digest",
    "evaluation_key",
    "finding_rows",
    "findings_of",
    "is_policy_engine",
    "known_verdict",
    "registry_digest",
    "remember_verdict",
]
