"""Shared test fixtures: paths into the repository and a pinned 'today' so no test depends on the real date."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from hypothesis import settings

# Hypothesis is deterministic unless asked otherwise: the same examples on every run and machine, no example database
# (a failure seen once must be reproducible from the code alone). HYPOTHESIS_PROFILE=explore searches randomly.
settings.register_profile("deterministic", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))

REPO = Path(__file__).resolve().parents[1]
AGENTS_DIR = REPO / "agents"
CATALOG = REPO / "policies" / "catalog.yaml"
FIXTURES = REPO / "tests" / "fixtures"

#: The date every date-dependent test is judged on.
TODAY = dt.date(2026, 12, 1)


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def today() -> dt.date:
    return TODAY


@pytest.fixture(scope="session")
def sample_registry():
    """The committed sample registry, loaded once (it is immutable)."""
    from agentid.registry import load_registry

    result = load_registry(AGENTS_DIR, CATALOG, root=REPO)
    assert not result.findings, [f.location + " " + f.message for f in result.findings]
    return result.registry
