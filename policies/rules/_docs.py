"""docs/rules.md, generated from rule metadata so the docs cannot drift from the rules.

Regenerate with ``python -m policies.rules._docs`` (or ``agentid rules --format md > docs/rules.md``); a test fails
when the committed file is stale.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from policies.rules import all_rules
from policies.rules.base import RuleKind, RuleMeta

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "rules.md"

#: OWASP Non-Human Identities Top 10 (2025).
NHI_TOP10: Mapping[str, str] = {
    "NHI1": "Improper Offboarding",
    "NHI2": "Secret Leakage",
    "NHI3": "Vulnerable Third-Party NHI",
    "NHI4": "Insecure Authentication",
    "NHI5": "Overprivileged NHI",
    "NHI6": "Insecure Cloud Deployment Configurations",
    "NHI7": "Long-Lived Secrets",
    "NHI8": "Environment Isolation",
    "NHI9": "NHI Reuse",
    "NHI10": "Human Use of NHI",
}

#: Why no rule covers a risk, shown in the coverage table only while no rule is tagged with it.
NOT_COVERED: Mapping[str, str] = {
    "NHI3": "Third-party identities (vendor integrations, SaaS OAuth grants) are not defined in this registry. "
    "Plugins, the nearest thing, get their own identity and can never hold more than their agent "
    "(`plugin-scope-subset`).",
    "NHI6": "agentid deploys Okta configuration only: CI/CD credentials and cloud workload identities are the "
    "deployment platform's concern (the workflows use OIDC, not stored keys).",
}

#: The front-ends that run rules, each with its short name (the summary's *runs in* column) and its long one.
_FRONT_ENDS: Mapping[str, tuple[str, str]] = {
    "check": ("check", "`agentid check`"),
    "checkov": ("checkov", "`scripts/checkov` (each agent file)"),
    "pack": ("pack", "the Pulumi policy pack (`pulumi preview --policy-pack policies/pack`)"),
}

_KIND_TEXT = {
    RuleKind.REGISTRY: "registry (each agent file)",
    RuleKind.REGISTRY_WIDE: "registry-wide (all agent files)",
    RuleKind.RESOURCE: "resource (each planned Okta resource)",
    RuleKind.STACK: "stack (the whole plan)",
}


def rule_dict(meta: RuleMeta, where: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The JSON shape of ``agentid rules --format json``; ``where``: the front-ends that run it (:func:`runs_in`)."""
    return {
        "id": meta.id,
        "number": meta.number,
        "checkov_id": meta.checkov_id,
        "title": meta.title,
        "severity": meta.severity.value,
        "nhi": list(meta.nhi),
        "other_standards": list(meta.other_standards),
        "kind": meta.kind.value,
        "waivable": meta.waivable,
        "rationale": meta.rationale,
        "remediation": meta.remediation,
        "runs_in": list(where if where is not None else runs_in()[meta.id]),
    }


def runs_in() -> dict[str, tuple[str, ...]]:
    """Rule id -> the front-ends that run it, read from each front-end's own choice of rules (so the docs follow a
    rule that starts running somewhere): ``agentid check`` runs :func:`policies.engine.rules_for` with a plan, the
    checkov adapter (``policies/checkov/agent_rule_checks.py``) the same without one, the policy pack
    :func:`policies.engine.pack_rules` (``policies/pack/validators.py`` builds one policy per rule of it)."""
    from policies.engine import pack_rules, rules_for

    chosen = {
        "check": rules_for(with_resources=True),
        "checkov": rules_for(with_resources=False),
        "pack": pack_rules(),
    }
    ids = {front_end: {r.meta.id for r in rules} for front_end, rules in chosen.items()}
    return {r.meta.id: tuple(f for f in _FRONT_ENDS if r.meta.id in ids[f]) for r in all_rules()}


