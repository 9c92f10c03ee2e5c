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
