"""A throw-away copy of tests/fixtures/cli/repo, optionally under git, for CLI tests that change files."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "cli"
REPO_FIXTURE = FIXTURE / "repo"
INVALID_FIXTURE = FIXTURE / "invalid"

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "Priya Raman",
    "GIT_AUTHOR_EMAIL": "priya.raman@example.com",
    "GIT_COMMITTER_NAME": "Priya Raman",
    "GIT_COMMITTER_EMAIL": "priya.raman@example.com",
    "GIT_AUTHOR_DATE": "2026-11-02T09:00:00+00:00",
    "GIT_COMMITTER_DATE": "2026-11-02T09:00:00+00:00",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def copy_repo(target: Path, *, git: bool = False) -> Path:
    """Copy the fixture repository to ``target`` (without its README); with ``git``, commit it once."""
    shutil.copytree(REPO_FIXTURE, target, ignore=shutil.ignore_patterns("README.md"))
    if git:
        commit(target, "Registry")
    return target


def commit(root: Path, message: str) -> None:
    env = {**os.environ, **_GIT_ENV}
    if not (root / ".git").exists():
        subprocess.run(["git", "-C", str(root), "init", "--quiet", "--initial-branch=main"], env=env, check=True)
    subprocess.run(["git", "-C", str(root), "add", "-A"], env=env, check=True)
    subprocess.run(["git", "-C", str(root), "commit", "--quiet", "-m", message], env=env, check=True)
