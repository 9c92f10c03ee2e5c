"""The collector pause restores the collector's state however the block ends."""

from __future__ import annotations

import gc

import pytest

from agentid.gcpause import cyclic_gc_paused


def test_paused_inside_and_restored_after_an_exception():
    assert gc.isenabled()
    with pytest.raises(ValueError), cyclic_gc_paused():
        assert not gc.isenabled()
        raise ValueError("a broken agent file")
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled():
    gc.disable()
    try:
        with cyclic_gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
