"""The incremental offline plan: plan only the identities whose inputs changed, reuse the rest from a cache.

Why it is sound. The program (:func:`infra.program.declare`) gives each agent's ``AgentIdentity`` (its app, policy,
rule, Okta API scopes, admin roles and plugins) exactly these inputs:

* the agent's :class:`~infra.spec.IdentitySpec` and its plugins' (everything it reads from the agent file, with
  ``today`` entering only as whether the agent has expired);
* the stack's configuration (``Pulumi.yaml`` and ``Pulumi.<stack>.yaml``: org URL, zone ids, shard, core stack);
* the name of the last policy rule declared before it: policies are chained with ``depends_on`` across agents
  (creating priority-bearing policies in parallel fails, provider issues 1065, 1198, 2953), so an agent's policy
  depends on its predecessor's rule. That name (:func:`infra.spec.chain_tail`) is part of the key, so adding,
  removing or re-scoping the predecessor re-plans the agent after it;
* the program's code and the Pulumi SDK and provider versions (:func:`code_digest`).

The shared resources (authorization server, scopes, log stream, detections) depend on the stack configuration, the
code and the catalog entries of the scopes the stack's identities use; they get an entry of their own.

Each entry holds the identity bundle's planned resources, resource options and client ids exactly as a run of the
whole program produced them, and the provider conformance violations of those resources (:mod:`agentid.conformance`,
stored as ``[index of the resource in the bundle, check id, problem]``, in bundle order). A violation is a function of
the resource's type, name, inputs and agent and of the checks' code, which is in ``agentid/`` and so in the code
digest: an entry's violations are those a check of its resources gives, and `agentid check` does not check again the
~47,000 resources of 10,000 agents it reuses. An entry whose violations name a check this code lacks, or are malformed,
is damaged: a miss, planned again. A plan assembles cached bundles and the bundles it had to plan (in one run of the
program with ``only=`` the missing agents) in the order the whole plan has, so rules, the review and the conformance
checks see the same :class:`~agentid.plan.Plan`, which carries the bundles' violations in plan order
(``Plan.violations``). tests/plan/test_incremental_equivalence.py checks that property on random registries and
random changes; tests/plan/test_cached_conformance.py the stored violations.

The cache lives in ``.agentid-cache/`` at the repository root (git-ignored; ``AGENTID_CACHE_DIR`` moves it,
``AGENTID_CACHE=off`` or ``--no-cache`` turns it off). Entries are content-addressed and written atomically, under a
directory named after the code digest: a cache is never consulted by different program code, and deleting it only
costs the next run its speed.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentid.conformance.okta import CHECKS_BY_ID, Violation, check_resource
from agentid.gcpause import cyclic_gc_paused
from agentid.registry.model import Agent, Registry
from agentid.resources import PlannedResource

#: The cache directory at the repository root (git-ignored).
CACHE_DIR_NAME = ".agentid-cache"
#: ``AGENTID_CACHE=off`` turns the cache off; ``AGENTID_CACHE_DIR`` puts it somewhere else.
CACHE_ENV = "AGENTID_CACHE"
CACHE_DIR_ENV = "AGENTID_CACHE_DIR"
#: Bumped when the entry format changes.
FORMAT = "plan-v3"
#: The directory of the identity specs tables (beside the entries: ``<cache>/specs-v1/<code digest>/<day>.json``).
SPECS_DIR = "specs-v1"

#: The project's code the plan runs: any change here (or in the SDK or provider version) means a fresh cache.
_CODE_PACKAGES = ("agentid", "infra")
_SDK_DISTRIBUTIONS = ("pulumi", "pulumi-okta", "pulumi-aws", "protobuf", "grpcio")


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """SHA-256 over every Python source file of the project packages that can run in a plan (``agentid``,
    ``infra``), the SDK and provider versions and the Python version. Conservative: a change to any of them, even one
    the plan does not use, invalidates the cache."""
    from importlib.metadata import PackageNotFoundError, version

    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256(f"{FORMAT}\0{sys.version}\0".encode())
    for distribution in _SDK_DISTRIBUTIONS:
        try:
            digest.update(f"{distribution}={version(distribution)}\0".encode())
        except PackageNotFoundError:
            digest.update(f"{distribution}=none\0".encode())
    for package in _CODE_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _hash(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


class PlanCache:
    """Content-addressed plan entries under ``directory/<FORMAT>/<code digest>/``. Unreadable entries are misses."""

    def __init__(self, directory: Path, code: str | None = None) -> None:
        self.directory = directory
        self.code = code or code_digest()
        self.base = directory / FORMAT / self.code[:32]
        self._base_text = os.fspath(self.base)  # entry paths are joined as text: pathlib costs ~7 µs an entry
        #: bundles read or written by this process, unpacked once: the plans one process assembles share them (a
        #: resource is immutable, so a review's base and head hold the same objects where a bundle is unchanged)
        self._memo: dict[str, _Bundle] = {}
        #: each agent's identity specs as keyed (keyed by the agent's id, the agent kept alive beside them)
        self._specs: dict[tuple[int, dt.date], tuple[Agent, _AgentSpecs]] = {}
        #: the specs of agent files keyed before, one table per day (see :meth:`agent_specs`)
        self._spec_tables: dict[dt.date, RowTable] = {}

    def agent_specs(self, agent: Agent, today: dt.date) -> _AgentSpecs:
        """The agent's identity specs and their digest, worked out once per agent object (a review keys both
        revisions of every stack, and the base's unchanged agents are the head's own objects), and once per agent
        file and day across commands: kept by the file's name and content digest (the model is a function of the
        bytes), in one table per day (~0.3 s of keying at 10,000 agents)."""
        found = self._specs.get((id(agent), today))
        if found is not None and found[0] is agent:
            return found[1]
        table = self._spec_table(today)
        row_key = _spec_row_key(agent)
        specs = None
        if row_key is not None and (row := table.rows.get(row_key)) is not None:
            try:
                specs = _AgentSpecs.of_row(row)
            except (ValueError, TypeError):  # damaged: worked out again
                specs = None
        if specs is None:
            specs = _AgentSpecs.of(agent, today)
            if row_key is not None:
                table.added[row_key] = specs.row()
        self._specs[(id(agent), today)] = (agent, specs)
        return specs

    def _spec_table(self, today: dt.date) -> RowTable:
        if today not in self._spec_tables:
            path = self.directory / SPECS_DIR / self.code[:32] / f"{today.isoformat()}.json"
            self._spec_tables[today] = RowTable(path, self.directory)
        return self._spec_tables[today]

    def save_specs(self, registry: Registry, today: dt.date) -> None:
        """Keep the specs worked out since the table was read (pruned to ``registry``'s agent files once it holds
        half as many again), and remove the tables of other days: a day's keys are never consulted on another."""
        table = self._spec_table(today)
        if not table.added:
            return
        used = [key for agent in registry if (key := _spec_row_key(agent)) is not None]
        table.save(used, keep=len(used) + len(used) // 2 + 64)
        for stale in table.path.parent.glob("*.json"):
            if stale != table.path:
                stale.unlink(missing_ok=True)

    @classmethod
    def for_root(cls, root: Path, *, enabled: bool = True) -> PlanCache | None:
        """The cache of the repository at ``root``, or ``None`` when turned off (``AGENTID_CACHE=off``)."""
        if not enabled or os.environ.get(CACHE_ENV, "").strip().lower() in ("off", "0", "no", "false"):
            return None
        configured = os.environ.get(CACHE_DIR_ENV)
        return cls(Path(configured) if configured else root / CACHE_DIR_NAME)

    def _path(self, key: str) -> Path:
        return Path(self._entry_path(key))

    def _entry_path(self, key: str) -> str:
        return os.path.join(self._base_text, key[:2], f"{key}.json")

    def has_code(self) -> bool:
        """Whether anything was cached by this program code."""
        return self.base.is_dir()

    def has(self, key: str) -> bool:
        """Whether an entry is stored under ``key``, without reading it (a damaged one counts: reading it is a miss)."""
        return key in self._memo or os.path.exists(self._entry_path(key))

    def get(self, key: str) -> _Bundle | None:
        """The bundle stored under ``key``, or None (absent or unreadable: a miss)."""
        import orjson

        if key in self._memo:
            return self._memo[key]
        try:
            with open(self._entry_path(key), "rb") as handle:
                bundle = _Bundle.of(orjson.loads(handle.read()))
        except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError):  # damaged or foreign: a miss
            return None
        self._memo[key] = bundle
        return bundle

    def put(self, key: str, entry: Mapping[str, Any], bundle: _Bundle | None = None) -> None:
        """Write atomically (temporary file, then rename): readers never see half an entry. Failing to write is not
        an error: the cache only saves time. ``bundle``: the entry already unpacked (the plan's own objects)."""
        import orjson

        self._memo[key] = bundle if bundle is not None else _Bundle.of(entry)
        write_entry(self.directory, self._path(key), orjson.dumps(entry))


