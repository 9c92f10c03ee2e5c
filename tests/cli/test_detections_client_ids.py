"""Detections never silently use placeholder client ids, and a registered agent under another id is not a shadow.

Before: `agentid detections` without --client-ids wrote the offline placeholder ids into Sigma rules marked
`status: stable`, and `agentid detect` with them called every registered agent's grant a shadow agent.
"""

from __future__ import annotations

import json

import pytest

from agentid.cli.main import main
from tests.cli.repo import copy_repo
from tests.conftest import FIXTURES, TODAY

IDENTITIES = [
    "finance-reconciler",
    "incident-responder",
    "meeting-summarizer",
    "meeting-summarizer--calendar",
    "okta-user-auditor",
    "okta-user-auditor--directory-reader",
]
#: the stack's outputs as `pulumi stack output --json` writes them (clientIds: identity -> client id)
OUTPUTS = {"clientIds": {name: f"0oaREAL{i:013d}" for i, name in enumerate(IDENTITIES)}}


@pytest.fixture
def root(tmp_path, monkeypatch):
    root = copy_repo(tmp_path / "repo")
    (root / "outputs.json").write_text(json.dumps(OUTPUTS))
    monkeypatch.chdir(root)
    return root


def run(capsys, *args: str) -> tuple[int, str, str]:
    status = main([*args, "--today", TODAY.isoformat()])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_detections_without_client_ids_is_refused_with_how_to_get_them(root, capsys):
    status, _, err = run(capsys, "detections", "--out", "build/detections", "--stack", "prod")
    assert status == 2
    assert "--client-ids is required" in err and "pulumi stack output --json > outputs.json" in err
    assert "clientIds" in err and "--offline-ids" in err
    assert not (root / "build").exists()
    status, _, err = run(capsys, "detections", "--profile", "profile.json", "--stack", "prod")
    assert status == 2 and not (root / "profile.json").exists()


def test_offline_ids_are_asked_for_by_name_marked_experimental_and_warned_about(root, capsys):
    status, _, err = run(capsys, "detections", "--out", "build/detections", "--stack", "prod", "--offline-ids")
    assert status == 0
    assert "WARNING: --offline-ids" in err and "status: experimental" in err
    sigma = [p.read_text() for p in (root / "build" / "detections" / "sigma").rglob("*.yml")]
    assert sigma and all("status: experimental" in text and "status: stable" not in text for text in sigma)


def test_real_ids_make_stable_rules(root, capsys):
    status, _, err = run(
        capsys, "detections", "--out", "build/detections", "--stack", "prod", "--client-ids", "outputs.json"
    )
    assert status == 0, err
    sigma = [p.read_text() for p in (root / "build" / "detections" / "sigma").rglob("*.yml")]
    assert sigma and all("status: stable" in text for text in sigma)
    assert "0oaREAL" in "".join(sigma)
    status, _, err = run(capsys, "detections", "--out", "x", "--client-ids", "outputs.json", "--offline-ids")
    assert status == 2 and "exclude each other" in err


def _grant(root, client_id: str, label: str) -> str:
    # An Okta System Log grant (tests/fixtures/detect/grant-meeting-summarizer.json, its source cited in
    # tests/detect) with the client's id and app label replaced.
    event = json.loads((FIXTURES / "detect" / "grant-meeting-summarizer.json").read_text())
    event["actor"].update({"id": client_id, "alternateId": client_id, "displayName": label})
    path = root / f"{client_id}.jsonl"
    path.write_text(json.dumps(event) + "\n")
    return path.name


def test_a_registered_label_under_another_client_id_is_a_mismatch_not_a_shadow_agent(root, capsys):
    events = _grant(root, "0oaStale0000000000x1", "agentid:meeting-summarizer")
    status, out, _ = run(capsys, "detect", "--events", events, "--client-ids", "outputs.json", "--format", "json")
    document = json.loads(out)
    assert status == 1
    assert document["alerts"] == []
    (mismatch,) = document["label_id_mismatches"]
    assert mismatch["identity"] == "meeting-summarizer" and mismatch["client_id"] == "0oaStale0000000000x1"
    assert mismatch["known_client_id"] == OUTPUTS["clientIds"]["meeting-summarizer"]
    status, out, _ = run(capsys, "detect", "--events", events, "--client-ids", "outputs.json")
    assert status == 1 and "[label-id-mismatch]" in out and "shadow" not in out
    assert "1 label/id mismatches" in out


def test_without_client_ids_detect_says_to_pass_them(root, capsys):
    events = _grant(root, "0oaREAL0000000000002", "agentid:meeting-summarizer")  # the real id, offline ids in use
    status, out, err = run(capsys, "detect", "--events", events)
    assert status == 1 and "[label-id-mismatch]" in out
    assert "without --client-ids the offline placeholder ids are used" in err and "--client-ids outputs.json" in err


def test_an_unlabelled_unknown_client_is_still_a_shadow_agent(root, capsys):
    events = _grant(root, "0oa9shadow0scraper4x", "crm-export-bot")
    status, out, _ = run(capsys, "detect", "--events", events, "--client-ids", "outputs.json", "--format", "json")
    document = json.loads(out)
    assert status == 1 and document["label_id_mismatches"] == []
    assert [a["detection"] for a in document["alerts"]] == ["shadow-agent-token"]
