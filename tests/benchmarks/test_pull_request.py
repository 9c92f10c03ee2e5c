"""The pull-request group of the benchmark: its repository, its two edits and its targets. No timing is asserted."""

from __future__ import annotations

import pytest

from benchmarks import report
from benchmarks.generate import generate
from benchmarks.run import _edit_agent, _edit_catalog, _git, pr_repository, targets_for
from tests.benchmarks.test_report import machine, measured, sample_result
from tests.conftest import TODAY


def test_pr_repository_commits_the_registry_and_each_edit_changes_one_file(tmp_path):
    manifest = generate(tmp_path / "valid", 6, seed=7, today=TODAY, violation_rate=0.0)
    repo, base = pr_repository(tmp_path / "pr", tmp_path / "valid" / "agents")
    assert len(base) == 40 and (repo / "Pulumi.prod.yaml").is_file() and (repo / "policies" / "catalog.yaml").is_file()
    assert _git(repo, "status", "--porcelain") == "", "everything is committed at the base"
    edited = manifest.agents[3].name
    _edit_agent(repo, edited)
    assert _git(repo, "status", "--porcelain").split() == ["M", f"agents/{edited}.yaml"]
    _git(repo, "checkout", "--quiet", "--", "agents")
    scope = _edit_catalog(repo)
    assert _git(repo, "status", "--porcelain").split() == ["M", "policies/catalog.yaml"]
    assert f"  {scope}:\n    description: Reworded. " in (repo / "policies" / "catalog.yaml").read_text()


def test_pull_request_targets_add_check_and_review_and_take_the_larger_peak():
    result = sample_result()
    result.measurements.update(
        pr_agent_registry=measured("registry", 2.0),
        pr_agent_check=measured("check", 2.5, rss=300.0),
        pr_agent_review=measured("review", 3.0, rss=200.0),
        pr_catalog_registry=measured("registry", 2.0),
        pr_catalog_check=measured("check", 4.0),
        pr_catalog_review=measured("review", 5.0),
    )
    targets = {t.name: t for t in targets_for(result)}
    pair = targets["PR editing one agent: check --stack + review --base ≤ 3× check --registry-only"]
    assert pair.value == pytest.approx(2.75) and pair.passed is True
    memory = targets["PR editing one agent: peak memory ≤ 500 MB"]
    assert memory.value == pytest.approx(300 * 1.048576) and memory.passed is True
    catalog = targets["PR editing the catalog: check --stack + review --base vs check --registry-only"]
    assert catalog.value == pytest.approx(4.5) and catalog.passed is None and catalog.informational
    result.targets = list(targets.values())
    text = report.render([result], machine(), "python -m benchmarks run --n 1000 --pr-only")
    assert "| PR editing one agent: peak memory ≤ 500 MB | 315 MB **PASS** |" in text


def test_without_the_pull_request_group_its_targets_are_not_measured():
    targets = {t.name: t for t in sample_result().targets}
    assert targets["PR editing one agent: check --stack + review --base ≤ 3× check --registry-only"].passed is None
    assert targets["PR editing one agent: peak memory ≤ 500 MB"].value is None
