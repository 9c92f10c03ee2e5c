"""`agentid import`: an existing service app adopted into the registry with its client id kept.

Round trip on the emulated org: the written definition holds exactly the app's access with TODO reasons (check
refuses it), validates once the TODOs are filled, and the offline plan adopts the app (and its policy and rule on the
stack's server) by id through Pulumi's `import` option, creating no second app."""

from __future__ import annotations

import re

import pytest
import yaml

from agentid.cli.main import main
from tests.conftest import SAMPLE_REPO, TODAY, fixture_repo
from tests.okta import emulator as e
from tests.okta.conftest import SERVER_ID

APP_ID = "0oa0invoicematcher01"
POLICY_ID = "00p0invoicematcher01"
RULE_ID = "0pr0invoicematcher01"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    root = fixture_repo(tmp_path / "repo")
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def existing_app(org_state):
    """A service app made by hand before agentid: a key, its own policy and rule on the stack's server."""
    from joserfc.jwk import RSAKey

    public = RSAKey.generate_key(2048, parameters={"kid": "invoice-matcher-2026-10"}).as_dict(private=False)
    org_state.apps.append(e.service_app(APP_ID, "Invoice Matcher", jwks=[{**public, "alg": "RS256"}]))
    org_state.policies[SERVER_ID].append(e.policy(POLICY_ID, "invoice matcher access", [APP_ID], priority=7))
    org_state.rules[POLICY_ID] = [e.rule(RULE_ID, "allow ledger", ["finance.ledger.read"], 15)]
    return public


def run(capsys, *args: str) -> tuple[int, str, str]:
    status = main([*args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_import_round_trip_keeps_the_client_id(repo, org, existing_app, reader_env, capsys):
    status, out, err = run(
        capsys,
        "import", APP_ID, "--stack", "dev", "--owner", "maria.lopez@example.com", "--purpose", "reconciliation",
        "--today", TODAY.isoformat(),
    )  # fmt: skip
    assert status == 0, err
    target = repo / "agents" / "invoice-matcher.yaml"
    assert f"wrote {target}" in out
    assert 'rename policy "invoice matcher access" to `invoice-matcher`' in out
    definition = yaml.safe_load(target.read_text())
    assert definition["access"]["scopes"] == [
        {
            "name": "finance.ledger.read",
            "reason": "TODO: why invoice-matcher needs finance.ledger.read (granted in Okta before adoption).",
        }
    ]
    assert definition["access"]["token_lifetime_minutes"] == 15
    assert definition["credentials"]["keys"][0]["n"] == existing_app["n"]
    stack = yaml.safe_load((repo / "Pulumi.dev.yaml").read_text())["config"]
    assert stack["agentid:adopt"] == {
        "invoice-matcher": {
            "app": APP_ID, "label": "Invoice Matcher", "server": SERVER_ID, "policy": POLICY_ID, "rule": RULE_ID
        }
    }  # fmt: skip
    assert "# Existing Okta objects adopted" in (repo / "Pulumi.dev.yaml").read_text()  # comments kept

    # check refuses the TODOs until a person explains them
    status, out, err = run(capsys, "check", "--stack", "dev", "--today", TODAY.isoformat())
    assert status == 1 and "scaffold-todo" in out + err

    # filled in: it validates, and the offline plan adopts the app, its policy and rule by id
    text = target.read_text().replace("team: todo", "team: finance-systems")
    text = re.sub(r'"TODO: [^"]*"', '"Matches invoices to ledger entries for the accounts payable team."', text)
    target.write_text(text)
    status, _, err = run(capsys, "validate")
    assert status == 0, err

    from agentid.plan import plan_repository

    plan = plan_repository(repo, "dev", today=TODAY)
    assert plan.adopted() == {
        "invoice-matcher-app": APP_ID,
        "invoice-matcher-policy": f"{SERVER_ID}/{POLICY_ID}",
        "invoice-matcher-rule": f"{SERVER_ID}/{POLICY_ID}/{RULE_ID}",
    }
    assert plan.outputs["clientIds"]["invoice-matcher"] == APP_ID  # the running agent's client id is kept
    apps = [r for r in plan.of_type("okta:app/oAuth:OAuth") if r.agent == "invoice-matcher"]
    assert len(apps) == 1 and apps[0].inputs["label"] == "Invoice Matcher"  # matches the app: the import succeeds
    assert not plan.options_of(apps[0]).delete_before_replace
    others = {name for name in plan.adopted()}
    assert all(r.name in others for r in plan.resources if r.agent == "invoice-matcher" and r.type.startswith("okta:"))

    status, out, _ = run(capsys, "plan", "--stack", "dev", "--today", TODAY.isoformat())
    assert "(adopts 0oa0invoicematcher01)" in out and "adopts 3 existing object(s)" in out


def test_the_adoption_is_refused_for_an_identity_the_stack_does_not_deploy(repo):
    from agentid.plan import PlanError, plan_repository

    path = repo / "Pulumi.dev.yaml"
    path.write_text(path.read_text() + "  agentid:adopt:\n    payroll-bot:\n      app: 0oa0payrollbot000001\n")
    with pytest.raises(PlanError, match="adopt names payroll-bot, which stack `dev` does not deploy"):
        plan_repository(repo, "dev", today=TODAY)


def test_unknown_client_id_is_a_usage_error(repo, org, reader_env, capsys):
    status, _, err = run(
        capsys, "import", "0oa0nosuchapp0000001", "--stack", "dev", "--owner", "maria.lopez@example.com",
        "--purpose", "reconciliation",
    )  # fmt: skip
    assert status == 2 and "no app with client id 0oa0nosuchapp0000001" in err
    assert not (repo / "agents" / "0oa0nosuchapp0000001.yaml").exists()
    assert (repo / "Pulumi.dev.yaml").read_text() == (SAMPLE_REPO / "Pulumi.dev.yaml").read_text()
