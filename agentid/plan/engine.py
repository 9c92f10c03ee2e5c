"""Run the Pulumi program under the real SDK's mock engine and record every registration as the engine sees it.

The SDK serialises each resource's inputs exactly as it would for ``pulumi preview``: camelCase keys, secrets wrapped
in the secret signature, outputs that are not known yet as the "unknown" sentinel. We record that wire form (the
protobuf ``RegisterResourceRequest``), not the mock's deserialised copy, because deserialising unwraps secrets: the
plan masks them instead, and refuses unknown values (a plan with holes would let rules pass on nothing).

Every run happens in a fresh :mod:`contextvars` context with its own settings, config, root stack and RPC bookkeeping,
so plans can be built repeatedly in one process (tests, a review of two revisions) without leaking state.
"""

from __future__ import annotations

import contextlib
import contextvars
import gc
import math
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from agentid.gcpause import cyclic_gc_paused
from agentid.plan.stackfile import SECRET_PLACEHOLDER, PlanError
from agentid.plan.stacktrace import offline_stack_traces

UNKNOWN_PLACEHOLDER = "[unknown]"


@dataclass(frozen=True, slots=True)
class Registration:
    """One ``RegisterResource`` call: what the engine would receive for this resource."""

    type: str
    name: str
    urn: str
    parent_urn: str
    custom: bool
    inputs: Mapping[str, Any]
    dependencies: tuple[str, ...]
    protect: bool
    delete_before_replace: bool
    ignore_changes: tuple[str, ...]
    additional_secret_outputs: tuple[str, ...]
    unknown_inputs: tuple[str, ...]
    #: the ``import`` resource option: the id of an existing object the resource adopts ("" when it creates one)
    import_id: str = ""


def _to_plain(value: Any, path: str, unknown: list[str]) -> Any:
    """Wire value -> plain JSON value with secrets masked and resource references as URNs."""
    from pulumi.runtime import rpc

    if isinstance(value, dict):
        signature = value.get(rpc._special_sig_key)
        if signature == rpc._special_secret_sig:
            _to_plain(value.get("value"), path, unknown)  # a secret may still be unknown: report that too
            return SECRET_PLACEHOLDER
        if signature == rpc._special_resource_sig:
            return value.get("urn", "")
        # Sorted keys: protobuf maps have no order, and a plan must read (and diff) the same on every run.
        return {key: _to_plain(value[key], f"{path}.{key}" if path else key, unknown) for key in sorted(value)}
    if isinstance(value, list):
        return [_to_plain(item, f"{path}[{index}]", unknown) for index, item in enumerate(value)]
    if value == rpc.UNKNOWN:
        unknown.append(path)
        return UNKNOWN_PLACEHOLDER
    if isinstance(value, float) and value.is_integer():
        return int(value)  # protobuf Struct numbers are doubles; priorities and lifetimes are integers
    return value


def _value_to_json(value: Any) -> Any:
    """One protobuf ``Value`` as plain JSON, exactly as ``json_format.MessageToDict`` renders it.

    ``MessageToDict`` looks up field descriptors in pure Python for every value; this dispatches on the oneof
    directly. Equivalence is tested against ``MessageToDict`` (tests/plan/test_engine_fast_paths.py).
    """
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        return value.string_value
    if kind == "struct_value":
        return _struct_to_json(value.struct_value)
    if kind == "list_value":
        return [_value_to_json(item) for item in value.list_value.values]
    if kind == "number_value":
        number = value.number_value
        if math.isinf(number) or math.isnan(number):
            # MessageToDict refuses these too (they would read back as strings).
            shown = "Infinity" if math.isinf(number) else "NaN"
            raise ValueError(f"Fail to serialize {shown} for Value.number_value, which would parse as string_value")
        return number
    if kind == "bool_value":
        return value.bool_value
    return None  # null_value, or no kind set


def _struct_to_json(struct: Any) -> dict[str, Any]:
    """A protobuf ``Struct`` as a plain dict (see :func:`_value_to_json`)."""
    fields = struct.fields
    return {key: _value_to_json(fields[key]) for key in fields}


class _Unknown(Exception):
    """Raised by :func:`_fast_plain` on the first unknown value: the slow path then lists every unknown's path."""


