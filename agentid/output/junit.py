"""Findings as JUnit XML, for CI systems that chart test results (GitLab, Jenkins, Azure DevOps).

One test case per rule and agent: a CI dashboard then shows "rule X passed for 40 agents, failed for 2" rather
than only the failures. Unwaived errors are failures; waived findings are skipped with the waiver's reason;
warnings pass with the warning in system-out (JUnit has no warning state).

Every string from a definition or a finding goes through :func:`agentid.output.inert.xml_text`: a control character
in a waiver reason would otherwise make the report invalid XML 1.0, and the CI would drop the whole report.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from junitparser import Failure, JUnitXml, Skipped, TestCase, TestSuite

from agentid.findings import Finding, Severity
from agentid.output.inert import xml_text
from agentid.output.ruleinfo import RuleInfo

_NO_AGENT = "(stack)"


def render(
    findings: Iterable[Finding],
    rules: Sequence[RuleInfo],
    agents: Sequence[str],
    *,
    per_agent_rules: Iterable[str] = (),
    suite_name: str = "agentid check",
) -> str:
    """``per_agent_rules`` are the rules that judged every agent (registry rules): each gets a case per agent,
    passing when it found nothing. Other findings (loader, plan) get a case per rule and agent they name."""
    by_case: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in findings:
        by_case[(finding.rule, finding.agent or _NO_AGENT)].append(finding)
    titles = {info.id: info.title for info in rules}
    keys = {(rule_id, agent) for rule_id in per_agent_rules for agent in agents} | set(by_case)
    suite = TestSuite(xml_text(suite_name))
    for rule_id, agent in sorted(keys):
        case = TestCase(xml_text(f"{rule_id} [{agent}]"), classname=xml_text(f"agentid.{rule_id}"), time=0.0)
        found = by_case.get((rule_id, agent), [])
        blocking = [f for f in found if f.severity is Severity.ERROR and not f.waived]
        waived = [f for f in found if f.waived]
        if blocking:
            failure = Failure(xml_text(blocking[0].message), type_=xml_text(rule_id))
            failure.text = xml_text(
                "\n".join(
                    f"{f.location}: {f.message}\nfix: {f.remediation}"
                    if f.remediation
                    else f"{f.location}: {f.message}"
                    for f in blocking
                )
            )
            case.result = [failure]
        elif waived:
            reason = (waived[0].waiver or {}).get("reason", "waived")
            case.result = [Skipped(xml_text(f"waived: {reason}"))]
        notes = [f"{f.location}: warning: {f.message}" for f in found if f.severity is Severity.WARNING]
        if titles.get(rule_id):
            notes.insert(0, titles[rule_id])
        if notes:
            case.system_out = xml_text("\n".join(notes))
        # TestSuite.add_testcase recounts the whole suite per case (quadratic: minutes at 1,000 agents); the
        # statistics are computed once below instead.
        suite.append(case)
    suite.update_statistics()
    xml = JUnitXml()
    xml.add_testsuite(suite)
    xml.update_statistics()
    return xml.tostring().decode("utf-8")  # etree.tostring with an encoding always returns bytes
