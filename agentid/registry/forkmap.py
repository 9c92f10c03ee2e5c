"""Map a function over many items on every core, in forked workers, with the results in the items' order; or run
one call in a forked child while the parent does other work (:func:`fork_call`).

Why: reading a registry of thousands of agent files is CPU-bound Python (parsing YAML events one by one), so one
process uses one core of a CI runner or a laptop that has several. A worker forked after the parent has imported
everything and compiled the schema starts at once (no re-import, no re-compilation, nothing pickled on the way
in); only its results travel back, through a pipe, as a pickle.

Why it is safe to use everywhere the loader runs:

* the parent does the first chunk itself and each worker one later chunk, and the results are put back in item
  order, so the caller sees exactly what a plain loop would have produced;
* any failure of a worker (an exception, a crash, a result that cannot be pickled or read back) is not an error:
  the parent redoes that chunk itself, so the worst case is the speed of the plain loop;
* it forks only where forking is sound: on Linux, and only while the process has a single thread (a thread
  holding a lock at the moment of the fork, e.g. in gRPC under Pulumi, would leave that lock held forever in the
  child); anywhere else it is the plain loop.

* it uses only cores that are idle: a worker on a core another job keeps busy only time-shares with the parent, and
  the hand-over (pickling, copy-on-write pages) then makes the whole slower, not faster. Like ``make -l``, it counts
  the cores left over by the 1-minute load average and starts a worker only for a core at least half idle.

``AGENTID_LOAD_WORKERS=N`` sets the number of processes instead (``1`` turns the workers off, e.g. to profile or to
compare CPU time with wall time; a larger N starts workers whatever the load).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")
W = TypeVar("W")

WORKERS_ENV = "AGENTID_LOAD_WORKERS"

#: At most this many processes: past a few, the parent's share of the work (reading results back) dominates.
MAX_WORKERS = 8


def available_workers() -> int:
    """How many processes may share the work: the idle cores this process may run on (at most :data:`MAX_WORKERS`),
    or ``AGENTID_LOAD_WORKERS``; 1 where forking is not sound (not Linux, or more than one thread running)."""
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return 1
    cores = min(len(os.sched_getaffinity(0)), MAX_WORKERS)
    # This process's own core, plus each core the load average leaves at least half idle (the load counts this
    # process and, in a loop of runs such as a benchmark, the runs before it: one busy core is this one).
    workers = min(cores, 1 + max(0, int(cores - os.getloadavg()[0] + 0.5)))
    setting = os.environ.get(WORKERS_ENV, "").strip()
    if setting:
        if setting.isdigit() and int(setting) >= 1:
            workers = min(int(setting), MAX_WORKERS)
        else:
            sys.stderr.write(
                f"agentid: ignoring {WORKERS_ENV}={setting!r}: it must be a whole number of processes, 1 or more "
                "(1 loads on one core).\n"
            )
    if workers > 1 and not _single_threaded():
        return 1
    return max(workers, 1)


def _single_threaded() -> bool:
    """True when this process runs one thread, C threads included (``threading`` only sees Python's own)."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def fork_map(
    func: Callable[[T], R],
    items: Sequence[T],
    *,
    workers: int,
    encode: Callable[[R], W],
    decode: Callable[[W], R],
    meanwhile: Callable[[], None] | None = None,
) -> list[R]:
    """``[func(item) for item in items]``, with the items split into ``workers`` contiguous chunks.

    The parent computes the first chunk while each forked worker computes one of the others and sends back
    ``[encode(result) ...]``; the parent turns those back with ``decode``. ``encode``/``decode`` exist because a
    compact plain form (tuples, dicts, strings) pickles several times faster than rich objects. A chunk whose worker
    fails is computed again in the parent. ``workers`` <= 1 (or too few items) is the plain loop.

    ``meanwhile``, called exactly once, is other work of the parent's that does not depend on the results (importing
    the Pulumi SDK a plan needs next): with workers, every chunk goes to a worker and the parent does that work while
    they run, so it costs no wall time on an idle core; without, it runs after the loop. It is called after the
    fork, so whatever it starts (the SDK's threads) never reaches a worker.
    """
    if workers <= 1 or len(items) < 2:
        results = [func(item) for item in items]
        if meanwhile is not None:
            meanwhile()
        return results
    size = -(-len(items) // workers)  # ceiling division: every worker but perhaps the last gets `size` items
    chunks = [items[start : start + size] for start in range(0, len(items), size)]
    own = [] if meanwhile is not None else chunks[0]
    forked = chunks if meanwhile is not None else chunks[1:]
    started = [_start_worker(func, chunk, encode) for chunk in forked]
    try:
        if meanwhile is not None:
            meanwhile()
        results = [func(item) for item in own]
    except BaseException:  # stop the workers rather than leave them blocked on a pipe nobody will read
        for worker in started:
            _stop(worker)
        raise
    for chunk, worker in zip(forked, started, strict=True):
        encoded = _collect(worker)
        if encoded is None or len(encoded) != len(chunk):
            results.extend(func(item) for item in chunk)  # the worker failed: do its share here
        else:
            results.extend(decode(value) for value in encoded)
    return results


class Forked(Generic[R]):
    """A call started in a forked child (:func:`fork_call`): :meth:`result` waits for its answer, or makes the call
    here when no child was started or the child failed."""

    def __init__(self, func: Callable[[], R], worker: tuple[int, int] | None) -> None:
        self._func = func
        self._worker = worker

    def result(self) -> R:
        worker, self._worker = self._worker, None
        encoded = _collect(worker)
        if encoded is None or len(encoded) != 1:
            return self._func()  # no child, or it failed: the same call, here
        return encoded[0]

    def cancel(self) -> None:
        """Stop the child (its answer will not be read)."""
        worker, self._worker = self._worker, None
        _stop(worker)


def fork_call(func: Callable[[], R]) -> Forked[R]:
    """Start ``func()`` in a forked child while the parent goes on with other work, when a second core is idle and
    forking is sound (:func:`available_workers`); its answer (pickled) is read by :meth:`Forked.result`. Without a
    child, the call is made by ``result()`` itself: the answer is the same either way, only the wall time differs.
    ``func`` must not depend on what the parent does meanwhile, and what it writes (a cache entry) must be safe to
    write from another process."""
    worker = _start_worker(lambda _item: func(), [None], lambda result: result) if available_workers() > 1 else None
    return Forked(func, worker)


def _start_worker(func: Callable[[T], R], chunk: Sequence[T], encode: Callable[[R], W]) -> tuple[int, int] | None:
    """Fork a worker for ``chunk``; return (pid, read end of its pipe), or None when it could not be started."""
    try:
        read_end, write_end = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return None
    if pid == 0:  # the worker: compute, send, and leave without running the parent's exit handlers
        status = 1
        try:
            import pickle

            os.close(read_end)
            payload = pickle.dumps([encode(func(item)) for item in chunk], protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_end, "wb") as out:
                out.write(payload)
            status = 0
        except BaseException:  # any failure (even Ctrl-C): the parent redoes this chunk
            pass
        finally:
            os._exit(status)
    os.close(write_end)
    return pid, read_end


def _collect(worker: tuple[int, int] | None) -> list[W] | None:
    """The worker's encoded results, or None if it failed; the worker is always reaped."""
    import pickle

    if worker is None:
        return None
    pid, read_end = worker
    payload = b""
    reaped = False
    try:
        with os.fdopen(read_end, "rb") as pipe:
            payload = pipe.read()
        _, status = os.waitpid(pid, 0)
        reaped = True
        if os.waitstatus_to_exitcode(status) != 0 or not payload:
            return None
        return pickle.loads(payload)
    except Exception:  # a truncated or unreadable result: the parent redoes the chunk
        return None
    finally:
        if not reaped:  # interrupted (e.g. Ctrl-C) before the worker was reaped: stop it, leave no zombie
            _stop((pid, -1))


def _stop(worker: tuple[int, int] | None) -> None:
    """Terminate and reap a worker, closing its pipe (``-1``: already closed)."""
    if worker is None:
        return
    import signal

    pid, read_end = worker
    try:
        if read_end >= 0:
            os.close(read_end)
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
    except OSError:
        pass
