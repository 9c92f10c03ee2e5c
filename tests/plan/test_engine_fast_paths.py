"""The offline plan's fast paths give exactly what the straightforward paths give.

``agentid.plan.engine`` converts recorded requests in one pass over the protobuf (:func:`wire_inputs`) instead of
``MessageToDict`` followed by :func:`_to_plain`, resolves stack outputs item by item (:func:`resolve_output`) instead
of through ``Output.from_input``, runs the program on a fresh thread (a shallower stack for the SDK to capture per
resource), settles component outputs without the RPC the mock monitor ignores and records each resource's stack
without reading source lines. Each test here pits one of them
against the path it replaced; the last ones plan whole registries both ways and compare everything a plan holds.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import traceback

import pulumi
import pulumi_okta as okta
import pytest
from google.protobuf import json_format, struct_pb2
from hypothesis import given, settings
from hypothesis import strategies as st
from pulumi.runtime import rpc

from agentid.plan import PlanError, build_plan, engine, stacktrace
from agentid.plan.engine import _from_input_parts, _to_plain, resolve_output, run_program, wire_inputs
from tests.conftest import CATALOG, STACKS, TODAY


def _reference_inputs(struct: struct_pb2.Struct) -> tuple[object, tuple[str, ...]]:
    """The conversion the plan used before: MessageToDict, then _to_plain with paths."""
    unknown: list[str] = []
    return _to_plain(json_format.MessageToDict(struct), "", unknown), tuple(unknown)


def _struct(value: dict) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(value)
    return struct


def _secret(value: object) -> dict:
    return {rpc._special_sig_key: rpc._special_secret_sig, "value": value}


def _resource(urn: str) -> dict:
    return {rpc._special_sig_key: rpc._special_resource_sig, "urn": urn, "id": "0oa1"}


# Wire values as the SDK writes them: JSON scalars (numbers are doubles), lists, objects, secrets, resource
# references and the unknown sentinel.
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.integers(min_value=-(2**52), max_value=2**52).map(float),
    st.text(max_size=12),
    st.sampled_from(["client_credentials", "private_key_jwt", rpc.UNKNOWN]),
)
_keys = st.sampled_from(["grantTypes", "jwks", "kid", "n", "label", "scopeWhitelists", "priority", "value", "urn"])
_wire = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(_keys, inner, max_size=4),
        inner.map(_secret),
        st.sampled_from(["urn:pulumi:prod::agentid::okta:app/oAuth:OAuth::meeting-summarizer-app"]).map(_resource),
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_keys, _wire, max_size=6))
def test_wire_inputs_match_message_to_dict_then_to_plain(value):
    struct = _struct(value)
    assert wire_inputs(struct) == _reference_inputs(struct), value


def test_wire_inputs_list_every_unknown_path_like_before():
    struct = _struct(
        {
            "clientWhitelists": [rpc.UNKNOWN, "0oa1finance"],
            "settings": {"token": _secret(rpc.UNKNOWN), "host": rpc.UNKNOWN},
            "priority": 1.0,
        }
    )
    inputs, unknown = wire_inputs(struct)
    assert unknown == ("clientWhitelists[0]", "settings.host", "settings.token"), unknown
    assert (inputs, unknown) == _reference_inputs(struct)


def test_wire_inputs_refuse_infinity_like_message_to_dict():
    struct = _struct({"accessTokenLifetimeMinutes": float("inf")})
    with pytest.raises(ValueError, match="Infinity"):
        json_format.MessageToDict(struct)
    with pytest.raises(ValueError, match="Infinity"):
        wire_inputs(struct)


def test_every_request_of_the_sample_plans_converts_as_before(sample_registry, monkeypatch):
    """The real requests (nested JWKs, network zones, secrets, resource references) of both sample stacks."""
    compared = []
    original = engine.wire_inputs

    def checked(struct):
        fast = original(struct)
        assert fast == _reference_inputs(struct), json_format.MessageToDict(struct)
        compared.append(struct)
        return fast

    monkeypatch.setattr(engine, "wire_inputs", checked)
    for stack in ("dev", "prod"):
        build_plan(sample_registry, stack, today=TODAY, root=STACKS)
    assert len(compared) > 30, f"only {len(compared)} requests were compared"


def _outputs_program():
    app = okta.app.OAuth("meeting-summarizer-app", label="meeting-summarizer", type="service")
    policy = okta.auth.ServerPolicy(
        "meeting-summarizer-policy", auth_server_id="aus1", description="d", priority=1, client_whitelists=["0oa1"]
    )
    outputs = {
        "clientIds": {"meeting-summarizer": app.client_id, "finance-reconciler": pulumi.Output.from_input("0oa2")},
        "nested": {"ids": [app.client_id, ("a", policy.id)], "empty": {}, "none": None, "list": []},
        "fromApply": app.client_id.apply(lambda cid: {"id": cid, "policy": policy.id}),
        "secretInDict": {"plain": "x", "hidden": pulumi.Output.secret("hec-token-0f8a21")},
        "secretOuter": pulumi.Output.secret({"inner": app.client_id}),
        "tuple": (1, 2.5, True),
        "number": 5,
        "input class": okta.app.OAuthJwkArgs(kid="finance-2026", kty="EC", x="x", y="y"),
    }
    return None, outputs


def _run(program):
    return run_program(program, project="agentid", stack="dev", config={}, secret_keys=())


def test_stack_outputs_resolve_as_output_from_input_does(monkeypatch):
    fast = _run(_outputs_program).outputs
    monkeypatch.setattr(engine, "resolve_output", _from_input_parts)
    reference = _run(_outputs_program).outputs
    assert fast == reference
    assert fast["secretInDict"] == "[secret]" and fast["secretOuter"] == "[secret]", fast
    assert fast["clientIds"]["finance-reconciler"] == "0oa2", fast


def test_one_unknown_client_id_makes_the_whole_output_unknown():
    def program():
        app = okta.app.OAuth("support-triage-app", label="support-triage", type="service")
        # The mock returns no clientSecret: unknown in a preview.
        return None, {"clientIds": {"support-triage": app.client_id, "broken": app.client_secret}}

    with pytest.raises(PlanError, match="stack output `clientIds` is unknown"):
        _run(program)


def test_resolve_output_answers_like_from_input_for_plain_values():
    """Outside any resource: plain values are known, not secret, and unchanged."""
    import asyncio

    loop = asyncio.new_event_loop()  # not asyncio.run: that would leave the main thread without a current loop
    try:
        for value in ("0oa1", 3, 2.5, True, None, [], {}, (1, "a"), {"a": [1, {"b": None}]}):
            assert loop.run_until_complete(resolve_output(value)) == (True, False, value), value
    finally:
        loop.close()


def test_the_program_runs_on_a_fresh_shallow_thread():
    """The SDK records the whole Python stack for every resource: the program must not run under the caller's."""
    seen = {}

    def program():
        seen["thread"] = threading.current_thread()
        seen["depth"] = len(traceback.extract_stack())
        return None, {}

    caller_depth = len(traceback.extract_stack())
    _run(program)
    assert seen["thread"] is not threading.current_thread(), "the program ran on the caller's thread"
    assert seen["depth"] < 20 < caller_depth, (seen["depth"], caller_depth)