#: The SDK's wire sentinels (``pulumi.runtime.rpc``), looked up once by :func:`wire_inputs` rather than imported in
#: each of the ~40,000 calls of a 1,000-agent plan's conversion (a ``from`` import runs importlib's Python code).
_UNKNOWN_SENTINEL = _SIG_KEY = _SECRET_SIG = _RESOURCE_SIG = ""


def _load_wire_sentinels() -> None:
    global _UNKNOWN_SENTINEL, _SIG_KEY, _SECRET_SIG, _RESOURCE_SIG
    if not _SIG_KEY:
        from pulumi.runtime import rpc

        _UNKNOWN_SENTINEL, _SIG_KEY = rpc.UNKNOWN, rpc._special_sig_key
        _SECRET_SIG, _RESOURCE_SIG = rpc._special_secret_sig, rpc._special_resource_sig


def _fast_plain(value: Any) -> Any:
    """``_to_plain(MessageToDict(value))`` in one pass over the protobuf ``Value``, without tracking paths.

    Paths matter only for the error listing unknown inputs, which a complete plan never raises: on the first
    unknown this gives up (:class:`_Unknown`) and the caller takes the exact, slower path. The sentinels must have
    been loaded (:func:`wire_inputs` does).
    """
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        text = value.string_value
        if text == _UNKNOWN_SENTINEL:
            raise _Unknown
        return text
    if kind == "struct_value":
        return _fast_struct(value.struct_value.fields)
    if kind == "list_value":
        return [_fast_plain(item) for item in value.list_value.values]
    plain = _value_to_json(value)
    if isinstance(plain, float) and plain.is_integer():
        return int(plain)  # protobuf Struct numbers are doubles; priorities and lifetimes are integers
    return plain


def _fast_struct(fields: Any) -> Any:
    """:func:`_fast_plain` of a ``Struct``'s fields: a secret, a resource reference or a dict with sorted keys."""
    if _SIG_KEY in fields:
        signature = _value_to_json(fields[_SIG_KEY])
        if signature == _SECRET_SIG:
            if "value" in fields:
                _fast_plain(fields["value"])  # a secret may still be unknown: that is a hole too
            return SECRET_PLACEHOLDER
        if signature == _RESOURCE_SIG:
            return _value_to_json(fields["urn"]) if "urn" in fields else ""
    # Sorted keys: protobuf maps have no order, and a plan must read (and diff) the same on every run.
    return {key: _fast_plain(fields[key]) for key in sorted(fields)}


def wire_inputs(struct: Any) -> tuple[Any, tuple[str, ...]]:
    """A request's ``object`` (protobuf ``Struct``) as plan inputs, and the paths of any unknown values in it."""
    _load_wire_sentinels()
    try:
        return _fast_struct(struct.fields), ()
    except _Unknown:
        from google.protobuf import json_format

        unknown: list[str] = []
        return _to_plain(json_format.MessageToDict(struct), "", unknown), tuple(unknown)


def _registration(request: Any, urn: str) -> Registration:
    """A recorded ``RegisterResourceRequest`` as a :class:`Registration` (inputs masked, unknowns listed)."""
    inputs, unknown = wire_inputs(request.object)
    return Registration(
        type=request.type,
        name=request.name,
        urn=urn,
        parent_urn=request.parent,
        custom=request.custom,
        inputs=inputs,
        dependencies=tuple(request.dependencies),
        protect=bool(request.protect),
        delete_before_replace=request.deleteBeforeReplace,
        ignore_changes=tuple(request.ignoreChanges),
        additional_secret_outputs=tuple(request.additionalSecretOutputs),
        unknown_inputs=unknown,
        import_id=request.importId,
    )


