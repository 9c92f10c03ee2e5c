"""The review loads the base revision reusing the head's parsed agents where a file's bytes are the same: the base
registry must be exactly the one parsing every file gives."""

from __future__ import annotations

from agentid.registry import load_registry
from agentid.registry.loader import content_ids
from agentid.review.build import _reusable
from agentid.review.gitrev import load_registry_at, open_repo


def _shape(result):
    return (
        [(repr(a), a.source.file, dict(a.source.positions)) for a in result.registry],
        sorted((f.rule, f.file or "", f.line or 0, f.message) for f in result.findings),
    )


def test_base_loaded_with_the_heads_agents_equals_base_parsed(workspace):
    base = workspace.commit("Base")
    workspace.edit("support-triage", "token_lifetime_minutes: 30", "token_lifetime_minutes: 20")
    workspace.agent("meeting-summarizer").unlink()
    root = workspace.root
    repo = open_repo(root, root / "agents", root / "policies" / "catalog.yaml")
    head = load_registry(root / "agents", root / "policies" / "catalog.yaml", root=root)
    reuse = _reusable(head, repo.agents_dir)
    assert "agents/support-triage.yaml" in reuse and "agents/meeting-summarizer.yaml" not in reuse
    catalog = root / "policies" / "catalog.yaml"
    reused = load_registry_at(repo, base, fallback_catalog=catalog, reuse=reuse)
    parsed = load_registry_at(repo, base, fallback_catalog=catalog)
    assert _shape(reused) == _shape(parsed)
    edited = next(a for a in reused.registry if a.name == "support-triage")
    assert edited.access.token_lifetime_minutes == 30, "the edited file is parsed at the base, not reused"


def test_a_reused_file_is_neither_read_from_git_nor_parsed(workspace, monkeypatch):
    """Only the blobs whose id differs from the head's bytes are read: the unchanged files are matched by blob id."""
    base = workspace.commit("Base")
    workspace.edit("support-triage", "token_lifetime_minutes: 30", "token_lifetime_minutes: 20")
    root = workspace.root
    catalog = root / "policies" / "catalog.yaml"
    repo = open_repo(root, root / "agents", catalog)
    head = load_registry(root / "agents", catalog, root=root)
    read: list[str] = []
    original = type(repo).read_blobs

    def counting(self, blobs):
        read.extend(blobs)
        return original(self, blobs)

    monkeypatch.setattr(type(repo), "read_blobs", counting)
    load_registry_at(repo, base, fallback_catalog=catalog, reuse=_reusable(head, repo.agents_dir))
    assert read == [workspace.git("rev-parse", f"{base}:agents/support-triage.yaml")]


def test_content_ids_are_the_ids_git_gives(workspace, tmp_path):
    content = (workspace.agent("finance-reconciler")).read_bytes()
    for sample in (content, b"", "name: r\u00e9sum\u00e9-screener\n".encode()):
        path = tmp_path / "blob"
        path.write_bytes(sample)
        assert content_ids(sample)[1] == workspace.git("hash-object", str(path)).strip()


def test_content_ids_in_a_sha256_repository(tmp_path):
    import subprocess

    repo = tmp_path / "sha256"
    made = subprocess.run(["git", "init", "--quiet", "--object-format=sha256", str(repo)], capture_output=True)
    if made.returncode != 0:
        import pytest

        pytest.skip("this git cannot create SHA-256 repositories")
    sample = b"name: invoice-matcher\n"
    (repo / "blob").write_bytes(sample)
    expected = subprocess.run(
        ["git", "-C", str(repo), "hash-object", "blob"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert len(expected) == 64 and content_ids(sample)[0] == expected
