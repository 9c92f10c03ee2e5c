"""Display paths computed once per directory equal display_path() file by file, symlinks included."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agentid.registry.loader import display_path, display_paths_in
from tests.conftest import AGENTS_DIR, REPO, SAMPLE_REPO


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
    for cwd, directory in ((SAMPLE_REPO, agents), (tmp_path, Path("agents"))):
        monkeypatch.chdir(cwd)
        show = display_paths_in(directory, SAMPLE_REPO)
        for path in sorted(directory.iterdir()):
            assert show(path) == display_path(path, SAMPLE_REPO)
    assert display_paths_in(agents, SAMPLE_REPO)(agents / "meeting-summarizer.yaml") == "agents/meeting-summarizer.yaml"


def test_listing_and_display_paths_equal_the_path_by_path_way(tmp_path, monkeypatch):
    """The registry lists files with one os.scandir; it must pick, order and show files exactly as Path does."""
    from agentid.registry import load_registry
    from agentid.registry.loader import agent_files
    from tests.conftest import CATALOG

    agents = tmp_path / "agents"
    agents.mkdir()
    for name in ["finance-reconciler.yaml", "hr-onboarding.yml", ".yaml", "notes.YAML", "b..yaml", "README.md"]:
        (agents / name).write_text("name: finance-reconciler\n", encoding="utf-8")
    (agents / "support-triage.yaml").mkdir()  # a directory with an agent-like name is not a definition
    os.symlink(AGENTS_DIR / "meeting-summarizer.yaml", agents / "meeting-summarizer.yaml")
    os.symlink(tmp_path / "missing.yaml", agents / "dangling.yaml")
    os.symlink(agents / "loop.yaml", agents / "loop.yaml")
    expected = sorted(
        (p for p in agents.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()), key=lambda p: p.name
    )
    assert agent_files(agents) == expected
    assert [p.name for p in expected] == [
        "b..yaml",
        "finance-reconciler.yaml",
        "hr-onboarding.yml",
        "meeting-summarizer.yaml",
    ]
    for cwd, directory in ((REPO, agents), (tmp_path, Path("agents"))):
        monkeypatch.chdir(cwd)
        show = display_paths_in(directory, REPO)
        loaded = load_registry(directory, CATALOG, root=REPO)
        # Every symlink is listed (dangling and looping ones too) under its own name, and refused: see
        # tests/registry/test_hostile_input.py. Regular files are shown as display_path() shows them.
        links = {"dangling.yaml", "loop.yaml", "meeting-summarizer.yaml"}
        listed = sorted([p.name for p in agent_files(directory)] + ["dangling.yaml", "loop.yaml"])
        base = show(directory / "b..yaml").removesuffix("b..yaml")
        assert list(loaded.files) == [f"{base}{name}" if name in links else show(directory / name) for name in listed]
        assert sorted(f.file.rsplit("/", 1)[-1] for f in loaded.findings if f.rule == "load.symlink") == sorted(links)