def _spec_row_key(agent: Agent) -> str | None:
    """Where an agent file's identity specs are kept: its name and content digest (None: built or edited in
    memory)."""
    digest = agent.loaded_from
    return f"{agent.file}\0{digest}" if digest is not None else None


def write_entry(directory: Path, path: Path, data: bytes) -> None:
    """Write one entry of the cache at ``directory`` (git-ignored from its first entry) atomically: a temporary
    file, then a rename, so readers never see half an entry. Failing to write is not an error: the cache only saves
    time. Shared by the plan cache and the verdict cache (agentid.findings_cache)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not (directory / ".gitignore").exists():
            (directory / ".gitignore").write_text("*\n", encoding="utf-8")
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except OSError:
        return


class RowTable:
    """A file of rows by key, read whole once and written whole (atomically) when rows were added: for results of
    many small inputs that one command reads together (each agent file's identity specs; each bundle's part of a
    plan's verdict, agentid.plan.judged). Absent or damaged, it is empty: everything is worked out again."""

    def __init__(self, path: Path, directory: Path) -> None:
        self.path = path
        self.directory = directory
        self.rows = self._read()
        self.added: dict[str, Any] = {}

    def _read(self) -> dict[str, Any]:
        import orjson

        try:
            with open(self.path, "rb") as handle:
                rows = orjson.loads(handle.read())
        except (OSError, ValueError):
            return {}
        return rows if isinstance(rows, dict) else {}

    def save(self, used: Iterable[str], *, keep: int) -> None:
        """Write the table with what was added; once it holds more than ``keep`` rows, only the rows in ``used`` are
        kept (each pull request adds a few; the main branch's next run prunes them)."""
        import orjson

        if not self.added:
            return
        rows = {**self.rows, **self.added}
        if len(rows) > keep:
            rows = {key: rows[key] for key in used if key in rows}
        try:
            data = orjson.dumps(rows)
        except TypeError:  # something orjson cannot say: nothing kept
            return
        write_entry(self.directory, self.path, data)
        self.rows, self.added = rows, {}


# --------------------------------------------------------------------------------------------------- keys


@dataclass(frozen=True)
class _Keys:
    """What one stack's plan is made of: the agents the stack deploys (in declaration order), each one's key, the
    identities each holds, and the shared entry's key."""

    agents: tuple[Agent, ...]
    agent_keys: dict[str, str]
    identities: dict[str, tuple[str, ...]]
    shared_key: str

    def plan_digest(self) -> str:
        """The digest of the whole plan: every bundle's key, in declaration order (see :attr:`Plan.digest`)."""
        return _hash("plan", self.shared_key, *(self.agent_keys[agent.name] for agent in self.agents))


def _stack_digest(root: Path, stack: str) -> tuple[str, Any]:
    """A digest of what the program reads from the stack files (as the runtime receives it), and the shard setting.
    Raises what :func:`agentid.plan.stackfile.read_stack_file` raises."""
    from agentid.plan.stackfile import read_stack_file
    from agentid.stack import SHARD_KEY, parse_shard_config

    stack_file = read_stack_file(root, stack)
    body = json.dumps(
        [stack_file.stack, stack_file.project, sorted(stack_file.config.items()), sorted(stack_file.secret_keys)]
    )
    raw = stack_file.config.get(f"agentid:{SHARD_KEY}")
    value = json.loads(raw) if raw is not None and raw.startswith("{") else raw
    return hashlib.sha256(body.encode()).hexdigest(), parse_shard_config(value, stack)


@dataclass(frozen=True)
class _AgentSpecs:
    """What the program derives from one agent file (its identity specs: :class:`infra.spec.IdentitySpec`), in the
    forms a key needs. The same in every stack: the stack's part of a key is its stack digest."""

    #: the digest of the agent's identity specs (its own, then its plugins', in declaration order)
    digest: str
    identities: tuple[str, ...]
    scopes: frozenset[str]
    #: the last policy rule its identities declare, None when none has custom scopes
    #: (:func:`infra.spec.chain_tail`: the next agent's policy depends on it)
    tail: str | None

    @classmethod
    def of(cls, agent: Agent, today: dt.date) -> _AgentSpecs:
        from infra.spec import IdentitySpec, chain_tail

        specs = [IdentitySpec.for_agent(agent, today)]
        specs += [IdentitySpec.for_plugin(agent, plugin, today) for plugin in agent.plugins]
        return cls(
            digest=_hash(repr(specs)),
            identities=tuple(spec.name for spec in specs),
            scopes=frozenset(scope for spec in specs for scope in spec.scopes),
            tail=chain_tail(specs, None),
        )

    def row(self) -> list[Any]:
        return [self.digest, list(self.identities), sorted(self.scopes), self.tail]

    @classmethod
    def of_row(cls, row: Any) -> _AgentSpecs:
        """The specs of a :meth:`row`; raises ValueError (or TypeError) on a row this code could not have written."""
        digest, identities, scopes, tail = row
        texts = [digest, *identities, *scopes]
        if not all(type(text) is str for text in texts) or not (tail is None or type(tail) is str) or not identities:
            raise ValueError(f"malformed identity specs row {row!r}")
        return cls(digest, tuple(identities), frozenset(scopes), tail)


def _keys(registry: Registry, stack: str, today: dt.date, root: Path, cache: PlanCache) -> _Keys:
    from agentid.stack import in_shard

    code = cache.code
    stack_digest, shard = _stack_digest(root, stack)
    environment_agents = registry.for_stack(shard.environment_of(stack))
    agents = in_shard(environment_agents, shard)
    agent_keys: dict[str, str] = {}
    identities: dict[str, tuple[str, ...]] = {}
    scope_names: set[str] = set()
    after: str | None = None
    for agent in agents:
        derived = cache.agent_specs(agent, today)
        agent_keys[agent.name] = _hash(code, stack_digest, "agent", derived.digest, repr(after))
        identities[agent.name] = derived.identities
        scope_names.update(derived.scopes)
        after = derived.tail if derived.tail is not None else after  # infra.spec.chain_tail
    cache.save_specs(registry, today)
    if shard.deploys_shared_resources() and not shard.deploys_agents():
        # A core stack declares every scope its environment's agents use (infra/program.py).
        for agent in environment_agents:
            scope_names.update(agent.access.scope_names)
            scope_names.update(scope for plugin in agent.plugins for scope in plugin.scopes)
    catalog = [repr(registry.catalog.scope(name)) for name in sorted(scope_names)]
    shared_key = _hash(code, stack_digest, "shared", repr(sorted(scope_names)), repr(catalog))
    return _Keys(tuple(agents), agent_keys, identities, shared_key)


# --------------------------------------------------------------------------------------------------- entries


#: A bundle's conformance violations as checked: (index of the resource in the bundle, violation), in bundle order.
_Found = Sequence[tuple[int, Violation]]


def _entry(
    resources: Iterable[PlannedResource], options: Mapping[str, Any], found: _Found, **extra: Any
) -> dict[str, Any]:
    rows, opts = [], []
    for r in resources:
        rows.append([r.type, r.name, r.parent, r.urn, r.agent, r.inputs])
        o = options[r.urn]
        opts.append(
            [
                o.protect,
                o.delete_before_replace,
                o.depends_on,
                o.ignore_changes,
                o.additional_secret_outputs,
                o.import_id,
            ]
        )
    violations = [[index, violation.check.id, violation.problem] for index, violation in found]
    return {"resources": rows, "options": opts, "violations": violations, **extra}


def _unpack(entry: Mapping[str, Any], resources: list[PlannedResource], options: dict[str, Any]) -> None:
    from agentid.plan import ResourceOptionsSeen

    for (type_, name, parent, urn, agent, inputs), o in zip(entry["resources"], entry["options"], strict=True):
        resources.append(PlannedResource(type=type_, name=name, inputs=inputs, parent=parent, urn=urn, agent=agent))
        options[urn] = ResourceOptionsSeen(
            protect=o[0],
            delete_before_replace=o[1],
            depends_on=tuple(o[2]),
            ignore_changes=tuple(o[3]),
            additional_secret_outputs=tuple(o[4]),
            import_id=o[5],
        )


def _unpack_violations(rows: Any, resources: Sequence[PlannedResource]) -> tuple[Violation, ...]:
    """The stored violations as :class:`~agentid.conformance.okta.Violation` objects made of the bundle's resources.
    Raises ValueError (or KeyError, IndexError, TypeError) on anything the entry's writer could not have stored: a
    check id this code does not have, a check of another resource type, an index out of the bundle or out of order,
    a problem that is not text. The cache reads that as a damaged entry, a miss."""
    found: list[Violation] = []
    last = 0
    for index, check_id, problem in rows:
        if type(index) is not int or not last <= index < len(resources) or not isinstance(problem, str):
            raise ValueError(f"malformed cached violation {[index, check_id, problem]!r}")
        resource, check = resources[index], CHECKS_BY_ID[check_id]
        if check.resource_type != resource.type:
            raise ValueError(f"cached violation of {check_id} on a {resource.type}")
        found.append(Violation(check, resource.type, resource.name, resource.agent, problem))
        last = index
    return tuple(found)


@dataclass(frozen=True)
class _Bundle:
    """One cache entry unpacked: its planned resources and their options, the provider conformance violations of
    those resources (in bundle order), and the rest of the entry (an agent's ``client_ids``; the shared entry's
    ``outputs``, ``has_client_ids`` and ``max_token_lifetime_minutes``)."""

    resources: tuple[PlannedResource, ...]
    options: dict[str, Any]
    violations: tuple[Violation, ...]
    extra: dict[str, Any]

    @classmethod
    def of(cls, entry: Mapping[str, Any]) -> _Bundle:
        resources: list[PlannedResource] = []
        options: dict[str, Any] = {}
        _unpack(entry, resources, options)
        violations = _unpack_violations(entry["violations"], resources)
        extra = {key: value for key, value in entry.items() if key not in ("resources", "options", "violations")}
        return cls(tuple(resources), options, violations, extra)


# --------------------------------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class PlanMode:
    """How a plan was built, for the output: ``incremental`` (some bundles reused) or full, and why."""

    stack: str
    incremental: bool
    agents: int
    planned: int
    reason: str = ""
    #: whether the shared resources were planned (not reused) in an incremental plan
    shared_planned: bool = False

    @property
    def ran_program(self) -> bool:
        """Whether building this plan ran the program (and so started the SDK)."""
        return not self.incremental or self.planned > 0 or self.shared_planned

    def note(self) -> str:
        if self.incremental:
            reused = self.agents - self.planned
            return (
                f"stack `{self.stack}`: incremental plan: {self.planned} of {self.agents} agents planned, {reused} "
                f"reused unchanged from {CACHE_DIR_NAME}/ ({self.reason})"
            )
        return f"stack `{self.stack}`: full plan of {self.agents} agents ({self.reason})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "incremental": self.incremental,
            "agents": self.agents,
            "planned": self.planned,
            "reason": self.reason,
        }


