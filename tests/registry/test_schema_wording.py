"""Schema errors read from jsonschema_rs word every problem exactly as the reference validator (jsonschema) does.

``validate`` explains a rejected document from jsonschema_rs's own errors (agentid/registry/rs_errors.py) so that
checking a registry does not import jsonschema; the reference stays the oracle here. Each named case asserts both
that the fast reading was used (a case the reading gave up on would pass for the wrong reason) and that the
messages, lines and remediations equal the reference's; the property test does the same on random breakage.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentid.registry import schema as schema_mod
from agentid.registry.loader import load_agent_bytes
from agentid.registry.rs_errors import FastError
from agentid.registry.yamlsafe import YamlDocument, load_bytes
from policies import AGENT_SCHEMA_PATH, CATALOG_SCHEMA_PATH
from tests.conftest import AGENTS_DIR, CATALOG, REPO

pytest.importorskip("jsonschema_rs", reason="the fast path needs jsonschema_rs (pinned in requirements.lock)")

AGENT = schema_mod.validator_for(str(AGENT_SCHEMA_PATH))
SAMPLES = {path.stem: load_bytes(path.read_bytes()) for path in sorted(AGENTS_DIR.glob("*.yaml"))}


def reference(doc: YamlDocument, compiled: schema_mod.CompiledSchema) -> list[schema_mod.SchemaProblem]:
    """``validate`` with jsonschema alone, as before the fast reading existed."""
    slow = schema_mod.CompiledSchema.__new__(schema_mod.CompiledSchema)
    slow.schema, slow.fast, slow.fast_wording = compiled.schema, None, False
    return schema_mod.validate(doc, slow)


def read_fast(doc: YamlDocument, compiled: schema_mod.CompiledSchema) -> bool:
    """Whether the document's errors come from jsonschema_rs (a list of FastError), not from the reference."""
    errors = compiled.errors(doc.data)
    return isinstance(errors, list) and all(isinstance(e, FastError) for e in errors)


def broken(sample: str, change: Callable[[dict[str, Any]], None]) -> YamlDocument:
    doc = copy.deepcopy(SAMPLES[sample])
    change(doc.data)
    return doc


def _drop(*path: str | int) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        for part in path[:-1]:
            data = data[part]
        del data[path[-1]]

    return change


def _set(value: Any, *path: str | int) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        for part in path[:-1]:
            data = data[part]
        data[path[-1]] = value

    return change


def _rename(old: str, new: str, *path: str | int) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        for part in path:
            data = data[part]
        data[new] = data.pop(old)

    return change


