"""Pause Python's cyclic garbage collector around bulk loads of plain data.

Reading thousands of agent files or hundreds of thousands of log events allocates millions of small dicts, lists,
tuples and strings that all stay alive until the command ends. Every automatic collection re-scans that growing
heap, so the collector's work grows with the square of the input: loading 10,000 agents took twice as long as
parsing them, and reading 30,000 events half again as long as parsing them. Plain data forms no reference cycles,
so reference counting frees all of it; the collector is switched back on (if it was on) however the block ends.
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