def build_plan_incremental(
    registry: Registry, stack: str, *, today: dt.date, root: Path, cache: PlanCache | None
) -> tuple[Any, PlanMode]:
    """The plan of ``stack``, identical to :func:`agentid.plan.build_plan`'s, planning only what ``cache`` lacks.

    Without a cache, or when nothing cached matches, the whole program runs (the full plan) and the cache is
    filled; the :class:`PlanMode` says which it did and why. Raises what ``build_plan`` raises.
    """
    from agentid.plan import build_plan

    if cache is None:
        plan = build_plan(registry, stack, today=today, root=root)
        return plan, PlanMode(stack, False, len(_agents_of(plan)), len(_agents_of(plan)), "cache off")
    try:
        keys = _keys(registry, stack, today, root, cache)
    except Exception:
        # An unreadable stack file or shard setting: the whole program reports it, as without a cache.
        plan = build_plan(registry, stack, today=today, root=root)
        return plan, PlanMode(stack, False, len(_agents_of(plan)), len(_agents_of(plan)), "stack file not keyed")
    with cyclic_gc_paused():
        shared = cache.get(keys.shared_key)
        cached = {name: entry for name in keys.agent_keys if (entry := cache.get(keys.agent_keys[name])) is not None}
    missing = [agent.name for agent in keys.agents if agent.name not in cached]
    if not cached:
        reason = (
            "nothing cached for this stack configuration and these definitions"
            if cache.has_code()
            else "no cached plan for this program code: first run, or the code, SDK or provider changed"
        )
        plan = build_plan(registry, stack, today=today, root=root).with_digest(keys.plan_digest())
        violations = _store(cache, plan, keys, keys.agent_keys)
        return plan.with_violations(violations), PlanMode(stack, False, len(keys.agents), len(keys.agents), reason)
    shared_planned = shared is None
    if missing or shared is None:
        _plan_missing(registry, stack, today, root, cache, keys, missing)
        # What was just stored is in this process's memo (written to disk or not): the same bundles a later read gives.
        shared = cache.get(keys.shared_key)
        cached.update({name: bundle for name in missing if (bundle := cache.get(keys.agent_keys[name])) is not None})
    with cyclic_gc_paused():
        plan = _assemble(stack, today, shared, keys, cached)
    return plan, incremental_mode(stack, keys, missing, shared_planned=shared_planned)


