"""A real, throw-away git repository holding a copy of the sample registry, for review tests.

Commits use fixed author and committer dates so commit ids and "last changed" dates never depend on the clock.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.conftest import AGENTS_DIR, CATALOG, STACKS

FIXED_DATES = ("2026-11-02T09:00:00+00:00", "2026-11-09T09:00:00+00:00", "2026-11-16T09:00:00+00:00")


class GitWorkspace:
    """A repository root (with Pulumi.yaml, agents/ and policies/catalog.yaml) under git."""

    def __init__(self, root: Path):
        self.root = root
        self.commits = 0
        root.mkdir(parents=True, exist_ok=True)
        (root / "Pulumi.yaml").write_text("name: agentid\nruntime: python\n")
        # The sample registry's stack files: a registry repository always has them, and the review judges each
        # revision with its own (environment-has-stack, token and pattern limits), as `agentid check` does.
        for stack_file in sorted(STACKS.glob("Pulumi.*.yaml")):
            shutil.copy(stack_file, root / stack_file.name)
        shutil.copytree(AGENTS_DIR, root / "agents", ignore=shutil.ignore_patterns("README.md"))
        (root / "policies").mkdir()
        shutil.copy(CATALOG, root / "policies" / "catalog.yaml")
        self.git("init", "--quiet", "--initial-branch=main")
        self.commit("Initial registry")

    def git(self, *args: str, date: str | None = None) -> str:
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": "Priya Raman",
            "GIT_AUTHOR_EMAIL": "priya.raman@example.com",
            "GIT_COMMITTER_NAME": "Priya Raman",
            "GIT_COMMITTER_EMAIL": "priya.raman@example.com",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
        }
        if date:
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
        return subprocess.run(
            ["git", "-C", str(self.root), *args], env=env, check=True, capture_output=True, text=True
        ).stdout.strip()

    def commit(self, message: str, date: str | None = None) -> str:
        date = date or FIXED_DATES[min(self.commits, len(FIXED_DATES) - 1)]
        self.git("add", "-A")
        self.git("commit", "--quiet", "--allow-empty", "-m", message, date=date)
        self.commits += 1
        return self.git("rev-parse", "HEAD")

    def agent(self, name: str) -> Path:
        return self.root / "agents" / f"{name}.yaml"

    def edit(self, name: str, old: str, new: str, count: int = 1) -> None:
        path = self.agent(name)
        text = path.read_text()
        assert old in text, f"{old!r} not in {path}"
        path.write_text(text.replace(old, new, count))
