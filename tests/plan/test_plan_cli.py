"""``agentid plan`` as users run it: the table, the JSON shape, exit codes and messages."""

from __future__ import annotations

import json

from agentid.cli.main import main
from tests.conftest import FIXTURES


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_plan_shape(capsys, dev_plan):
    code, out, err = run(capsys, "plan", "--stack", "dev", "--today", "2026-12-01", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == {"stack", "resources"} and data["stack"] == "dev", sorted(data)
    assert data == dev_plan.to_dict(), "the CLI prints the same plan build_plan returns"
    for resource in data["resources"]:
        assert set(resource) == {"type", "name", "parent", "inputs"}, resource["name"]
    app = next(r for r in data["resources"] if r["name"] == "meeting-summarizer-app")
    assert app["type"] == "okta:app/oAuth:OAuth" and app["parent"] == "meeting-summarizer", app
    assert app["inputs"]["grantTypes"] == ["client_credentials"], app


def test_table_groups_resources_by_agent(capsys):
    code, out, err = run(capsys, "plan", "--today", "2026-12-01")
    assert code == 0, err
    headings = [line.strip() for line in out.splitlines() if line.strip().startswith(("agent ", "shared "))]
    assert headings == [
        "shared resources (not owned by one agent)",
        "agent finance-reconciler",
        "agent hr-onboarding-assistant",
        "agent meeting-summarizer",
        "agent okta-user-auditor",
        "agent support-triage",
    ], headings
    assert "okta:auth/serverPolicyRule:ServerPolicyRule" in out and "support-triage--knowledge-base-app" in out
    # 12 scopes + server + log stream, 8 custom-scope identities x (app, policy, rule), and the management identity
    # okta-user-auditor--directory-reader: app, 1 Okta API scope grant, 1 admin role assignment (READ_ONLY_ADMIN) = 41.
    # Plus the Detections component (issues 6, 14): provider, partner bus, 12 rules + 12 targets = 26 AWS, 27
    # declarations (always one rule per single-event detection: they match agents by app label, so
    # inactive-agent-token exists before any agent expires).
    assert "stack dev as of 2026-12-01: 41 Okta resources in 79 declarations" in out, out.splitlines()[-1]
    assert "26 AWS resources for detections" in out, out.splitlines()[-1]


def test_expired_agent_is_called_out(capsys):
    code, out, err = run(capsys, "plan", "--stack", "prod", "--today", "2026-12-21")
    assert code == 0, err
    assert "expired, deployed INACTIVE: incident-responder-app" in out, out.splitlines()[-1]


def test_unknown_stack_is_a_usage_error_naming_the_stacks(capsys):
    code, _, err = run(capsys, "plan", "--stack", "staging")
    assert code == 2, err
    assert "Pulumi.staging.yaml does not exist. Available stacks: dev, prod" in err, err


def test_invalid_definitions_stop_with_the_loader_findings(capsys):
    code, out, err = run(capsys, "plan", "--agents", str(FIXTURES / "agents" / "invalid"), "--today", "2026-12-01")
    assert code == 1, err
    assert out == "", "nothing is planned from an invalid registry"
    assert "tests/fixtures/agents/invalid/unknown-key.yaml:14:3: error: unknown key `scopez`" in err, err
    assert "nothing was planned" in err and "Traceback" not in err, err
