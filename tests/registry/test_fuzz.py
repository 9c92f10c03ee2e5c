"""Property tests of the loader, each with a property beyond "no exception":

* whatever bytes, text or mappings arrive, every finding names the file, a rule and a line inside the input, and a
  file that yields no model yields at least one error;
* a valid definition stays valid, with the same model, however it is written (key order, block or flow style,
  indentation, JSON, comments);
* an error planted anywhere in a valid definition, written any of those ways, is found on the planted line (the
  line is found by searching the generated text for the planted value, not by asking the loader).

The valid definition is tests/fixtures/agents/hostile/collision/support-triage.yaml (a fixture of the tests', not the
live agents/). Examples are derandomised (tests/conftest.py): every run draws the same ones.
"""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentid.findings import Finding, Severity
from agentid.registry import load_agent_bytes
from agentid.registry.yamlsafe import load_bytes
from tests.conftest import FIXTURES

VALID = FIXTURES / "agents" / "hostile" / "collision" / "support-triage.yaml"
FILE = "agents/support-triage.yaml"

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.dates().map(lambda d: d.isoformat()),
)
keys = st.sampled_from(
    [
        "name",
        "owners",
        "access",
        "scopes",
        "credentials",
        "keys",
        "jwks_uri",
        "lifecycle",
        "kind",
        "expires",
        "plugins",
        "profile",
        "d",
        "kty",
        "n",
    ]
) | st.text(max_size=10)
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5), max_leaves=25
)


def _check(result: tuple[Any, list[Finding]], text: str) -> None:
    """Every finding is well formed and points inside the input; no model means at least one error."""
    agent, findings = result
    last_line = len(text.splitlines()) + 1  # splitlines knows every line break YAML does (\r, NEL, U+2028...)
    for finding in findings:
        assert isinstance(finding, Finding) and finding.rule and finding.message
        assert finding.file == FILE
        assert finding.line is None or 1 <= finding.line <= last_line, (finding, last_line)
        assert finding.column is None or finding.column >= 1
    assert agent is not None or any(f.severity is Severity.ERROR for f in findings), findings


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_arbitrary_bytes_give_well_formed_findings(raw: bytes):
    _check(load_agent_bytes(raw, FILE, expected_name="support-triage"), raw.decode("utf-8", "replace"))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_text_gives_well_formed_findings(text: str):
    raw = text.encode("utf-8", "surrogatepass")
    _check(load_agent_bytes(raw, FILE, expected_name="support-triage"), raw.decode("utf-8", "replace"))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(keys, values, max_size=8))
def test_arbitrary_mappings_give_well_formed_findings(mapping: dict):
    text = json.dumps(mapping)
    _check(load_agent_bytes(text.encode(), FILE, expected_name="support-triage"), text)


# --------------------------------------------------------------------------------------------------- valid stays valid

_DATA = load_bytes(VALID.read_bytes()).data
_MODEL, _FINDINGS = load_agent_bytes(VALID.read_bytes(), FILE, expected_name="support-triage")
assert _MODEL is not None and _FINDINGS == [], _FINDINGS


def _shuffled(value: Any, rnd: random.Random) -> Any:
    """The same data with every mapping's keys in another order (lists keep theirs: their order is meaning)."""
    if isinstance(value, dict):
        items = list(value.items())
        rnd.shuffle(items)
        return {key: _shuffled(child, rnd) for key, child in items}
    if isinstance(value, list):
        return [_shuffled(child, rnd) for child in value]
    return value


#: How a person or a tool may write the same definition.
STYLES = st.sampled_from(["block", "flow", "json", "block-commented"])


def _write(data: Any, style: str, indent: int) -> str:
    if style == "json":
        return json.dumps(data, indent=indent)
    text = yaml.safe_dump(
        data, sort_keys=False, default_flow_style=style == "flow", indent=indent, width=4096, allow_unicode=True
    )
    if style == "block-commented":  # a comment above every line, and one at the end of each key line
        lines = []
        for line in text.splitlines():
            lines.append(" " * (len(line) - len(line.lstrip())) + "# reviewed: the value below is intended")
            lines.append(line + "  # ok" if line.rstrip().endswith(":") else line)
        text = "\n".join(lines) + "\n"
    return "# yaml-language-server: $schema=../policies/agent.schema.json\n" + text


@settings(max_examples=60, deadline=None)
@given(st.randoms(use_true_random=False), STYLES, st.integers(min_value=2, max_value=6))
def test_a_valid_definition_stays_valid_however_it_is_written(rnd, style, indent):
    text = _write(_shuffled(copy.deepcopy(_DATA), rnd), style, indent)
    agent, findings = load_agent_bytes(text.encode(), FILE, expected_name="support-triage")
    assert findings == [], (text, findings)
    assert agent == _MODEL


