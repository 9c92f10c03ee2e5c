"""The offline plan held to the provider: zones resolved per stack, service apps skip the policy call, and
``agentid plan`` / ``agentid check --stack`` fail on an input pulumi-okta 7.0.1 would refuse.

Runs on the fixture repository tests/fixtures/conformance/repo (one finance agent naming zone `finance-batch`; a dev
stack on EventBridge and a prod stack on Splunk, each org with its own zone id), never on the live stack files.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from agentid.cli.main import main
from agentid.conformance import RULE_ID, plan_findings
from agentid.conformance import okta as provider
from agentid.plan import PlanError, plan_repository
from tests.conftest import FIXTURES, TODAY

REPO = FIXTURES / "conformance" / "repo"
APP = "okta:app/oAuth:OAuth"


@pytest.fixture(scope="module")
def plans():
    return {stack: plan_repository(REPO, stack, today=TODAY) for stack in ("dev", "prod")}


def test_zone_names_resolve_to_each_orgs_own_id(plans):
    ids = {stack: plan.named("finance-reconciler-app").inputs["network"] for stack, plan in plans.items()}
    assert ids == {
        "dev": {"connection": "ZONE", "includes": ["nzo1devzone0finance01"]},
        "prod": {"connection": "ZONE", "includes": ["nzo1prodzone0finance1"]},
    }, ids


def test_service_apps_carry_skip_authentication_policy(plans):
    """Provider issue 2295 / PR 2403: without it every update PUTs /apps/{id}/policies/{policy}, answered 400."""
    for plan in plans.values():
        apps = plan.of_type(APP)
        assert apps, f"{plan.stack}: no app planned"
        for app in apps:
            assert app.inputs["type"] == "service", app.urn
            assert app.inputs["skipAuthenticationPolicy"] is True, app.urn


def test_fixture_plans_conform(plans):
    for plan in plans.values():
        assert plan_findings(plan) == [], plan.stack


def _copy_repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(REPO, root)
    return root


def test_unknown_zone_names_agent_file_line_and_stack_file(tmp_path):
    root = _copy_repo(tmp_path)
    agent = root / "agents" / "finance-reconciler.yaml"
    agent.write_text(agent.read_text().replace("[finance-batch]", "[finance-batch, treasury-vpn]"))
    with pytest.raises(PlanError) as failed:
        plan_repository(root, "prod", today=TODAY)
    message = str(failed.value)
    assert message.startswith("agents/finance-reconciler.yaml:27:"), message
    assert "`treasury-vpn`" in message and "agentid:networkZones in Pulumi.prod.yaml" in message, message


def test_plan_cli_fails_on_an_unknown_zone(tmp_path, monkeypatch, capsys):
    root = _copy_repo(tmp_path)
    agent = root / "agents" / "finance-reconciler.yaml"
    agent.write_text(agent.read_text().replace("[finance-batch]", "[treasury-vpn]"))
    monkeypatch.chdir(root)
    code = main(["plan", "--stack", "dev", "--today", "2026-12-01"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "agents/finance-reconciler.yaml:27" in err and "Pulumi.dev.yaml" in err, err


def test_agent_schema_refuses_a_zone_id_in_an_agent_file(tmp_path, monkeypatch, capsys):
    root = _copy_repo(tmp_path)
    agent = root / "agents" / "finance-reconciler.yaml"
    agent.write_text(agent.read_text().replace("[finance-batch]", "[nzo1Finance0Batch0Zone]"))
    monkeypatch.chdir(root)
    code = main(["validate"])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "finance-reconciler.yaml:27" in out and "network zone name" in out, out


@pytest.fixture
def narrower_provider(monkeypatch):
    """Simulate a provider bound our schema does not know: the fixture's 5-minute token lifetime is then refused by
    the conformance layer only (the stack config and schema keep their own bounds), as a new provider rule would be."""
    monkeypatch.setattr(provider, "TOKEN_LIFETIME_MINUTES", (10, 1440))


def test_plan_cli_fails_on_a_conformance_finding(narrower_provider, monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    code = main(["plan", "--stack", "dev", "--today", "2026-12-01", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 1, err
    assert json.loads(out)["stack"] == "dev", "the plan is still printed"
    assert "finance-reconciler-rule" in err and "agents/finance-reconciler.yaml:25:" in err, (
        "token_lifetime_minutes line"
    )
    assert "resource_okta_auth_server_policy_rule.go:76" in err, err


def test_check_stack_fails_on_a_conformance_finding(narrower_provider, monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    code = main(["check", "--stack", "prod", "--today", "2026-12-01", "--format", "json"])
    out = capsys.readouterr().out
    assert code == 1, out
    found = [f for f in json.loads(out)["findings"] if f["rule"] == RULE_ID]
    assert [(f["file"], f["agent"], f["severity"]) for f in found] == [
        ("agents/finance-reconciler.yaml", "finance-reconciler", "error")
    ], found
    assert "stack `prod`" in found[0]["message"] and "finance-reconciler-rule" in found[0]["message"]


def test_a_shared_resource_finding_points_at_the_stack_file_line(plans):
    """A log stream input the provider refuses (here written past the config check, as hand-written Pulumi code
    could) is reported against the stack file line that configures it."""
    plan = plans["dev"]
    stream = plan.named("okta-system-log")
    settings = {**stream.inputs["settings"], "eventSourceName": "agentid-dev-okta"}
    hyphenated = dataclasses.replace(stream, inputs={**stream.inputs, "settings": settings})
    broken = dataclasses.replace(plan, resources=tuple(hyphenated if r is stream else r for r in plan.resources))
    [finding] = plan_findings(broken, root=REPO)
    line = next(
        n
        for n, text in enumerate((REPO / "Pulumi.dev.yaml").read_text().splitlines(), 1)
        if "agentid:logStream:" in text
    )
    assert (finding.file, finding.line, finding.agent) == ("Pulumi.dev.yaml", line, None), finding
    assert "okta-system-log" in finding.message and "resource_okta_log_stream.go:38" in finding.message


def test_check_refuses_a_zone_id_shared_by_two_stacks(tmp_path, monkeypatch, capsys):
    root = _copy_repo(tmp_path)
    prod = root / "Pulumi.prod.yaml"
    prod.write_text(prod.read_text().replace("nzo1prodzone0finance1", "nzo1devzone0finance01"))
    monkeypatch.chdir(root)
    code = main(["check", "--today", "2026-12-01", "--format", "json"])
    out = capsys.readouterr().out
    assert code == 1, out
    shared = sorted(
        (f["file"], f["line"]) for f in json.loads(out)["findings"] if "nzo1devzone0finance01" in f["message"]
    )
    assert shared == [("Pulumi.dev.yaml", 14), ("Pulumi.prod.yaml", 15)], shared


def test_fixture_stacks_share_no_zone_id():
    from agentid.conformance import shared_zone_ids

    assert shared_zone_ids(REPO) == []


def test_a_bare_id_zone_is_compared_too(tmp_path):
    from agentid.conformance import shared_zone_ids

    root = _copy_repo(tmp_path)
    prod = root / "Pulumi.prod.yaml"
    prod.write_text(
        prod.read_text().replace(
            "    finance-batch:\n      id: nzo1prodzone0finance1\n", "    finance-batch: nzo1devzone0finance01\n"
        )
    )
    shared = [(f.file, f.line) for f in shared_zone_ids(root) if "nzo1devzone0finance01" in f.message]
    assert shared == [("Pulumi.dev.yaml", 14), ("Pulumi.prod.yaml", 14)], shared


def test_a_stack_file_with_invalid_zones_is_reported_once_by_its_plan(tmp_path, monkeypatch, capsys):
    """Its zones are read with the deploy's parser: refused, they share no id; the plan reports the parser's message."""
    root = _copy_repo(tmp_path)
    prod = root / "Pulumi.prod.yaml"
    shared_and_invalid = "      id: nzo1devzone0finance01\n    office:\n      id: 0oa1notazone00000001\n"
    prod.write_text(prod.read_text().replace("      id: nzo1prodzone0finance1\n", shared_and_invalid))
    monkeypatch.chdir(root)
    code = main(["check", "--today", "2026-12-01", "--format", "json", "--no-cache"])
    out = capsys.readouterr().out
    assert code == 1, out
    findings = [(f["rule"], f["file"], f["message"]) for f in json.loads(out)["findings"]]
    ((rule, file, message),) = findings
    assert (rule, file) == ("plan.failed", "Pulumi.prod.yaml"), findings
    assert "Pulumi.prod.yaml: agentid:networkZones.office.id must be this org's Okta network zone id" in message
