"""``agentid detect`` and ``agentid detections`` as a user runs them: exit codes, formats, client ids, output files."""

from __future__ import annotations

import json

import orjson
from sigma.collection import SigmaCollection

from agentid.detect.clientids import offline_client_id
from agentid.detect.eventbridge import PatternInputs, build_patterns
from agentid.detect.synthetic import DEPLOYER_ID
from tests.detect.conftest import load_event

TODAY = ["--today", "2026-12-21"]


def write_events(tmp_path, *names: str, extra: bytes = b"") -> str:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(load_event(n)) for n in names) + b"\n" + extra)
    return str(path)


def test_no_alert_exits_0(run, tmp_path):
    code, out, _ = run("detect", "--events", write_events(tmp_path, "grant-meeting-summarizer", "user-sso"), *TODAY)
    assert code == 0, out
    assert "2 events (0 duplicates, 0 malformed skipped): 0 alerts" in out


def test_alerts_exit_1_and_bad_lines_are_warned_about(run, tmp_path):
    events = write_events(tmp_path, "grant-shadow-client", "app-update-by-admin", extra=b"{oops\n")
    code, out, err = run("detect", "--events", events, "--deployer-id", DEPLOYER_ID, *TODAY)
    assert code == 1
    assert "[shadow-agent-token]" in out and "[identity-tampering]" in out
    assert f"{events}:3: warning: not valid JSON" in err


def test_json_format(run, tmp_path):
    code, out, _ = run(
        "detect", "--events", write_events(tmp_path, "grant-refused-no-matching-scope"), "--format", "json", *TODAY
    )
    document = json.loads(out)
    assert code == 1
    assert document["summary"]["by_detection"] == {"scope-outside-profile": 1, "token-refused": 1}
    alert = document["alerts"][0]
    assert alert["agent"] == "support-triage" and alert["client_id"] == offline_client_id("support-triage")


def test_reads_standard_input(run, monkeypatch, tmp_path):
    import io
    import sys

    data = orjson.dumps([load_event("grant-shadow-client")])
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, out, _ = run("detect", "--events", "-", *TODAY)
    assert code == 1 and "[shadow-agent-token]" in out


def test_real_client_ids_from_stack_outputs(run, tmp_path):
    """With the stack's outputs the registry's ids are the real ones: a grant to the offline id, labelled as
    meeting-summarizer's app, is a label/id mismatch, not a shadow agent."""
    identities = ["finance-reconciler", "hr-onboarding-assistant", "hr-onboarding-assistant--scheduler",
                  "incident-responder", "meeting-summarizer", "meeting-summarizer--calendar", "okta-user-auditor",
                  "okta-user-auditor--directory-reader", "support-triage",
                  "support-triage--knowledge-base"]  # fmt: skip
    outputs = {
        "issuer": "https://acme.okta.com/oauth2/aus1",
        "clientIds": {n: f"0oaREAL{i:013d}" for i, n in enumerate(identities)},
    }
    (tmp_path / "outputs.json").write_text(json.dumps(outputs))
    code, out, _ = run(
        "detect",
        "--events",
        write_events(tmp_path, "grant-meeting-summarizer"),
        "--client-ids",
        str(tmp_path / "outputs.json"),
        *TODAY,
    )
    assert code == 1 and "[label-id-mismatch]" in out and "[shadow-agent-token]" not in out
    assert "meeting-summarizer's known client id is 0oaREAL0000000000004" in out


def test_usage_errors_exit_2(run, tmp_path):
    assert run("detect", "--events", str(tmp_path / "missing.jsonl"))[0] == 2
    assert run("detect")[0] == 2
    assert run("detect", "--events", write_events(tmp_path, "user-sso"), "--stack", "staging")[0] == 2
    (tmp_path / "partial.json").write_text(json.dumps({"clientIds": {"meeting-summarizer": "0oa1"}}))
    code, _, err = run(
        "detect", "--events", write_events(tmp_path, "user-sso"), "--client-ids", str(tmp_path / "partial.json")
    )
    assert code == 2 and "no client id for finance-reconciler" in err
    (tmp_path / "broken.json").write_text("{")
    code, _, err = run(
        "detect", "--events", write_events(tmp_path, "user-sso"), "--client-ids", str(tmp_path / "broken.json")
    )
    assert code == 2 and "broken.json:1:" in err


def test_detections_writes_valid_sigma_and_patterns_and_prunes_stale_files(run, tmp_path):
    out_dir = tmp_path / "detections"
    (out_dir / "sigma" / "retired-agent").mkdir(parents=True)
    (out_dir / "sigma" / "retired-agent" / "token-rate-exceeded.yml").write_text("stale")
    (out_dir / "README.md").write_text("kept")
    code, out, err = run(
        "detections", "--out", str(out_dir), "--stack", "prod", "--deployer-id", DEPLOYER_ID, "--offline-ids", *TODAY
    )
    assert code == 0, out
    assert "WARNING: --offline-ids" in err
    assert not (out_dir / "sigma" / "retired-agent" / "token-rate-exceeded.yml").exists()
    assert (out_dir / "README.md").read_text() == "kept"
    sigma_files = sorted((out_dir / "sigma").rglob("*.yml"))
    assert sigma_files and all(not SigmaCollection.from_yaml(p.read_text()).errors for p in sigma_files)
    # The six EventBridge patterns the stack deploys: agents by app label, never a client id; Sigma by client id.
    written = {p.stem: json.loads(p.read_text()) for p in (out_dir / "eventbridge").glob("*.json")}
    assert written == build_patterns(PatternInputs.of((), [DEPLOYER_ID])), sorted(written)
    assert written["inactive-agent-token"]["detail"]["actor"] == {"displayName": [{"prefix": "agentid:expired:"}]}
    assert offline_client_id("incident-responder") not in json.dumps(written)
    inactive_sigma = (out_dir / "sigma" / "inactive-agent-token.yml").read_text()
    assert offline_client_id("incident-responder") in inactive_sigma
    assert "12 EventBridge" in out and "not by client id" in out, out