def _make_monitor_class() -> type:
    from pulumi.runtime.mocks import MockMonitor

    class RecordingMonitor(MockMonitor):
        """The SDK's mock monitor, also keeping each registration's wire form.

        The requests are kept as they are and converted once the program has finished (:meth:`registrations`):
        converting here would run on the SDK's executor threads, competing with the event loop for the GIL, and
        leave thousands of input dicts for the cyclic collector to re-scan while the program still runs.
        """

        def __init__(self, mocks: Any) -> None:
            super().__init__(mocks)
            self.requests: list[tuple[Any, str]] = []
            self._lock = threading.Lock()

        def RegisterResource(self, request: Any) -> Any:
            response = super().RegisterResource(request)
            if request.type != "pulumi:pulumi:Stack":
                with self._lock:  # registrations arrive from the SDK's executor threads
                    self.requests.append((request, response.urn))
            return response

        def registrations(self) -> tuple[Registration, ...]:
            """Every recorded registration, in the order the engine received them."""
            # Plain data only (no reference cycles): see agentid.gcpause.
            with cyclic_gc_paused():
                return tuple(_registration(request, urn) for request, urn in self.requests)

    return RecordingMonitor


def _make_mocks() -> Any:
    from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs, Mocks

    class PlanMocks(Mocks):
        """Deterministic stand-ins for what Okta would return: self-describing ids (``<name>.id``), and client ids
        shaped like Okta's (:func:`agentid.detect.clientids.offline_client_id`)."""

        def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
            if args.typ == "pulumi:pulumi:StackReference":
                # A member stack reads its core stack (agentid/stack.py): offline, self-describing placeholders.
                # Checked first: a reference is a read, and reads reach the mock without the `custom` flag.
                from agentid.stack import CORE_OUTPUTS

                stack = args.inputs.get("name", args.name)
                placeholders = {key: f"<{stack}.{key}>" for key in CORE_OUTPUTS}
                return args.name, {"name": stack, "outputs": placeholders, "secretOutputNames": []}
            if not args.custom:
                return "", {}
            outputs = dict(args.inputs)
            if args.typ == "okta:app/oAuth:OAuth":
                # Okta-shaped (20 characters), the offline world's id of the identity: the EventBridge patterns are
                # sized for Okta's ids, and `agentid detect` and the synthetic traffic use the same ids.
                from agentid.detect.clientids import offline_client_id

                # An adopted app (the `import` option) keeps its client id: Okta's app id is the client id.
                outputs["clientId"] = args.resource_id or offline_client_id(args.name.removesuffix("-app"))
            elif args.typ == "okta:auth/server:Server":
                outputs["issuer"] = f"<{args.name}.issuer>"
            return args.resource_id or f"<{args.name}.id>", outputs

        def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
            # The program must not depend on reading the live org: the offline plan could only invent the answer.
            raise PlanError(f"the program calls the provider function {args.token}, which cannot be planned offline")

    return PlanMocks()


async def _from_input_parts(value: Any) -> tuple[bool, bool, Any]:
    """What ``Output.from_input(value)`` resolves to: (known, secret, plain value). The SDK's own path."""
    import pulumi

    output = pulumi.Output.from_input(value)
    return await output.is_known(), await output.is_secret(), await output.future()


async def resolve_output(value: Any) -> tuple[bool, bool, Any]:
    """``(is_known, is_secret, value)`` of ``Output.from_input(value)``, awaited item by item.

    ``Output.from_input`` turns a dict of N outputs (the ``clientIds`` stack output: one per identity) into
    ``Output.all``, which merges the items' resource sets one copy at a time (O(N²) at 10,000 agents) and schedules
    several tasks per item. The stack output needs only the three answers, so plain dicts, lists and tuples are
    walked here and each output awaited directly; anything else (input classes, awaitables) takes the SDK's path.
    Known only if every part is known, secret if any part is (as ``Output.all``); equivalence is tested against
    :func:`_from_input_parts` (tests/plan/test_engine_fast_paths.py).
    """
    import pulumi

    if isinstance(value, pulumi.Output):
        known, secret = await value.is_known(), await value.is_secret()
        if not known:
            return False, secret, None
        inner_known, inner_secret, plain = await resolve_output(await value.future())
        return inner_known, secret or inner_secret, plain if inner_known else None
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        known, secret, plain_dict = True, False, {}
        for key, item in value.items():
            item_known, item_secret, plain_dict[key] = await resolve_output(item)
            known, secret = known and item_known, secret or item_secret
        return known, secret, plain_dict if known else None
    if isinstance(value, (list, tuple)):
        known, secret, items = True, False, []
        for item in value:
            item_known, item_secret, plain_item = await resolve_output(item)
            known, secret = known and item_known, secret or item_secret
            items.append(plain_item)
        return known, secret, (type(value)(items) if isinstance(value, tuple) else items) if known else None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return True, False, value
    return await _from_input_parts(value)


