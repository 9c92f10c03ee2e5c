"""The review loads the base revision reusing the head's parsed agents where a file's bytes are the same: the base
registry must be exactly the one parsing every file gives."""

from __future__ import annotations

from agentid.registry import load_registry
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
    reuse = _reusable(head, root / "agents", repo.agents_dir)
    assert "agents/support-triage.yaml" in reuse and "agents/meeting-summarizer.yaml" not in reuse
    catalog = root / "policies" / "catalog.yaml"
    reused = load_registry_at(repo, base, fallback_catalog=catalog, reuse=reuse)
    parsed = load_registry_at(repo, base, fallback_catalog=catalog)
    assert _shape(reused) == _shape(parsed)
    edited = next(a for a in reused.registry if a.name == "support-triage")
    assert edited.access.token_lifetime_minutes == 30, "the edited file is parsed at the base, not reused"