# --------------------------------------------------------------------------------------------------- planted errors

#: (path, planted value, the rule that must report it, text that finds the planted line in the written file). A
#: private member is reported at the key that holds it: any line of that key's block.
_KEY_BLOCK = ("SECRETplanted", "kty: EC", "kid: support-triage-kb", "crv: P-256", "x: wAaE", "y: oSpur")
PLANTED = [
    (("name",), "Support_Triage", "load.schema", "Support_Triage"),
    (("owners", 0), "lena.fischer-at-example.com", "load.schema", "lena.fischer-at-example.com"),
    (("team",), "support-desk\n", "load.control-character", "support-desk"),
    (("environments", 1), "Production", "load.schema", "Production"),
    (("lifecycle", "review_by"), "2027-02-30", "load.schema", "2027-02-30"),
    (("access", "token_lifetime_minutes"), 1441, "load.schema", "1441"),
    (("access", "scopes", 0, "reason"), "Triage.", "load.schema", "Triage."),
    (("access", "scopez"), [], "load.schema", "scopez"),
    (("plugins", 0, "credentials", "keys", 0, "dq"), "SECRETplantedPrivateMember", "private-key-material", _KEY_BLOCK),
    (("profile", "active_hours_utc"), "6:00-20:00", "load.schema", "6:00-20:00"),
]


def _planted(data: dict, path: tuple, value: Any) -> dict:
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return data


@settings(max_examples=80, deadline=None)
@given(
    st.sampled_from(range(len(PLANTED))),
    st.randoms(use_true_random=False),
    st.sampled_from(["block", "block-commented"]),
    st.integers(min_value=2, max_value=6),
)
def test_a_planted_error_is_found_on_its_line(which, rnd, style, indent):
    path, value, rule, marker = PLANTED[which]
    markers = (marker,) if isinstance(marker, str) else marker
    text = _write(_shuffled(_planted(copy.deepcopy(_DATA), path, value), rnd), style, indent)
    lines = {
        number
        for number, line in enumerate(text.splitlines(), 1)
        if any(m in line for m in markers) and not line.lstrip().startswith("#")
    }
    assert len(lines) == len(markers), (markers, text)  # each marker is on exactly one line
    agent, findings = load_agent_bytes(text.encode(), FILE, expected_name="support-triage")
    assert any(f.rule == rule and f.line in lines for f in findings), (text, findings)
    assert "SECRET" not in "".join(f.message + f.remediation for f in findings)
    if rule.startswith("load."):
        assert agent is None  # a schema or character error keeps the file from loading


# --------------------------------------------------------------------------------------------------- near-valid input


def _paths(value, path=()):
    """Every path into a parsed agent file: the places a mutation can hit."""
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*path, index))


#: existing paths, plus optional keys the sample leaves out
_MUTABLE = [*list(_paths(_DATA))[1:], ("lifecycle", "expires"), ("waivers",), ("plugins", 1)]
_EDGES = ["2027-02-30", "9999-12-31", "0001-01-01", "", "okta.users.manage", 10**30, -1, 1e308, None, [], {}]
_EDGE_VALUES = st.sampled_from(_EDGES)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_MUTABLE), st.one_of(_EDGE_VALUES, values)), min_size=1, max_size=2))
def test_a_valid_agent_with_arbitrary_values_gives_well_formed_findings(mutations: list):
    """Random mappings almost never pass the schema; near-valid ones reach the model builder and the file checks."""
    _check(*_load_mutated(mutations))


def test_every_edge_value_at_every_place_gives_well_formed_findings():
    """The same, exhaustively for the edge values (extreme dates and numbers, empties) that random draws rarely pair
    with the one field they break; a value that changes the document must be reported or be valid."""
    for path in _MUTABLE:
        for value in _EDGES:
            (agent, findings), text = _load_mutated([(path, value)])
            _check((agent, findings), text)


def _load_mutated(mutations: list) -> tuple[tuple[Any, list[Finding]], str]:
    document = copy.deepcopy(_DATA)
    for path, value in mutations:
        target = document
        try:
            for part in path[:-1]:
                target = target[part]
            # A copy: _EDGES' `[]` and `{}` are shared, and a later mutation writing into one would change it for
            # every later example (and can make the document contain itself).
            value = copy.deepcopy(value)
            if isinstance(target, list) and path[-1] == len(target):
                target.append(value)
            else:
                target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation replaced a parent of this path
    text = json.dumps(document, default=str)
    return load_agent_bytes(text.encode(), FILE, expected_name="support-triage"), text