@dataclass(frozen=True)
class RunResult:
    registrations: tuple[Registration, ...]
    outputs: Mapping[str, Any]
    result: Any


@contextlib.contextmanager
def _collector_paused_for_run() -> Iterator[None]:
    """Run the program with the cyclic collector off and the objects that exist before it (the loaded registry,
    imported modules) frozen; hand everything back to the collector afterwards without a scan.

    The SDK allocates so many container objects per resource that the collector otherwise runs thousands of times
    during a plan, a dozen of them full collections walking every live object (the registry, and every resource,
    output and future registered so far), and they free almost nothing: the SDK's run leaves little cyclic garbage
    (peak RSS +3% at 1,000 agents with the collector off). At 1,000 agents, timed with ``gc.callbacks``, collections
    took ~40% of the plan's time with only the registry frozen, and ~2% with this.

    Afterwards the run's objects are frozen and then everything is unfrozen: that moves them all to the oldest
    generation in one step, so the first allocation after the plan does not trigger a collection walking every
    object the run created (which, with the collector merely re-enabled, it would). Nothing is left frozen, and
    garbage cycles from the run are freed by a later full collection, as before. If someone else froze objects
    first (e.g. before a fork), their freeze is theirs to undo: the run's objects are then left to the collector.
    """
    enabled = gc.isenabled()
    already_frozen = gc.get_freeze_count() > 0
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        if not already_frozen:
            gc.freeze()
            gc.unfreeze()
        if enabled:
            gc.enable()


def _register_outputs_offline(resource: Any, outputs: Any) -> None:
    """``pulumi.runtime.resource.register_resource_outputs`` for the mock engine: the same waits, no RPC.

    Every ``AgentIdentity`` registers its outputs (``clientId``). The SDK waits for the component's URN, serialises
    the outputs, builds a ``RegisterResourceOutputsRequest`` and hands it to an executor thread, only for the mock
    monitor to return ``Empty`` (pulumi 3.272.0): ~1,100 thread round trips at 1,000 agents that the plan never
    reads. This keeps what can change a plan's outcome, as the SDK orders it: the URN and every output are awaited
    and serialised through the RPC manager, so an output that fails (or a failing ``apply`` inside one) still fails
    the run with the same exception; only the request and the round trip are left out. Installed for plans only
    (:func:`_offline_component_outputs`); ``pulumi preview`` and ``pulumi up`` keep the SDK's function.
    """
    import asyncio

    from pulumi.runtime import rpc
    from pulumi.runtime._state_migration_context import _ensure_not_in_state_migration
    from pulumi.runtime.settings import _get_rpc_manager

    _ensure_not_in_state_migration("register resource outputs")

    async def settle() -> None:
        await resource.urn.future()
        await rpc.serialize_properties(outputs or {}, {})

    # The RPC manager keeps the task and the run waits for it (as for the SDK's own call).
    asyncio.ensure_future(_get_rpc_manager().do_rpc("register resource outputs", settle)())  # noqa: RUF006


@contextlib.contextmanager
def _offline_component_outputs() -> Iterator[None]:
    """Use :func:`_register_outputs_offline` for the SDK's component outputs while a plan runs (plans run one at a
    time, under ``_PLAN_LOCK``); the SDK's own function afterwards."""
    import pulumi.resource

    original = pulumi.resource.register_resource_outputs
    pulumi.resource.register_resource_outputs = _register_outputs_offline
    try:
        yield
    finally:
        pulumi.resource.register_resource_outputs = original


#: The event loop plans run on (see :func:`_on_fresh_thread`).
_PLAN_LOOP: Any = None
#: Plans share the SDK's global settings and that loop: one at a time.
_PLAN_LOCK = threading.Lock()


