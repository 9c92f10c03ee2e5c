"""What ``check --stack``, ``plan`` and ``review`` say about the incremental plan, and when they fall back to the
full one (the equivalence itself is tests/plan/test_incremental_equivalence.py)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from agentid.cli.main import main

TODAY = "2026-12-01"


@pytest.fixture
def cached(monkeypatch, tmp_path) -> Path:
    """A repository of its own (the sample registry) with the plan cache on, in a directory of its own."""
    repo = tmp_path / "repo"
    shutil.copytree(Path.cwd(), repo, ignore=shutil.ignore_patterns(".agentid-cache", ".venv"))
    monkeypatch.chdir(repo)
    monkeypatch.delenv("AGENTID_CACHE", raising=False)
    monkeypatch.setenv("AGENTID_CACHE_DIR", str(tmp_path / "cache"))
    return repo


def _git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Priya Raman",
        "GIT_AUTHOR_EMAIL": "priya.raman@example.com",
        "GIT_COMMITTER_NAME": "Priya Raman",
        "GIT_COMMITTER_EMAIL": "priya.raman@example.com",
        "GIT_AUTHOR_DATE": "2026-11-02T09:00:00+00:00",
        "GIT_COMMITTER_DATE": "2026-11-02T09:00:00+00:00",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    return subprocess.run(["git", "-C", str(repo), *args], env=env, check=True, capture_output=True, text=True).stdout


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _edit_lifetime(repo: Path, agent: str, before: str, after: str) -> None:
    path = repo / "agents" / f"{agent}.yaml"
    text = path.read_text(encoding="utf-8")
    assert before in text
    path.write_text(text.replace(before, after, 1), encoding="utf-8")


def test_check_plans_in_full_first_then_only_the_edited_agent(capsys, cached):
    code, full_out, err = run(capsys, "check", "--stack", "prod", "--today", TODAY, "--format", "json")
    assert "stack `prod`: full plan of 6 agents (no cached plan for this program code" in err, err
    code_again, again_out, err = run(capsys, "check", "--stack", "prod", "--today", TODAY, "--format", "json")
    assert "incremental plan: 0 of 6 agents planned, 6 reused" in err, err
    assert (code_again, json.loads(again_out)) == (code, json.loads(full_out)), "same report from the cache"

    _edit_lifetime(cached, "support-triage", "token_lifetime_minutes: 30", "token_lifetime_minutes: 20")
    code, out, err = run(capsys, "check", "--stack", "prod", "--today", TODAY, "--format", "json")
    assert "incremental plan: 1 of 6 agents planned, 5 reused" in err, err
    _code, uncached, _err = run(capsys, "check", "--stack", "prod", "--today", TODAY, "--format", "json", "--no-cache")
    assert json.loads(out) == json.loads(uncached), "the incremental check reports what the full one does"


def test_a_stack_file_edit_falls_back_to_the_full_plan_and_says_why(capsys, cached):
    run(capsys, "plan", "--stack", "prod", "--today", TODAY, "--format", "json")
    stack_file = cached / "Pulumi.prod.yaml"
    stack_file.write_text(stack_file.read_text().replace('"30"', '"45"'), encoding="utf-8")
    code, _out, err = run(capsys, "plan", "--stack", "prod", "--today", TODAY, "--format", "json")
    assert code == 0, err
    assert "full plan of 6 agents (nothing cached for this stack configuration" in err, err


def test_review_plans_only_the_edited_agent_at_head(capsys, cached):
    _git(cached, "init", "--quiet", "--initial-branch=main")
    _git(cached, "add", "-A")
    _git(cached, "commit", "--quiet", "-m", "Sample registry")
    base = _git(cached, "rev-parse", "HEAD").strip()
    _edit_lifetime(cached, "support-triage", "token_lifetime_minutes: 30", "token_lifetime_minutes: 20")
    _code, out, _err = run(capsys, "review", "--base", base, "--today", TODAY, "--format", "json")
    modes = json.loads(out)["plan"]["modes"]
    head_prod = next(m for m in modes if m.startswith("head: stack `prod`"))
    assert re.search(r"incremental plan: 1 of 6 agents planned, 5 reused", head_prod), modes
    _code, full, _err = run(capsys, "review", "--base", base, "--today", TODAY, "--format", "json", "--no-cache")
    with_cache, without = json.loads(out), json.loads(full)
    for data in (with_cache, without):
        data["plan"].pop("modes")
    assert with_cache == without, "the review is the same whether plans came from the cache or not"


def test_an_adopted_identity_keeps_its_import_ids_when_its_bundle_comes_from_the_cache(capsys, cached):
    """A cached bundle is the plan's own: an app adopted by `agentid:adopt` is imported by id in the cached plan too
    (the first cache format dropped the import ids, so a second plan showed the app as created)."""
    stack_file = cached / "Pulumi.dev.yaml"
    stack_file.write_text(
        stack_file.read_text(encoding="utf-8")
        + "  agentid:adopt:\n"
        + "    meeting-summarizer:\n"
        + "      app: 0oa0meetingsummar001\n"
        + "      server: aus0agentsdev000001\n"
        + "      policy: 00p0meetingsummar01\n"
        + "      rule: 0pr0meetingsummar01\n",
        encoding="utf-8",
    )
    command = ("plan", "--stack", "dev", "--today", TODAY, "--format", "json")
    code, first, err = run(capsys, *command)
    assert code == 0, err
    assert "full plan" in err
    code, second, err = run(capsys, *command)
    assert code == 0, err
    assert "incremental plan: 0 of" in err
    assert json.loads(second) == json.loads(first)
    imported = {r["name"]: r["import"] for r in json.loads(second)["resources"] if "import" in r}
    assert "0oa0meetingsummar001" in imported.values()


@pytest.mark.parametrize(
    "damage",
    [
        b'{"resources": [["okta:app/oAuth:OAuth", "meeting-summarizer"',  # cut short
        b"[]",  # not an entry
        # a row of an older format (five options, no import id)
        b'{"resources": [["t", "n", null, "urn", "meeting-summarizer", {}]], "options": [[false, false, [], [], []]]}',
    ],
)
def test_a_damaged_cache_entry_is_a_miss_not_trusted_or_fatal(capsys, cached, damage):
    command = ("plan", "--stack", "dev", "--today", TODAY, "--format", "json")
    code, full, _ = run(capsys, *command)
    assert code == 0
    entries = sorted((cached.parent / "cache").rglob("*.json"))
    assert entries
    for entry in entries:
        entry.write_bytes(damage)
    code, again, err = run(capsys, *command)
    assert code == 0, err
    assert "full plan" in err, err  # nothing readable was cached: planned in full, as without a cache
    assert json.loads(again) == json.loads(full)
