"""Every schema error carries a fix, names the limit it breaks, and a misspelt or misindented key is one error.

Each case runs through both validator paths (jsonschema_rs's errors read by agentid/registry/rs_errors.py, and the
reference jsonschema), which must agree. Documents are edited copies of tests/fixtures/cli/repo/agents.
"""

from __future__ import annotations

import pytest

from agentid.registry import schema as schema_mod
from agentid.registry.yamlsafe import load_bytes
from policies import AGENT_SCHEMA_PATH
from tests.cli.repo import REPO_FIXTURE

AGENT = schema_mod.validator_for(str(AGENT_SCHEMA_PATH))
RECONCILER = (REPO_FIXTURE / "agents" / "finance-reconciler.yaml").read_text()
AUDITOR = (REPO_FIXTURE / "agents" / "okta-user-auditor.yaml").read_text()


def reference_path(doc) -> list[schema_mod.SchemaProblem]:
    slow = schema_mod.CompiledSchema.__new__(schema_mod.CompiledSchema)
    slow.schema, slow.fast, slow.fast_wording = AGENT.schema, None, False
    return schema_mod.validate(doc, slow)


def problems_of(text: str, old: str, new: str) -> list[schema_mod.SchemaProblem]:
    assert old in text, old
    doc = load_bytes(text.replace(old, new, 1).encode())
    problems = schema_mod.validate(doc, AGENT)
    assert problems == reference_path(doc), "the two validator paths disagree"
    assert [p.remediation for p in problems] == [p.remediation for p in reference_path(doc)]
    return problems


#: case -> (file text, old, new, the one expected message (part), its line, a part of its fix)
CASES = {
    "empty owners": (
        RECONCILER,
        "owners: [maria.lopez@example.com, james.okafor@example.com]",
        "owners: []",
        "owners: is empty; at least 1 entry is required",
        4,
        "List at least 1 entry. Accountable humans",
    ),
    "wrong type": (
        RECONCILER,
        "  token_lifetime_minutes: 5",
        '  token_lifetime_minutes: "5"',
        "access.token_lifetime_minutes: '5' is not of type 'integer'",
        25,
        "Write it as a whole number, without quotes.",
    ),
    "list where a number goes": (
        RECONCILER,
        "  max_tokens_per_hour: 30",
        "  max_tokens_per_hour: [30]",
        "profile.max_tokens_per_hour: [30] is not of type 'integer'",
        30,
        "Write it as a whole number",
    ),
    "too short, the minimum named": (
        RECONCILER,
        "description: Matches bank statement lines to ledger entries each night and flags exceptions for the "
        "controller.",
        "description: Reconcile",
        'description: "Reconcile" is too short (9 characters; at least 10 required)',
        3,
        "Write at least 10 characters.",
    ),
    "too short, at the limit": (
        RECONCILER,
        "      reason: Records matches and exceptions; it cannot post journal entries.",
        "      reason: Matches.",
        'access.scopes[1].reason: "Matches." is too short (8 characters; at least 10 required)',
        24,
        "Write at least 10 characters. Why the agent needs this scope.",
    ),
    "out of range": (
        RECONCILER,
        "  token_lifetime_minutes: 5",
        "  token_lifetime_minutes: 2",
        "access.token_lifetime_minutes: 2 is less than the minimum of 5",
        25,
        "Use a value from 5 to 1440.",
    ),
    "unknown enum value": (
        RECONCILER,
        "  kind: persistent",
        "  kind: permanent",
        'lifecycle.kind: "permanent" is not one of persistent, ephemeral',
        9,
        "Use one of: persistent, ephemeral.",
    ),
    "misspelt required key: one error": (
        RECONCILER,
        "environments: [dev, prod]",
        "enviroments: [dev, prod]",
        "unknown key `enviroments`; did you mean `environments`?",
        7,
        "Rename it to `environments`.",
    ),
    "misspelt nested required key: one error": (
        RECONCILER,
        "  review_by: 2027-02-15",
        "  reveiw_by: 2027-02-15",
        "unknown key `reveiw_by` in `lifecycle`; did you mean `review_by`?",
        10,
        "Rename it to `review_by`.",
    ),
    "misspelt key of a plugin: one error": (
        AUDITOR,
        "    description: Reads Okta users",
        "    descripton: Reads Okta users",
        "unknown key `descripton` in `plugins[0]`; did you mean `description`?",
        29,
        "Rename it to `description`.",
    ),
    "dedented required key": (
        RECONCILER,
        "  review_by: 2027-02-15\n",
        "review_by: 2027-02-15\n",
        "unknown key `review_by`: it belongs under `lifecycle`; indented wrongly?",
        10,
        "Indent `review_by` under `lifecycle:`",
    ),
    "dedented optional key": (
        RECONCILER,
        "  network_zones: [finance-batch]\n",
        "network_zones: [finance-batch]\n",
        "unknown key `network_zones`: it belongs under `access`; indented wrongly?",
        27,
        "Indent `network_zones` under `access:`",
    ),
    "key indented into the block above": (
        RECONCILER,
        "waivers: []",
        "  waivers: []",
        "unknown key `waivers` in `profile`: it belongs at the top level; indented wrongly?",
        32,
        "Move `waivers` to the left margin",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_one_error_with_a_fix(case):
    text, old, new, message, line, fix = CASES[case]
    problems = problems_of(text, old, new)
    assert len(problems) == 1, [p.message for p in problems]
    (problem,) = problems
    assert message in problem.message, problem.message
    assert problem.position.line == line, (problem.position, problem.message)
    assert fix in problem.remediation, problem.remediation


def test_every_problem_of_a_badly_broken_file_has_a_fix():
    text = (
        RECONCILER.replace("owners: [maria.lopez@example.com, james.okafor@example.com]", "owners: maria.lopez")
        .replace("team: finance-systems", "team: Finance Systems")
        .replace("  kind: persistent", "  kind: 3")
        .replace("  review_by: 2027-02-15", "  review_by: 2027-02-30")
        .replace("  token_lifetime_minutes: 5", "  token_lifetime_minutes: 5000")
        .replace('  active_hours_utc: "01:00-05:00"', "  active_hours_utc: 1")
        .replace("plugins: []", "plugins: {}")
    )
    doc = load_bytes(text.encode())
    problems = schema_mod.validate(doc, AGENT)
    assert problems == reference_path(doc)
    assert len(problems) >= 7, [p.message for p in problems]
    assert all(p.remediation for p in problems), [(p.message, p.remediation) for p in problems]
