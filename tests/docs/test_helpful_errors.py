"""Every CLI error says what to do next, exits 2 (usage) and never reaches the user as a traceback.

Each case is a mistake people make at the command line; the assertion names the advice the message must carry.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agentid.cli.main import main
from tests.conftest import CATALOG, FIXTURES

DETECT_EVENT = str(FIXTURES / "detect" / "grant-meeting-summarizer.json")
NEW = ["new", "invoice-matcher", "--purpose", "reconciliation", "--owner", "maria.lopez@example.com"]

CASES = {
    "unwritable --output": (
        ["inventory", "--today", "2026-12-01", "--output", "/proc/agentid/inventory.md"],
        ["cannot write /proc/agentid/inventory.md", "leave out --output"],
    ),
    "unwritable check report": (
        ["check", "--registry-only", "--today", "2026-12-01", "--output", "/proc/agentid/agentid.sarif"],
        ["cannot write", "a directory you can write to"],
    ),
    "missing events file": (
        ["detect", "--events", "okta-2026-12-01.jsonl", "--today", "2026-12-01"],
        ["does not exist", "- to read standard input"],
    ),
    "stack no agent names": (
        ["detect", "--events", DETECT_EVENT, "--stack", "staging", "--today", "2026-12-01"],
        ["pass one of: dev, prod"],
    ),
    "misspelt scope for new": (
        [*NEW, "--scope", "finance.ledger.reed", "--agents", "{tmp}"],
        ["did you mean `finance.ledger.read`?"],
    ),
    "unknown scope for new": (
        [*NEW, "--scope", "crm.everything", "--agents", "{tmp}"],
        ["listed in policies/catalog.yaml"],
    ),
    "unwritable agents dir for new": (
        [*NEW, "--agents", "/proc/agentid-agents", "--today", "2026-12-01"],
        ["pass --agents DIR with a directory you can write to"],
    ),
    "missing settings file": (
        ["check", "--registry-only", "--settings", "policies/setings.yaml", "--today", "2026-12-01"],
        ["does not exist", "pass --settings FILE"],
    ),
    "owner that is not an email for new": (
        ["new", "invoice-matcher", "--purpose", "reconciliation", "--owner", "maria.lopez", "--agents", "{tmp}"],
        ['owners[0]: "maria.lopez" does not have the expected form (set by --owner)', "nothing was written"],
    ),
    "team with spaces for new": (
        [*NEW, "--team", "Finance Systems", "--agents", "{tmp}"],
        ["(set by --team)", "It must match", "Correct the option and re-run"],
    ),
    "misspelt command": (["valdate"], ["Did you mean `agentid validate`?"]),
    "unknown stack": (["plan", "--stack", "staging"], ["Available stacks: dev, prod"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_error_says_what_to_do_next(case: str, capsys, tmp_path: Path, monkeypatch):
    args, advice = CASES[case]
    code = main([arg.replace("{tmp}", str(tmp_path)) for arg in args])
    out, err = capsys.readouterr()
    assert code == 2, f"{case}: exit {code}\n{out}{err}"
    assert "Traceback" not in err and "internal error" not in err, err
    for words in advice:
        assert words in err, f"{case}: the error should say {words!r}; it said:\n{err}"


def test_broken_catalog_points_at_the_catalog(capsys, tmp_path: Path, monkeypatch):
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(CATALOG.read_text().replace("domain: finance", "domain: [finance", 1))
    code = main(["validate", "--catalog", str(catalog)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{catalog}:" in err and "YAML syntax error" in err
    assert f"fix the catalog {catalog} as shown above" in err


def test_a_failed_write_leaves_no_partial_file(capsys, tmp_path: Path, monkeypatch):
    """The report is written atomically: a write that fails leaves neither the report nor its .partial file."""
    target = tmp_path / "report.md"
    target.mkdir()  # a directory where the report should go: the final rename fails
    code = main(["inventory", "--today", "2026-12-01", "--output", str(target)])
    assert code == 2, capsys.readouterr().err
    assert not (tmp_path / "report.md.partial").exists()
    assert target.is_dir() and not any(target.iterdir())