def test_the_plan_thread_has_no_threading_bootstrap_frames():
    """``threading.Thread`` would add three frames under every resource's recorded stack."""
    seen = {}

    def program():
        seen["files"] = [frame.filename for frame in traceback.extract_stack()]
        return None, {}

    _run(program)
    assert not [name for name in seen["files"] if name.endswith("threading.py")], seen["files"]


class _Bundle(pulumi.ComponentResource):
    """A component registering an output, as AgentIdentity does."""

    def __init__(self, name: str, output: pulumi.Input[str]) -> None:
        super().__init__("agentid:test:Bundle", name, None, None)
        self.register_outputs({"clientId": output})


def _failing_output_program():
    app = okta.app.OAuth("invoice-matcher-app", label="invoice-matcher", type="service")

    def refuse(client_id: str) -> str:
        raise RuntimeError(f"invoice-matcher: no admin role may be granted to {client_id}")

    _Bundle("invoice-matcher", app.client_id.apply(refuse))
    return None, {}


def _sdk_outputs_error(monkeypatch) -> BaseException:
    with monkeypatch.context() as patched:
        patched.setattr(engine, "_offline_component_outputs", contextlib.nullcontext)
        with pytest.raises(Exception) as sdk:
            _run(_failing_output_program)
    return sdk.value


def test_a_component_output_that_fails_fails_the_plan_as_with_the_sdk_rpc(monkeypatch):
    """Only the component's outputs read the failing value: the run must still fail, with the SDK's error."""
    reference = _sdk_outputs_error(monkeypatch)
    with pytest.raises(Exception) as fast:
        _run(_failing_output_program)
    assert type(fast.value) is type(reference), (fast.value, reference)
    assert str(fast.value) == str(reference), (fast.value, reference)
    assert "no admin role may be granted" in str(fast.value)


