"""A sharded environment's detections: every member stack's ``clientIds`` merged into one profile for the environment.

Each member stack (``agentid:shard: {mode: member, ...}``) exports only its own agents' client ids and the core none,
so ``--client-ids`` is repeated, one file per stack; ``--stack prod`` selects every agent of the environment.
"""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from agentid.cli.main import main
from agentid.stack import shard_of
from tests.conftest import AGENTS_DIR, CATALOG
from tests.detect.conftest import load_event

TODAY = ["--today", "2026-12-01"]
CORE_OUTPUTS = {
    "issuer": "https://acme.okta.com/oauth2/aus8agents0registry7",
    "audience": "api://agents",
    "authorizationServerId": "aus8agents0registry7",
}
MEMBERS = 2


@pytest.fixture()
def run(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)  # not the repository: no Pulumi.<stack>.yaml but those a test writes

    def invoke(*args: str) -> tuple[int, str, str]:
        """``args``, reading the sample registry unless a compiled profile replaces it."""
        registry = (
            []
            if "--profile" in args and args[0] == "detect"
            else ["--agents", str(AGENTS_DIR), "--catalog", str(CATALOG)]
        )
        code = main([*args, *registry])
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


def real_id(identity: str) -> str:
    """A deployed-looking client id, unlike the offline one (so the offline id would be a shadow agent)."""
    import hashlib

    return "0oaPROD" + hashlib.sha256(identity.encode()).hexdigest()[:13]


@pytest.fixture()
def stack_outputs(tmp_path, sample_registry) -> list[Path]:
    """`pulumi stack output --json` of prod-core (no clientIds) and of each member (its hash's agents only)."""
    shards: list[dict[str, str]] = [{} for _ in range(MEMBERS)]
    for agent in sample_registry.for_stack("prod"):
        for identity, _credentials, _scopes in agent.identities():
            shards[shard_of(agent.name, MEMBERS)][identity] = real_id(identity)
    assert all(shards), "both members hold agents, or the test proves nothing"
    files = [tmp_path / "prod-core.json"]
    files[0].write_text(json.dumps(CORE_OUTPUTS))
    for index, ids in enumerate(shards):
        files.append(tmp_path / f"prod-shard-{index:02d}.json")
        files[-1].write_text(json.dumps({**CORE_OUTPUTS, "clientIds": ids}))
    return files


def client_ids_args(files: list[Path]) -> list[str]:
    return [arg for path in files for arg in ("--client-ids", str(path))]


def grant(tmp_path: Path, fixture: str, agent: str, scopes: str, published: str) -> dict:
    """The ``fixture`` token grant as ``agent`` would get it with its deployed client id."""
    event = load_event(fixture)
    text = json.dumps(event).replace(event["actor"]["id"], real_id(agent))
    event = json.loads(text)
    event["actor"]["displayName"] = f"agentid:{agent}"
    event["debugContext"]["debugData"]["requestedScopes"] = scopes
    event["debugContext"]["debugData"]["grantedScopes"] = scopes
    event["published"] = published
    event["uuid"] = f"{agent}-{published}"
    return event


@pytest.fixture()
def members_traffic(tmp_path) -> Path:
    """One normal grant per member: finance-reconciler (member 0) at night, meeting-summarizer (member 1) by day."""
    assert shard_of("finance-reconciler", MEMBERS) != shard_of("meeting-summarizer", MEMBERS)
    events = [
        grant(tmp_path, "grant-meeting-summarizer", "finance-reconciler", "finance.ledger.read",
              "2026-12-01T02:15:20.970Z"),
        grant(tmp_path, "grant-meeting-summarizer", "meeting-summarizer", "calendar.read transcripts.read",
              "2026-12-01T10:15:20.970Z"),
    ]  # fmt: skip
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(e) for e in events) + b"\n")
    return path


