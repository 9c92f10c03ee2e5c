"""``agentid check`` and ``agentid rules`` as users and CI run them: exit codes, every output format, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from junitparser import Failure, JUnitXml, Skipped

from agentid.cli.main import main
from tests.conftest import AGENTS_DIR, FIXTURES, REPO

FAILING = str(FIXTURES / "policies" / "failing")
SARIF_SCHEMA = FIXTURES / "policies" / "sarif" / "sarif-schema-2.1.0.json"
PINNED = ("--today", "2026-12-01")


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def failing_report(capsys, output_format: str) -> tuple[int, str]:
    code, out, _ = run(capsys, "check", "--agents", FAILING, "--registry-only", *PINNED, "--format", output_format)
    return code, out


def test_sample_registry_passes_with_the_dev_plan(capsys, monkeypatch):
    code, out, err = run(capsys, "check", "--stack", "dev", *PINNED, "--format", "json")
    assert code == 0, out + err
    report = json.loads(out)
    assert report["findings"] == []
    summary = report["summary"]
    assert summary["agents"] == 6 and summary["stacks"] == ["dev"]
    assert summary["resources"] > 0, "the resource rules ran on a real offline plan"
    assert summary["rules"] == len(__import__("policies.rules", fromlist=["all_rules"]).all_rules())


def test_failing_registry_json_report(capsys):
    code, out = failing_report(capsys, "json")
    assert code == 1
    report = json.loads(out)
    found = {(f["rule"], f["file"].rsplit("/", 1)[-1], f["line"], f["waived"]) for f in report["findings"]}
    assert found == {
        ("single-owner", "meeting-notes-digest.yaml", 4, False),
        ("private-key-material", "meeting-notes-digest.yaml", 13, False),
        ("purpose-data-domain", "meeting-notes-digest.yaml", 23, False),
        ("scope-wildcard", "meeting-notes-digest.yaml", 25, False),
        ("owner-not-agent-identity", "vendor-invoice-matcher.yaml", 4, False),
        ("restricted-scope-token-lifetime", "vendor-invoice-matcher.yaml", 17, False),
        ("okta-management-scope", "vendor-invoice-matcher.yaml", 18, True),
        ("okta-management-separate-identity", "vendor-invoice-matcher.yaml", 18, False),
        ("okta-management-token-lifetime", "vendor-invoice-matcher.yaml", 18, False),  # prod allows 30 min
        ("waiver-self-approved", "vendor-invoice-matcher.yaml", 31, False),
    }
    first = report["findings"][0]
    assert set(first) >= {
        "rule",
        "severity",
        "agent",
        "file",
        "line",
        "message",
        "remediation",
        "nhi",
        "waived",
        "waiver",
    }
    assert report["summary"] | {"rules": 0} == {
        "errors": 8,
        "warnings": 1,
        "waived": 1,
        "files": 2,
        "agents": 2,
        "rules": 0,
        "stacks": [],
        "resources": None,
    }
    assert "FAKE-private-scalar" not in out


def test_sarif_validates_against_the_official_schema(capsys):
    code, out = failing_report(capsys, "sarif")
    assert code == 1
    log = json.loads(out)
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(log)
    run_ = log["runs"][0]
    rules = {r["id"]: r for r in run_["tool"]["driver"]["rules"]}
    assert rules["scope-wildcard"]["help"]["text"].startswith("A scope such as")
    assert "NHI5" in rules["scope-wildcard"]["properties"]["tags"]
    by_rule = {r["ruleId"]: r for r in run_["results"]}
    wildcard = by_rule["scope-wildcard"]
    assert (
        wildcard["level"] == "error"
        and run_["tool"]["driver"]["rules"][wildcard["ruleIndex"]]["id"] == "scope-wildcard"
    )
    location = wildcard["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith("failing/meeting-notes-digest.yaml")
    assert location["region"] == {"startLine": 25, "startColumn": 13}
    assert by_rule["single-owner"]["level"] == "warning"
    suppression = by_rule["okta-management-scope"]["suppressions"][0]
    assert suppression["kind"] == "inSource" and "SEC-142" in suppression["justification"]
    assert "suppressions" not in by_rule["waiver-self-approved"]


def test_junit_has_a_case_per_rule_and_agent(capsys):
    code, out = failing_report(capsys, "junit")
    assert code == 1
    suite = next(iter(JUnitXml.fromstring(out.encode())))
    cases = {case.name: case for case in suite}
    assert len(cases) >= 2 * 25, "every registry rule judged both agents"
    failed = sorted(name for name, case in cases.items() if any(isinstance(r, Failure) for r in case.result))
    assert failed == [
        "okta-management-separate-identity [vendor-invoice-matcher]",
        "okta-management-token-lifetime [vendor-invoice-matcher]",
        "owner-not-agent-identity [vendor-invoice-matcher]",
        "private-key-material [meeting-notes-digest]",
        "purpose-data-domain [meeting-notes-digest]",
        "restricted-scope-token-lifetime [vendor-invoice-matcher]",
        "scope-wildcard [meeting-notes-digest]",
        "waiver-self-approved [vendor-invoice-matcher]",
    ]
    assert isinstance(cases["okta-management-scope [vendor-invoice-matcher]"].result[0], Skipped)
    assert cases["single-owner [meeting-notes-digest]"].is_passed
    assert cases["review-overdue [vendor-invoice-matcher]"].is_passed
    # the suite's statistics (computed once, not per case) count every case
    assert (suite.tests, suite.failures, suite.skipped, suite.errors) == (len(cases), 8, 1, 0)


def test_text_has_no_colour_off_a_terminal_and_ends_with_a_summary(capsys):
    code, out = failing_report(capsys, "text")
    assert code == 1 and "\x1b[" not in out
    assert "meeting-notes-digest.yaml:25:13: error: scope `crm.*` contains a wildcard [scope-wildcard]" in out
    from policies.engine import rules_for

    registry_rules = len(rules_for(with_resources=False))
    assert out.rstrip().endswith(f"2 agents, {registry_rules} rules: failed (8 errors, 1 warnings, 1 waived)")


def test_output_file_is_written_and_stdout_stays_empty(capsys, tmp_path):
    target = tmp_path / "reports" / "agentid.sarif"
    code, out, _ = run(
        capsys, "check", "--agents", FAILING, "--registry-only", *PINNED, "--format", "sarif", "--output", str(target)
    )
    assert code == 1 and out == ""
    assert json.loads(target.read_text())["version"] == "2.1.0"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--stack", "staging"), "no stack `staging`"),
        (("--format", "xml"), "'xml' is not one of"),
        (("--today", "2026-13-01"), "--today"),
    ],
)
def test_usage_errors_exit_2(capsys, monkeypatch, args, message):
    code, _, err = run(capsys, "check", "--registry-only", *args)
    assert code == 2 and message in err


def test_broken_settings_is_a_usage_error_naming_the_line(capsys, tmp_path):
    bad = tmp_path / "settings.yaml"
    bad.write_text("allowed_owner_domains: [example.com]\nmax_scopes: 0\n")
    code, _, err = run(capsys, "check", "--registry-only", *PINNED, "--settings", str(bad))
    assert code == 2 and f"{bad}:2" in err


def test_registry_only_never_imports_pulumi(repo):
    script = (
        "import sys; from agentid.cli.main import main; "
        "code = main(['check', '--registry-only', '--today', '2026-12-01', '--format', 'json']); "
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pulumi_okta', 'grpc')); "
        "print(loaded, file=sys.stderr); sys.exit(code)"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=repo, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "[]"


def test_rules_json_lists_every_rule_with_metadata(capsys):
    from policies.rules import all_rules

    code, out, _ = run(capsys, "rules", "--format", "json")
    listed = json.loads(out)
    assert code == 0 and [r["id"] for r in listed] == [r.meta.id for r in all_rules()]
    wildcard = next(r for r in listed if r["id"] == "scope-wildcard")
    assert wildcard["checkov_id"] == "CKV_AGENT_5" and wildcard["nhi"] == ["NHI5"] and wildcard["remediation"]
    # where each rule runs, from the front-ends' own rule choices (as docs/rules.md says)
    runs = {r["id"]: r["runs_in"] for r in listed}
    assert runs["environment-has-stack"] == ["check", "checkov", "pack"]
    assert runs["scope-wildcard"] == ["check", "checkov"]
    assert "checkov" not in runs["app-private-key-jwt"] and "pack" in runs["app-private-key-jwt"]


def test_rules_text_is_a_table(capsys):
    code, out, _ = run(capsys, "rules")
    assert code == 0 and "private-key-material" in out and "error (no waiver)" in out


def test_docs_rules_md_is_generated_from_the_metadata(capsys):
    """Fails when a rule changes without `python -m policies.rules._docs` being re-run."""
    code, out, _ = run(capsys, "rules", "--format", "md")
    assert code == 0
    assert (REPO / "docs" / "rules.md").read_text(encoding="utf-8") == out, (
        "docs/rules.md is stale: run `.venv/bin/python -m policies.rules._docs`"
    )
    for tag in [f"NHI{n}" for n in range(1, 11)]:
        row = next(line for line in out.splitlines() if line.startswith(f"| {tag} "))
        assert row.count("](#") or ("none: " in row and len(row) > 60), row


def test_text_is_coloured_on_a_terminal():
    from agentid.findings import Finding, Severity
    from agentid.output import text

    finding = Finding("scope-wildcard", Severity.ERROR, "scope `crm.*` contains a wildcard", "agents/x.yaml", 25)
    assert "\x1b[31m" in text.render([finding], "1 agents", colour=True)
    assert "\x1b[" not in text.render([finding], "1 agents", colour=False)


def _on_a_terminal(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run `agentid check` with its standard output on a pseudo-terminal, as a person would."""
    import os
    import pty

    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "agentid.cli.main", "check", "--agents", FAILING, "--registry-only", *PINNED, *args],
            stdout=follower,
            stderr=subprocess.PIPE,
            cwd=root,
            env={k: v for k, v in os.environ.items() if k != "NO_COLOR"} | (env or {}),
            timeout=60,
            check=False,
        )
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal is closed once everything was read
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
    assert done.returncode == 1, done.stderr
    return b"".join(chunks).decode()


