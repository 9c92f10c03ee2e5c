"""Each agent file's identity specs (what its plan keys are made of) are worked out once per file version and day,
and kept in a table by the file's name and content digest (agentid/plan/incremental.py, ``PlanCache.agent_specs``);
an agent edited in memory is never mistaken for the bytes it was first read from."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

import agentid.plan.incremental as incremental
from agentid.plan.incremental import SPECS_DIR, PlanCache, _keys
from agentid.registry import load_registry
from agentid.registry.model import Registry
from tests.conftest import AGENTS_DIR, CATALOG, STACKS
from tests.plan.test_incremental_cli import TODAY, cached, run
from tests.plan.test_plan_ahead import _check, _edit_support_triage, _report_without_cache

__all__ = ["cached"]  # the fixture, imported for these tests

DAY = dt.date.fromisoformat(TODAY)


@pytest.fixture
def derived(monkeypatch) -> list[str]:
    """Record each agent whose identity specs are worked out from its model to key its bundle (the program run for
    the agents planned works out every agent's specs itself: that is not keying)."""
    names: list[str] = []
    real = incremental._AgentSpecs.of.__func__

    def recording(cls, agent, today):
        names.append(agent.name)
        return real(cls, agent, today)

    monkeypatch.setattr(incremental._AgentSpecs, "of", classmethod(recording))
    return names


def test_a_later_check_reads_the_specs_of_unchanged_files(capsys, cached, tmp_path, derived):
    run(capsys, "check", "--today", TODAY, "--format", "json")
    assert sorted(set(derived)) == sorted(p.stem for p in (cached / "agents").glob("*.yaml"))
    tables = list((tmp_path / "cache" / SPECS_DIR).glob(f"*/{TODAY}.json"))
    assert len(tables) == 1 and len(json.loads(tables[0].read_bytes())) == 6
    _edit_support_triage(cached)
    derived.clear()
    code, out, _err = _check(capsys)
    assert derived == ["support-triage"], "only the edited file's specs are worked out again"
    assert (code, json.loads(out)) == _report_without_cache(capsys)


def test_a_damaged_table_is_worked_out_again(capsys, cached, tmp_path, derived):
    run(capsys, "check", "--today", TODAY, "--format", "json")
    (table,) = (tmp_path / "cache" / SPECS_DIR).glob(f"*/{TODAY}.json")
    rows = json.loads(table.read_bytes())
    table.write_text(json.dumps({key: ["not", "a", "row"] for key in rows}))
    derived.clear()
    code, out, _err = _check(capsys)
    assert len(set(derived)) == 6
    assert (code, json.loads(out)) == _report_without_cache(capsys)


def test_another_days_table_replaces_the_last(capsys, cached, tmp_path):
    run(capsys, "check", "--stack", "prod", "--today", TODAY, "--format", "json")
    run(capsys, "check", "--stack", "prod", "--today", "2026-12-02", "--format", "json")
    tables = sorted(p.name for p in (tmp_path / "cache" / SPECS_DIR).glob("*/*.json"))
    assert tables == ["2026-12-02.json"]


def test_an_agent_edited_in_memory_is_keyed_by_what_it_is(tmp_path):
    """The model keeps no claim to the bytes it was read from once edited (``dataclasses.replace``): its specs and
    its plan key are its own, not the file's."""
    loaded = load_registry(AGENTS_DIR, CATALOG).registry
    assert all(agent.loaded_from == agent.source.digest is not None for agent in loaded)
    triage = loaded.get("support-triage")
    edited = dataclasses.replace(triage, access=dataclasses.replace(triage.access, token_lifetime_minutes=7))
    assert edited.loaded_from is None and edited.source.digest == triage.source.digest
    moved = triage.moved_to("elsewhere/support-triage.yaml")
    assert moved.loaded_from == triage.loaded_from and moved.file == "elsewhere/support-triage.yaml"

    cache = PlanCache(tmp_path / "cache")
    before = _keys(loaded, "prod", DAY, STACKS, cache)
    cache.save_specs(loaded, DAY)
    head = Registry(agents=tuple(edited if a.name == "support-triage" else a for a in loaded), catalog=loaded.catalog)
    after = _keys(head, "prod", DAY, STACKS, PlanCache(tmp_path / "cache"))
    changed = {name for name in before.agent_keys if before.agent_keys[name] != after.agent_keys[name]}
    assert "support-triage" in changed