def test_environment_profile_from_every_member_knows_every_members_apps(run, tmp_path, stack_outputs, members_traffic):
    """Compiled once for prod from the core's and both members' outputs, the profile reports no member's app as a
    shadow agent; a client that no stack deployed still is one."""
    profile = tmp_path / "detection-profile.json"
    code, out, err = run("detections", "--profile", str(profile), "--stack", "prod",
                         *client_ids_args(stack_outputs), *TODAY)  # fmt: skip
    assert code == 0, err
    assert "of stack prod" in out
    code, out, err = run("detect", "--events", str(members_traffic), "--profile", str(profile), *TODAY)
    assert (code, err) == (0, ""), out
    assert "2 events (0 duplicates, 0 malformed skipped): 0 alerts" in out
    shadow = tmp_path / "shadow.jsonl"
    shadow.write_bytes(orjson.dumps(load_event("grant-shadow-client")) + b"\n")
    code, out, _ = run("detect", "--events", str(shadow), "--profile", str(profile), *TODAY)
    assert code == 1 and "[shadow-agent-token]" in out


def test_detect_reading_the_registry_merges_the_members_outputs_too(run, stack_outputs, members_traffic):
    code, out, err = run("detect", "--events", str(members_traffic), "--stack", "prod",
                         *client_ids_args(stack_outputs), *TODAY)  # fmt: skip
    assert (code, err) == (0, ""), out


def test_the_same_id_in_two_files_is_fine(run, stack_outputs, members_traffic):
    """A member's outputs exported twice (or a hand-written map repeating them) agree with themselves."""
    code, out, err = run("detect", "--events", str(members_traffic), "--stack", "prod",
                         *client_ids_args([*stack_outputs, stack_outputs[1]]), *TODAY)  # fmt: skip
    assert (code, err) == (0, ""), out


def test_one_identity_with_two_ids_is_an_error_naming_it_and_both_files(run, tmp_path, stack_outputs):
    """A stale or second app for finance-reconciler: neither id is picked silently, and no profile is written."""
    stale = tmp_path / "prod-shard-00-old.json"
    stale.write_text(json.dumps({"clientIds": {"finance-reconciler": "0oaSTALE000000000000"}}))
    member0 = stack_outputs[1]
    profile = tmp_path / "detection-profile.json"
    code, out, err = run("detections", "--profile", str(profile), "--stack", "prod",
                         *client_ids_args([*stack_outputs, stale]), *TODAY)  # fmt: skip
    assert code == 2 and out == "" and not profile.exists()
    errors = [line for line in err.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, err
    assert errors[0].startswith(
        f"Error: finance-reconciler has client id {real_id('finance-reconciler')} in {member0} but "
        f"0oaSTALE000000000000 in {stale}: "
    )
    assert "Re-export every member's outputs" in errors[0] and "pulumi state move" in errors[0]


def test_an_identity_in_no_members_file_is_an_error_naming_the_files(run, stack_outputs, members_traffic):
    """Forgetting member 1's outputs would make its apps shadow agents: refused, naming what is missing and where
    it was looked for."""
    core, member0, _member1 = stack_outputs
    code, _, err = run("detect", "--events", str(members_traffic), "--stack", "prod",
                       *client_ids_args([core, member0]), *TODAY)  # fmt: skip
    assert code == 2
    assert "no client id for meeting-summarizer, meeting-summarizer--calendar," in err
    assert f"in any of {core}, {member0}. Pass one --client-ids per member stack" in err


def test_one_file_keeps_its_messages(run, stack_outputs, members_traffic):
    """A single file is read and reported as before: the core's outputs alone lack every agent (message names the
    file first, and no "in any of" list)."""
    core = stack_outputs[0]
    code, _, err = run("detect", "--events", str(members_traffic), "--stack", "prod", "--client-ids", str(core))
    assert code == 2
    assert f"Error: {core}: no client id for finance-reconciler, " in err
    assert "in any of" not in err


def test_a_member_stack_name_points_at_its_environment(run, tmp_path):
    """`--stack prod-shard-01` names a stack no agent lists: the error says which environment to pass instead."""
    (tmp_path / "Pulumi.prod-shard-01.yaml").write_text(
        "config:\n  agentid:shard:\n    mode: member\n    environment: prod\n    index: 1\n    count: 2\n"
        "    core: acme/agentid/prod-core\n"
    )
    code, _, err = run("detections", "--profile", str(tmp_path / "p.json"), "--stack", "prod-shard-01", *TODAY)
    assert code == 2
    assert "no agent names stack 'prod-shard-01'" in err
    assert "part of the sharded environment prod (agentid:shard in Pulumi.prod-shard-01.yaml): pass --stack prod" in err