def incremental_mode(stack: str, keys: _Keys, missing: Sequence[str], *, shared_planned: bool) -> PlanMode:
    """The :class:`PlanMode` of an incremental plan of ``stack`` that planned the ``missing`` agents (and the shared
    resources when ``shared_planned``) and reused the rest."""
    why = (
        "the stack file and the program code are unchanged; the others' definitions and places in the policy chain too"
    )
    if not missing:
        why = "every definition was planned before"
    if shared_planned:
        why += "; the shared resources planned again: the scopes the stack uses, or their catalog entries, changed"
    return PlanMode(stack, True, len(keys.agents), len(missing), why, shared_planned=shared_planned)


#: The most agents a check plans ahead for one other stack: the few a pull request edits, never a whole registry.
PLAN_AHEAD_LIMIT = 16


@dataclass(frozen=True)
class PlannedAhead:
    """What :func:`plan_ahead` cached for one stack, for the output."""

    stack: str
    agents: int
    shared: bool

    def note(self) -> str:
        what = f"{self.agents} agent{'' if self.agents == 1 else 's'}"
        if self.shared:
            what = f"the shared resources and {what}" if self.agents else "the shared resources"
        return (
            f"stack `{self.stack}`: {what} planned ahead into {CACHE_DIR_NAME}/ (what this check planned, for a "
            "check or review of that stack)"
        )


