"""The PR comment's size cap and the findings comparison, on synthetic registries and findings."""

from __future__ import annotations

import dataclasses
import json

from agentid.findings import Finding, Severity
from agentid.registry.model import Registry
from agentid.review import MARKDOWN_CAP, Review, compare_findings, diff_registries, render_json, render_markdown


def _review(base: Registry, head: Registry, findings=None) -> Review:
    return Review(
        base_label="origin/main",
        head_label="working tree",
        base_commit="0" * 40,
        head_commit=None,
        diff=diff_registries(base, head),
        findings=findings or compare_findings([], []),
    )


def _many_new_agents(sample_registry, count: int) -> Registry:
    template = sample_registry.get("hr-onboarding-assistant")
    agents = [dataclasses.replace(template, name=f"hr-onboarding-assistant-{i:04d}") for i in range(count)]
    return Registry(agents=tuple(agents), catalog=sample_registry.catalog)


def test_large_diff_is_capped_with_a_count_of_what_was_left_out(sample_registry):
    empty = Registry(agents=(), catalog=sample_registry.catalog)
    review = _review(empty, _many_new_agents(sample_registry, 2500))
    markdown = render_markdown(review)
    assert len(markdown) <= MARKDOWN_CAP
    shown = sum(1 for line in markdown.splitlines() if line.startswith("| 🔺"))
    left_line = next(line for line in markdown.splitlines() if line.startswith("… and "))
    left = int(left_line.split()[2])
    assert 100 < shown < 2500
    assert shown + left == 2500
    assert left_line == (
        f"… and {left} more rows not shown ({left} escalations; the verdict above counts them all): "
        "run `agentid review --format json` for every row."
    )
    # JSON is for tools: it is never cut.
    assert len(json.loads(render_json(review))["changes"]) == 2500


def test_small_diff_is_not_capped(sample_registry):
    empty = Registry(agents=(), catalog=sample_registry.catalog)
    markdown = render_markdown(_review(empty, _many_new_agents(sample_registry, 3)))
    assert "more rows not shown" not in markdown
    assert markdown.count("| 🔺") == 3


def test_tiny_cap_still_gives_a_verdict_and_a_count(sample_registry):
    empty = Registry(agents=(), catalog=sample_registry.catalog)
    markdown = render_markdown(_review(empty, _many_new_agents(sample_registry, 10)), cap=700)
    assert len(markdown) <= 700
    assert "**Privilege escalation**" in markdown
    assert "more rows not shown" in markdown


def test_table_cells_cannot_break_the_table(sample_registry):
    agent = sample_registry.get("support-triage")
    edited = dataclasses.replace(agent, description="Routes tickets | <script>alert(1)</script>\nsecond line")
    head = Registry(
        agents=tuple(edited if a.name == agent.name else a for a in sample_registry), catalog=sample_registry.catalog
    )
    markdown = render_markdown(_review(sample_registry, head))
    row = next(line for line in markdown.splitlines() if "support-triage" in line and line.startswith("| "))
    assert row.count(" | ") == 2  # three cells, the pipe in the text is escaped
    assert "<script>" not in markdown


def _finding(rule: str, agent: str, message: str, line: int) -> Finding:
    return Finding(rule, Severity.ERROR, message, file=f"agents/{agent}.yaml", line=line, agent=agent)


def test_moved_findings_are_not_new_and_fixed_ones_are_reported():
    base = [
        _finding("token-lifetime", "support-triage", "tokens live 120 minutes", 23),
        _finding("owner-count", "meeting-summarizer", "only one owner", 4),
    ]
    head = [
        _finding("token-lifetime", "support-triage", "tokens live 120 minutes", 31),  # same finding, moved
        _finding("purpose-domain", "support-triage", "scope hr.records.read is outside purpose", 20),
    ]
    diff = compare_findings(base, head)
    assert [f.rule for f in diff.introduced] == ["purpose-domain"]
    assert [f.rule for f in diff.fixed] == ["owner-count"]
    assert diff.unchanged == 1


def test_duplicate_findings_are_counted_as_a_multiset():
    one = _finding("key-reuse", "support-triage", "key shared with finance-reconciler", 12)
    diff = compare_findings([one], [one, dataclasses.replace(one, line=40)])
    assert len(diff.introduced) == 1 and diff.unchanged == 1


def test_waiving_a_finding_shows_as_fixed_plus_waived():
    finding = _finding("token-lifetime", "support-triage", "tokens live 120 minutes", 23)
    waived = finding.as_waived({"rule": "token-lifetime"})
    diff = compare_findings([finding], [waived])
    assert diff.fixed == (finding,) and diff.introduced == (waived,)
    assert diff.blocking_introduced() == ()
