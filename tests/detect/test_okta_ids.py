"""Issue 15, finding 9: ``--deployer-id '*'`` / ``--allow-client '0oa*'`` (and the stack config lists and client id
files feeding them) became Sigma wildcards exempting everyone, while EventBridge compared them literally. Every place
an id enters refuses anything but an Okta id, and every value that reaches a Sigma rule is escaped anyway.

Okta's id form (20 ASCII letters and digits, ``0oa`` apps, ``00u`` users) is checked against Okta's published
examples: okta/okta-developer-docs@468de9c511b5e4009bb5f06c25cbf4b85fecb8d0,
packages/@okta/vuepress-site/docs/reference/api/apps/index.md and docs/reference/system-log-query/index.md.
"""

from __future__ import annotations

import json

import orjson
import pytest
from sigma.backends.splunk import SplunkBackend
from sigma.collection import SigmaCollection

from agentid.detect import sigma
from agentid.detect.clientids import CLIENT_PREFIXES, PRINCIPAL_PREFIXES, okta_id_problem
from agentid.detect.definitions import DetectionSet
from agentid.detect.eventbridge import PatternInputs, build_patterns
from agentid.detect.profile import ProfileError, profile_document, profile_from_document
from agentid.detect.synthetic import DEPLOYER_ID
from infra.config import ConfigError, parse_detections

TODAY = ["--today", "2026-12-21"]
#: Ids from Okta's documentation (see the module docstring): an app, a user, a user in an older org's style.
OKTA_EXAMPLES = {"0oa1gjh63g214q0Hq0g4": CLIENT_PREFIXES, "00ucw2RPGIUNTDQOYPOF": PRINCIPAL_PREFIXES}
HOSTILE_IDS = [
    "*",
    "0oa*",
    "0oa?",
    "0oa1gjh63g214q0Hq0g*",  # 20 characters, one of them a wildcard
    "0oa1gjh63g214q0Hq0g\\",
    "0oa1gjh63g214q0Hq0g4\n--allow-client",
    "0oa1gjh63g214q0Hq0g4 ",
    "0oa1gjh63g214q0Hq0g",  # 19
    "0oa1gjh63g214q0Hq0g45",  # 21
    "0oa1gjh63g214q0Hq0g٤",  # an Arabic-Indic digit: str.isalnum() would accept it
    "",
]


def test_okta_examples_are_ids_and_hostile_values_are_not():
    for value, prefixes in OKTA_EXAMPLES.items():
        assert okta_id_problem(value, prefixes) is None, value
    for value in HOSTILE_IDS:
        assert okta_id_problem(value, PRINCIPAL_PREFIXES) is not None, repr(value)
    assert "expected 0oa" in okta_id_problem("00ucw2RPGIUNTDQOYPOF", CLIENT_PREFIXES), "a user is not a client"


@pytest.mark.parametrize("option", ["--deployer-id", "--allow-client"])
@pytest.mark.parametrize("value", ["*", "0oa*", "0oa1gjh63g214q0Hq0g?"])
@pytest.mark.parametrize("command", ["detect", "detections"])
def test_cli_refuses_wildcards_with_exit_2(run, tmp_path, option, value, command):
    events = tmp_path / "events.jsonl"
    events.write_text("")
    args = ["--events", str(events)] if command == "detect" else ["--out", str(tmp_path / "out")]
    code, out, err = run(command, *args, option, value, *TODAY)
    assert code == 2, (out, err)
    assert f"Invalid value for '{option}'" in err and "is not an Okta id" in err
    assert not (tmp_path / "out").exists(), "nothing written"


def test_a_client_id_file_with_a_wildcard_is_refused(run, tmp_path, sample_registry):
    from agentid.detect.definitions import identity_names

    names = identity_names(sample_registry.agents)
    ids = {name: f"0oaREAL{index:013d}" for index, name in enumerate(names)}
    ids[names[0]] = "0oa*"
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"clientIds": ids}))
    code, _out, err = run("detections", "--out", str(tmp_path / "out"), "--client-ids", str(outputs), *TODAY)
    assert code == 2
    assert f"{outputs}: the client id of {names[0]}: '0oa*' is not an Okta id" in err


@pytest.mark.parametrize("field", ["deployerIds", "allowedClientIds"])
@pytest.mark.parametrize("value", ["*", "0oa*", "0oa1gjh63g214q0Hq0g4\n--deployer-id"])
def test_stack_config_refuses_non_ids(field, value):
    config = {"enabled": True, "targetArn": "arn:aws:sns:eu-west-1:123456789012:alerts", field: [DEPLOYER_ID, value]}
    with pytest.raises(ConfigError, match=rf"agentid:detections\.{field}\[1\]: .* is not an Okta id"):
        parse_detections(config, "prod")
    assert parse_detections({**config, field: [DEPLOYER_ID]}, "prod").enabled


def test_a_profile_with_a_wildcard_is_refused(detection_set):
    document = orjson.loads(orjson.dumps(profile_document(detection_set, agentid_version="0", digest="d")))
    for key, value in (("deployer_ids", ["*"]), ("allowed_client_ids", ["0oa*"])):
        with pytest.raises(ProfileError, match=rf"{key}\[0\]: .* is not an Okta id"):
            profile_from_document({**document, key: value})
    document["identities"][0]["client_id"] = "0oa????????????????"
    with pytest.raises(ProfileError, match=r"identities\[0\]\.client_id: .* is not an Okta id"):
        profile_from_document(document)


def _leaf_items(detection):
    """Every detection item of a Sigma detection, nested alternatives (a list of maps) included."""
    for item in detection.detection_items:
        if hasattr(item, "detection_items"):
            yield from _leaf_items(item)
        else:
            yield item


def test_sigma_carries_every_id_literally(detection_set):
    """Whatever reaches a rule (a DetectionSet built directly, past every entry check) is matched literally by pySigma
    and by its Splunk output, as EventBridge matches it."""
    from dataclasses import replace

    odd = "0oa*?\\"
    identities = (replace(detection_set.identities[0], client_id=odd), *detection_set.identities[1:])
    weird = DetectionSet(identities, detection_set.today, deployer_ids=("*",), allowed_client_ids=("0oa?",))
    files = sigma.generate(weird)
    names = ("identity-tampering.yml", "shadow-agent-token.yml", f"{identities[0].identity}/scope-outside-profile.yml")
    for name in names:
        (rule,) = [r for r in SigmaCollection.from_yaml(files[name]).rules if r.detection]
        items = [item for detection in rule.detection.detections.values() for item in _leaf_items(detection)]
        values = [value for item in items if item.field == "actor.id" for value in item.value]
        assert values and not any(value.contains_special() for value in values), name
        plain = [i for i in items if not any("Startswith" in m.__name__ for m in i.modifiers)]  # prefix: a wildcard
        every = [v for item in plain for v in item.value if hasattr(v, "contains_special")]
        assert not any(v.contains_special() for v in every), f"{name}: a value is a wildcard"
        assert {str(v).replace("\\", "") for v in values} & {"*", "0oa?", "0oa*?"}, name
    (query,) = SplunkBackend().convert(SigmaCollection.from_yaml(files["identity-tampering.yml"]))
    assert 'NOT actor.id="\\*"' in query, query
    patterns = build_patterns(PatternInputs.from_detection_set(weird))
    assert patterns["identity-tampering"]["detail"]["actor"] == {"id": [{"anything-but": ["*"]}]}, "literal there too"