def plan_ahead(
    registry: Registry, stacks: Iterable[str], *, today: dt.date, root: Path, cache: PlanCache
) -> list[PlannedAhead]:
    """Plan into ``cache``, for each of ``stacks``, the bundles it lacks, when they are few: at most
    :data:`PLAN_AHEAD_LIMIT` agents, and the stack has agents cached (a first run or a stack-file edit is left to
    that stack's own plan).

    Why. A pull request's check of one stack has started the SDK to plan the agents it edits; a bundle is keyed by its
    stack's configuration, so the review of the same pull request (and the gate's check of each other stack) would
    start it again, ~0.7 to 1 s on two cores, for the same few agents. Planned here they are cached, and those later
    commands start no SDK at all. Best effort: a stack that cannot be keyed or planned is skipped silently, and
    reported by its own plan, exactly as without this.
    """
    done: list[PlannedAhead] = []
    for stack in stacks:
        try:
            keys = _keys(registry, stack, today, root, cache)
        except Exception:  # this stack's own plan reports it
            continue
        missing = [agent.name for agent in keys.agents if not cache.has(keys.agent_keys[agent.name])]
        shared_missing = not cache.has(keys.shared_key)
        if not (missing or shared_missing) or len(missing) > PLAN_AHEAD_LIMIT or len(missing) == len(keys.agents):
            continue
        try:
            _plan_missing(registry, stack, today, root, cache, keys, missing)
        except Exception:  # this stack's own plan reports it
            continue
        done.append(PlannedAhead(stack, len(missing), shared_missing))
    return done


