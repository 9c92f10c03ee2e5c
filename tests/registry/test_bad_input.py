"""Every kind of bad input has a fixture file, and the loader reports it with the right rule, line and message."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentid.registry import load_registry
from tests.conftest import AGENTS_DIR, CATALOG, FIXTURES, REPO, SAMPLE_REPO

INVALID = FIXTURES / "agents" / "invalid"

# fixture file -> (rule, line, column or None, fragment of the message)
CASES: dict[str, tuple[str, int, int | None, str]] = {
    "duplicate-key": ("load.duplicate-key", 6, 1, "duplicate key `owners` (first defined on line 4)"),
    "alias-bomb": ("load.alias", 3, 4, "anchors and aliases"),
    "not-utf8": ("load.encoding", 3, 78, "not valid UTF-8 (byte 0xe9)"),
    "not-a-mapping": ("load.not-a-mapping", 2, 1, "must be a mapping"),
    "unknown-key": ("load.schema", 14, 3, "unknown key `scopez` in `access`; did you mean `scopes`?"),
    "impossible-date": ("load.schema", 10, 14, 'lifecycle.review_by: "2027-02-30" is not a valid date'),
    "missing-owners": ("load.schema", 2, 1, "missing required key `owners`"),
    "ephemeral-without-expiry": ("load.schema", 9, 3, "missing required key `expires` in `lifecycle`"),
    "two-credentials": ("load.schema", 12, 3, "exactly one of `jwks_uri`"),
    "plain-http-jwks": ("load.schema", 12, 13, "must be an https:// URL"),
    "private-key": ("private-key-material", 13, 7, "credentials.keys[0] contains private key material (`d`)"),
    "name-mismatch": ("load.name-mismatch", 2, 7, "does not match the file name `name-mismatch.yaml`"),
    "unknown-purpose": ("load.unknown-purpose", 6, 10, "did you mean `summarization`?"),
    "unknown-scope": ("load.unknown-scope", 15, 13, "did you mean `transcripts.read`?"),
    "duplicate-scope": ("load.duplicate-scope", 17, 13, "scope `transcripts.read` is listed twice"),
    "boolean-environment": ("load.schema", 7, 21, "put the value in quotes"),
    "syntax-error": ("load.syntax", 6, 8, "YAML syntax error"),
    "lifetime-out-of-range": ("load.schema", 19, 27, "greater than the maximum of 1440"),
    "python-tag": ("load.tag", 5, 7, "is not allowed in agent files"),
}


@pytest.fixture(scope="module")
def invalid_result():
    return load_registry(INVALID, CATALOG, root=REPO)


def test_every_fixture_has_a_case():
    assert sorted(p.stem for p in INVALID.glob("*.yaml")) == sorted(CASES)


@pytest.mark.parametrize("fixture", sorted(CASES))
def test_bad_input_is_reported_with_rule_line_and_message(invalid_result, fixture):
    rule, line, column, fragment = CASES[fixture]
    file = f"tests/fixtures/agents/invalid/{fixture}.yaml"
    mine = [f for f in invalid_result.findings if f.file == file]
    assert mine, f"{file}: no finding at all"
    matching = [f for f in mine if f.rule == rule and fragment in f.message]
    assert matching, f"{file}: expected {rule} containing {fragment!r}, got {[(f.rule, f.message) for f in mine]}"
    assert matching[0].line == line, f"{file}: {rule} reported on line {matching[0].line}, expected {line}"
    if column is not None:
        assert matching[0].column == column, f"{file}: column {matching[0].column}, expected {column}"
    assert all(f.severity == "error" for f in mine)


def test_one_run_reports_every_file(invalid_result):
    """A broken file never hides the problems of the others."""
    files_with_findings = {f.file for f in invalid_result.findings}
    assert len(files_with_findings) == len(CASES)


def test_private_key_value_is_never_echoed(invalid_result):
    secret = "SECRETd0NotCommitThisPrivateScalarValue"
    for finding in invalid_result.findings:
        assert secret not in repr(finding.to_dict())
    agent = invalid_result.registry.get("private-key")
    assert agent is not None and agent.credentials.keys[0].private_members == ("d",)
    assert secret not in repr(agent)


def test_billion_laughs_fails_fast_in_bounded_memory(tmp_path: Path):
    import tracemalloc

    levels = "".join(f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 10) + "]\n" for i in range(1, 12))
    (tmp_path / "laughs.yaml").write_text("l0: &l0 lol\n" + levels)
    tracemalloc.start()
    result = load_registry(tmp_path, CATALOG)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert [(f.rule, f.line, f.column) for f in result.findings] == [("load.alias", 1, 5)], result.findings
    assert "anchors and aliases (`&name`, `*name`) are not allowed" in result.findings[0].message
    assert peak < 5_000_000, f"peak {peak} bytes while rejecting an alias bomb"


def test_oversize_file_is_refused(tmp_path: Path):
    body = (AGENTS_DIR / "meeting-summarizer.yaml").read_text()
    (tmp_path / "meeting-summarizer.yaml").write_text(body + "#" + "x" * 200_000 + "\n")
    result = load_registry(tmp_path, CATALOG)
    assert [(f.rule, f.line) for f in result.findings] == [("load.file-too-large", 1)]
    assert "agent files are limited to 131,072 bytes" in result.findings[0].message, result.findings[0].message


def test_names_are_unique_case_insensitively(tmp_path: Path):
    import dataclasses

    from agentid.registry import load_catalog
    from agentid.registry.loader import cross_file_checks

    result = load_registry(AGENTS_DIR, CATALOG, root=SAMPLE_REPO)
    agent = result.registry.get("support-triage")
    twin = dataclasses.replace(agent, name="Support-Triage")
    findings = cross_file_checks([agent, twin], load_catalog(CATALOG))
    assert [f.rule for f in findings] == ["load.duplicate-name"]
    assert "already used by agents/support-triage.yaml" in findings[0].message


def test_yml_suffix_is_reported_not_ignored(tmp_path: Path):
    (tmp_path / "meeting-summarizer.yml").write_text((AGENTS_DIR / "meeting-summarizer.yaml").read_text())
    result = load_registry(tmp_path, CATALOG)
    assert [f.rule for f in result.findings] == ["load.file-suffix"]


def test_deep_nesting_is_refused_without_crashing(tmp_path: Path):
    (tmp_path / "deep.yaml").write_text("a: " + "[" * 50_000 + "]" * 50_000 + "\n")
    result = load_registry(tmp_path, CATALOG)
    assert [(f.rule, f.line) for f in result.findings] == [("load.too-deep", 1)]
    assert "nested more than 32 levels deep" in result.findings[0].message, result.findings[0].message


def test_multiple_documents_are_refused(tmp_path: Path):
    body = (AGENTS_DIR / "meeting-summarizer.yaml").read_text()
    (tmp_path / "meeting-summarizer.yaml").write_text(body + "---\n" + body)
    result = load_registry(tmp_path, CATALOG)
    assert [(f.rule, f.line) for f in result.findings] == [("load.multiple-documents", 31)]


def test_name_mismatch_suggests_only_fixes_that_work(tmp_path: Path):
    """Rename within the file's own directory; `name: <file stem>` only when the stem is a valid name."""
    body = (AGENTS_DIR / "meeting-summarizer.yaml").read_text()
    (tmp_path / "summarizer.yaml").write_text(body)
    (tmp_path / "Meeting_Summarizer.yaml").write_text(body)
    result = load_registry(tmp_path, CATALOG, root=tmp_path)
    fixes = {f.file: f.remediation for f in result.findings if f.rule == "load.name-mismatch"}
    assert fixes == {
        "summarizer.yaml": "Rename the file to meeting-summarizer.yaml or set `name: summarizer`.",
        "Meeting_Summarizer.yaml": "Rename the file to meeting-summarizer.yaml.",
    }, fixes


def test_owners_differing_only_in_case_are_one_person(tmp_path: Path):
    body = (AGENTS_DIR / "meeting-summarizer.yaml").read_text()
    assert "owners: [priya.raman@example.com, tom.becker@example.com]" in body, "fixture edit applies"
    (tmp_path / "meeting-summarizer.yaml").write_text(
        body.replace("tom.becker@example.com]", "Priya.Raman@example.com]", 1)
    )
    result = load_registry(tmp_path, CATALOG, root=tmp_path)
    assert [(f.rule, f.line, f.column) for f in result.findings] == [("load.duplicate-owner", 4, 35)], result.findings
    assert "owner `Priya.Raman@example.com` is listed twice (as `priya.raman@example.com`" in result.findings[0].message
