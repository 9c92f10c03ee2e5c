"""The synthetic registry the benchmarks time: valid agents pass every rule, each planted violation is reported.

If the generator drifted (an agent breaking a rule by accident, a violation no longer tripping its rule), the
benchmark would time a checker on the wrong workload, so these run the real loader, engine and CLI on small N.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentid.cli.main import main
from agentid.registry import load_registry
from benchmarks.generate import Manifest, generate, valid_agent, write_agent
from benchmarks.keys import ec_public_jwk, rsa_pool
from benchmarks.run import per_agent_okta_resources, verify_findings
from benchmarks.violations import VIOLATIONS
from policies.engine import evaluate, load_stack_limits
from tests.conftest import CATALOG, REPO, STACKS, TODAY


def findings_for(agents_dir: Path) -> list[dict]:
    """Loader and registry-rule findings as `agentid check --format json` reports them (same engine, in-process),
    less the waived ones, which do not fail it (generated auditors in prod carry the sample's token-lifetime waiver)."""
    loaded = load_registry(agents_dir, CATALOG, root=REPO)
    rule_findings = evaluate(loaded.registry, today=TODAY, stack_token_limits=load_stack_limits(STACKS))
    return [f.to_dict() for f in (*loaded.findings, *rule_findings) if not f.waived]


def test_valid_agents_pass_the_schema_and_every_registry_rule(tmp_path):
    manifest = generate(tmp_path, 20, today=TODAY, violation_rate=0.0)
    assert manifest.planted == {}
    assert len(list((tmp_path / "agents").glob("*.yaml"))) == 20
    assert findings_for(tmp_path / "agents") == []


def test_valid_agents_use_their_catalog_purpose_and_realistic_names(tmp_path):
    generate(tmp_path, 20, today=TODAY, violation_rate=0.0)
    registry = load_registry(tmp_path / "agents", CATALOG, root=REPO).registry
    assert len(registry) == 20
    for agent in registry:
        assert agent.purpose in registry.catalog.purposes
        assert agent.name.split("-")[-1].isdigit(), agent.name  # kind-region-index, unique by index
        assert all(owner.endswith("@example.com") for owner in agent.owners)


def test_no_valid_identity_mixes_custom_scopes_with_okta_management_access(tmp_path):
    """The kinds that call the Okta management API do it from a plugin of their own (rule 25), with its own key."""
    generate(tmp_path, 60, today=TODAY, violation_rate=0.0)
    registry = load_registry(tmp_path / "agents", CATALOG, root=REPO).registry
    management = []
    for agent in registry:
        assert not agent.access.okta_api_scopes and not agent.access.okta_admin_roles, agent.name
        for plugin in agent.plugins:
            if plugin.okta_api_scopes or plugin.okta_admin_roles:
                assert not plugin.scopes, (agent.name, plugin.name)
                assert plugin.okta_admin_roles, (agent.name, plugin.name)  # the role Okta needs to answer at all
                management.append((agent, plugin))
    assert len(management) >= 3, "the set holds agents that call the Okta management API"
    for agent, plugin in management:
        assert agent.name.startswith("okta-user-auditor-") and plugin.name == "directory-reader"
        assert plugin.credentials != agent.credentials


def test_the_same_seed_writes_the_same_files_and_another_seed_does_not(tmp_path):
    first = generate(tmp_path / "first", 12, seed=5, today=TODAY, violation_rate=0.3)
    again = generate(tmp_path / "again", 12, seed=5, today=TODAY, violation_rate=0.3)
    other = generate(tmp_path / "other", 12, seed=6, today=TODAY, violation_rate=0.3)
    assert again.agents == first.agents
    for agent in first.agents:
        assert (tmp_path / "first" / "agents" / agent.file).read_bytes() == (
            tmp_path / "again" / "agents" / agent.file
        ).read_bytes()
    assert [a.name for a in other.agents] != [a.name for a in first.agents]


def _first_index_of_kind(stem: str, *, seed: int) -> int:
    return next(i for i in range(200) if valid_agent(i, seed=seed, today=TODAY)["name"].startswith(f"{stem}-"))


OKTA_RULES = ("okta-admin-scope", "okta-management-scope", "okta-management-separate-identity")


@pytest.mark.parametrize("stem", ["okta-user-auditor", "meeting-summarizer"])
@pytest.mark.parametrize("violation", VIOLATIONS, ids=[f"{v.rule}:{v.mutate.__name__}" for v in VIOLATIONS])
def test_planted_okta_violations_break_only_their_rule(tmp_path, violation, stem):
    """On an agent with or without a management plugin: the Okta plants break their rule alone, and no other plant
    puts custom scopes and Okta management access on one identity by accident."""
    index = _first_index_of_kind(stem, seed=7)
    write_agent(tmp_path, index, violation, seed=7, today=TODAY)
    rules = {finding["rule"] for finding in findings_for(tmp_path)}
    if violation.rule in OKTA_RULES:
        assert rules == {violation.rule}
    else:
        assert "okta-management-separate-identity" not in rules


@pytest.mark.parametrize("violation", VIOLATIONS, ids=[f"{v.rule}:{v.mutate.__name__}" for v in VIOLATIONS])
def test_each_planted_violation_is_reported_under_its_rule(tmp_path, violation):
    agents_dir = tmp_path / "agents"
    agents_dir.mkdir()
    neighbour = write_agent(agents_dir, 0, None, seed=7, today=TODAY)
    planted = write_agent(agents_dir, 1, violation, seed=7, today=TODAY)
    manifest = Manifest(n=2, seed=7, today=TODAY.isoformat(), violation_rate=0.5, agents=[neighbour, planted])
    assert verify_findings(manifest, findings_for(agents_dir)) == []


def test_check_registry_only_finds_every_planted_violation_in_a_mixed_set(tmp_path, capsys):
    manifest = generate(tmp_path, 20, seed=11, today=TODAY, violation_rate=0.5)
    assert manifest.planted, "the seed plants at least one violation"
    code = main(["check", "--registry-only", "--agents", str(tmp_path / "agents"), "--catalog", str(CATALOG),
                 "--today", TODAY.isoformat(), "--format", "json"])  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert verify_findings(manifest, report["findings"]) == []


def test_verification_notices_a_missed_violation_and_a_false_alarm(tmp_path):
    manifest = generate(tmp_path, 3, today=TODAY, violation_rate=0.0)
    first, second = manifest.agents[0].name, manifest.agents[1].name
    manifest.agents[0] = type(manifest.agents[0])(first, f"{first}.yaml", "single-owner", 0)
    problems = verify_findings(manifest, [{"rule": "max-scopes", "agent": second, "file": None}])
    assert len(problems) == 2
    assert "planted `single-owner` not reported" in problems[0]
    assert "valid agent, but reported ['max-scopes']" in problems[1]


def test_n_plus_one_agents_are_the_same_n_files_plus_one(tmp_path):
    small = generate(tmp_path / "small", 6, today=TODAY)
    large = generate(tmp_path / "large", 7, today=TODAY)
    assert [a.name for a in large.agents[:6]] == [a.name for a in small.agents]
    for agent in small.agents:
        assert (tmp_path / "small" / "agents" / agent.file).read_bytes() == (
            tmp_path / "large" / "agents" / agent.file
        ).read_bytes()


def test_manifest_round_trips(tmp_path):
    manifest = generate(tmp_path, 8, today=TODAY, violation_rate=0.5)
    again = Manifest.read(tmp_path / "manifest.json")
    assert again.agents == manifest.agents
    assert again.planted == manifest.planted


def test_keys_are_real_public_keys_unique_per_identity():
    from joserfc.jwk import ECKey, RSAKey

    first = ec_public_jwk(1, "0:agent", "finance-reconciler-2026-12")
    assert first == ec_public_jwk(1, "0:agent", "finance-reconciler-2026-12")  # reproducible from the seed
    assert first["x"] != ec_public_jwk(1, "1:agent", "k")["x"]
    assert not {"d", "p", "q", "k"} & set(first)
    ECKey.import_key({k: first[k] for k in ("kty", "crv", "x", "y")})  # a point on the curve, or this raises
    pool = rsa_pool()
    assert len({key["n"] for key in pool}) == len(pool) >= 500
    assert all(set(key) == {"n", "e"} for key in pool)
    assert RSAKey.import_key({"kty": "RSA", **pool[0]}).as_dict()["n"] == pool[0]["n"]


def test_keys_command_writes_only_public_rsa_numbers(tmp_path):
    """The command the pool file's description names (`python -m benchmarks keys --rsa N`) exists and works."""
    from click.testing import CliRunner

    from benchmarks.__main__ import cli

    out = tmp_path / "rsa-public-jwks.json"
    result = CliRunner().invoke(cli, ["keys", "--rsa", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    keys = json.loads(out.read_text(encoding="utf-8"))["keys"]
    assert len(keys) == 1 and set(keys[0]) == {"n", "e"}


def test_every_planned_identity_costs_at_most_three_okta_resources(tmp_path, capsys):
    """Issue 8's target on the generated registry: 3 Okta resources per agent plus 3 per plugin, in the real plan."""
    manifest = generate(tmp_path, 40, today=TODAY, violation_rate=0.0)
    code = main(["plan", "--agents", str(tmp_path / "agents"), "--catalog", str(CATALOG), "--stack", "prod",
                 "--today", TODAY.isoformat(), "--format", "json"])  # fmt: skip
    assert code == 0
    per_agent = per_agent_okta_resources(json.loads(capsys.readouterr().out))
    plugins = {agent.name: agent.plugins for agent in manifest.agents}
    assert per_agent and all(count <= 3 * (1 + plugins[name]) for name, count in per_agent.items()), per_agent
    auditors = [name for name in per_agent if name.startswith("okta-user-auditor-")]
    assert auditors and all(per_agent[name] == 6 for name in auditors), "agent app+policy+rule, reader app+grant+role"
