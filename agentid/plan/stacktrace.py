"""The stack trace the SDK attaches to every registration, computed without reading source files.

For each resource the SDK records the Python call stack below the resource's constructor
(``pulumi.runtime.resource._get_stack_trace``, pulumi 3.272.0) and sends it, with the first frame's position, in the
``RegisterResourceRequest``. It builds that with ``traceback.extract_stack()``, which also reads every frame's
source line through ``linecache`` (a ``stat`` per distinct file per call) only for the SDK to use the file name and
line number, and then turns each file name into a URI through ``pathlib``: ~87 µs a resource.

:func:`stack_trace` walks the frames directly, keeps each file's URI and each distinct stack's serialised trace for
the plan (~8.5 µs a resource), giving the same ``StackTrace`` message
(equivalence: tests/plan/test_engine_fast_paths.py). It is installed only while an offline plan runs
(:func:`offline_stack_traces`); ``pulumi preview`` and ``pulumi up`` keep the SDK's function.
"""

from __future__ import annotations

import contextlib
import pathlib
import sys
from collections.abc import Iterator
from typing import Any

#: The serialised trace of each distinct stack (resources declared from the same lines share one), for the
#: duration of a plan (:func:`offline_stack_traces` empties it).
_TRACES: dict[tuple[tuple[str, str, int | None], ...], bytes] = {}

#: File name -> its ``file:`` URI, or ``None`` where the SDK gives a frame no position (a relative name such as
#: ``<frozen importlib._bootstrap>``). A pure function of the name.
_URIS: dict[str, str | None] = {}


def _uri(filename: str) -> str | None:
    """``pathlib.Path(filename).as_uri()``, ``None`` where that fails (as ``_get_source_position_for_frame``)."""
    try:
        return _URIS[filename]
    except KeyError:
        pass
    try:
        uri: str | None = pathlib.Path(filename).as_uri()
    except Exception:  # the SDK gives the frame no position whatever the failure
        uri = None
    _URIS[filename] = uri
    return uri


def stack_trace() -> Any:
    """``pulumi.runtime.resource._get_stack_trace()``: the frames below the third ``__init__`` up the stack (the
    concrete resource class's constructor), newest first, each with its file URI and line; empty if there is none.

    This function's own frame stands where the SDK's is, so ``sys.tracebacklimit`` (which caps how many of the
    newest frames ``extract_stack`` keeps) cuts the same frames.
    """
    from pulumi.runtime.proto import source_pb2

    limit = getattr(sys, "tracebacklimit", None)
    if limit is not None and limit <= 0:
        # No frame at all: pulumi 3.272.0 then fails (UnboundLocalError); let it answer as it does.
        return _sdk_function()()
    # (function, file, line) of each frame, newest first, this function's own standing for the SDK's. No frame
    # object is kept: holding this function's own frame would make a reference cycle per resource, which the
    # collector (off while a plan runs) would have to free, with every frame and local it holds.
    walked = [("stack_trace", "", None)]
    frame: Any = sys._getframe(1)
    while frame is not None and (limit is None or len(walked) < limit):
        code = frame.f_code
        walked.append((code.co_name, code.co_filename, frame.f_lineno))
        frame = frame.f_back
    del frame
    inits, third = 0, -1
    for index, (function, _, _) in enumerate(walked):
        if function == "__init__":
            inits += 1
            if inits == 3:
                third = index
                break
    if third < 0:
        return source_pb2.StackTrace()  # no third __init__: the SDK sends an empty trace
    below = tuple(walked[third + 1 :])  # none if the third __init__ is the oldest frame: an empty trace too
    serialized = _TRACES.get(below)
    if serialized is None:
        stack_frame, source_position = source_pb2.StackFrame, source_pb2.SourcePosition
        frames = []
        for _, filename, line in below:
            uri = _uri(filename) if filename != "" and line is not None else None
            frames.append(stack_frame(pc=source_position(uri=uri, line=line)) if uri is not None else stack_frame())
        serialized = _TRACES[below] = source_pb2.StackTrace(frames=frames).SerializeToString()
    # A new message each time, as from the SDK (parsing the cached bytes is ~20x cheaper than building it).
    return source_pb2.StackTrace.FromString(serialized)


#: The SDK's function while :func:`stack_trace` stands in for it.
_SDK_FUNCTION: Any = None


def _sdk_function() -> Any:
    from pulumi.runtime import resource

    return _SDK_FUNCTION or resource._get_stack_trace


@contextlib.contextmanager
def offline_stack_traces() -> Iterator[None]:
    """Use :func:`stack_trace` for the SDK's registrations while the block runs (plans run one at a time); the
    SDK's function afterwards. A no-op if a future SDK no longer has the function this replaces."""
    from pulumi.runtime import resource

    original = getattr(resource, "_get_stack_trace", None)
    if original is None:
        yield
        return
    global _SDK_FUNCTION
    _SDK_FUNCTION, resource._get_stack_trace = original, stack_trace
    try:
        yield
    finally:
        _SDK_FUNCTION, resource._get_stack_trace = None, original
        _TRACES.clear()