def _nhi_label(tag: str) -> str:
    return f"{tag} {NHI_TOP10[tag]}" if tag in NHI_TOP10 else tag


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown() -> str:
    from policies.engine import STACK_FILE_RULES

    metas = [r.meta for r in all_rules()]
    where = runs_in()
    stack_file_rules = ", ".join(f"[`{i}`](#{i})" for i in sorted(STACK_FILE_RULES))
    lines = [
        "# Policy rules",
        "",
        "<!-- Generated from the rule metadata by `python -m policies.rules._docs`; do not edit by hand. -->",
        "",
        "`agentid check` runs every rule below. Registry rules judge the agent files (intent); resource and stack "
        "rules judge the offline plan and, through the Pulumi policy pack, the real `pulumi preview`. *runs in* says "
        "where each rule runs: `check` (`agentid check`), `checkov` (`scripts/checkov`, the registry rules on each "
        "agent file), `pack` (the policy pack: the resource and stack rules, and the registry rules whose verdict "
        f"turns on the `Pulumi.<stack>.yaml` files, {stack_file_rules}, on the checkout's agents). A waiver in an "
        "agent file names a rule id, a reason, an approver (a person in an allowed domain who is not an owner), and "
        "an expiry at most `waiver_max_days` ahead; rules marked *no waiver* cannot be waived. In `scripts/checkov`, "
        "a `# checkov:skip=CKV_AGENT_<n>:reason` comment skips a check, except a *no waiver* rule's and any check of "
        "a file holding private key material. Limits come from `policies/settings.yaml`.",
        "",
        "Loader findings (`load.*`, reported by `agentid validate` too) are part of every check. `load.unknown-scope` "
        "is not repeated where `scope-wildcard` reports the same value, and private key material is reported once, "
        "under `private-key-material`. In checkov they are one check of their own, `CKV_AGENT_0` (it cannot be "
        "skipped), and a file that does not load at all fails every check.",
        "",
        "## Summary",
        "",
        "| id | checkov | severity | OWASP NHI | kind | runs in | title |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for meta in metas:
        severity = meta.severity.value + ("" if meta.waivable else ", no waiver")
        lines.append(
            f"| [`{meta.id}`](#{meta.id}) | {meta.checkov_id} | {severity} | {', '.join(meta.nhi)} | "
            f"{meta.kind.value} | {', '.join(_FRONT_ENDS[f][0] for f in where[meta.id])} | {_cell(meta.title)} |"
        )
    lines += ["", "## OWASP NHI Top 10 coverage", "", "| risk | rules |", "| --- | --- |"]
    for tag, name in NHI_TOP10.items():
        covering = [m.id for m in metas if tag in m.nhi]
        cell = ", ".join(f"[`{i}`](#{i})" for i in covering) if covering else f"none: {NOT_COVERED.get(tag, '')}"
        lines.append(f"| {tag} {name} | {_cell(cell)} |")
    lines += ["", "## Rules", ""]
    for meta in metas:
        lines += [
            f"### {meta.id}",
            "",
            f"**{meta.title}**",
            "",
            f"- severity: {meta.severity.value}{'' if meta.waivable else ' (cannot be waived)'}",
            f"- OWASP NHI: {', '.join(_nhi_label(t) for t in meta.nhi)}",
        ]
        if meta.other_standards:
            lines.append(f"- also: {', '.join(meta.other_standards)}")
        lines += [
            f"- checks: {_KIND_TEXT[meta.kind]}; checkov id `{meta.checkov_id}`",
            f"- runs in: {', '.join(_FRONT_ENDS[f][1] for f in where[meta.id])}",
            "",
            f"Why: {meta.rationale}",
            "",
            f"Fix: {meta.remediation}",
            "",
        ]
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write docs/rules.md; with ``--check``, exit 1 if it is stale instead."""
    args = sys.argv[1:] if argv is None else argv
    text = render_markdown()
    if "--check" in args:
        current = DOC_PATH.read_text(encoding="utf-8") if DOC_PATH.is_file() else ""
        if current != text:
            print(f"{DOC_PATH} is stale: run `python -m policies.rules._docs`", file=sys.stderr)
            return 1
        return 0
    DOC_PATH.parent.mkdir(parents=True, exist_ok=True)
    DOC_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {DOC_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
