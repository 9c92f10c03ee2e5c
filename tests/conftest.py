"""Shared test fixtures: paths into the repository and a pinned 'today' so no test depends on the real date."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

# Property tests draw the same examples on every run and every machine (no flaky CI, no "passed locally"): a failure
# is reproduced by re-running. `HYPOTHESIS_PROFILE=explore` draws fresh examples when hunting for new bugs.
hypothesis_settings.register_profile("deterministic", derandomize=True, database=None, print_blob=True)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))

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