def _on_fresh_thread(context: contextvars.Context, function: Callable[[], RunResult]) -> RunResult:
    """``context.run(function)`` on a new thread (one plan at a time); its exception re-raised here.

    Why a thread: the SDK records the Python call stack of every resource it registers (``traceback.extract_stack``
    in ``pulumi.runtime.resource._get_stack_trace``, pulumi 3.272.0: file, line and URI of each frame below the
    resource's constructor). Under the CLI that stack starts with runpy, click's five frames and the plan's own, ~25
    frames a resource; on a fresh thread it starts at the program, ~11. The thread is started with ``_thread`` rather
    than ``threading.Thread``, whose bootstrap adds three more frames to every one of those stacks (~14k frames at
    1,000 agents). The mock engine discards the trace, so the plan is the same; a real ``pulumi preview`` runs
    ``infra/__main__.py``, not this.
    """
    import _thread
    import asyncio

    outcome: dict[str, Any] = {}
    finished = threading.Lock()
    finished.acquire()

    def target() -> None:
        global _PLAN_LOOP
        try:
            # The SDK needs a current loop from the start (set_mocks registers the stack resource). One loop serves
            # every run, as the main thread's loop did: its default executor's threads (where the mock monitor runs,
            # each with its own loop) are then reused rather than started and abandoned per plan.
            if _PLAN_LOOP is None or _PLAN_LOOP.is_closed():
                _PLAN_LOOP = asyncio.new_event_loop()
            asyncio.set_event_loop(_PLAN_LOOP)
            outcome["result"] = context.run(function)
        except BaseException as exc:  # re-raised on the caller's thread below
            outcome["error"] = exc
        finally:
            asyncio.set_event_loop(None)
            finished.release()

    with _PLAN_LOCK:
        _thread.start_new_thread(target, ())
        finished.acquire()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def run_program(
    program: Callable[[], Any],
    *,
    project: str,
    stack: str,
    config: Mapping[str, str],
    secret_keys: tuple[str, ...],
) -> RunResult:
    """Run ``program`` (which declares resources and returns ``(result, outputs)``) under the mock engine.

    Exceptions raised by the program, by ``apply`` callbacks or by registrations propagate; unknown inputs or stack
    outputs raise :class:`PlanError`.
    """

    def isolated() -> RunResult:
        from pulumi.runtime import config as runtime_config
        from pulumi.runtime import settings
        from pulumi.runtime.mocks import set_mocks
        from pulumi.runtime.rpc_manager import RPCManager
        from pulumi.runtime.stack import run_pulumi_func
        from pulumi.runtime.sync_await import _sync_await

        settings.ROOT.set(None)
        settings.SETTINGS.rpc_manager = RPCManager()
        settings.SETTINGS.outputs = set()
        settings.SETTINGS.lock = threading.Lock()
        runtime_config.set_all_config(dict(config), list(secret_keys))
        mocks = _make_mocks()
        monitor = _make_monitor_class()(mocks)
        # preview=True: values the engine would not know yet stay unknown, so a missing mock output is caught
        # below instead of silently becoming None.
        set_mocks(mocks, project=project, stack=stack, preview=True, monitor=monitor)
        box: dict[str, Any] = {}

        async def body() -> None:
            result, outputs = program()
            box["result"] = result
            resolved: dict[str, Any] = {}
            for key, value in outputs.items():
                known, secret, plain = await resolve_output(value)
                if not known:
                    raise PlanError(f"stack output `{key}` is unknown in the plan; the mock engine returned no value")
                resolved[key] = SECRET_PLACEHOLDER if secret else plain
            box["outputs"] = resolved

        with _offline_component_outputs(), offline_stack_traces():
            _sync_await(run_pulumi_func(body))
        return RunResult(monitor.registrations(), box["outputs"], box["result"])

    try:
        with _collector_paused_for_run():
            result = _on_fresh_thread(contextvars.copy_context(), isolated)
    except BaseException:
        # A failed run leaves futures holding exceptions nobody retrieved. Finalise them now: left to a later garbage
        # collection, their finalisers format a traceback (which parses source with `ast`) in the middle of whatever
        # runs next, and CPython 3.11.7 then fails that code's own `ast.parse` with "AST constructor recursion depth
        # mismatch" (fixed in 3.11.8).
        gc.collect()
        raise
    holes = [f"{r.name}.{path}" for r in result.registrations for path in r.unknown_inputs]
    if holes:
        raise PlanError(
            "the plan has unknown inputs (a value the program reads from another resource was never provided): "
            + ", ".join(sorted(holes))
        )
    return result
