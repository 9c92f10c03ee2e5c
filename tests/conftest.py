"""Shared test fixtures: where the tool and its sample registry are, and a pinned 'today' so no test depends on the
real date.

Two kinds of tests (issue 16). **Tool tests** (everything but tests/registry_live/) run on the sample registry under
tests/fixtures/sample-repo/, never on the live agents/, Pulumi.*.yaml or policies/catalog.yaml: those belong to the
company that adopts the repository and change with it. This module is the only place tests learn the fixture's paths.
**Registry tests** (tests/registry_live/) read the live registry and hold for whatever it contains.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

# Hypothesis is deterministic unless asked otherwise: the same examples on every run and machine, no example database
# (a failure seen once must be reproducible from the code alone). HYPOTHESIS_PROFILE=explore searches randomly.
settings.register_profile("deterministic", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))

#: the tool's repository: code, schema, rules, docs, scripts (and the live registry, which only registry tests read)
REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"

#: the sample registry the tool's tests run on (see its README.md): a plain copy, edited on purpose, never synced
SAMPLE_REPO = FIXTURES / "sample-repo"
AGENTS_DIR = SAMPLE_REPO / "agents"
CATALOG = SAMPLE_REPO / "policies" / "catalog.yaml"
OWNERS_MAP = SAMPLE_REPO / "policies" / "owners.yaml"
SETTINGS = SAMPLE_REPO / "policies" / "settings.yaml"
CODEOWNERS = SAMPLE_REPO / ".github" / "CODEOWNERS"
#: the root holding Pulumi.yaml and Pulumi.<stack>.yaml: the `root` the plan and the stack-reading code take
STACKS = SAMPLE_REPO

#: the registry tests: the only tests that read the live registry
LIVE_TESTS = REPO / "tests" / "registry_live"

#: the files a company owns (relative to a repository root, glob patterns); everything else is the tool
COMPANY_DATA = (
    "agents/*.yaml",
    "Pulumi.yaml",
    "Pulumi.*.yaml",
    "policies/catalog.yaml",
    "policies/owners.yaml",
    "policies/settings.yaml",
    ".github/CODEOWNERS",
    ".github/deploy-stacks.txt",
)
#: what a repository built for a command-line test holds from the tool, besides the sample registry
TOOL_FILES = ("agents/README.md", "policies", "infra", ".github", ".gitignore", "Makefile")

#: The date every date-dependent test is judged on.
TODAY = dt.date(2026, 12, 1)


def is_company_data(relative: Path) -> bool:
    return any(relative.match(pattern) and len(relative.parts) == len(Path(pattern).parts) for pattern in COMPANY_DATA)


def fixture_repo(target: Path, *extra: str) -> Path:
    """Build, in ``target``, a repository to run the CLI in: the tool's files (:data:`TOOL_FILES` and ``extra``,
    copied from :data:`REPO` without any company data), the sample registry on top, and ``.venv`` linked to the
    tool's. The live registry never reaches it."""
    target.mkdir(parents=True, exist_ok=True)
    for name in (*TOOL_FILES, *extra):
        source = REPO / name
        if source.is_dir():

            def ignore(directory: str, names: list[str]) -> set[str]:
                here = Path(directory).relative_to(REPO)
                return {n for n in names if n in ("__pycache__", "node_modules") or is_company_data(here / n)}

            shutil.copytree(source, target / name, ignore=ignore, dirs_exist_ok=True)
        elif not is_company_data(Path(name)):
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    for source in sorted(SAMPLE_REPO.rglob("*")):
        relative = source.relative_to(SAMPLE_REPO)
        if source.is_file() and is_company_data(relative):
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / relative)
    if not (target / ".venv").exists():
        (target / ".venv").symlink_to(REPO / ".venv")
    return target


@pytest.fixture(scope="session")
def repo(sample_repo_copy) -> Path:
    """A repository to run the CLI in: the sample registry and the tool (a session-wide copy: do not write to it)."""
    return sample_repo_copy


@pytest.fixture(scope="session")
def today() -> dt.date:
    return TODAY


@pytest.fixture(scope="session")
def sample_registry():
    """The sample registry (tests/fixtures/sample-repo), loaded once (it is immutable)."""
    from agentid.registry import load_registry

    result = load_registry(AGENTS_DIR, CATALOG, root=SAMPLE_REPO)
    assert not result.findings, [f.location + " " + f.message for f in result.findings]
    return result.registry


@pytest.fixture(scope="session")
def sample_repo_copy(tmp_path_factory) -> Path:
    """One shared repository built by :func:`fixture_repo`, for command-line tests that only read it."""
    return fixture_repo(tmp_path_factory.mktemp("sample-repo"))


@pytest.fixture(autouse=True)
def _away_from_the_live_registry(request, monkeypatch):
    """Every tool test starts in a repository built from the sample registry, so a command run without paths (it
    finds its root from the current directory: agents/, the catalog, settings, owners, Pulumi.<stack>.yaml) never
    reads the live registry, and nothing a test writes lands in the tree; the rules' default organisation settings
    are the sample's too. Tests that need another directory chdir. The registry tests (tests/registry_live/) are left
    where they are: the live registry is what they judge."""
    if LIVE_TESTS in request.node.path.parents:
        return
    monkeypatch.chdir(request.getfixturevalue("sample_repo_copy"))
    monkeypatch.setattr("policies.engine.SETTINGS_PATH", SETTINGS)
    # The plan cache (.agentid-cache/, agentid/plan/incremental.py) is keyed on the program's code: a test that
    # patches the program must not fill or read a cache other tests share. Tests of the cache turn it back on.
    monkeypatch.setenv("AGENTID_CACHE", "off")
