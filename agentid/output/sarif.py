"""Findings as SARIF 2.1.0, for GitHub code scanning and any SARIF viewer.

Every rule that ran is described in ``tool.driver.rules`` (title, rationale, remediation as help, OWASP tags), so a
viewer explains a result without our docs. Waived findings stay in the log as results with an ``inSource``
suppression: code scanning shows them as dismissed, with the waiver's reason, instead of hiding them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from agentid.findings import Finding, Severity
from agentid.output.ruleinfo import RuleInfo

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/example/agentid/blob/main/docs/rules.md"

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning"}
#: GitHub code scanning ranks security results by this property (0.1-10): errors high, warnings medium.
_SECURITY_SEVERITY = {Severity.ERROR: "8.0", Severity.WARNING: "5.0"}


def _pascal_name(rule_id: str) -> str:
    """SARIF's ``name`` for a rule: ``load.unknown-scope`` -> ``LoadUnknownScope``."""
    return "".join(part.capitalize() for part in rule_id.replace(".", "-").split("-"))


def _rule_descriptor(info: RuleInfo) -> dict[str, Any]:
    help_text = f"{info.rationale}\n\nFix: {info.remediation}"
    tags = ["security", *info.nhi]
    return {
        "id": info.id,
        "name": _pascal_name(info.id),
        "shortDescription": {"text": info.title},
        "fullDescription": {"text": info.rationale or info.title},
        "help": {
            "text": help_text,
            "markdown": f"**{info.title}**\n\n{info.rationale}\n\n**Fix:** {info.remediation}\n\n"
            f"OWASP NHI Top 10: {', '.join(info.nhi) or 'n/a'}",
        },
        "helpUri": f"{INFORMATION_URI}#{info.id.replace('.', '')}",
        "defaultConfiguration": {"level": _LEVEL[info.severity]},
        "properties": {"tags": tags, "precision": "high", "security-severity": _SECURITY_SEVERITY[info.severity]},
    }


def _loader_descriptor(finding: Finding) -> dict[str, Any]:
    """Loader checks (``load.*``) have no rule metadata: describe them from the finding itself."""
    return {
        "id": finding.rule,
        "name": _pascal_name(finding.rule),
        "shortDescription": {"text": f"Agent definition is well-formed ({finding.rule})"},
        "help": {"text": finding.remediation or "See `agentid validate`."},
        "defaultConfiguration": {"level": _LEVEL[finding.severity]},
        "properties": {"tags": ["security", *finding.nhi]},
    }


def _result(finding: Finding, index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": index,
        "level": _LEVEL[finding.severity],
        "message": {"text": finding.message + (f" Fix: {finding.remediation}" if finding.remediation else "")},
        "properties": {"agent": finding.agent, "nhi": list(finding.nhi)},
    }
    if finding.file:
        region: dict[str, int] = {"startLine": finding.line or 1}
        if finding.column:
            region["startColumn"] = finding.column
        result["locations"] = [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": finding.file, "uriBaseId": "%SRCROOT%"},
                    "region": region,
                }
            }
        ]
    if finding.waived:
        waiver = finding.waiver or {}
        result["suppressions"] = [
            {
                "kind": "inSource",
                "status": "accepted",
                "justification": str(waiver.get("reason", "waived")),
                "properties": {"approved_by": waiver.get("approved_by"), "expires": waiver.get("expires")},
            }
        ]
    return result


def to_sarif(
    findings: Iterable[Finding], rules: Sequence[RuleInfo], *, version: str = "0", stack: str | None = None
) -> dict[str, Any]:
    """The SARIF log as a dict (validated against the official schema in the tests)."""
    findings = list(findings)
    descriptors = [_rule_descriptor(info) for info in rules]
    index = {descriptor["id"]: i for i, descriptor in enumerate(descriptors)}
    for finding in findings:
        if finding.rule not in index:
            index[finding.rule] = len(descriptors)
            descriptors.append(_loader_descriptor(finding))
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "agentid",
                "version": version,
                "informationUri": INFORMATION_URI,
                "rules": descriptors,
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": [_result(finding, index[finding.rule]) for finding in findings],
    }
    if stack:
        run["properties"] = {"stack": stack}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render(findings: Iterable[Finding], rules: Sequence[RuleInfo], **kwargs: Any) -> str:
    return json.dumps(to_sarif(findings, rules, **kwargs), indent=2)
