"""`agentid codeowners`: the committed file is current, stale files and unmapped owners fail."""

from __future__ import annotations

import shutil

from agentid.cli.main import main
from agentid.registry import load_registry
from agentid.review.codeowners import load_owners_map, render_codeowners, unmapped_owners
from tests.conftest import AGENTS_DIR, CATALOG, CODEOWNERS, OWNERS_MAP, SAMPLE_REPO


def test_committed_codeowners_is_current(sample_registry):
    """The CI gate: regenerate from the committed data and compare with the committed file."""
    owners = load_owners_map(OWNERS_MAP)
    assert not unmapped_owners(sample_registry, owners)
    expected = render_codeowners(sample_registry, owners)
    committed = CODEOWNERS.read_text(encoding="utf-8")
    assert committed == expected, "run `agentid codeowners` and commit .github/CODEOWNERS"


def test_every_agent_file_is_owned_by_its_owners_and_policies_by_security(sample_registry):
    owners = load_owners_map(OWNERS_MAP)
    text = render_codeowners(sample_registry, owners)
    assert "/policies/ @example-org/identity-security" in text.splitlines()
    assert "/agents/finance-reconciler.yaml @maria-lopez @jokafor" in text.splitlines()
    assert sum(1 for line in text.splitlines() if line.startswith("/agents/")) == len(sample_registry)


def _repo_copy(tmp_path, monkeypatch):
    root = tmp_path / "repo"
    shutil.copytree(AGENTS_DIR, root / "agents")
    (root / "policies").mkdir()
    shutil.copy(CATALOG, root / "policies" / "catalog.yaml")
    shutil.copy(OWNERS_MAP, root / "policies" / "owners.yaml")
    (root / "Pulumi.yaml").write_text("name: agentid\n")
    monkeypatch.chdir(root)
    return root


def test_write_then_check_then_stale(tmp_path, monkeypatch, capsys):
    root = _repo_copy(tmp_path, monkeypatch)
    assert main(["codeowners", "--check"]) == 1
    assert "is stale" in capsys.readouterr().err
    assert main(["codeowners"]) == 0
    assert (root / ".github" / "CODEOWNERS").read_text() == CODEOWNERS.read_text()
    assert main(["codeowners", "--check"]) == 0
    # A new owner on an agent makes the committed file stale.
    path = root / "agents" / "support-triage.yaml"
    path.write_text(path.read_text().replace("omar.haddad@example.com", "maria.lopez@example.com"))
    capsys.readouterr()
    assert main(["codeowners", "--check"]) == 1
    err = capsys.readouterr().err
    assert "+/agents/support-triage.yaml @lena-fischer @maria-lopez" in err


def test_unmapped_owner_is_a_clear_error(tmp_path, monkeypatch, capsys):
    root = _repo_copy(tmp_path, monkeypatch)
    path = root / "agents" / "meeting-summarizer.yaml"
    path.write_text(path.read_text().replace("tom.becker@example.com", "chen.wei@example.com"))
    assert main(["codeowners"]) == 1
    err = capsys.readouterr().err
    assert "agents/meeting-summarizer.yaml:4: error: owner chen.wei@example.com has no GitHub handle" in err
    assert 'Add `chen.wei@example.com: "@their-github-handle"`' in err
    assert not (root / ".github" / "CODEOWNERS").exists()


def test_bad_handle_in_the_map_is_reported_with_its_line(tmp_path, monkeypatch, capsys):
    root = _repo_copy(tmp_path, monkeypatch)
    path = root / "policies" / "owners.yaml"
    path.write_text(path.read_text().replace('"@tbecker"', "tbecker"))
    assert main(["codeowners"]) == 1
    err = capsys.readouterr().err
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "tom.becker" in text)
    assert f"policies/owners.yaml:{line}" in err and "`tbecker` (for tom.becker@example.com)" in err


def test_invalid_definition_blocks_generation(tmp_path, monkeypatch, capsys):
    root = _repo_copy(tmp_path, monkeypatch)
    (root / "agents" / "support-triage.yaml").write_text("name: [support-triage\n")
    assert main(["codeowners"]) == 1
    assert "fix the definitions above first" in capsys.readouterr().err


def test_sample_registry_loads_for_codeowners():
    result = load_registry(AGENTS_DIR, CATALOG, root=SAMPLE_REPO)
    assert len(result.registry) == 6