def test_check_colours_its_text_on_a_terminal_only(repo):
    assert "\x1b[31m" in _on_a_terminal(repo)
    assert "\x1b[" not in _on_a_terminal(repo, env={"NO_COLOR": "1"})


LEAKED = "FAKE-private-scalar"


@pytest.mark.parametrize("output_format", ["text", "json", "sarif", "junit"])
def test_no_output_format_echoes_a_private_key_value(capsys, output_format):
    assert LEAKED in (REPO / FAILING / "meeting-notes-digest.yaml").read_text(), "the fixture plants a private value"
    code, out = failing_report(capsys, output_format)
    assert code == 1 and "private-key-material" in out and LEAKED not in out


@pytest.mark.parametrize("output_format", ["text", "json", "sarif", "junit"])
def test_private_key_is_reported_even_when_the_file_does_not_load(capsys, tmp_path, output_format):
    source = (REPO / FAILING / "meeting-notes-digest.yaml").read_text()
    (tmp_path / "meeting-notes-digest.yaml").write_text(source + "colour: teal\n")
    code, out, _ = run(
        capsys, "check", "--agents", str(tmp_path), "--registry-only", *PINNED, "--format", output_format
    )
    assert code == 1 and "private-key-material" in out and "load.schema" in out and LEAKED not in out


