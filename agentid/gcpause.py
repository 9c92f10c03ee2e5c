"""Pause Python's cyclic garbage collector around bulk loads of plain data.

Reading thousands of agent files or hundreds of thousands of log events allocates millions of small dicts, lists,
tuples and strings that all stay alive until the command ends. Every automatic collection re-scans that growing
heap, so the collector's work grows with the square of the input: loading 10,000 agents took twice as long as
parsing them, and reading 30,000 events half again as long as parsing them. Plain data forms no reference cycles,
so reference counting frees all of it; the collector is switched back on (if it was on) however the block ends.

A command of the CLI runs paused from start to end (:func:`agentid.cli.main.main`): at 10,000 agents a pull request's
``check --stack`` and ``review`` each spent ~0.8 s (of ~6.5 s) in collections re-scanning the registry and the cached
plan, which stay alive until the command ends anyway, while the registry-only check spent 0.01 s. The Pulumi SDK's
mock engine already ran with the collector off (agentid/plan/engine.py: its runs leave little cyclic garbage, +3%
peak at 1,000 agents); a command's few cycles (an exception's traceback) are freed when the process exits.

Leaving the process is the other place the collector costs: the interpreter's shutdown runs full collections over
every object still alive, which the operating system frees anyway. :func:`skip_exit_collections` lets the console
script (:func:`agentid.cli.main.run`) leave without them.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Run the block with the cyclic collector off; restore its previous state afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def skip_exit_collections() -> None:
    """Spare the interpreter's shutdown its collections over what the command left alive: call only when the process
    is about to exit.

    Why. After the last line of a command, Python's shutdown clears every module and runs full collections over
    every object still alive: at 1,000 agents ``check --stack`` spent ~0.15 s of its ~1.1 s there, after all its
    output was written. ``gc.freeze`` moves every live object to a permanent generation that "all the future
    collections" ignore (https://docs.python.org/3.11/library/gc.html#gc.freeze), so the shutdown frees by
    reference count alone and leaves the rest to the operating system. ``atexit`` handlers, the flushing of the
    standard streams and the clearing of modules still run. Only the collection of reference cycles at exit is
    lost, and no output waits on one: agentid opens every file it writes in a ``with`` block (or writes it with
    ``Path.write_text``/``write_bytes``), closed before the command returns. Not for a process that goes on: a test
    calling :func:`agentid.cli.main.main` would put every later object out of the collector's reach."""
    gc.freeze()
