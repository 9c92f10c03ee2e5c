"""The pack's validators read the checkout they run in (agents/, the catalog, Pulumi.<stack>.yaml): in these tests
that checkout is the sample registry, never the live one."""

from __future__ import annotations

import pytest

from tests.conftest import CATALOG, SAMPLE_REPO

#: the validators' per-process caches of what they read from the checkout
CACHED = ("checkout_registry", "stack_limits", "stack_pattern_limits", "stack_shards", "known_environments")


@pytest.fixture(autouse=True)
def _pack_reads_the_sample_registry(monkeypatch):
    from policies.pack import validators

    monkeypatch.setattr(validators, "REPO_ROOT", SAMPLE_REPO)
    monkeypatch.setattr("policies.DEFAULT_CATALOG_PATH", CATALOG)
    for name in CACHED:
        getattr(validators, name).cache_clear()
    yield
    for name in CACHED:  # a test may have replaced one (monkeypatch puts it back after this)
        getattr(getattr(validators, name), "cache_clear", lambda: None)()
