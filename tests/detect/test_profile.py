"""The compiled detection profile (`agentid detections --profile`, `agentid detect --profile`).

A profile replaces the registry for `agentid detect`, so it must be the same detections: the DetectionSet read back
is equal to the one written, and detect through a profile reports exactly what detect through the registry reports
(every alert, problem and count, text and JSON) on generated registries and generated traffic. A profile that cannot
be trusted (not JSON, another version, the wrong shape) is refused with the file's name and what to do, never
half-used; it holds names and client ids, never key material; and reading one loads no YAML or schema code.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given

from agentid.cli.main import main
from agentid.detect.clientids import offline_client_id
from agentid.detect.definitions import DETECTIONS, DetectionSet, build_detection_set
from agentid.detect.detector import detect_bytes
from agentid.detect.profile import (
    PROFILE_VERSION,
    ProfileError,
    dump_profile,
    load_profile,
    profile_document,
    profile_from_document,
    registry_digest,
)
from agentid.detect.synthetic import DEPLOYER_ID, synthetic_day
from agentid.registry import load_registry
from benchmarks.generate import generate
from tests.conftest import AGENTS_DIR, CATALOG, REPO
from tests.detect.conftest import AFTER_EXPIRY
from tests.detect.test_equivalence import EQUIVALENCE, export, snapshot

DIGEST = "sha256:" + "ab" * 32


def round_trip(detections: DetectionSet, tmp_path: Path) -> DetectionSet:
    path = tmp_path / "detection-profile.json"
    path.write_bytes(dump_profile(detections, agentid_version="0.1.0", digest=DIGEST))
    return load_profile(path)


def test_a_profile_reads_back_as_the_detection_set_it_was_written_from(sample_registry, tmp_path):
    """Every field: identities in order (plugins included), scopes, budgets, hours, expiry, file, stack, deployers."""
    client_ids = {name: f"0oaREAL{i:013d}" for i, name in enumerate(
        n for agent in sample_registry.for_stack("prod") for n, _c, _s in agent.identities())}  # fmt: skip
    original = build_detection_set(
        sample_registry,
        today=AFTER_EXPIRY,
        stack="prod",
        client_ids=client_ids,
        deployer_ids=[DEPLOYER_ID],
        allowed_client_ids=["0oa0reporting0export"],
    )
    loaded = round_trip(original, tmp_path)
    assert loaded == original
    assert loaded.identities == original.identities  # compared field by field, frozensets of scopes included
    assert dict(loaded.by_client_id) == dict(original.by_client_id)
    assert loaded.known_client_ids == original.known_client_ids
    assert loaded.inactive() == original.inactive() and loaded.inactive(), "incident-responder has expired"
    assert any("--" in p.identity for p in loaded.identities), "plugins are identities of their own"


def test_a_generated_registry_round_trips(tmp_path):
    """Eleven kinds of agent: Okta management scopes, plugins, windows wrapping midnight or ending at 24:00."""
    generate(tmp_path / "gen", 60, today=AFTER_EXPIRY, violation_rate=0.0)
    registry = load_registry(tmp_path / "gen" / "agents", CATALOG, root=REPO).registry
    original = build_detection_set(registry, today=AFTER_EXPIRY, deployer_ids=[DEPLOYER_ID])
    assert round_trip(original, tmp_path) == original


def test_the_profile_records_where_it_came_from(sample_registry):
    detections = build_detection_set(sample_registry, today=AFTER_EXPIRY, stack="prod")
    document = profile_document(detections, agentid_version="0.1.0", digest=DIGEST)
    assert document["format"] == "agentid-detection-profile" and document["version"] == PROFILE_VERSION
    assert (document["compiled_for"], document["stack"], document["agentid_version"]) == ("2026-12-21", "prod", "0.1.0")
    assert document["registry_digest"] == DIGEST


# -------------------------------------------------------------------------------------- same reports as the registry


@EQUIVALENCE
@given(export())
def test_generated_exports_give_the_same_report_through_a_profile(detection_set, data):
    """Budgets of 0 to 3 so rate alerts fire; the profile is read back from its JSON, not passed through."""
    tight = DetectionSet(
        identities=tuple(replace(p, max_tokens_per_hour=i % 4) for i, p in enumerate(detection_set.identities)),
        today=detection_set.today,
        deployer_ids=(DEPLOYER_ID,),
        allowed_client_ids=(DEPLOYER_ID, "0oa0reporting0export"),
    )
    loaded = profile_from_document(orjson.loads(dump_profile(tight, agentid_version="0.1.0", digest=DIGEST)))
    assert snapshot(detect_bytes(data, loaded)) == snapshot(detect_bytes(data, tight))


def test_a_profile_compiled_on_an_earlier_day_judges_events_as_the_registry_does(sample_registry, tmp_path):
    """Expiry is judged on each event's date against each identity's expiry date, which the profile carries: a
    profile compiled before incident-responder expired still reports its grant the day after."""
    before_expiry = build_detection_set(sample_registry, today=AFTER_EXPIRY.replace(day=1), deployer_ids=[DEPLOYER_ID])
    on_the_day = build_detection_set(sample_registry, today=AFTER_EXPIRY, deployer_ids=[DEPLOYER_ID])
    events = synthetic_day(on_the_day, day=AFTER_EXPIRY, seed=20261221).events
    data = b"\n".join(orjson.dumps(e) for e in events)
    through_profile = detect_bytes(data, round_trip(before_expiry, tmp_path))
    assert snapshot(through_profile) == snapshot(detect_bytes(data, on_the_day))
    assert "inactive-agent-token" in {a.detection for a in through_profile.alerts}


@pytest.fixture()
def run(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)  # no repository here: --agents and --catalog say where the registry is

    def invoke(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


#: A day after four of the generated agents expired (2027-01-03 to 01-12), so an inactive-agent grant is planted.
EVENT_DAY = "2027-01-15"


@pytest.fixture()
def deployed(tmp_path):
    """A generated registry deployed to prod on 2026-12-21: its stack outputs (real-looking client ids) and a later
    day of traffic for those ids, every detection planted, as the SIEM side would receive it."""
    generate(tmp_path / "registry", 20, today=AFTER_EXPIRY, violation_rate=0.0)
    agents = tmp_path / "registry" / "agents"
    registry = load_registry(agents, CATALOG, root=REPO).registry
    names = [n for agent in registry.for_stack("prod") for n, _c, _s in agent.identities()]
    client_ids = {name: f"0oaPROD{i:013d}" for i, name in enumerate(names)}
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"issuer": "https://acme.okta.com/oauth2/aus1", "clientIds": client_ids}))
    day = dt.date.fromisoformat(EVENT_DAY)
    detections = build_detection_set(
        registry, today=day, stack="prod", client_ids=client_ids, deployer_ids=[DEPLOYER_ID]
    )
    events = tmp_path / f"okta-{EVENT_DAY}.jsonl"
    day = synthetic_day(detections, day=day, seed=7).events
    events.write_bytes(b"\n".join(orjson.dumps(e) for e in day) + b"\n{not json\n")
    return agents, outputs, events


def registry_args(agents: Path, outputs: Path) -> list[str]:
    return ["--agents", str(agents), "--catalog", str(CATALOG), "--stack", "prod", "--client-ids", str(outputs),
            "--deployer-id", DEPLOYER_ID]  # fmt: skip


@pytest.mark.parametrize("output_format", ["json", "text"])
def test_detect_through_a_profile_prints_what_detect_through_the_registry_prints(
    run, deployed, tmp_path, output_format
):
    """The deploy job compiles the profile (on the deploy's day); the SIEM side runs detect with it alone on a later
    day's events, after some agents expired: same stdout, stderr and exit as detect reading the registry that day."""
    agents, outputs, events = deployed
    profile = tmp_path / "build" / "detection-profile.json"
    code, out, _ = run(
        "detections", "--profile", str(profile), *registry_args(agents, outputs), "--today", "2026-12-21"
    )
    assert code == 0 and f"wrote detection profile {profile}" in out and "of stack prod" in out
    common = ["detect", "--events", str(events), "--format", output_format, "--today", EVENT_DAY]
    by_registry = run(*common, *registry_args(agents, outputs))
    by_profile = run(*common, "--profile", str(profile))
    assert by_profile == by_registry
    assert by_profile[0] == 1 and "not valid JSON" in by_profile[2]
    if output_format == "json":
        document = json.loads(by_profile[1])
        # All but the first-seen source (no --baseline) and the network zones (Pulumi.prod.yaml declares no gateways).
        expected = set(DETECTIONS) - {"first-seen-source", "token-outside-network-zone"}
        assert {a["detection"] for a in document["alerts"]} == expected, "every planted detection fires"
        assert document["stack"] == "prod"


def test_detections_writes_the_rules_and_the_profile_in_one_run(run, tmp_path):
    out_dir, profile = tmp_path / "detections", tmp_path / "detection-profile.json"
    code, out, _ = run("detections", "--out", str(out_dir), "--profile", str(profile), "--offline-ids",
                       "--agents", str(AGENTS_DIR), "--catalog", str(CATALOG), "--today", "2026-12-21")  # fmt: skip
    assert code == 0, out
    assert sorted(p.name for p in (out_dir / "eventbridge").glob("*.json")) and profile.is_file()
    assert not list(tmp_path.glob("*.partial"))
    assert load_profile(profile).by_client_id[offline_client_id("meeting-summarizer")].agent == "meeting-summarizer"


def test_detections_needs_something_to_write(run):
    code, _, err = run("detections", "--agents", str(AGENTS_DIR), "--catalog", str(CATALOG))
    assert code == 2 and "--out DIR" in err and "--profile FILE" in err


@pytest.mark.parametrize(
    ("option", "extra"),
    [
        ("--stack", ["prod"]),
        ("--client-ids", ["outputs.json"]),
        ("--deployer-id", [DEPLOYER_ID]),
        ("--allow-client", ["0oa0reporting0export"]),
        ("--agents", [str(AGENTS_DIR)]),
        ("--catalog", [str(CATALOG)]),
    ],
)
def test_profile_refuses_the_options_it_replaces(run, sample_registry, tmp_path, option, extra):
    """The profile already fixed the stack, ids and deployers: an option that would change them is a usage error
    naming it, not silently ignored."""
    profile = tmp_path / "detection-profile.json"
    profile.write_bytes(dump_profile(build_detection_set(sample_registry, today=AFTER_EXPIRY), agentid_version="0",
                                     digest=DIGEST))  # fmt: skip
    events = tmp_path / "events.jsonl"
    events.write_text("")
    code, out, err = run("detect", "--events", str(events), "--profile", str(profile), option, *extra)
    assert code == 2 and out == ""
    assert f"cannot be combined with {option}:" in err and "leave out --profile" in err


def test_profile_with_only_the_options_it_allows_runs(run, sample_registry, tmp_path):
    profile = tmp_path / "detection-profile.json"
    profile.write_bytes(dump_profile(build_detection_set(sample_registry, today=AFTER_EXPIRY), agentid_version="0",
                                     digest=DIGEST))  # fmt: skip
    events = tmp_path / "events.jsonl"
    events.write_text("")
    assert run("detect", "--events", str(events), "--profile", str(profile), "--today", "2026-12-01")[0] == 0


# ------------------------------------------------------------------------------------------------------ bad profiles


def valid_document(sample_registry) -> dict[str, Any]:
    detections = build_detection_set(sample_registry, today=AFTER_EXPIRY, deployer_ids=[DEPLOYER_ID])
    return json.loads(dump_profile(detections, agentid_version="0.1.0", digest=DIGEST))


def _set(path: str, value: Any):
    def mutate(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = document
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        key: Any = int(last) if last.isdigit() else last
        if value is KeyError:
            del target[key]
        else:
            target[key] = value

    return mutate


def _duplicate_client(document: dict[str, Any]) -> None:
    document["identities"][1]["client_id"] = document["identities"][0]["client_id"]


def _duplicate_identity(document: dict[str, Any]) -> None:
    document["identities"][1]["identity"] = document["identities"][0]["identity"]


BAD_DOCUMENTS = [
    ("another JSON file", lambda d: d.pop("format"), "not an agentid detection profile"),
    ("a later format", _set("version", PROFILE_VERSION + 1), f"version {PROFILE_VERSION + 1}; this agentid reads"),
    ("version as text", _set("version", str(PROFILE_VERSION)), f"this agentid reads version {PROFILE_VERSION} only"),
    ("a member missing", _set("registry_digest", KeyError), "missing ['registry_digest']"),
    ("a member added", _set("comment", "hand edited"), "unexpected ['comment']"),
    ("stack not text", _set("stack", 3), "stack must be a string or null"),
    ("compiled_for not a date", _set("compiled_for", "yesterday"), "compiled_for must be a date"),
    ("deployers not a list", _set("deployer_ids", DEPLOYER_ID), "deployer_ids must be a list of strings"),
    ("identities not a list", _set("identities", {}), "identities must be a list"),
    ("an identity not an object", _set("identities.0", "meeting-summarizer"), "identities[0] must be an object"),
    ("scopes as one string", _set("identities.2.scopes", "calendar.read"), "identities[2].scopes must be a list"),
    ("an empty client id", _set("identities.1.client_id", ""), "identities[1].client_id must be a non-empty string"),
    ("a budget as text", _set("identities.0.max_tokens_per_hour", "30"), "max_tokens_per_hour must be a whole"),
    ("a negative budget", _set("identities.0.max_tokens_per_hour", -1), "max_tokens_per_hour must be a whole"),
    ("a budget of true", _set("identities.0.max_tokens_per_hour", True), "max_tokens_per_hour must be a whole"),
    ("hours out of range", _set("identities.0.active_hours_utc", "25:00-06:00"), "active_hours_utc must look like"),
    ("expiry not a date", _set("identities.0.expires", "2026-13-01"), "identities[0].expires must be a date"),
    ("a client id twice", _duplicate_client, "identities[1] repeats client id"),
    ("an identity twice", _duplicate_identity, "identities[1] repeats identity"),
]


@pytest.mark.parametrize(("mutate", "message"), [b[1:] for b in BAD_DOCUMENTS], ids=[b[0] for b in BAD_DOCUMENTS])
def test_each_malformed_profile_is_refused_with_what_to_do(sample_registry, tmp_path, mutate, message):
    document = valid_document(sample_registry)
    profile_from_document(document, "detection-profile.json")  # the unmutated document is accepted
    mutate(document)
    path = tmp_path / "detection-profile.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    text = str(caught.value)
    assert message in text, text
    assert text.startswith(f"{path}: ") and f"agentid detections --profile {path}" in text
    assert "\n" not in text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"format": "agentid-detection-profile", "version": 1,', "not valid JSON (line 1, column"),
        (b"", "not valid JSON"),
        (b'{"format": "agentid-detection-profile", "version": 99}', "detection profile version 99;"),
        (b"[]", "not an agentid detection profile"),
        (None, "does not exist"),
        ("directory", "is a directory"),
    ],
    ids=["truncated", "empty", "version-99", "a-list", "missing", "directory"],
)
def test_detect_with_a_bad_profile_exits_2_with_one_line_naming_the_file(run, tmp_path, content, message):
    profile = tmp_path / "detection-profile.json"
    if content == "directory":
        profile.mkdir()
    elif content is not None:
        profile.write_bytes(content)
    events = tmp_path / "events.jsonl"
    events.write_text('{"uuid": "1", "eventType": "user.session.start", "published": "2026-12-21T10:00:00Z"}\n')
    code, out, err = run("detect", "--events", str(events), "--profile", str(profile))
    assert code == 2 and out == ""
    errors = [line for line in err.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and f"--profile {profile}" in errors[0] and message in errors[0], err
    assert "Traceback" not in err


def test_a_valid_profile_is_accepted_by_the_same_checks(sample_registry):
    """The passing fixture for every check above: the document as written is read back whole."""
    document = valid_document(sample_registry)
    assert len(profile_from_document(document).identities) == len(document["identities"]) == 10


# -------------------------------------------------------------------------------------------- contents and start-up


def test_no_key_material_reaches_the_profile(sample_registry):
    """The profile goes to the SIEM side: names, client ids, scopes and dates only. Every public key member and
    jwks_uri of the sample registry (which has both key styles) is absent, and no member names a key."""
    detections = build_detection_set(sample_registry, today=AFTER_EXPIRY, deployer_ids=[DEPLOYER_ID])
    text = dump_profile(detections, agentid_version="0.1.0", digest=DIGEST).decode()
    material = set()
    for agent in sample_registry:
        for _identity, credentials, _scopes in agent.identities():
            if credentials.jwks_uri:
                material.add(credentials.jwks_uri)
            for key in credentials.keys:
                material |= {v for k, v in key.public_members().items() if k in ("n", "x", "y", "kid")}
    assert len(material) >= 5, "the sample registry has keys and jwks_uris to look for"
    assert not [value for value in material if value in text]
    for word in ('"kty"', '"jwks', '"keys"', "PRIVATE KEY", '"d"'):
        assert word not in text


def test_the_digest_follows_the_registry_files_not_the_checkout(tmp_path):
    first, second = tmp_path / "checkout-a", tmp_path / "elsewhere" / "checkout-b"
    for checkout in (first, second):
        (checkout / "agents").mkdir(parents=True)
        for source in sorted(AGENTS_DIR.glob("*.yaml")):
            (checkout / "agents" / source.name).write_bytes(source.read_bytes())
        (checkout / "agents" / "README.md").write_text("not a definition")
    digest = registry_digest(first / "agents", CATALOG)
    assert digest.startswith("sha256:") and digest == registry_digest(second / "agents", CATALOG)
    edited = second / "agents" / "meeting-summarizer.yaml"
    edited.write_text(edited.read_text().replace("max_tokens_per_hour: ", "max_tokens_per_hour: 1"))
    assert registry_digest(second / "agents", CATALOG) != digest


STARTUP = """
import sys
from agentid.cli.main import main
code = main(["detect", "--events", sys.argv[1], "--profile", sys.argv[2], "--format", "json"])
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("yaml", "jsonschema", "jsonschema_rs", "joserfc",
    "pulumi") or m.startswith(("agentid.registry.loader", "agentid.registry.model", "agentid.registry.schema")))
print("LOADED", loaded, "EXIT", code, file=sys.stderr)
"""


def test_detect_through_a_profile_imports_no_registry_yaml_or_schema_code(sample_registry, tmp_path):
    """What makes the one-event run cheap: the registry's loader, PyYAML and the schema engines stay unimported."""
    profile = tmp_path / "detection-profile.json"
    profile.write_bytes(dump_profile(build_detection_set(sample_registry, today=AFTER_EXPIRY), agentid_version="0",
                                     digest=DIGEST))  # fmt: skip
    events = tmp_path / "events.jsonl"
    events.write_text('{"uuid": "1", "eventType": "user.session.start", "published": "2026-12-21T10:00:00Z"}\n')
    done = subprocess.run([sys.executable, "-c", STARTUP, str(events), str(profile)], capture_output=True, text=True,
                          cwd=REPO, timeout=120)  # fmt: skip
    assert "LOADED [] EXIT 0" in done.stderr, done.stderr
