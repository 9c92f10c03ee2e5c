"""What `agentid rightsize --write` changes is what the review comment calls a reduction (agentid/review/diff.py):
the removed scope and the lowered budgets are reductions, nothing is an escalation; a keep entry added later is
reviewed like a waiver (an escalation)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from agentid.cli.main import main
from agentid.registry import load_registry
from agentid.registry.model import Keep
from agentid.review import Impact, diff_registries
from tests.conftest import fixture_repo
from tests.rightsize import events as fixture


def _load(root):
    result = load_registry(root / "agents", root / "policies" / "catalog.yaml", root=root)
    assert not result.findings
    return result.registry


def test_a_written_rightsize_is_a_reduction_in_the_review(tmp_path, monkeypatch, capsys):
    root = fixture_repo(tmp_path / "repo")
    monkeypatch.chdir(root)
    base = _load(root)
    args = ["--events", str(fixture.EVENTS), "--client-ids", str(fixture.OUTPUTS), "--stack", "prod"]
    assert main(["rightsize", *args, "--today", "2026-12-01", "--write"]) == 1
    capsys.readouterr()
    head = _load(root)
    changes = diff_registries(base, head).changes
    kinds = {(c.agent, c.kind): c.impact for c in changes}
    assert kinds[("hr-onboarding-assistant", "scope-removed")] is Impact.REDUCTION
    assert kinds[("meeting-summarizer", "profile-rate")] is Impact.REDUCTION
    assert not [c for c in changes if c.impact is Impact.ESCALATION], changes
    # narrower active hours are neutral in the review (its existing classification), never an escalation
    assert kinds[("meeting-summarizer", "profile-hours")] is Impact.NEUTRAL


def test_a_keep_entry_is_reviewed_like_a_waiver(sample_registry):
    agent = sample_registry.get("hr-onboarding-assistant")
    entry = Keep("hr.onboarding.write", "Written only in the January hiring wave.", dt.date(2027, 1, 31))
    kept = dataclasses.replace(agent, keep=(entry,))
    head = type(sample_registry)(
        agents=tuple(kept if a.name == agent.name else a for a in sample_registry), catalog=sample_registry.catalog
    )
    forward = [(c.kind, c.impact) for c in diff_registries(sample_registry, head).changes]
    backward = [(c.kind, c.impact) for c in diff_registries(head, sample_registry).changes]
    assert forward == [("keep-added", Impact.ESCALATION)]
    assert backward == [("keep-removed", Impact.NEUTRAL)]
