"""okta-management-token-lifetime: Okta's org authorization server issues every Okta management token for a fixed
60 minutes, so an identity holding `okta_api_scopes` in a stack that allows less gets tokens the stack forbids, and
`token_lifetime_minutes` cannot help. The stacks' ceilings are the real Pulumi.<stack>.yaml's (prod 30, dev 60)."""

from __future__ import annotations

import dataclasses
import json
import shutil

import pytest

from agentid.cli.main import main
from agentid.registry import load_registry
from agentid.registry.model import Registry
from policies import engine
from policies.engine import default_settings, load_stack_limits
from policies.rules import get_rule
from policies.rules.base import RuleContext
from policies.rules.tokens import OKTA_ORG_SERVER_TOKEN_MINUTES
from tests.conftest import AGENTS_DIR, CATALOG, FIXTURES, REPO, STACKS, TODAY
from tests.policies import builders as b

RULE = "okta-management-token-lifetime"
AUDITOR = "okta-user-auditor"
LIMITS = load_stack_limits(STACKS)


def judge(registry: Registry, name: str, limits=LIMITS, stack: str | None = None) -> list[tuple[tuple, str]]:
    ctx = RuleContext(
        today=TODAY, settings=default_settings(), registry=registry, stack=stack, stack_token_limits=limits
    )
    return [(v.path, v.message) for v in get_rule(RULE).check(b.agent(registry, name), ctx)]


def test_the_repositorys_stacks_straddle_oktas_fixed_lifetime():
    """The premise of the failing and passing cases below: prod allows less than Okta's 60 minutes, dev does not."""
    assert OKTA_ORG_SERVER_TOKEN_MINUTES == 60
    assert LIMITS["prod"] == 30 and LIMITS["dev"] == 60


def test_the_samples_directory_reader_fails_in_prod_at_its_okta_api_scopes_line(sample_registry):
    assert judge(sample_registry, AUDITOR) == [
        (
            ("plugins", 0, "okta_api_scopes"),
            "Okta management tokens of plugin `directory-reader` live 60 min (fixed by Okta's org authorization "
            "server), longer than the stack maximum (prod: 30 min); token_lifetime_minutes cannot shorten them",
        )
    ]
    assert judge(sample_registry, AUDITOR, stack="prod") == judge(sample_registry, AUDITOR)
    assert judge(sample_registry, AUDITOR, stack="dev") == [], "the dev stack allows 60 minutes"
    # the agent's own custom-scope identity and the agents without Okta access are never judged
    assert all(judge(sample_registry, a.name) == [] for a in sample_registry if a.name != AUDITOR)


@pytest.mark.parametrize(("ceiling", "fails"), [(59, True), (60, False), (90, False)])
def test_the_line_is_drawn_at_sixty_minutes(sample_registry, ceiling, fails):
    found = judge(sample_registry, AUDITOR, limits={"dev": 60, "prod": ceiling})
    assert bool(found) is fails
    if fails:
        assert f"(prod: {ceiling} min)" in found[0][1]


def test_token_lifetime_minutes_cannot_fix_it(sample_registry):
    """The agent file's lifetime only shapes the custom server's policy rule; the reader's tokens still live 60."""
    shortest = b.access(sample_registry, AUDITOR, token_lifetime_minutes=5)
    assert len(judge(shortest, AUDITOR)) == 1


def test_a_management_only_agent_is_reported_at_its_access_block():
    loaded = load_registry(FIXTURES / "policies" / "okta-identities", CATALOG, root=REPO)
    assert judge(loaded.registry, "dormant-account-reporter") == [
        (
            ("access", "okta_api_scopes"),
            "Okta management tokens of agent `dormant-account-reporter` live 60 min (fixed by Okta's org "
            "authorization server), longer than the stack maximum (prod: 30 min); token_lifetime_minutes cannot "
            "shorten them",
        )
    ]
    found = [f for f in engine.evaluate(loaded.registry, today=TODAY, stack_token_limits=LIMITS) if f.rule == RULE]
    # both deploy to prod, and (like the sample) carry a waiver approved by the security lead
    assert {(f.agent, f.file.rsplit("/", 1)[-1], f.line, f.waived) for f in found} == {
        ("dormant-account-reporter", "dormant-account-reporter.yaml", 17, True),
        ("access-review-recorder", "access-review-recorder.yaml", 23, True),  # its plugin's okta_api_scopes
    }


def test_an_admin_role_without_okta_scopes_mints_no_token_to_judge(sample_registry):
    """That identity is okta-admin-role-without-api-scopes's finding, not this rule's."""
    auditor = b.agent(sample_registry, AUDITOR)
    role_only = dataclasses.replace(auditor.plugins[0], okta_api_scopes=())
    assert judge(b.with_agent(sample_registry, AUDITOR, plugins=(role_only,)), AUDITOR) == []


def test_the_samples_waiver_covers_it_and_an_owners_does_not(sample_registry):
    def outcome(registry: Registry) -> set[tuple[str, bool]]:
        found = engine.evaluate(registry, today=TODAY, stack="prod", stack_token_limits=LIMITS)
        return {(f.rule, f.waived) for f in found if f.agent == AUDITOR}

    assert outcome(sample_registry) == {(RULE, True)}
    assert outcome(b.with_agent(sample_registry, AUDITOR, waivers=())) == {(RULE, False)}
    by_owner = b.with_agent(sample_registry, AUDITOR, waivers=(b.waiver(RULE, approved_by="nina.petrova@example.com"),))
    assert outcome(by_owner) == {(RULE, False), ("waiver-self-approved", False)}


def test_agentid_check_on_prod_reports_the_sample_waived_and_fails_without_the_waiver(capsys, tmp_path, monkeypatch):
    args = ("check", "--stack", "prod", "--registry-only", "--today", "2026-12-05", "--format", "json")
    assert main(list(args)) == 0
    report = json.loads(capsys.readouterr().out)
    assert [(f["rule"], f["waived"]) for f in report["findings"]] == [(RULE, True)]

    agents = tmp_path / "agents"
    shutil.copytree(AGENTS_DIR, agents)
    auditor = agents / f"{AUDITOR}.yaml"
    text = auditor.read_text()
    head, _, _waivers = text.partition("\nwaivers:\n")
    auditor.write_text(head + "\nwaivers: []\n")
    assert main([*args, "--agents", str(agents)]) == 1
    report = json.loads(capsys.readouterr().out)
    [finding] = report["findings"]
    assert (finding["rule"], finding["waived"], finding["line"]) == (RULE, False, 31)
