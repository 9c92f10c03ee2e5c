"""The PR comment shows user text inert and stays under GitHub's size limit whatever the definitions hold
(issue 15, findings 4 and 5). Hostile values come from tests/fixtures/hostile-output/values.json; the comment is
parsed with a CommonMark/GFM parser (tests/review/markdown_check.py) rather than searched for strings."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re

import pytest

from agentid.findings import Finding, Severity
from agentid.output.inert import md_code, md_text, one_line
from agentid.registry.model import Registry, ScopeGrant, Waiver
from agentid.review import MARKDOWN_CAP, Review, compare_findings, diff_registries, render_markdown
from agentid.review.diff import Change, Impact, RegistryDiff
from agentid.review.plandiff import PlanDiff, ResourceChange
from agentid.review.render import GITHUB_COMMENT_LIMIT, NAME_CAP, TEXT_CAP
from tests.conftest import FIXTURES, TODAY
from tests.review.markdown_check import markup_found, mentions, plain, table_cells, tokens

VALUES = {k: v for k, v in json.loads((FIXTURES / "hostile-output" / "values.json").read_text()).items() if k[0] != "_"}
HOSTILE = list(VALUES.values())
OUR_BOLD = {"Privilege escalation", "New policy violations", "Privileges reduced", "No privilege escalation",
            "No privilege changes", "Policy findings", "Okta resources (offline plan)"}  # fmt: skip


def _review(diff: RegistryDiff, findings=None, plan: PlanDiff | None = None, label: str = "origin/main") -> Review:
    return Review(
        base_label=label,
        head_label="working tree",
        base_commit="0" * 40,
        head_commit=None,
        diff=diff,
        findings=findings or compare_findings([], []),
        plan=plan or PlanDiff(skipped=True),
    )


def assert_inert(markdown: str) -> None:
    assert markup_found(markdown, OUR_BOLD) == [], markdown
    assert mentions(markdown) == [], markdown
    widths = {table_cells(line) for line in markdown.splitlines() if line.startswith("|")}
    assert widths <= {3, 6, 12}, f"a value split or merged table cells: {widths}"


# ------------------------------------------------------------------------------------------------ the helpers


@pytest.mark.parametrize("name", sorted(VALUES))
def test_each_hostile_value_is_inert_as_text_and_as_code_and_reads_the_same(name: str):
    value = VALUES[name]
    for rendered in (md_text(value), md_code(value)):
        line = f"| ▫️ neutral | {rendered} | {md_text(value)} |"
        assert "\n" not in rendered
        assert_inert("| impact | agent | change |\n| --- | --- | --- |\n" + line + "\n")
        # What a reader sees is the value itself on one line (control characters shown as \xNN escapes).
        assert plain(rendered).strip() == one_line(value).strip()


def test_a_code_span_fence_is_longer_than_any_backtick_run_inside():
    value = VALUES["backtick_runs"]
    rendered = md_code(value)
    assert rendered.startswith("`````") and plain(rendered) == value


# ------------------------------------------------------------------------------------------ the comment itself


def test_a_kid_cannot_forge_an_approval_banner_end_to_end(sample_registry):
    """The reported attack: a key id carrying a fake "✅ Approved by @org/team" banner with a link, through a real
    registry diff (a key rotation names the new kid)."""
    agent = sample_registry.get("finance-reconciler")
    key = agent.credentials.keys[0]
    forged = dataclasses.replace(
        key, kid=VALUES["approval_banner_kid"], n=key.n[:-2] + ("AB" if key.n[-2:] == "AA" else "AA")
    )
    head = Registry(
        agents=tuple(
            dataclasses.replace(a, credentials=dataclasses.replace(a.credentials, keys=(forged,)))
            if a.name == agent.name
            else a
            for a in sample_registry
        ),
        catalog=sample_registry.catalog,
    )
    markdown = render_markdown(_review(diff_registries(sample_registry, head)))
    assert_inert(markdown)
    assert "Approved by @example-org/identity-security" in plain(markdown)  # shown, as text
    banner = [line for line in markdown.splitlines() if "Approved by" in line]
    assert len(banner) == 1 and banner[0].startswith("| "), "the banner stays inside its table cell, on its row"


def test_every_user_value_in_every_part_of_the_comment_is_inert():
    changes = tuple(
        Change(value, "waiver-added", "waivers", Impact.ESCALATION, 65, f"waives rule {value} (approved by {value})")
        for value in HOSTILE
    )
    findings = compare_findings(
        [],
        [
            Finding(value, Severity.ERROR, value, file=value, line=3, agent=value, remediation=value)
            for value in HOSTILE
        ],
        engine=VALUES["html"],
    )
    plan = PlanDiff(
        changes=tuple(ResourceChange(v, v, v, "okta:app/oAuth:OAuth", "changed", (v,)) for v in HOSTILE),
        stacks=tuple(HOSTILE),
        notes=tuple(HOSTILE),
    )
    diff = RegistryDiff(changes, renamed_files=tuple((v, v + "-renamed") for v in HOSTILE))
    markdown = render_markdown(_review(diff, findings, plan, label=VALUES["approval_banner_kid"]))
    assert_inert(markdown)
    assert "more rows not shown" not in markdown


def _hostile_registry(sample_registry) -> Registry:
    """One agent whose free text (description, team, scope reasons, a waiver in force) is hostile."""
    agent = sample_registry.get("support-triage")
    reasons = iter(HOSTILE)
    access = dataclasses.replace(
        agent.access, scopes=tuple(dataclasses.replace(g, reason=next(reasons)) for g in agent.access.scopes)
    )
    waiver = Waiver(
        "single-owner", VALUES["approval_banner_kid"], VALUES["mention_and_reference"], dt.date(2027, 1, 15)
    )
    hostile = dataclasses.replace(
        agent, description=VALUES["html"], team=VALUES["emphasis_and_links"], access=access, waivers=(waiver,)
    )
    return Registry(
        agents=tuple(hostile if a.name == agent.name else a for a in sample_registry), catalog=sample_registry.catalog
    )


def test_the_access_review_sheet_shows_hostile_text_inert(sample_registry):
    from agentid.review.access_report import build_sheet
    from agentid.review.access_report import render_markdown as render_sheet

    markdown = render_sheet(build_sheet(_hostile_registry(sample_registry), TODAY, {}, set()), TODAY)
    # The sheet's own bullets (owners, purpose, last change, waivers) hold one line each: one list per agent.
    assert markup_found(markdown, set(), allowed_blocks=frozenset({"bullet_list_open"})) == []
    lists = [t for t in tokens(markdown) if t.type == "list_item_open"]
    assert len(lists) == 4 * len(sample_registry), "a value added or removed a bullet"
    assert mentions(markdown) == []
    assert {table_cells(line) for line in markdown.splitlines() if line.startswith("|")} == {6}
    assert "Approved by @example-org/identity-security" in plain(markdown)


def test_the_inventory_markdown_shows_hostile_text_inert(sample_registry):
    from agentid.inventory import build_inventory, render

    markdown = render(build_inventory(_hostile_registry(sample_registry), TODAY), "md")
    assert markup_found(markdown, {"low", "medium", "high", "critical"}, {"<br>"}) == []
    assert mentions(markdown) == []
    assert {table_cells(line) for line in markdown.splitlines() if line.startswith("|")} == {12}
    assert "ping @example-org/identity-security" in plain(markdown), "the waiver's approver is shown, as text"


# ------------------------------------------------------------------------------------------------- the size cap

# GitHub refuses a comment body over 65,536 characters: "Body is too long (maximum is 65536 characters)"
# (https://docs.github.com/en/rest/issues/comments#create-an-issue-comment returns 422 Validation Failed).
assert GITHUB_COMMENT_LIMIT == 65_536 and MARKDOWN_CAP < GITHUB_COMMENT_LIMIT


def _omitted(markdown: str) -> dict[str, int]:
    line = next((line for line in markdown.splitlines() if line.startswith("… and ")), "")
    return {
        kind: int(n)
        for n, kind in re.findall(r"(\d+) (escalations|reductions|neutrals|[a-z]+ findings|plan rows)", line)
    }


def _new_agents(sample_registry, count: int, scope: str | None = None) -> Registry:
    template = sample_registry.get("hr-onboarding-assistant")
    agents = []
    for i in range(count):
        agent = dataclasses.replace(template, name=f"hr-onboarding-assistant-{i:04d}")
        if scope:
            access = dataclasses.replace(agent.access, scopes=(*agent.access.scopes, ScopeGrant(scope, "hostile")))
            agent = dataclasses.replace(agent, access=access)
        agents.append(agent)
    return Registry(agents=tuple(agents), catalog=sample_registry.catalog)


def test_a_huge_scope_name_is_shortened_and_hides_no_later_escalation(sample_registry):
    """One 100,000-character scope name (Okta sets no limit) on the first row used to stop the row loop."""
    huge = "tickets." + "x" * 100_000
    empty = Registry(agents=(), catalog=sample_registry.catalog)
    markdown = render_markdown(_review(diff_registries(empty, _new_agents(sample_registry, 30, scope=huge))))
    assert len(markdown) <= MARKDOWN_CAP
    assert markdown.count("| 🔺") == 30, "every escalation row is shown"
    assert "more rows not shown" not in markdown
    assert f"longer than {NAME_CAP} characters (names) or {TEXT_CAP} (text) are shortened with …" in markdown
    assert max(len(line) for line in markdown.splitlines()) < 4 * TEXT_CAP


def test_three_hundred_renames_are_counted_within_the_cap(sample_registry):
    renames = tuple(
        (f"agents/{'finance-reconciler-' * 12}{i:03d}.yaml", f"agents/moved/{i:03d}.yaml") for i in range(300)
    )
    changes = tuple(
        Change(
            f"finance-reconciler-{i:03d}",
            "environment-added",
            "environments",
            Impact.ESCALATION,
            55,
            "deployed to prod",
        )
        for i in range(300)
    )
    markdown = render_markdown(_review(RegistryDiff(changes, renamed_files=renames)))
    assert len(markdown) <= MARKDOWN_CAP
    assert "and 280 more (see `--format json`)" in markdown
    assert markdown.count("| 🔺") + _omitted(markdown).get("escalations", 0) == 300


@pytest.mark.parametrize("cap", [MARKDOWN_CAP, 20_000, 5_000])
def test_two_thousand_escalations_with_everything_else_stay_under_the_cap_and_are_all_counted(sample_registry, cap):
    empty = Registry(agents=(), catalog=sample_registry.catalog)
    diff = diff_registries(empty, _new_agents(sample_registry, 2000, scope="tickets." + "y" * 5000))
    diff = dataclasses.replace(
        diff, renamed_files=tuple((f"agents/old-{i}.yaml", f"agents/new-{i}.yaml") for i in range(300))
    )
    findings = compare_findings(
        [], [Finding("owner-count", Severity.ERROR, "only one owner " * 100, agent=f"a{i}") for i in range(500)]
    )
    markdown = render_markdown(_review(diff, findings), cap=cap)
    assert len(markdown) <= cap <= GITHUB_COMMENT_LIMIT
    omitted = _omitted(markdown)
    assert markdown.count("| 🔺") + omitted["escalations"] == 2000, omitted
    assert omitted["introduced findings"] + markdown.count("| introduced |") == 500
    assert "2000 escalation(s)" in markdown, "the verdict counts every escalation"
    assert_inert(markdown)