def _both(*changes: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        for each in changes:
            each(data)

    return change


RSA_KEY_WITH_EC_MEMBERS = {
    "kty": "RSA",
    "kid": "finance-reconciler-2027-01",
    "crv": "P-256",
    "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
}

#: name -> (sample agent, what breaks it, a message the reference gives for it)
CASES: dict[str, tuple[str, Callable[[dict[str, Any]], None], str]] = {
    "typo'd top-level key": (
        "meeting-summarizer",
        _rename("access", "acess"),
        "unknown key `acess`; did you mean `access`?",
    ),
    "typo'd nested key": ("support-triage", _rename("scopes", "scopez", "access"), "unknown key `scopez` in `access`"),
    "missing owners": ("meeting-summarizer", _drop("owners"), "missing required key `owners`"),
    "lifetime over Okta's maximum": (
        "meeting-summarizer",
        _set(2880, "access", "token_lifetime_minutes"),
        "2880 is greater than the maximum of 1440",
    ),
    "zero tokens an hour": (
        "incident-responder",
        _set(0, "profile", "max_tokens_per_hour"),
        "0 is less than the minimum of 1",
    ),
    "lifetime in quotes": (
        "meeting-summarizer",
        _set("15", "access", "token_lifetime_minutes"),
        "write the number without quotes",
    ),
    "environment read as a boolean": (
        "meeting-summarizer",
        _set(["dev", False], "environments"),
        "put the value in quotes",
    ),
    "impossible review date": (
        "meeting-summarizer",
        _set("2027-02-30", "lifecycle", "review_by"),
        "is not a valid date",
    ),
    "upper-case name": ("meeting-summarizer", _set("Meeting-Summarizer", "name"), "must be 3-63 characters"),
    "owner without a domain": (
        "meeting-summarizer",
        _set(["priya.raman"], "owners"),
        "does not have the expected form",
    ),
    "no owners": ("meeting-summarizer", _set([], "owners"), "owners: is empty; at least 1 entry is required"),
    "same environment twice": ("meeting-summarizer", _set(["prod", "prod"], "environments"), "has duplicate entries"),
    "short description": (
        "meeting-summarizer",
        _set("Summaries", "description"),
        'description: "Summaries" is too short (9 characters; at least 10 required)',
    ),
    "unknown lifecycle kind": (
        "meeting-summarizer",
        _set("temporary", "lifecycle", "kind"),
        "is not one of persistent, ephemeral",
    ),
    "ephemeral without expiry": (
        "meeting-summarizer",
        _set("ephemeral", "lifecycle", "kind"),
        "missing required key `expires` in `lifecycle`",
    ),
    "plain-http key set": (
        "meeting-summarizer",
        _set("http://keys.example.com/jwks.json", "credentials", "jwks_uri"),
        "must be an https:// URL",
    ),
    "both credentials": (
        "finance-reconciler",
        _set("https://keys.example.com/finance-reconciler/jwks.json", "credentials", "jwks_uri"),
        "exactly one of `jwks_uri`",
    ),
    "no credentials at all": ("meeting-summarizer", _set({}, "credentials"), "exactly one of `jwks_uri`"),
    "RSA key with EC members": (
        "finance-reconciler",
        _set([RSA_KEY_WITH_EC_MEMBERS], "credentials", "keys"),
        "is not allowed here",
    ),
    "key use other than sig": (
        "finance-reconciler",
        _set("enc", "credentials", "keys", 0, "use"),
        "'sig' was expected",
    ),
    "scopes as a mapping": (
        "meeting-summarizer",
        _set({"transcripts.read": "Reads transcripts."}, "access", "scopes"),
        "is not of type 'array'",
    ),
    "several problems at once": (
        "support-triage",
        _both(_drop("team"), _rename("profile", "profil"), _set(-5, "access", "token_lifetime_minutes")),
        "missing required key `team`",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_problem_is_worded_from_the_fast_engine_as_the_reference_words_it(case: str):
    sample, change, expected = CASES[case]
    doc = broken(sample, change)
    assert not AGENT.surely_valid(doc.data)
    assert read_fast(doc, AGENT), "the fast reading gave up: this case would not test it"
    problems = schema_mod.validate(doc, AGENT)
    assert problems == reference(doc, AGENT)
    assert any(expected in p.message for p in problems), [p.message for p in problems]


def test_a_broken_catalog_is_worded_as_the_reference_words_it():
    compiled = schema_mod.validator_for(str(CATALOG_SCHEMA_PATH))
    doc = load_bytes(CATALOG.read_bytes())
    scope = next(iter(doc.data["scopes"]))
    del doc.data["scopes"][scope]["domain"]
    doc.data["scopes"][scope]["sensitivity"] = "top-secret"
    doc.data["scopes"][scope]["owner"] = "security"
    assert read_fast(doc, compiled)
    problems = schema_mod.validate(doc, compiled)
    assert problems == reference(doc, compiled)
    assert len(problems) == 3, [p.message for p in problems]


# What the fast reading hands to the reference: it cannot vouch for jsonschema's view of these.
FALLBACKS: dict[str, tuple[str, Callable[[dict[str, Any]], None]]] = {
    "a float where an integer belongs": (
        "meeting-summarizer",
        _both(_drop("team"), _set(15.5, "access", "token_lifetime_minutes")),
    ),
    "an integer beyond 64 bits": ("meeting-summarizer", _set(2**70, "profile", "max_tokens_per_hour")),
    "whitespace only Python counts as whitespace": (
        "meeting-summarizer",
        _both(_drop("team"), _set("https://keys.example.com/a\x1cb", "credentials", "jwks_uri")),
    ),
    "a byte-order mark only ECMA-262 counts as whitespace": (
        "meeting-summarizer",
        _both(_drop("team"), _set("https://keys.example.com/\ufeff", "credentials", "jwks_uri")),
    ),
}


@pytest.mark.parametrize("case", sorted(FALLBACKS))
def test_what_the_fast_reading_cannot_vouch_for_goes_to_the_reference(case: str):
    sample, change = FALLBACKS[case]
    doc = broken(sample, change)
    assert not read_fast(doc, AGENT)
    assert schema_mod.validate(doc, AGENT) == reference(doc, AGENT)


def test_a_catalog_scope_name_of_the_wrong_form_goes_to_the_reference():
    """``propertyNames`` errors have no key path of their own in jsonschema: the fast reading leaves them alone."""
    compiled = schema_mod.validator_for(str(CATALOG_SCHEMA_PATH))
    doc = load_bytes(CATALOG.read_bytes())
    doc.data["scopes"]["Transcripts Read"] = doc.data["scopes"].pop(next(iter(doc.data["scopes"])))
    assert not read_fast(doc, compiled)
    assert schema_mod.validate(doc, compiled) == reference(doc, compiled)


def test_year_zero_is_a_schema_problem_not_a_crash():
    """jsonschema_rs accepts 0000-01-01 as a date; Python's datetime (and jsonschema) do not. The file is reported,
    where the fast verdict used to let it through to a ValueError while building the model."""
    raw = (AGENTS_DIR / "meeting-summarizer.yaml").read_bytes()
    raw = raw.replace(b"review_by: 2027-03-01", b'review_by: "0000-01-01"')
    agent, findings = load_agent_bytes(raw, "meeting-summarizer.yaml", expected_name="meeting-summarizer")
    assert agent is None
    assert [(f.rule, f.line, f.message) for f in findings] == [
        ("load.schema", 10, 'lifecycle.review_by: "0000-01-01" is not a valid date')
    ]


def test_schema_with_patterns_the_dialects_read_differently_is_never_read_fast():
    """``\\d`` is any Unicode digit to Python's re and ASCII only to ECMA-262: such a schema takes the reference."""
    code = {"type": "string", "pattern": "^\\d+$"}
    compiled = schema_mod.CompiledSchema(
        {"type": "object", "properties": {"code": code}, "required": ["code", "owner"]}
    )
    assert not compiled.fast_wording
    doc = YamlDocument({"code": "\u0663"}, {})
    assert not read_fast(doc, compiled)


# --------------------------------------------------------------------------------------------------- random breakage

_KNOWN_KEYS = ["name", "owners", "scopes", "reason", "kid", "kty", "expires", "jwks_uri", "keys", "use", "crv", "n"]
_values = st.one_of(
    st.text(alphabet="abcxyz-.:/@_019 \n\x1c\u00a0\ufeffABC", max_size=30),
    st.integers(min_value=-(2**65), max_value=2**65),
    st.sampled_from([0, 1, 5, 1440, 1441, 100000, 100001, 2880, -1]),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["2027-02-30", "0000-01-01", "2027-1-01", "persistent", "ephemeral", "sig", "RSA", "EC", "P-256"]),
    st.sampled_from(
        ["https://keys.example.com/jwks.json", "http://keys.example.com/jwks.json", "meeting-summarizer\n"]
    ),
    st.lists(st.sampled_from(["dev", "prod", "prod", "priya.raman@example.com", "x"]), max_size=4),
    st.dictionaries(st.sampled_from([*_KNOWN_KEYS, "scopez", "acess"]), st.just("value"), max_size=2),
)


def _containers(value: Any, path: tuple = ()) -> list[tuple]:
    found = []
    if isinstance(value, dict):
        found.append(path)
        for key, item in value.items():
            found += _containers(item, (*path, key))
    elif isinstance(value, list):
        found.append(path)
        for index, item in enumerate(value):
            found += _containers(item, (*path, index))
    return found


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(SAMPLES)), st.data())
def test_random_breakage_is_worded_as_the_reference_words_it(name: str, data: st.DataObject):
    doc = copy.deepcopy(SAMPLES[name])
    for _ in range(data.draw(st.integers(1, 4), label="changes")):
        path = data.draw(st.sampled_from(_containers(doc.data)), label="where")
        node = doc.data
        for part in path:
            node = node[part]
        action = data.draw(st.sampled_from(["set", "drop", "add", "rename"]), label="action")
        if isinstance(node, list):
            if action == "drop" and node:
                node.pop(data.draw(st.integers(0, len(node) - 1)))
            elif node:
                node[data.draw(st.integers(0, len(node) - 1))] = data.draw(_values)
            else:
                node.append(data.draw(_values))
        elif action == "add" or not node:
            node[data.draw(st.sampled_from([*_KNOWN_KEYS, "scopez", "acess", "expirs"]))] = data.draw(_values)
        else:
            key = data.draw(st.sampled_from(sorted(node)))
            if action == "drop":
                del node[key]
            elif action == "rename":
                node[key + "s"] = node.pop(key)
            else:
                node[key] = data.draw(_values)
    assert schema_mod.validate(doc, AGENT) == reference(doc, AGENT)


