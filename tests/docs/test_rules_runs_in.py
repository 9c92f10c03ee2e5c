"""docs/rules.md says where each rule runs, and says what the front-ends really run: the policy pack's own policies
(policies/pack/validators.py build_policies) and the rules the checkov adapter builds its checks from.

The doc is generated (policies/rules/_docs.py); tests/policies/test_check_cli.py checks that it is not stale. This
checks the generator against the front-ends, so that a rule the pack starts running (as environment-has-stack did)
cannot stay documented as `agentid check` and checkov only.
"""

from __future__ import annotations

from policies.engine import rules_for
from policies.pack.validators import build_policies
from policies.rules import all_rules
from tests.conftest import REPO


def _runs_in_column() -> dict[str, set[str]]:
    """Rule id -> the *runs in* cell of docs/rules.md's summary table."""
    lines = (REPO / "docs" / "rules.md").read_text(encoding="utf-8").splitlines()
    header = next(line for line in lines if line.startswith("| id |"))
    column = [cell.strip() for cell in header.strip("|").split("|")].index("runs in")
    found = {}
    for line in lines:
        if line.startswith("| [`"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            found[cells[0].split("`")[1]] = set(cells[column].split(", "))
    return found


def test_the_summary_says_which_front_ends_run_each_rule():
    documented = _runs_in_column()
    pack = {policy.name for policy in build_policies()}
    checkov = {r.meta.id for r in rules_for(with_resources=False)}  # policies/checkov/agent_rule_checks.py
    assert set(documented) == {r.meta.id for r in all_rules()}
    for rule_id, where in documented.items():
        expected = {"check"} | ({"checkov"} if rule_id in checkov else set()) | ({"pack"} if rule_id in pack else set())
        assert where == expected, rule_id
    assert documented["environment-has-stack"] == {"check", "checkov", "pack"}


def test_each_rule_section_says_where_it_runs():
    text = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    section = text.split("### environment-has-stack\n", 1)[1].split("\n### ", 1)[0]
    assert "- runs in: `agentid check`, `scripts/checkov` (each agent file), the Pulumi policy pack" in section
