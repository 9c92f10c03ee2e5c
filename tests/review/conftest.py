from __future__ import annotations

import pytest

from tests.review.gitrepo import GitWorkspace


@pytest.fixture
def workspace(tmp_path, monkeypatch) -> GitWorkspace:
    """A git repository with the sample registry committed once; the current directory is its root."""
    ws = GitWorkspace(tmp_path / "repo")
    monkeypatch.chdir(ws.root)
    return ws
