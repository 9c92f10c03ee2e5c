"""Display paths computed once per directory equal display_path() file by file, symlinks included."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agentid.registry.loader import display_path, display_paths_in
from tests.conftest import AGENTS_DIR, REPO


@pytest.mark.parametrize("root", [REPO, None, AGENTS_DIR, Path("/nonexistent-root")])
def test_same_as_display_path_for_the_repository_agents(root):
    show = display_paths_in(AGENTS_DIR, root)
    for path in sorted(AGENTS_DIR.iterdir()):
        assert show(path) == display_path(path, root)


def test_same_outside_the_repository_and_for_a_symlink(tmp_path, monkeypatch):
    agents = tmp_path / "agents"
    agents.mkdir()
    (agents / "finance-reconciler.yaml").write_text("name: finance-reconciler\n", encoding="utf-8")
    os.symlink(AGENTS_DIR / "meeting-summarizer.yaml", agents / "meeting-summarizer.yaml")
    for cwd, directory in ((REPO, agents), (tmp_path, Path("agents"))):
        monkeypatch.chdir(cwd)
        show = display_paths_in(directory, REPO)
        for path in sorted(directory.iterdir()):
            assert show(path) == display_path(path, REPO)
    assert display_paths_in(agents, REPO)(agents / "meeting-summarizer.yaml") == "agents/meeting-summarizer.yaml"
