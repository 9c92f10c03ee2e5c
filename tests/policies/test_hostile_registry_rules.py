"""Rules against hostile registries (issue 15): findings grouped where a registry-wide rule would list every pair,
and the mutation audit's blind spots (owner domains matched by suffix, scopes matched by prefix).

Agents come from tests/fixtures/agents/hostile/collision/support-triage.yaml (a definition of this module's own);
expectations are literals.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from agentid.cli.main import main
from agentid.registry import load_agent_bytes, load_catalog
from agentid.registry.model import Agent, Catalog, Credentials, Registry
from policies.engine import evaluate
from policies.rules.base import PolicySettings
from tests.conftest import CATALOG, FIXTURES, TODAY

BASE = FIXTURES / "agents" / "hostile" / "collision" / "support-triage.yaml"
SHARED_URI = "https://keys.example.com/agents/shared/jwks.json"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(CATALOG)


@pytest.fixture(scope="module")
def base_agent() -> Agent:
    agent, findings = load_agent_bytes(BASE.read_bytes(), "support-triage.yaml", expected_name="support-triage")
    assert agent is not None and not findings, findings
    return agent


def _fleet(base_agent: Agent, count: int) -> list[Agent]:
    """``count`` support agents that all read their keys from one URL (their plugins keep distinct URLs)."""
    return [
        dataclasses.replace(
            base_agent,
            name=f"support-triage-{index:04d}",
            credentials=Credentials(jwks_uri=SHARED_URI),
            plugins=tuple(
                dataclasses.replace(p, credentials=Credentials(jwks_uri=f"https://keys.example.com/kb/{index}.json"))
                for p in base_agent.plugins
            ),
        )
        for index in range(count)
    ]


def _findings(agents: list[Agent], catalog: Catalog, rule: str) -> list:
    registry = Registry(agents=tuple(sorted(agents, key=lambda a: a.name)), catalog=catalog)
    return [f for f in evaluate(registry, today=TODAY) if f.rule == rule]


@pytest.mark.parametrize("count", [2, 11])
def test_every_holder_of_a_shared_jwks_uri_is_reported_naming_all_others_up_to_ten(count, base_agent, catalog):
    found = _findings(_fleet(base_agent, count), catalog, "shared-jwks-uri")
    assert sorted(f.agent for f in found) == [f"support-triage-{i:04d}" for i in range(count)]
    for finding in found:
        assert finding.message.count("`support-triage-") == count  # its own name and every other holder's
        assert "more" not in finding.message


@pytest.mark.parametrize("count", [12, 300])
def test_a_large_group_lists_ten_others_and_a_count_in_each_finding(count, base_agent, catalog):
    """Each holder keeps its finding (its file is annotated, its own waiver applies), but no finding lists every
    other holder: the report grows with the holders, not with their pairs (3,000 agents printed 454 MB)."""
    found = _findings(_fleet(base_agent, count), catalog, "shared-jwks-uri")
    assert len(found) == count
    first = next(f for f in found if f.agent == "support-triage-0000")
    assert first.message.count("`support-triage-") == 11  # its own name and ten others
    assert f"`support-triage-0010` and {count - 11:,} more" in first.message
    assert max(len(f.message) for f in found) < 700


def test_a_large_group_sharing_a_key_lists_ten_others_and_a_count(base_agent, catalog):
    key = base_agent.plugins[0].credentials.keys[0]
    agents = [
        dataclasses.replace(a, credentials=Credentials(keys=(dataclasses.replace(key, kid=f"k{i}"),)))
        for i, a in enumerate(_fleet(base_agent, 40))
    ]
    found = _findings(agents, catalog, "shared-key")
    assert len(found) == 40 and all("and 29 more" in f.message for f in found)


@pytest.mark.parametrize("output_format", ["text", "json", "sarif", "junit"])
def test_check_output_stays_small_when_many_agents_share_a_jwks_uri(output_format, tmp_path, capsys):
    """The issue's case at a test's scale: 24 files sharing one URL (and one plugin key): a finding per file naming
    ten others and a count, in every format, not 24 x 23 names."""
    text = BASE.read_text()
    uri = "https://keys.example.com/agents/support-triage/jwks.json"
    assert uri in text
    for index in range(24):
        name = f"support-triage-{index:02d}"
        body = text.replace(uri, SHARED_URI).replace("name: support-triage\n", f"name: {name}\n")
        (tmp_path / f"{name}.yaml").write_text(body)
    args = ["check", "--agents", str(tmp_path), "--registry-only", "--today", TODAY.isoformat()]
    code = main([*args, "--format", output_format])
    out, err = capsys.readouterr()
    assert code == 1, err
    if output_format == "json":
        rules = [f["rule"] for f in json.loads(out)["findings"]]
        assert rules.count("shared-jwks-uri") == 24 and rules.count("shared-key") == 24, rules
    assert "and 13 more" in out
    # Listed pairwise, 23 messages would name `support-triage-23`; capped, only its own finding does (JUnit writes a
    # failure's message twice).
    assert 1 <= out.count("`support-triage-23`") <= 2


# --------------------------------------------------------------------------------------------------- mutation audit


@pytest.mark.parametrize(
    ("owner", "allowed"),
    [
        ("lena.fischer@example.com", True),
        ("lena.fischer@support.example.com", True),  # a subdomain of an allowed domain
        ("lena.fischer@EXAMPLE.com", True),
        ("lena.fischer@evilexample.com", False),  # ends with "example.com", is not it
        ("lena.fischer@example.com.evil.net", False),
        ("lena.fischer@notexample.com", False),
        ("lena.fischer@example.co", False),
    ],
)
def test_owner_domain_is_the_domain_or_a_subdomain_never_a_suffix(owner, allowed, base_agent, catalog):
    agent = dataclasses.replace(base_agent, owners=(owner, "omar.haddad@example.com"))
    registry = Registry(agents=(agent,), catalog=catalog)
    settings = PolicySettings(allowed_owner_domains=("example.com",))
    found = [f for f in evaluate(registry, today=TODAY, settings=settings) if f.rule == "owner-allowed-domain"]
    assert (found == []) is allowed, (owner, [f.message for f in found])


def test_a_plugin_scope_is_held_only_by_its_exact_name(base_agent, catalog):
    """`tickets.read.all` is not `tickets.read`: no prefix matching when a plugin's scopes are checked."""
    registry_catalog = dataclasses.replace(
        catalog,
        scopes={
            **catalog.scopes,
            "tickets.read.all": dataclasses.replace(catalog.scopes["tickets.read"], name="tickets.read.all"),
        },
    )
    for plugin_scope, held in (("tickets.read", True), ("tickets.read.all", False), ("tickets.rea", False)):
        plugin = dataclasses.replace(base_agent.plugins[0], scopes=(plugin_scope,))
        agent = dataclasses.replace(base_agent, plugins=(plugin,))
        found = _findings([agent], registry_catalog, "plugin-scope-subset")
        assert (found == []) is held, (plugin_scope, [f.message for f in found])


@pytest.mark.parametrize("scope", ["tickets.read.all", "tickets.rea", "tickets.read ", "Tickets.Read"])
def test_a_scope_is_in_the_catalog_only_by_its_exact_name(scope, tmp_path):
    """The loader's catalog lookup is exact too: a scope that merely starts like a catalog scope is unknown."""
    from agentid.registry import load_registry
    from tests.conftest import REPO

    text = BASE.read_text().replace("    - name: tickets.read\n", f'    - name: "{scope}"\n', 1)
    (tmp_path / "support-triage.yaml").write_text(text)
    loaded = load_registry(tmp_path, CATALOG, root=REPO)
    assert [f.rule for f in loaded.findings if f.rule == "load.unknown-scope"] == ["load.unknown-scope"]
