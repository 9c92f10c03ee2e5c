"""Output injection (issue 15, finding 8): user text printed by text, JSON, JUnit and SARIF reports and by the CLI's
error lines cannot issue GitHub workflow commands, send terminal escape sequences, break XML or be read as rich
markup. Hostile values: tests/fixtures/hostile-output/ (values.json, and an agent file that loads)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from agentid.cli.main import main
from agentid.findings import Finding, Severity
from agentid.output import jsonout, junit, sarif, text
from agentid.output.inert import log_text, xml_text
from tests.conftest import FIXTURES

HOSTILE_DIR = FIXTURES / "hostile-output"
VALUES = {k: v for k, v in json.loads((HOSTILE_DIR / "values.json").read_text()).items() if k[0] != "_"}
SARIF_SCHEMA = FIXTURES / "policies" / "sarif" / "sarif-schema-2.1.0.json"
PINNED = ("--today", "2026-12-01")

#: A line the Actions runner would execute: ``::cmd`` after leading whitespace (actions/runner
#: src/Runner.Common/ActionCommand.cs, TryParseV2 trims then tests StartsWith("::")), or ``##[`` anywhere (TryParse).
WORKFLOW_COMMAND = re.compile(r"^\s*::|##\[")
#: C0 controls except LF, DEL, C1 controls (0x9B is a one-byte CSI), line separators, bidi overrides.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


class _Rule:
    def __init__(self, rule_id: str):
        self.id, self.title, self.severity = rule_id, "A rule", Severity.ERROR
        self.nhi, self.rationale, self.remediation = ("NHI5",), "Why.", "Fix it."


def _findings() -> list[Finding]:
    found = []
    for index, value in enumerate(VALUES.values()):
        waiver = {"rule": "token-lifetime", "reason": value, "approved_by": value, "expires": "2027-01-15"}
        finding = Finding(
            "token-lifetime",
            Severity.ERROR,
            value,
            file=f"agents/a{index}.yaml",
            line=3,
            agent=value,
            remediation=value,
        )
        waived = Finding("token-lifetime", Severity.ERROR, value, agent=f"waived-{index}").as_waived(waiver)
        found += [finding, waived, Finding("token-lifetime", Severity.WARNING, value, agent=value)]
    return found


def assert_log_safe(output: str, *, colour: bool = False) -> None:
    for line in output.splitlines():
        assert not WORKFLOW_COMMAND.search(line), f"workflow command in the log: {line!r}"
    if colour:  # our own colours only: SGR sequences ESC [ ... m
        output = re.sub(r"\x1b\[[0-9;]*m", "", output)
    assert not RAW_CONTROL.search(output), f"raw control character: {RAW_CONTROL.search(output)!r}"


@pytest.mark.parametrize("colour", [False, True])
def test_text_output_is_one_line_per_value_with_no_command_or_escape(colour: bool):
    findings = _findings()
    output = text.render(findings, "summary", colour=colour)
    assert_log_safe(output, colour=colour)
    # One line per finding, one per fix, one per waiver, and the summary: no value added a line.
    expected = sum(1 + bool(f.remediation) + bool(f.waived and f.waiver) for f in findings) + 1
    assert len(output.splitlines()) == expected


def test_the_cli_error_line_is_inert():
    finding = Finding("load.schema", Severity.ERROR, VALUES["workflow_commands"], file=VALUES["terminal_escapes"])
    line = text.problem_line(finding)
    assert "\n" not in line
    assert_log_safe(line)


@pytest.mark.parametrize("name", sorted(VALUES))
def test_log_text_keeps_the_value_readable(name: str):
    shown = log_text(VALUES[name])
    assert "\n" not in shown and not WORKFLOW_COMMAND.search(shown) and not RAW_CONTROL.search(shown)
    printable = re.sub(r"\s+", " ", "".join(c if c.isprintable() else " " for c in VALUES[name]))
    for word in re.findall(r"[A-Za-z]{4,}", printable):
        assert word in shown, f"{word!r} lost from {shown!r}"


def test_json_stays_valid_and_exact():
    findings = _findings()
    document = json.loads(jsonout.render(findings, {"errors": 1}))
    assert [f["message"] for f in document["findings"]] == [f.message for f in findings], "JSON keeps values exact"


def test_junit_is_well_formed_xml_1_0():
    findings = _findings()
    report = junit.render(findings, [_Rule("token-lifetime")], [f.agent for f in findings if f.agent])
    root = ET.fromstring(report.encode("utf-8"))  # expat: refuses any character XML 1.0 forbids
    skipped = [s.get("message") for s in root.iter("skipped")]
    assert skipped and all(s.startswith("waived: ") for s in skipped)
    assert xml_text("nul\x00") == "nul\\x00"


def test_sarif_is_valid_against_the_official_schema():
    findings = _findings()
    log = json.loads(sarif.render(findings, [_Rule("token-lifetime")]))
    jsonschema.validate(log, json.loads(SARIF_SCHEMA.read_text()))
    assert {r["message"]["text"].split(" Fix: ")[0] for r in log["runs"][0]["results"]} == set(VALUES.values())


# ------------------------------------------------------------------------------ `agentid check` on a hostile agent


def _check(capsys, output_format: str) -> str:
    code = main(
        ["check", "--agents", str(HOSTILE_DIR / "agents"), "--registry-only", *PINNED, "--format", output_format]
    )
    out, err = capsys.readouterr()
    assert code == 1, out + err
    return out + err


def test_check_text_on_a_hostile_waiver_prints_no_workflow_command(capsys):
    """Two layers: the loader refuses the control characters (load.control-character, issue 15 finding 6), and what
    it prints about them is itself log-safe. The output layer's own defusing, for text that reaches it by another
    road, is tested on findings above."""
    output = _check(capsys, "text")
    assert_log_safe(output)
    assert "[load.control-character]" in output, output


def test_check_junit_json_and_sarif_on_a_hostile_agent_stay_valid(capsys):
    ET.fromstring(_check(capsys, "junit").encode("utf-8"))
    report = json.loads(_check(capsys, "json"))
    assert any(f["rule"] == "load.control-character" for f in report["findings"]), report["findings"]
    jsonschema.validate(json.loads(_check(capsys, "sarif")), json.loads(SARIF_SCHEMA.read_text()))


def test_a_rich_table_shows_markup_as_text():
    """`agentid plan` and `agentid expiring` print tables with rich: values are Text, never markup."""
    from agentid.cli.plan import _inputs_cell

    cell = _inputs_cell({"description": VALUES["rich_markup"] + VALUES["terminal_escapes"]})
    assert "[link=https://evil.example]click me[/link]" in cell.plain and not cell.spans
    assert not RAW_CONTROL.search(cell.plain.replace("\n", ""))