class _Quarantine:
    """Not a value the engine can serialise."""


#: One instance for both runs: the SDK's message shows its address.
_QUARANTINE = _Quarantine()


def test_a_component_output_the_engine_cannot_serialise_fails_the_plan_as_with_the_sdk_rpc(monkeypatch):
    def program():
        _Bundle("expense-auditor", _QUARANTINE)
        return None, {}

    with monkeypatch.context() as patched:
        patched.setattr(engine, "_offline_component_outputs", contextlib.nullcontext)
        with pytest.raises(Exception) as sdk:
            _run(program)
    with pytest.raises(Exception) as fast:
        _run(program)
    assert (type(fast.value), str(fast.value)) == (type(sdk.value), str(sdk.value))
    assert "_Quarantine" in str(fast.value), fast.value


def test_component_outputs_are_settled_offline_only_while_a_plan_runs():
    import pulumi.resource
    from pulumi.runtime.resource import register_resource_outputs

    seen = {}

    def program():
        seen["during"] = pulumi.resource.register_resource_outputs
        _Bundle("meeting-summarizer", "0oa1meeting")
        return None, {}

    _run(program)
    assert seen["during"] is engine._register_outputs_offline
    assert pulumi.resource.register_resource_outputs is register_resource_outputs


def test_plans_can_run_from_several_threads_one_after_another(sample_registry):
    plans = []
    threads = [
        threading.Thread(target=lambda: plans.append(build_plan(sample_registry, "dev", today=TODAY, root=STACKS)))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(plans) == 2 and plans[0].to_dict() == plans[1].to_dict()


def _straightforward(monkeypatch):
    """Swap every fast path for the one it replaced."""

    def reference_inputs(struct):
        return _reference_inputs(struct)

    monkeypatch.setattr(engine, "wire_inputs", reference_inputs)
    monkeypatch.setattr(engine, "resolve_output", _from_input_parts)
    monkeypatch.setattr(engine, "_on_fresh_thread", _on_this_thread)
    monkeypatch.setattr(engine, "_offline_component_outputs", contextlib.nullcontext)
    monkeypatch.setattr(engine, "offline_stack_traces", contextlib.nullcontext)


def _on_this_thread(context, function):
    """The program on the caller's thread (full stack), on the plans' shared loop (left current, as the main thread's
    own loop was before plans moved to a thread)."""
    import asyncio

    if engine._PLAN_LOOP is None:
        engine._PLAN_LOOP = asyncio.new_event_loop()
    asyncio.set_event_loop(engine._PLAN_LOOP)
    return context.run(function)


def _everything(plan):
    return plan.to_dict(), dict(plan.outputs), dict(plan.options), [r.agent for r in plan.resources]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_sample_plans_equal_the_straightforward_path(sample_registry, stack, monkeypatch):
    fast = _everything(build_plan(sample_registry, stack, today=TODAY, root=STACKS))
    _straightforward(monkeypatch)
    assert _everything(build_plan(sample_registry, stack, today=TODAY, root=STACKS)) == fast


def test_a_generated_registry_plans_equal_the_straightforward_path(tmp_path, monkeypatch):
    """Generated agents: RSA and EC keys, jwks_uri, network zones, plugins, Okta API scopes, expired agents."""
    from agentid.registry import load_registry
    from benchmarks.generate import generate

    generate(tmp_path, 24, today=dt.date(2026, 12, 1), violation_rate=0.0)
    loaded = load_registry(tmp_path / "agents", CATALOG, root=tmp_path)
    assert loaded.ok, [f.message for f in loaded.findings]
    fast = _everything(build_plan(loaded.registry, "prod", today=dt.date(2027, 6, 1), root=STACKS))
    _straightforward(monkeypatch)
    assert _everything(build_plan(loaded.registry, "prod", today=dt.date(2027, 6, 1), root=STACKS)) == fast


def test_objects_from_before_the_plan_are_frozen_only_while_it_runs():
    """The registry is not re-scanned by every full collection during the plan, and is collectable again after."""
    import gc

    registry_like = [{"name": f"meeting-summarizer-{i}"} for i in range(100)]
    frozen_before = gc.get_freeze_count()
    seen = {}

    def program():
        seen["frozen"] = gc.get_freeze_count()
        return None, {}

    _run(program)
    assert seen["frozen"] >= frozen_before + len(registry_like), seen
    assert gc.get_freeze_count() == frozen_before, "the plan left objects frozen"


@pytest.mark.parametrize("enabled_before", [True, False])
@pytest.mark.parametrize("fails", [False, True])
def test_the_collector_is_off_while_the_program_runs_and_as_it_was_after(enabled_before, fails):
    import gc

    seen = {}

    def program():
        seen["enabled"] = gc.isenabled()
        app = okta.app.OAuth("postmortem-drafter-app", label="postmortem-drafter", type="service")
        if fails:
            raise PlanError("postmortem-drafter: the program refused to continue")
        return None, {"clientId": app.client_id}

    frozen_before = gc.get_freeze_count()
    was_enabled = gc.isenabled()
    (gc.enable if enabled_before else gc.disable)()
    try:
        if fails:
            with pytest.raises(PlanError, match="refused"):
                _run(program)
        else:
            assert _run(program).outputs["clientId"]
        assert seen["enabled"] is False
        assert gc.isenabled() is enabled_before
        assert gc.get_freeze_count() == frozen_before, "the plan left objects frozen"
    finally:
        (gc.enable if was_enabled else gc.disable)()


def test_no_collection_walks_the_run_s_objects_when_the_plan_hands_them_back(sample_registry):
    """Re-enabling the collector after the run must not scan everything it allocated (that is what freezing them
    into the oldest generation avoids): the first young collection after a plan sees only new objects."""
    import gc

    build_plan(sample_registry, "prod", today=TODAY, root=STACKS)  # warm: imports and the shared loop
    seen = []

    def watch(phase, info):
        if phase == "start" and info["generation"] == 0:
            seen.append(gc.get_count()[0])

    gc.collect()
    gc.callbacks.append(watch)
    try:
        build_plan(sample_registry, "prod", today=TODAY, root=STACKS)
        [{"agent": f"finance-reconciler-{i}"} for i in range(5000)]  # allocations that trigger young collections
    finally:
        gc.callbacks.remove(watch)
    assert seen, "no young collection ran"
    assert max(seen) < 2000, seen


class _Resource:
    """Three constructors deep, like ``Resource.__init__`` under ``CustomResource.__init__`` under a generated
    class's ``__init__``: where the SDK asks for the stack."""

    def __init__(self, capture):
        self.trace = capture()


class _Custom(_Resource):
    def __init__(self, capture):
        super().__init__(capture)


class _OAuthApp(_Custom):
    def __init__(self, capture):
        super().__init__(capture)


def _declare_meeting_summarizer(capture):
    """User code: the frames the trace should hold start here."""
    return _OAuthApp(capture).trace


def _both_traces(call):
    """``call(capture)`` with the SDK's function, then with the fast one (from the same line, so same frames)."""
    from pulumi.runtime.resource import _get_stack_trace

    return [
        call(capture).SerializeToString(deterministic=True) for capture in (_get_stack_trace, stacktrace.stack_trace)
    ]


def test_stack_trace_matches_the_sdk_below_a_resource_constructor():
    sdk, fast = _both_traces(_declare_meeting_summarizer)
    assert sdk == fast
    assert b"test_engine_fast_paths.py" in fast, "the trace lost the user's frames"


def test_stack_trace_is_empty_like_the_sdk_without_a_third_constructor():
    sdk, fast = _both_traces(lambda capture: _Custom(capture).trace)
    assert sdk == fast == b""


def test_stack_trace_is_empty_like_the_sdk_when_the_constructor_is_the_oldest_frame():
    """A thread whose first frame is the resource's constructor: nothing below it."""
    import _thread

    done = threading.Lock()
    done.acquire()
    traces = []

    def on_fresh_thread(capture):
        def capture_and_signal():
            try:
                traces.append(capture())
            finally:
                done.release()

        _thread.start_new_thread(_OAuthApp, (capture_and_signal,))
        done.acquire()
        return traces.pop()

    sdk, fast = _both_traces(on_fresh_thread)
    assert sdk == fast == b""


def test_stack_trace_gives_frames_of_unnamed_files_no_position_like_the_sdk():
    """Code compiled from a string (``<string>``) has no file URI: the SDK sends the frame without a position."""
    namespace = {"declare": _declare_meeting_summarizer}
    exec(compile("def from_string(capture):\n    return declare(capture)\n", "<string>", "exec"), namespace)
    sdk, fast = _both_traces(namespace["from_string"])
    assert sdk == fast


@pytest.mark.parametrize("limit", [3, 6, 1000])
def test_stack_trace_honours_traceback_limit_like_the_sdk(limit, monkeypatch):
    """``sys.tracebacklimit`` caps the frames ``extract_stack`` walks: fewer than the constructors, or some of the
    user's frames, or all."""
    monkeypatch.setattr("sys.tracebacklimit", limit, raising=False)
    sdk, fast = _both_traces(_declare_meeting_summarizer)
    assert sdk == fast


@pytest.mark.parametrize("limit", [-1, 0])
def test_stack_trace_fails_like_the_sdk_when_traceback_limit_leaves_no_frame(limit, monkeypatch):
    """pulumi 3.272.0 cannot build a trace from no frame at all; the fast path must not invent one."""
    from pulumi.runtime.resource import _get_stack_trace

    monkeypatch.setattr("sys.tracebacklimit", limit, raising=False)
    failures = []
    for capture in (_get_stack_trace, stacktrace.stack_trace):
        with pytest.raises(Exception) as failed:
            _declare_meeting_summarizer(capture)
        failures.append(type(failed.value))
    assert failures[0] is failures[1], failures


def _stack_traces_of_a_plan(registry, monkeypatch) -> dict[str, tuple[bytes, bytes]]:
    """Every registration's stack trace and source position, as the mock monitor received them, by URN."""
    seen = {}
    original = engine._registration

    def recording(request, urn):
        seen[urn] = (
            request.stackTrace.SerializeToString(deterministic=True),
            request.sourcePosition.SerializeToString(deterministic=True),
        )
        return original(request, urn)

    with monkeypatch.context() as patched:
        patched.setattr(engine, "_registration", recording)
        build_plan(registry, "prod", today=TODAY, root=STACKS)
    return seen


def test_every_registration_of_a_plan_carries_the_sdk_s_stack_trace(sample_registry, monkeypatch):
    fast = _stack_traces_of_a_plan(sample_registry, monkeypatch)
    monkeypatch.setattr(engine, "offline_stack_traces", contextlib.nullcontext)
    sdk = _stack_traces_of_a_plan(sample_registry, monkeypatch)
    assert fast == sdk
    assert len(fast) > 30 and all(trace for trace, _ in fast.values()), "a registration without a trace"
    assert sum(b"infra/components/agent_identity.py" in trace for trace, _ in fast.values()) > 10


def test_stack_traces_are_computed_offline_only_while_a_plan_runs():
    from pulumi.runtime import resource

    sdk_function = resource._get_stack_trace
    seen = {}

    def program():
        seen["during"] = resource._get_stack_trace
        return None, {}

    _run(program)
    assert seen["during"] is stacktrace.stack_trace
    assert resource._get_stack_trace is sdk_function


def _cycles_left_by(capture, calls: int = 50) -> list[object]:
    """The garbage cycles ``calls`` declarations through ``capture`` leave behind, as objects of ours: frames of the
    stack-trace module or of this file, and the resource objects. The collector saves what it finds (DEBUG_SAVEALL)
    and only ours are kept, so garbage another thread (grpc, asyncio from earlier tests) makes meanwhile cannot fail
    the test: it did in about 1 run in 4 when the test asserted ``gc.collect() == 0``."""
    import gc
    import types

    def ours(obj: object) -> bool:
        if isinstance(obj, types.FrameType):
            return obj.f_code.co_filename in (stacktrace.__file__, __file__)
        return isinstance(obj, _Resource)

    was_enabled, flags = gc.isenabled(), gc.get_debug()
    gc.disable()
    try:
        gc.collect()
        gc.garbage.clear()
        gc.set_debug(gc.DEBUG_SAVEALL)
        for _ in range(calls):
            _declare_meeting_summarizer(capture)
        gc.collect()
        return [obj for obj in gc.garbage if ours(obj)]
    finally:
        gc.set_debug(flags)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()


def test_stack_trace_leaves_no_garbage_cycles():
    """The collector is off while a plan runs: a cycle per resource (e.g. a function holding its own frame) would
    keep every frame of every resource's stack, and their locals, alive until the end of the plan."""
    assert _cycles_left_by(stacktrace.stack_trace) == []


def test_the_cycle_check_sees_a_function_holding_its_own_frame():
    """The check above is not vacuous: a capture that keeps its own frame in a local (the bug it guards against)
    leaves one cycle per declaration, and they are found."""
    import sys

    def leaky_stack_trace():
        frame = sys._getframe()  # the frame's locals hold the frame: a cycle only the collector frees
        return stacktrace.stack_trace() if frame else None

    assert len(_cycles_left_by(leaky_stack_trace, calls=20)) >= 20