@dataclass(frozen=True)
class PlanOutline:
    """A stack's plan as the cache keys it, without its resources: each bundle's key and the plan's digest.

    Why. Two outlines giving a bundle the same key give it the same resources (the keys are content hashes of all
    it is made of), so a review whose verdicts on both plans are cached (:mod:`agentid.findings_cache`) compares only
    the bundles whose keys differ (:func:`differing_resources`), and reads nothing else."""

    stack: str
    keys: _Keys

    @property
    def digest(self) -> str:
        return self.keys.plan_digest()

    @property
    def agents(self) -> int:
        return len(self.keys.agents)


def plan_outline(registry: Registry, stack: str, *, today: dt.date, root: Path, cache: PlanCache) -> PlanOutline:
    """The outline of ``stack``'s plan. Raises what reading its stack file raises (the plan then reports it)."""
    return PlanOutline(stack, _keys(registry, stack, today, root, cache))


def differing_resources(
    base: PlanOutline, head: PlanOutline, cache: PlanCache
) -> tuple[list[PlannedResource], list[PlannedResource]] | None:
    """The planned resources of every bundle whose key differs between the two outlines of one stack, at the base
    and at the head, each in plan order (the shared bundle, then agents by name). Resource names are unique in a
    plan, and a bundle with one key at both revisions holds the same resources at both, so diffing these is diffing
    the whole plans. None when one of these bundles is not cached: the caller then plans."""
    names = set(base.keys.agent_keys) | set(head.keys.agent_keys)
    differing = sorted(n for n in names if base.keys.agent_keys.get(n) != head.keys.agent_keys.get(n))
    sides: list[list[PlannedResource]] = []
    for outline in (base, head):
        keys = [outline.keys.agent_keys[n] for n in differing if n in outline.keys.agent_keys]
        if base.keys.shared_key != head.keys.shared_key:
            keys.insert(0, outline.keys.shared_key)
        resources: list[PlannedResource] = []
        for key in keys:
            bundle = cache.get(key)
            if bundle is None:
                return None
            resources.extend(bundle.resources)
        sides.append(resources)
    return sides[0], sides[1]


