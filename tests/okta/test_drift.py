"""`agentid drift --stack dev`: the emulated dev org against the sample registry's offline plan."""

from __future__ import annotations

import json

from agentid.cli.main import main
from tests.conftest import TODAY
from tests.okta import emulator as e
from tests.okta.conftest import SERVER_ID, SHADOW_ID, add_shadow_app, client_id_of
from tests.okta.test_discover import FINANCE, READER_PLUGIN, hand_added_rule


def drift(capsys, *args: str) -> tuple[int, dict, str]:
    status = main(["drift", "--stack", "dev", "--today", TODAY.isoformat(), "--format", "json", *args])
    captured = capsys.readouterr()
    return status, json.loads(captured.out) if captured.out.strip() else {}, captured.err


def messages(document: dict) -> list[str]:
    return [f["message"] for f in document["findings"]]


def finance_policy(state: e.OrgState) -> dict:
    return next(p for p in state.policies[SERVER_ID] if p["name"] == FINANCE)


def test_an_org_as_deployed_has_no_drift(org, reader_env, capsys):
    status, document, err = drift(capsys)
    assert status == 0, (err, document.get("findings"))
    assert document["findings"] == [] and document["stack"] == "dev"


def test_hand_made_changes_are_drift(org, org_state, reader_env, capsys):
    hand_added_rule(org_state)  # a rule with an extra scope
    finance_policy(org_state)["conditions"]["clients"]["include"].append(SHADOW_ID)  # a client added to a policy
    add_shadow_app(org_state)  # its own, undeclared policy on our server
    rules = org_state.rules[finance_policy(org_state)["id"]]
    rules[0]["actions"]["token"]["accessTokenLifetimeMinutes"] = 240  # lifetime changed
    org_state.roles[client_id_of(READER_PLUGIN)].append(e.role("SUPER_ADMIN"))  # undeclared admin role
    org_state.apps.append(e.service_app("0oa0orphan0000000001", "agentid:incident-responder"))  # prod-only agent
    summariser = next(a for a in org_state.apps if a["label"] == "agentid:meeting-summarizer")
    summariser["status"] = "INACTIVE"  # deactivated by hand
    status, document, err = drift(capsys)
    assert status == 1, err
    found = messages(document)

    def has(*parts: str) -> bool:
        return any(all(p in m for p in parts) for m in found)

    assert has(FINANCE, "rule `temporary export`", "added by hand", "finance.payments.write")
    assert has(FINANCE, f"also includes client(s) {SHADOW_ID}")
    assert has(FINANCE, "token lifetime 240 min, declared 5")
    assert has("policy `invoice export` on agents-dev is declared by no definition", SHADOW_ID, "finance.ledger.read")
    assert has(READER_PLUGIN, "admin role(s) granted in the org but declared by no definition: SUPER_ADMIN")
    assert has("agentid:incident-responder", "no definition holds incident-responder")
    assert has("meeting-summarizer", "INACTIVE", "deactivated by hand")
    assert not any("Nightly invoice export" in m and "not in the registry" in m for m in found)  # discover's business
    finance = next(f for f in document["findings"] if FINANCE in f["message"])
    assert finance["file"].endswith("agents/finance-reconciler.yaml")


def test_a_missing_app_is_a_warning_and_a_missing_server_is_drift(org, org_state, reader_env, capsys):
    org_state.apps = [a for a in org_state.apps if a["label"] != f"agentid:{FINANCE}"]
    org_state.servers.clear()
    status, document, _ = drift(capsys)
    assert status == 1
    severities = {f["rule"]: f["severity"] for f in document["findings"]}
    assert severities["live.not-deployed"] == "warning"
    assert any("authorization server agents-dev of stack dev is not in the org" in m for m in messages(document))


def test_text_report(org, org_state, reader_env, capsys):
    hand_added_rule(org_state)
    status = main(["drift", "--stack", "dev", "--today", TODAY.isoformat()])
    out = capsys.readouterr().out
    assert status == 1 and "[live.drift]" in out and "drifted   agentid:finance-reconciler" in out


def test_the_org_defaults_to_the_stack_s_own(org, reader_env, capsys, monkeypatch):
    """Without --org-url or OKTA_ORG_URL, drift reads the org the stack deploys to (okta:orgName/baseUrl)."""
    monkeypatch.delenv("OKTA_ORG_URL")
    seen = []

    def refuse(*args, **kwargs):
        seen.append(args[1])
        raise OSError("no network in tests")

    monkeypatch.setattr(
        "agentid.okta.client.urllib.request.urlopen", lambda request, timeout: refuse(None, request.full_url)
    )
    status, _, err = drift(capsys)
    assert status == 2 and seen == ["https://example-dev.okta.com/oauth2/v1/token"]
    assert "cannot reach example-dev.okta.com" in err
