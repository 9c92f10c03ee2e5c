"""`agentid show NAME` on the fixture repository (tests/fixtures/cli/repo): one agent's effective access per stack."""

from __future__ import annotations

import json

import pytest

from agentid.cli.main import main
from tests.cli.repo import copy_repo
from tests.conftest import FIXTURES, TODAY

ZONE_STACKS = FIXTURES / "stacks" / "network-zones"


@pytest.fixture
def root(tmp_path, monkeypatch):
    root = copy_repo(tmp_path / "repo")
    monkeypatch.chdir(root)
    return root


def show_json(capsys, *args: str) -> dict:
    status = main(["show", *args, "--today", TODAY.isoformat(), "--format", "json"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return json.loads(captured.out)


def test_plugin_management_access_planned_resources_detections_and_waivers(root, capsys):
    view = show_json(capsys, "okta-user-auditor")
    agent, reader = view["identities"]
    assert (agent["identity"], agent["kind"], agent["token_lifetime_minutes"]) == ("okta-user-auditor", "agent", 30)
    assert agent["scopes"] == [
        {
            "name": "access-reviews.write",
            "domain": "identity",
            "sensitivity": "confidential",
            "reason": "Records dormant and ownerless accounts as access-review findings.",
        }
    ]
    assert agent["okta_api_scopes"] == [] and agent["okta_token_lifetime_minutes"] is None
    assert reader["identity"] == "okta-user-auditor--directory-reader" and reader["kind"] == "plugin"
    assert reader["okta_api_scopes"] == ["okta.users.read"] and reader["okta_admin_roles"] == ["READ_ONLY_ADMIN"]
    assert reader["okta_token_lifetime_minutes"] == 60 and reader["token_lifetime_minutes"] is None
    assert reader["credentials"]["keys"][0]["kid"] == "okta-user-auditor--directory-reader-2026-12"
    # every stack it deploys to, with the stack's ceiling and what its offline plan creates for the agent
    assert [(s["stack"], s["max_token_lifetime_minutes"]) for s in view["stacks"]] == [("dev", 60), ("prod", 30)]
    for stack in view["stacks"]:
        planned = {(r["type"], r["name"]) for r in stack["resources"]}
        assert ("okta:app/oAuth:OAuth", "okta-user-auditor--directory-reader-app") in planned, stack
        assert any(t == "okta:app/oauthRoleAssignment:OauthRoleAssignment" for t, _ in planned), stack
        assert any(t == "okta:auth/serverPolicyRule:ServerPolicyRule" for t, _ in planned), stack
        assert not any(t.startswith("agentid:") for t, _ in planned)  # components only group resources
    watching = {d["id"]: d for d in view["detections"]}
    assert watching["token-rate-exceeded"]["watches"] == "more than 6 tokens in one UTC hour"
    assert watching["token-outside-active-hours"]["watches"] == "a token outside 02:00-04:00 UTC"
    assert watching["token-rate-exceeded"]["identities"] == ["okta-user-auditor", "okta-user-auditor--directory-reader"]
    assert "shadow-agent-token" not in watching  # about unregistered clients, not this agent
    (waiver,) = view["waivers"]
    assert (waiver["rule"], waiver["expires"], waiver["expires_in_days"], waiver["expired"]) == (
        "okta-management-token-lifetime",
        "2027-02-28",
        89,
        False,
    )
    assert view["lifecycle"]["review_by"] == "2027-02-28" and view["lifecycle"]["review_in_days"] == 89


def test_network_zones_are_resolved_per_stack_and_only_listed_stacks_are_shown(root, capsys):
    view = show_json(capsys, "finance-reconciler", "--no-plan")
    assert view["network_zones"] == [
        {"name": "finance-batch", "ids": {"dev": "nzo1x2y3z4a5b6c7d8e9", "prod": "nzo1pr0d4b5c6d7e8f9g"}}
    ]
    assert {s["sensitivity"] for s in view["identities"][0]["scopes"]} == {"restricted"}
    assert all(s["resources"] is None and "--no-plan" in s["note"] for s in view["stacks"])
    responder = show_json(capsys, "incident-responder", "--no-plan")
    assert [s["stack"] for s in responder["stacks"]] == ["prod"]
    assert responder["lifecycle"]["expires"] == "2026-12-20" and responder["lifecycle"]["expires_in_days"] == 19
    assert responder["waivers"] == []


def test_an_environment_without_a_stack_is_shown(root, capsys):
    path = root / "agents" / "incident-responder.yaml"
    path.write_text(path.read_text().replace("environments: [prod]", "environments: [prd]"))
    view = show_json(capsys, "incident-responder", "--no-plan")
    assert view["stacks"] == [] and view["environments_without_stack"] == ["prd"]
    assert view["known_stacks"] == ["dev", "prod"]


def test_text_prints_user_text_literally(root, capsys):
    path = root / "agents" / "meeting-summarizer.yaml"
    text = path.read_text()
    description = text.split("description: ", 1)[1].split("\n", 1)[0]
    hostile = "'[bold red]Approved by security[/] :warning: [link=https://evil.example]docs[/link]'"
    path.write_text(text.replace(f"description: {description}", f"description: {hostile}"))
    status = main(["show", "meeting-summarizer", "--no-plan", "--today", TODAY.isoformat()])
    out = capsys.readouterr().out
    assert status == 0
    assert "[bold red]Approved by security[/] :warning: [link=https://evil.example]docs[/link]" in out
    assert "\x1b[" not in out  # no colour off a terminal
    for heading in ("agent meeting-summarizer", "Identities", "Stacks", "Detections", "Waivers: none"):
        assert heading in out


def test_an_unknown_name_is_a_usage_error_with_a_suggestion(root, capsys):
    status = main(["show", "finance-reconciller", "--no-plan"])
    err = capsys.readouterr().err
    assert status == 2
    assert "no agent named `finance-reconciller`" in err and "Did you mean `finance-reconciler`?" in err


def test_a_bare_id_zone_is_resolved_as_the_deploy_resolves_it(root, capsys):
    """`finance-batch: nzo...` stands for `{id: nzo...}` (agentid/network_zones.py): the deploy accepts it."""
    prod = root / "Pulumi.prod.yaml"
    mapping = '    finance-batch:\n      id: nzo1pr0d4b5c6d7e8f9g\n      gateways: ["203.0.113.0/24"]\n'
    assert mapping in prod.read_text()
    prod.write_text(prod.read_text().replace(mapping, "    finance-batch: nzo1pr0d4b5c6d7e8f9g\n"))
    view = show_json(capsys, "finance-reconciler", "--no-plan")
    assert view["network_zones"][0]["ids"] == {"dev": "nzo1x2y3z4a5b6c7d8e9", "prod": "nzo1pr0d4b5c6d7e8f9g"}
    assert [s["network_zones_error"] for s in view["stacks"]] == [None, None]


def test_invalid_zones_are_reported_on_their_stack_and_the_rest_is_shown(root, capsys):
    # the shared fixture: `office` has an app id where the zone id belongs, so the deploy refuses the setting
    (root / "Pulumi.prod.yaml").write_text((ZONE_STACKS / "Pulumi.zones-invalid.yaml").read_text())
    view = show_json(capsys, "finance-reconciler")
    dev, prod = view["stacks"]
    assert dev["network_zones"] == {"finance-batch": "nzo1x2y3z4a5b6c7d8e9"} and dev["resources"], dev
    assert dev["network_zones_error"] is None
    assert prod["network_zones"] == {"finance-batch": None}
    assert prod["network_zones_error"].startswith(
        "Pulumi.prod.yaml: agentid:networkZones.office.id must be this org's Okta network zone id"
    ), prod
    assert prod["resources"] is None and "network zones are invalid" in prod["note"], prod
    status = main(["show", "finance-reconciler", "--no-plan", "--today", TODAY.isoformat()])
    captured = capsys.readouterr()
    assert status == 0 and captured.err == ""
    assert "finance-batch: not resolved" in captured.out and "the stack file's zones are invalid" in captured.out


def test_an_unreadable_stack_file_is_said_on_its_stack_not_taken_for_a_missing_stack(root, capsys):
    (root / "Pulumi.prod.yaml").write_text("config:\n  agentid:orgUrl: [https://acme.okta.com\n")
    view = show_json(capsys, "finance-reconciler", "--no-plan")
    assert view["environments_without_stack"] == [] and view["known_stacks"] == ["dev", "prod"]
    dev, prod = view["stacks"]
    assert dev["stack"] == "dev" and dev["note"] == "not planned (--no-plan)"
    assert prod["stack"] == "prod" and prod["resources"] is None
    # the plan's own message for the file (agentid/plan/stackfile.py, libyaml's words), with the line and column
    assert prod["note"] == (
        "not shown: Pulumi.prod.yaml:3:1: not valid YAML: did not find expected ',' or ']' "
        "(`agentid plan --stack prod` says more)"
    ), prod
    status = main(["show", "finance-reconciler", "--no-plan", "--today", TODAY.isoformat()])
    captured = capsys.readouterr()
    assert status == 0 and "Pulumi.prod.yaml:3:1: not valid YAML" in captured.out
    assert "no stack deploys" not in captured.out