def _plan_missing(
    registry: Registry, stack: str, today: dt.date, root: Path, cache: PlanCache, keys: _Keys, missing: Sequence[str]
) -> None:
    """Run the program for the ``missing`` agents only, and for the shared resources unless their bundle is cached
    (then read, not declared: :func:`infra.program.declare`), and store the bundles under ``keys``. Raises what
    :func:`agentid.plan.build_plan` raises (nothing is stored then).

    Why leave the shared resources out: a pull request's check plans one agent's ~4 resources, and declaring the
    ~45 shared ones (server, scopes, log stream, detections) beside them cost ~3 times as much again, plus the import of
    the EventBridge resource modules."""
    from agentid.plan import build_plan

    shared = cache.get(keys.shared_key) is None  # a damaged entry is a miss: planned again
    partial = build_plan(registry, stack, today=today, root=root, only=frozenset(missing), shared=shared)
    _store(cache, partial, keys, {name: keys.agent_keys[name] for name in missing}, shared=shared)


def _agents_of(plan: Any) -> set[str]:
    return {r.agent for r in plan.resources if r.agent is not None}


def _store(
    cache: PlanCache, plan: Any, keys: _Keys, agent_keys: Mapping[str, str], *, shared: bool = True
) -> list[Violation]:
    """Each bundle of ``plan`` under its key, with its resources' conformance violations: on disk, and in this
    process's memo as the plan's own objects; the shared bundle unless ``shared`` is false (a plan that left the
    shared resources out). Returns the violations of the whole ``plan``, in plan order."""
    with cyclic_gc_paused():
        by_owner, found, violations = _by_owner(plan.resources)
        if shared:
            outputs = {key: value for key, value in plan.outputs.items() if key != "clientIds"}
            cache.put(
                keys.shared_key,
                *_pair(
                    by_owner.get(None, []),
                    plan.options,
                    found.get(None, ()),
                    outputs=outputs,
                    has_client_ids="clientIds" in plan.outputs,
                    max_token_lifetime_minutes=plan.max_token_lifetime_minutes,
                ),
            )
        client_ids = plan.outputs.get("clientIds") or {}
        for name, key in agent_keys.items():
            owned = {identity: client_ids[identity] for identity in keys.identities[name] if identity in client_ids}
            cache.put(key, *_pair(by_owner.get(name, []), plan.options, found.get(name, ()), client_ids=owned))
    return violations


