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


#: A change a hook must stop, per hook: (path in the repository, its new content). Realistic mistakes only.
_BROKEN_AGENT = (
    (REPO / "agents" / "finance-reconciler.yaml")
    .read_text()
    .replace("team: ", "team: finance-systems\nteam: ", 1)  # a duplicate key: YAML would keep the last silently
)
BREAKAGES = {
    "agentid-validate": ("agents/finance-reconciler.yaml", _BROKEN_AGENT),
    "agentid-check": (
        "agents/finance-reconciler.yaml",
        (REPO / "agents" / "finance-reconciler.yaml")
        .read_text()
        .replace("token_lifetime_minutes: 5", "token_lifetime_minutes: 1440", 1),
    ),
    "agentid-codeowners": (
        "agents/finance-reconciler.yaml",
        (REPO / "agents" / "finance-reconciler.yaml")
        .read_text()
        .replace("owners: [", "owners: [new.hire@example.com, ", 1),
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
    import shutil

    path, content = BREAKAGES[hook["id"]]
    for name in ("agents", "policies", ".github", "agentid"):
        shutil.copytree(REPO / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml", ".yamllint.yaml", "pyproject.toml"):
        shutil.copy(REPO / name, tmp_path / name)
    (tmp_path / ".venv").symlink_to(REPO / ".venv")
    (tmp_path / path).write_text(content)
    pattern = re.compile(hook["files"]) if "files" in hook else None
    assert pattern is None or pattern.search(path), f"hook {hook['id']} would not even run on {path}"
    command = shlex.split(hook["entry"]) + ([path] if hook.get("pass_filenames", True) else [])
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0, f"{hook['id']} passed a bad change to {path}:\n{result.stdout}\n{result.stderr}"
