"""The pre-commit hooks are local-only and pass on the repository as committed (so CI and laptops agree).

The hooks that judge the registry run on a repository built from the sample registry (tests/fixtures/sample-repo);
the Python hooks run on the tool's own files.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import AGENTS_DIR, REPO, fixture_repo

CONFIG = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
HOOKS = [hook for repo in CONFIG["repos"] for hook in repo["hooks"]]


#: what a repository built for the hooks needs from the tool besides fixture_repo's
HOOK_FILES = ("agentid", ".yamllint.yaml", "pyproject.toml")


def tracked_files(root: Path = REPO) -> list[str]:
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in listing.stdout.splitlines() if (root / line).is_file()]


def judges_the_registry(hook: dict) -> bool:
    return hook.get("types") != ["python"]


@pytest.fixture(scope="module")
def sample_checkout(tmp_path_factory) -> Path:
    """The sample registry and the tool, under git so the hooks' file lists come from `git ls-files` as in use."""
    root = fixture_repo(tmp_path_factory.mktemp("hooks"), *HOOK_FILES)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return root


def test_only_local_hooks():
    """Only `repo: local` hooks work offline; a remote hook would need a download at first use."""
    assert [repo["repo"] for repo in CONFIG["repos"]] == ["local"]
    assert all(hook["language"] == "system" for hook in HOOKS)


def test_hooks_cover_agents_ruff_and_yamllint():
    ids = {hook["id"] for hook in HOOKS}
    assert {"agentid-validate", "agentid-check", "ruff", "yamllint-agents"} <= ids


@pytest.mark.parametrize("hook", HOOKS, ids=lambda hook: hook["id"])
def test_hook_passes_on_the_repository(hook, sample_checkout):
    root = sample_checkout if judges_the_registry(hook) else REPO
    files = tracked_files(root)
    if "files" in hook:
        pattern = re.compile(hook["files"])
        files = [f for f in files if pattern.search(f)]
    if hook.get("types") == ["python"]:
        files = [f for f in files if f.endswith(".py")]
    assert files, f"hook {hook['id']} matches no file: its `files` pattern is wrong"
    command = shlex.split(hook["entry"]) + (files if hook.get("pass_filenames", True) else [])
    result = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{hook['id']} failed:\n{result.stdout}\n{result.stderr}"


#: A change a hook must stop, per hook: (path in the repository, its new content). Realistic mistakes only.
_BROKEN_AGENT = (
    (AGENTS_DIR / "finance-reconciler.yaml")
    .read_text()
    .replace("team: ", "team: finance-systems\nteam: ", 1)  # a duplicate key: YAML would keep the last silently
)
BREAKAGES = {
    "agentid-validate": ("agents/finance-reconciler.yaml", _BROKEN_AGENT),
    "agentid-check": (
        "agents/finance-reconciler.yaml",
        (AGENTS_DIR / "finance-reconciler.yaml")
        .read_text()
        .replace("token_lifetime_minutes: 5", "token_lifetime_minutes: 1440", 1),
    ),
    "agentid-codeowners": (
        "agents/finance-reconciler.yaml",
        (AGENTS_DIR / "finance-reconciler.yaml").read_text().replace("owners: [", "owners: [new.hire@example.com, ", 1),
    ),
    "yamllint-agents": ("agents/finance-reconciler.yaml", _BROKEN_AGENT),
    "ruff": ("agentid/reconcile_helper.py", "import os\n"),
    "ruff-format": ("agentid/reconcile_helper.py", "x = {'a':1}\n"),
}


def test_every_hook_has_a_breakage_case():
    assert sorted(BREAKAGES) == sorted(hook["id"] for hook in HOOKS)


@pytest.mark.parametrize("hook", HOOKS, ids=lambda hook: hook["id"])
def test_hook_stops_a_bad_change(hook, tmp_path):
    """The same hook, in a copy of the repository holding one bad change, fails: a hook that always passes is caught."""
    path, content = BREAKAGES[hook["id"]]
    fixture_repo(tmp_path, *HOOK_FILES)
    (tmp_path / path).write_text(content)
    pattern = re.compile(hook["files"]) if "files" in hook else None
    assert pattern is None or pattern.search(path), f"hook {hook['id']} would not even run on {path}"
    command = shlex.split(hook["entry"]) + ([path] if hook.get("pass_filenames", True) else [])
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0, f"{hook['id']} passed a bad change to {path}:\n{result.stdout}\n{result.stderr}"