def _by_owner(
    resources: Iterable[PlannedResource],
) -> tuple[dict[str | None, list[PlannedResource]], dict[str | None, list[tuple[int, Violation]]], list[Violation]]:
    """The resources grouped by owner (an agent, or ``None`` for the shared ones), each group's conformance
    violations with the index of their resource in the group, and all the violations in plan order: one pass, each
    resource checked once (a full plan's violations are its bundles' too, so it is never checked twice)."""
    by_owner: dict[str | None, list[PlannedResource]] = {}
    found: dict[str | None, list[tuple[int, Violation]]] = {}
    violations: list[Violation] = []
    for resource in resources:
        bundle = by_owner.setdefault(resource.agent, [])
        for violation in check_resource(resource.type, resource.name, resource.inputs, resource.agent):
            found.setdefault(resource.agent, []).append((len(bundle), violation))
            violations.append(violation)
        bundle.append(resource)
    return by_owner, found, violations


def _pair(
    resources: Sequence[PlannedResource], options: Mapping[str, Any], found: _Found, **extra: Any
) -> tuple[dict[str, Any], _Bundle]:
    """The cache entry of a bundle, and the bundle itself made of the plan's objects (not copies of them)."""
    violations = tuple(violation for _index, violation in found)
    bundle = _Bundle(tuple(resources), {r.urn: options[r.urn] for r in resources}, violations, extra)
    return _entry(resources, options, found, **extra), bundle


def _assemble(stack: str, today: dt.date, shared: _Bundle, keys: _Keys, bundles: Mapping[str, _Bundle]) -> Any:
    """The whole plan's order: shared resources first, then each agent's bundle by agent name."""
    from agentid.plan import Plan

    resources: list[PlannedResource] = []
    options: dict[str, Any] = {}
    violations: list[Violation] = []
    for bundle in (shared, *(bundles[name] for name in sorted(bundles))):
        resources.extend(bundle.resources)
        options.update(bundle.options)
        violations.extend(bundle.violations)
    outputs = dict(shared.extra["outputs"])
    if shared.extra.get("has_client_ids"):
        client_ids: dict[str, Any] = {}
        for agent in keys.agents:  # declaration order, as the program fills the output
            client_ids.update(bundles[agent.name].extra.get("client_ids", {}))
        outputs["clientIds"] = client_ids
    return (
        Plan(
            stack=stack,
            resources=tuple(resources),
            outputs=outputs,
            options=options,
            max_token_lifetime_minutes=shared.extra.get("max_token_lifetime_minutes"),
            today=today,
        )
        .with_digest(keys.plan_digest())
        .with_violations(violations)
    )


__all__ = [
    "CACHE_DIR_NAME",
    "PlanCache",
    "PlanMode",
    "PlanOutline",
    "PlannedAhead",
    "build_plan_incremental",
    "code_digest",
    "differing_resources",
    "incremental_mode",
    "plan_ahead",
    "plan_outline",
]
