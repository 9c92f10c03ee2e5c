"""Where agents' tokens come from: the network zones a stack declares (``agentid:networkZones.<name>.gateways``) and
the first-seen sources kept between runs (``agentid detect --baseline FILE``)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from agentid.cli.main import main
from agentid.detect.baseline import BASELINE_FORMAT, load_baseline
from agentid.detect.detector import detect_bytes, detect_events
from agentid.detect.stackconfig import StackConfigError, load_detection_config
from tests.conftest import CATALOG, REPO
from tests.detect.conftest import load_event

STACK_FILE = """\
config:
  okta:orgName: example
  agentid:authorizationServer:
    name: agents
    audience: api://agents
  agentid:networkZones:
    finance-batch:
      id: nzo1finance0batch0zone
      gateways: ["203.0.113.0/24", "2001:db8::/32"]
    office:
      id: nzo2office0zone00000
"""


def jsonl(events: list[dict[str, Any]]) -> bytes:
    return b"\n".join(orjson.dumps(e) for e in events) + b"\n"


def grant_from(ip: str, asn: int, uuid: str, published: str = "2026-12-01T02:14:09.331Z") -> dict[str, Any]:
    event = copy.deepcopy(load_event("grant-finance-reconciler-inside-zone"))
    event["client"]["ipAddress"] = ip
    event["request"]["ipChain"][0]["ip"] = ip
    event["securityContext"]["asNumber"] = asn
    event["uuid"] = uuid
    event["published"] = published
    return event


# ------------------------------------------------------------------------------------------------- network zones


def test_the_stack_file_gives_each_zone_its_gateways_by_name_and_id(tmp_path):
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(STACK_FILE)
    config = load_detection_config(path)
    assert config.zone_gateways["finance-batch"] == ("2001:db8::/32", "203.0.113.0/24")
    assert config.zone_gateways["nzo1finance0batch0zone"] == config.zone_gateways["finance-batch"]
    assert config.zone_gateways["office"] == ()  # no gateways declared: no network detection for its agents
    assert config.auth_servers == ("agents",)
    assert load_detection_config(tmp_path / "Pulumi.missing.yaml").zone_gateways == {}


@pytest.mark.parametrize(
    ("zones", "message"),
    [
        ('{finance-batch: {gateways: ["203.0.113.0/33"]}}', "'203.0.113.0/33' is not an IP address or CIDR"),
        ("{finance-batch: {gateways: 203.0.113.0/24}}", "gateways must be a list of CIDRs"),
        ("[finance-batch]", "must map zone names"),
    ],
)
def test_a_bad_zone_is_an_error_naming_the_file_and_key(tmp_path, zones, message):
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(f"config:\n  agentid:networkZones: {zones}\n")
    with pytest.raises(StackConfigError, match=message) as raised:
        load_detection_config(path)
    assert str(path) in str(raised.value) and "agentid:networkZones" in str(raised.value)


def test_a_grant_from_outside_the_zones_fires_and_inside_does_not(detection_set):
    finance = next(p for p in detection_set.identities if p.identity == "finance-reconciler")
    assert finance.networks == ("203.0.113.0/24",)
    inside, outside = (
        load_event("grant-finance-reconciler-inside-zone"),
        load_event("grant-finance-reconciler-outside-zone"),
    )
    assert detect_bytes(jsonl([inside]), detection_set).alerts == ()
    [alert] = detect_bytes(jsonl([outside]), detection_set).alerts
    assert (alert.detection, alert.identity, alert.details["ip"]) == (
        "token-outside-network-zone",
        "finance-reconciler",
        "198.51.100.23",
    )
    # An identity without zones is never judged on its address.
    meeting = load_event("grant-meeting-summarizer")
    meeting["client"]["ipAddress"] = "198.51.100.23"
    assert detect_bytes(jsonl([meeting]), detection_set).alerts == ()


def test_agentid_detect_reads_the_zones_from_the_stack_file(tmp_path, monkeypatch, capsys):
    (tmp_path / "Pulumi.yaml").write_text("name: agentid\nruntime: python\n")
    (tmp_path / "Pulumi.prod.yaml").write_text(STACK_FILE)
    events = tmp_path / "events.jsonl"
    events.write_bytes(jsonl([load_event("grant-finance-reconciler-outside-zone")]))
    monkeypatch.chdir(tmp_path)
    args = ["detect", "--events", str(events), "--agents", str(REPO / "agents"), "--catalog", str(CATALOG)]
    code = main([*args, "--stack", "prod", "--format", "json", "--today", "2026-12-01"])
    alerts = json.loads(capsys.readouterr().out)["alerts"]
    assert code == 1 and [a["detection"] for a in alerts] == ["token-outside-network-zone"]
    # Without --stack no stack file is read: no zones, no alert.
    assert main([*args, "--today", "2026-12-01"]) == 0


# ----------------------------------------------------------------------------------------------- first-seen source


def run_detect(detection_set, events: list[dict[str, Any]], baseline_path: Path):
    baseline = load_baseline(baseline_path)
    report = detect_events(jsonl(events), detection_set, baseline=baseline)
    baseline.save()
    return [a for a in report.alerts if a.detection == "first-seen-source"]


def test_the_first_run_only_records_and_the_next_alerts_on_a_new_ip_and_asn(detection_set, tmp_path):
    path = tmp_path / "state" / "sources.json"
    day_one = [grant_from("203.0.113.40", 64500, "9a1b0c2d-0000-4000-8000-000000000001")]
    assert run_detect(detection_set, day_one, path) == []
    document = json.loads(path.read_text())
    assert document["format"] == BASELINE_FORMAT
    [entry] = document["identities"].values()
    assert entry == {"identity": "finance-reconciler", "ip": ["203.0.113.40"], "asn": ["64500"]}

    same = [grant_from("203.0.113.40", 64500, "9a1b0c2d-0000-4000-8000-000000000002")]
    assert run_detect(detection_set, same, path) == [], "a known source is not news"

    moved = [
        grant_from("203.0.113.77", 64500, "9a1b0c2d-0000-4000-8000-000000000004", "2026-12-02T03:00:00.000Z"),
        grant_from("203.0.113.77", 64511, "9a1b0c2d-0000-4000-8000-000000000003", "2026-12-02T02:00:00.000Z"),
    ]
    alerts = run_detect(detection_set, moved, path)
    # One alert per new source, at its earliest grant (not the first in the file).
    assert sorted((a.key.split("/", 1)[1], a.uuid) for a in alerts) == [
        ("asn/64511", "9a1b0c2d-0000-4000-8000-000000000003"),
        ("ip/203.0.113.77", "9a1b0c2d-0000-4000-8000-000000000003"),
    ]
    assert run_detect(detection_set, moved, path) == [], "recorded once alerted"


def test_an_identity_new_to_the_baseline_is_only_recorded(detection_set, tmp_path):
    path = tmp_path / "sources.json"
    assert (
        run_detect(detection_set, [grant_from("203.0.113.40", 64500, "9a1b0c2d-0000-4000-8000-000000000011")], path)
        == []
    )
    meeting = load_event("grant-meeting-summarizer")
    assert run_detect(detection_set, [meeting], path) == [], "meeting-summarizer's first run"
    assert len(json.loads(path.read_text())["identities"]) == 2


def test_forked_workers_find_the_same_first_sources(detection_set, tmp_path):
    events = [
        grant_from(
            f"203.0.113.{i % 7}", 64500 + i % 3, f"9a1b0c2d-0000-4000-8000-{i:012d}", f"2026-12-01T02:{i:02d}:00.000Z"
        )
        for i in range(40)
    ]
    events.append(grant_from("203.0.113.99", 64500, "9a1b0c2d-0000-4000-8000-999999999999", "2026-12-01T02:59:00.000Z"))
    path = tmp_path / "events.jsonl"
    path.write_bytes(jsonl(events))
    reports = []
    for workers in (1, 3):
        baseline = load_baseline(tmp_path / "none.json")
        baseline.add(events[0]["actor"]["id"], "finance-reconciler", "ip", "203.0.113.0")
        with path.open("rb") as source:
            report = detect_events(source, detection_set, workers=workers, split_min_bytes=1, baseline=baseline)
        reports.append([(a.key, a.uuid) for a in report.alerts if a.detection == "first-seen-source"])
    assert reports[0] == reports[1] and len(reports[0]) == 7 + 3  # 8 IPs but the known one, 3 ASNs


def test_agentid_detect_baseline_flag(run_in_repo, tmp_path):
    events = tmp_path / "events.jsonl"
    state = tmp_path / "sources.json"
    events.write_bytes(jsonl([grant_from("203.0.113.40", 64500, "9a1b0c2d-0000-4000-8000-000000000021")]))
    common = ["detect", "--events", str(events), "--baseline", str(state), "--today", "2026-12-01"]
    assert run_in_repo(*common)[0] == 0 and state.is_file()
    events.write_bytes(jsonl([grant_from("198.51.100.9", 64500, "9a1b0c2d-0000-4000-8000-000000000022")]))
    code, out, _ = run_in_repo(*common)
    assert code == 1 and "[first-seen-source]" in out and "198.51.100.9" in out
    assert not list(tmp_path.glob("*.partial")), "the baseline is replaced atomically"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{", "not valid JSON"),
        (b'{"format": "something-else"}', "not an agentid baseline"),
        (b'{"format": "agentid-detect-baseline", "version": 9, "identities": {}}', "baseline version 9"),
    ],
)
def test_a_bad_baseline_exits_2_and_is_left_alone(run_in_repo, tmp_path, content, message):
    events = tmp_path / "events.jsonl"
    events.write_bytes(jsonl([load_event("grant-meeting-summarizer")]))
    state = tmp_path / "sources.json"
    state.write_bytes(content)
    code, _, err = run_in_repo("detect", "--events", str(events), "--baseline", str(state), "--today", "2026-12-01")
    assert code == 2 and message in err and str(state) in err
    assert state.read_bytes() == content


@pytest.fixture()
def run_in_repo(monkeypatch, capsys):
    monkeypatch.chdir(REPO)

    def invoke(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


def test_the_compiled_profile_carries_networks_and_the_authorization_server(detection_set):
    from agentid.detect.profile import PROFILE_VERSION, ProfileError, profile_document, profile_from_document

    document = profile_document(detection_set, agentid_version="test", digest="sha256:0")
    assert document["version"] == PROFILE_VERSION == 2
    assert document["auth_servers"] == ["agents"]
    again = profile_from_document(json.loads(json.dumps(document)))
    assert again.identities == detection_set.identities and again.auth_servers == detection_set.auth_servers
    finance = next(i for i in document["identities"] if i["identity"] == "finance-reconciler")
    finance["networks"] = ["203.0.113.0/99"]
    with pytest.raises(ProfileError, match="not a CIDR"):
        profile_from_document(document)
