"""The pre-commit hooks are local-only and pass on the repository as committed (so CI and laptops agree)."""

from __future__ import annotations

import re
import shlex
import subprocess

import pytest
import yaml

from tests.conftest import REPO

CONFIG = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
HOOKS = [hook for repo in CONFIG["repos"] for hook in repo["hooks"]]


def tracked_files() -> list[str]:
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in listing.stdout.splitlines() if (REPO / line).is_file()]


def test_only_local_hooks():
    """Only `repo: local` hooks work offline; a remote hook would need a download at first use."""
    assert [repo["repo"] for repo in CONFIG["repos"]] == ["local"]
    assert all(hook["language"] == "system" for hook in HOOKS)


def test_hooks_cover_agents_ruff_and_yamllint():
    ids = {hook["id"] for hook in HOOKS}
    assert {"agentid-validate", "agentid-check", "ruff", "yamllint-agents"} <= ids


@pytest.mark.parametrize("hook", HOOKS, ids=lambda hook: hook["id"])
def test_hook_passes_on_the_repository(hook):
    files = tracked_files()
    if "files" in hook:
        pattern = re.compile(hook["files"])
        files = [f for f in files if pattern.search(f)]
    if hook.get("types") == ["python"]:
        files = [f for f in files if f.endswith(".py")]
    assert files, f"hook {hook['id']} matches no file: its `files` pattern is wrong"
    command = shlex.split(hook["entry"]) + (files if hook.get("pass_filenames", True) else [])
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{hook['id']} failed:\n{result.stdout}\n{result.stderr}"