def test_an_error_covered_by_a_valid_waiver_exits_0_and_is_tallied_as_waived(capsys, tmp_path):
    import shutil

    agents = tmp_path / "agents"
    shutil.copytree(AGENTS_DIR, agents)
    auditor = agents / "okta-user-auditor.yaml"
    text = auditor.read_text()
    assert "okta_api_scopes: [okta.users.read]" in text and "\nwaivers:\n" in text
    auditor.write_text(
        text.replace(
            "okta_api_scopes: [okta.users.read]", "okta_api_scopes: [okta.users.read, okta.groups.manage]"
        ).replace(
            "\nwaivers:\n",
            "\nwaivers:\n  - rule: okta-management-scope\n"
            "    reason: Moves dormant users into the quarantine group during the Q1 access review (SEC-142).\n"
            "    approved_by: security-lead@example.com\n    expires: 2027-01-15\n",
        )
    )
    args = ("check", "--agents", str(agents), "--registry-only", "--format", "json")
    code, out, _ = run(capsys, *args, *PINNED)
    summary = json.loads(out)["summary"]
    # two waived: this one, and the sample's own waiver of okta-management-token-lifetime (prod allows 30 minutes)
    assert code == 0 and (summary["errors"], summary["waived"]) == (0, 2)
    code, out, _ = run(capsys, *args, "--today", "2027-01-16")  # the day after the waiver expires
    rules = {f["rule"] for f in json.loads(out)["findings"] if not f["waived"]}
    assert code == 1 and {"okta-management-scope", "waiver-expired"} <= rules