# --------------------------------------------------------------------------------------------------- whole process


def test_checking_a_registry_with_schema_errors_does_not_import_the_reference(tmp_path):
    """The point of the fast reading: a registry with a typo'd file is explained without importing jsonschema."""
    agents = tmp_path / "agents"
    agents.mkdir()
    for path in AGENTS_DIR.glob("*.yaml"):
        (agents / path.name).write_bytes(path.read_bytes())
    typo = agents / "meeting-summarizer.yaml"
    typo.write_bytes(typo.read_bytes().replace(b"\naccess:", b"\nacess:"))
    script = (
        "import sys, json\n"
        "from pathlib import Path\n"
        "from agentid.registry import load_registry\n"
        f"result = load_registry(Path({str(agents)!r}), Path({str(CATALOG)!r}))\n"
        "print(json.dumps({'findings': [f.message for f in result.findings], "
        "'imported': sorted(m for m in sys.modules if m == 'jsonschema' or m.startswith('jsonschema.'))}))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True)
    report = json.loads(out.stdout)
    assert "unknown key `acess`; did you mean `access`?" in report["findings"]
    assert report["imported"] == []


def test_each_valid_file_is_judged_by_the_fast_engine_once(monkeypatch, tmp_path):
    """The verdict of a valid file is asked once: loading used to ask again through validate() (serialising the
    document and running jsonschema_rs twice per file, about a twentieth of a 1,000-file check)."""
    from agentid.registry import loader

    agents = tmp_path / "agents"
    agents.mkdir()
    for path in AGENTS_DIR.glob("*.yaml"):
        (agents / path.name).write_bytes(path.read_bytes())
    asked: list[int] = []
    original = schema_mod.CompiledSchema.surely_valid

    def counted(self: schema_mod.CompiledSchema, data: Any, serialised: bytes | None = None) -> bool:
        if self is AGENT:
            asked.append(1)
        return original(self, data, serialised)

    monkeypatch.setattr(schema_mod.CompiledSchema, "surely_valid", counted)
    monkeypatch.setenv("AGENTID_LOAD_WORKERS", "1")
    result = loader.load_registry(agents, CATALOG, root=REPO)
    assert len(result.registry) == len(SAMPLES) and not result.findings
    assert len(asked) == len(SAMPLES)


@given(st.text(alphabet='ab0\\u"-\x1c\x1f\x10\x85\ufeffcCfF1', max_size=40))
def test_the_quick_divergence_scan_finds_what_the_pattern_finds(text: str):
    serialised = json.dumps({"value": text, "raw": text}, ensure_ascii=False).encode()
    for candidate in (serialised, text.encode("utf-8", "surrogatepass")):
        assert schema_mod._divergent(candidate) == bool(schema_mod._ENGINE_DIVERGENT.search(candidate))
