"""Hostile agent definitions (issue 15): each class of attack has its own fixture under tests/fixtures/agents/hostile/
and a test that fails if the class comes back.

* private key material in any shape is found (the unwaivable ``private-key-material``) and never echoed (finding 3);
* control characters are refused before the schema, whichever schema engine judges the file (finding 6);
* identity names are unique across agents and plugins (finding 7);
* numbers are plain decimal integers; symlinks under agents/ are refused (weaknesses).

The expected values are literals written from the standards (RFC 7517/7518 member names, RFC 7468 PEM labels, YAML
1.1's int and float resolvers), never read from the code under test.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from agentid.cli.main import main
from agentid.findings import Severity
from agentid.registry import load_agent_bytes, load_registry
from agentid.registry import schema as schema_mod
from policies import AGENT_SCHEMA_PATH
from tests.conftest import CATALOG, FIXTURES, REPO, TODAY

HOSTILE = FIXTURES / "agents" / "hostile"
#: Every private value in the fixtures contains this; no output may.
SECRET = "SECRET"
PINNED = ("--today", TODAY.isoformat())

#: RFC 7517 section 9.1 and RFC 7518 section 6: the members that carry private (or symmetric) key material. Written
#: out here, not imported: a member dropped from the loader's list must fail these tests.
PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"]


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.fixture(params=["jsonschema_rs", "jsonschema"])
def engine(request, monkeypatch):
    """Both schema engines: the fast one, and the reference that judges alone where jsonschema_rs is absent."""
    compiled = schema_mod.validator_for(str(AGENT_SCHEMA_PATH))
    if request.param == "jsonschema":
        monkeypatch.setattr(compiled, "fast", None)
    else:
        assert compiled.fast is not None, "jsonschema_rs is a pinned dependency: it must be installed"
    return request.param


def load_one(text: str, name: str = "support-triage"):
    return load_agent_bytes(text.encode(), f"agents/{name}.yaml", expected_name=name)


def all_output(findings) -> str:
    return "\n".join(f"{f.message}\n{f.remediation}" for f in findings)


# --------------------------------------------------------------------------------------------------- finding 3

#: fixture -> (line, path in the message, member named). Lines are where the shape holding the member starts.
PRIVATE_SHAPES = {
    "keys-as-mapping": (24, "plugins[0].credentials.keys contains", "d"),
    "keys-nested-list": (25, "plugins[0].credentials.keys[0][0] contains", "d"),
    "keys-as-json-text": (23, "plugins[0].credentials.keys contains", "d"),
    "keys-as-yaml-text": (23, "plugins[0].credentials.keys contains", "d"),
    "member-beside-jwks-uri": (12, "credentials contains", "k"),
    "key-at-top-level": (33, "keys[0] contains", "d"),
}


@pytest.mark.parametrize("fixture", sorted(PRIVATE_SHAPES))
def test_private_members_in_any_shape_are_found_and_never_echoed(fixture, engine):
    line, where, member = PRIVATE_SHAPES[fixture]
    agent, findings = load_one(_text(HOSTILE / f"{fixture}.yaml"), fixture)
    private = [f for f in findings if f.rule == "private-key-material"]
    assert [(f.line, f.severity) for f in private] == [(line, Severity.ERROR)], findings
    assert where in private[0].message and f"(`{member}`)" in private[0].message
    assert SECRET not in all_output(findings)
    assert SECRET not in repr(agent)


@pytest.mark.parametrize("shape", ["list", "mapping", "nested-list", "json-text", "yaml-text", "beside-jwks-uri"])
@pytest.mark.parametrize("member", PRIVATE_MEMBERS)
def test_each_private_member_alone_is_found(member, shape):
    """One member at a time, in every shape: the mutation audit dropped `p` from the list and nothing noticed."""
    value = f"{SECRET}{member}0NotCommitThisPrivateValue000000000"
    fixture = {
        "list": None,
        "mapping": "keys-as-mapping",
        "nested-list": "keys-nested-list",
        "json-text": "keys-as-json-text",
        "yaml-text": "keys-as-yaml-text",
        "beside-jwks-uri": "member-beside-jwks-uri",
    }[shape]
    if fixture is None:  # a well-formed list of keys: the file loads, the member is stripped from the model
        text = _text(HOSTILE / "collision" / "support-triage.yaml").replace(
            "          y: oSpurExlKqnz2FBQWK8c9hqxUN2w5sW7kvrAxO4YCbw\n",
            f"          y: oSpurExlKqnz2FBQWK8c9hqxUN2w5sW7kvrAxO4YCbw\n          {member}: {value}\n",
        )
    else:
        text = _text(HOSTILE / f"{fixture}.yaml").replace("support-triage", fixture)
        text = text.replace('"d": "', f'"{member}": "').replace(" d: ", f" {member}: ").replace(" k: ", f" {member}: ")
        text = text.replace("SECRETd0NotCommitThisPrivateScalarValue00000", value)
    assert value in text
    name = "support-triage" if fixture is None else fixture
    agent, findings = load_one(text, name)
    private = [f for f in findings if f.rule == "private-key-material"]
    assert len(private) == 1 and f"(`{member}`)" in private[0].message, [f.message for f in findings]
    assert SECRET not in all_output(findings)
    if fixture is None:
        assert agent is not None and agent.plugins[0].credentials.keys[0].private_members == (member,)
        assert SECRET not in repr(agent)


def test_private_key_rule_is_raised_and_unwaivable_for_a_loaded_file(tmp_path):
    """The engine's finding for a member in a list of keys cannot be waived (the loader strips; the rule reports)."""
    from policies.engine import evaluate

    text = _text(HOSTILE / "collision" / "support-triage.yaml")
    text = text.replace(
        "          y: oSpurExlKqnz2FBQWK8c9hqxUN2w5sW7kvrAxO4YCbw\n",
        "          y: oSpurExlKqnz2FBQWK8c9hqxUN2w5sW7kvrAxO4YCbw\n          qi: SECRETqi000\n",
    )
    text += (
        "waivers:\n  - rule: private-key-material\n    reason: The key is rotated next week, promise.\n"
        "    approved_by: nina.petrova@example.com\n    expires: 2026-12-20\n"
    )
    (tmp_path / "support-triage.yaml").write_text(text)
    loaded = load_registry(tmp_path, CATALOG, root=REPO)
    found = [f for f in evaluate(loaded.registry, today=TODAY) if f.rule == "private-key-material"]
    assert found and not any(f.waived for f in found)


PEM_CASES = {
    "pem-in-comment": (30, "-----BEGIN EC PRIVATE KEY-----"),
    "pem-in-description": (4, "-----BEGIN ENCRYPTED PRIVATE KEY-----"),
    "pem-not-yaml": (29, "-----BEGIN OPENSSH PRIVATE KEY-----"),
}


@pytest.mark.parametrize("fixture", sorted(PEM_CASES))
def test_a_pem_private_key_anywhere_is_the_same_finding(fixture):
    """Comments too: a key in a comment is in git history like any other line (docs/security.md)."""
    line, header = PEM_CASES[fixture]
    _agent, findings = load_one(_text(HOSTILE / f"{fixture}.yaml"), fixture)
    private = [f for f in findings if f.rule == "private-key-material"]
    assert [(f.line, f.severity) for f in private] == [(line, Severity.ERROR)]
    assert f"(`{header}`)" in private[0].message
    assert SECRET not in all_output(findings)


@pytest.mark.parametrize(
    "header",
    [
        "-----BEGIN PRIVATE KEY-----",
        "-----BEGIN RSA PRIVATE KEY-----",
        "-----BEGIN EC PRIVATE KEY-----",
        "-----BEGIN DSA PRIVATE KEY-----",
        "-----BEGIN OPENSSH PRIVATE KEY-----",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----",
        "-----BEGIN PGP PRIVATE KEY BLOCK-----",
    ],
)
def test_every_pem_private_key_label_is_recognised(header):
    """RFC 7468 section 10/11 labels and the legacy OpenSSL, OpenSSH and OpenPGP (RFC 4880 section 6.2) ones."""
    text = _text(HOSTILE / "collision" / "support-triage.yaml") + f"# {header}\n# MIIEv{SECRET}\n"
    _agent, findings = load_one(text)
    assert [f.rule for f in findings] == ["private-key-material"]


def test_a_public_key_pem_is_not_a_finding():
    text = _text(HOSTILE / "collision" / "support-triage.yaml") + "# -----BEGIN PUBLIC KEY-----\n"
    agent, findings = load_one(text)
    assert agent is not None and findings == []


@pytest.mark.parametrize("output_format", ["text", "json", "sarif", "junit"])
def test_no_output_format_of_check_echoes_a_secret(output_format, capsys):
    code = main(["check", "--agents", str(HOSTILE), "--registry-only", *PINNED, "--format", output_format])
    out, err = capsys.readouterr()
    assert code == 1
    assert SECRET not in out + err
    assert out.count("private-key-material") >= len(PRIVATE_SHAPES) + len(PEM_CASES)


@pytest.mark.parametrize("output_format", ["text", "json"])
def test_validate_echoes_no_secret(output_format, capsys):
    code = main(["validate", "--agents", str(HOSTILE), "--format", output_format])
    out, err = capsys.readouterr()
    assert code == 1 and SECRET not in out + err and "private-key-material" in out


@pytest.mark.parametrize("head", ["working tree", "commit"])
def test_the_review_comment_echoes_no_secret(head, tmp_path, monkeypatch, capsys):
    from tests.review.gitrepo import GitWorkspace

    workspace = GitWorkspace(tmp_path / "repo")
    monkeypatch.chdir(workspace.root)
    base = workspace.git("rev-parse", "HEAD")
    for path in HOSTILE.glob("*.yaml"):
        shutil.copy(path, workspace.root / "agents" / path.name)
    extra = ["--head", workspace.commit("Hostile agents")] if head == "commit" else []
    for output_format in ("md", "json"):
        main(["review", *PINNED, "--base", base, *extra, "--no-plan", "--format", output_format])
        out, err = capsys.readouterr()
        assert SECRET not in out + err
        assert "private-key-material" in out or "private key material" in out


def test_schema_errors_under_credentials_never_quote_the_value(engine):
    """Whatever the engine and the keyword, a value under `credentials` is described, not quoted."""
    text = _text(HOSTILE / "collision" / "support-triage.yaml")
    for hostile in (
        f"  jwks_uri: {SECRET}-not-a-url",
        f"  jwks_uri: [{SECRET}]",
        f"  jwks_uri: {{{SECRET}: 1}}",
        f"  jwks_uri: https://keys.example.com/\n  {SECRET}0000000000000000000000000000: x",
    ):
        broken = text.replace("  jwks_uri: https://keys.example.com/agents/support-triage/jwks.json", hostile)
        agent, findings = load_one(broken)
        assert agent is None and findings, hostile
        assert SECRET not in all_output(findings), (hostile, [f.message for f in findings])


# --------------------------------------------------------------------------------------------------- finding 6

CONTROL_FIXTURES = {
    "name-trailing-newline": (2, "`name` contains the control character U+000A"),
    "owner-block-newline": (5, "`owners[0]` contains the control character U+000A"),
    "waiver-workflow-command": (34, "`waivers[0].reason` contains the control character U+000A"),
    "kid-escape-sequence": (25, "`plugins[0].credentials.keys[0].kid` contains the control character U+001B"),
    "description-bidi-override": (3, "`description` contains the control character U+202E"),
}


@pytest.mark.parametrize("fixture", sorted(CONTROL_FIXTURES))
def test_control_characters_are_refused_by_either_engine(fixture, engine):
    line, message = CONTROL_FIXTURES[fixture]
    agent, findings = load_one(_text(HOSTILE / f"{fixture}.yaml"), fixture)
    assert agent is None
    control = [f for f in findings if f.rule == "load.control-character"]
    assert [(f.line, message in f.message) for f in control] == [(line, True)], [f.message for f in findings]


#: Each field as written in the base fixture, and a hostile double-quoted spelling ending in a newline.
FIELDS = {
    "name": ("name: support-triage", 'name: "support-triage\\n"'),
    "team": ("team: customer-support", 'team: "customer-support\\n"'),
    "purpose": ("purpose: support-triage", 'purpose: "support-triage\\n"'),
    "environment": ("environments: [dev, prod]", 'environments: [dev, "prod\\n"]'),
    "owner": ("owners: [lena.fischer@", 'owners: ["lena.fischer@example.com\\n", x@'),
    "scope name": ("    - name: tickets.read", '    - name: "tickets.read\\n"'),
    "scope reason": ("      reason: Reads new tickets", '      reason: "Reads\\tnew tickets'),
    "plugin name": ("  - name: knowledge-base", '  - name: "knowledge-base\\n"'),
    "kid": ("kid: support-triage-kb-2026-09", 'kid: "support-triage-kb-2026-09\\r"'),
    "jwks_uri": (
        "jwks_uri: https://keys.example.com/agents/support-triage/jwks.json",
        'jwks_uri: "https://k.example.com/\\n"',
    ),
    "active hours": ('active_hours_utc: "06:00-20:00"', 'active_hours_utc: "06:00-20:00\\n"'),
    "key": ("profile:\n", '"profile\\n": {}\nprofile:\n'),
}


@pytest.mark.parametrize("field", sorted(FIELDS))
def test_a_control_character_in_any_field_is_refused_by_either_engine(field, engine):
    old, new = FIELDS[field]
    text = _text(HOSTILE / "collision" / "support-triage.yaml")
    assert old in text
    text = text.replace(old, new, 1)
    if field == "scope reason":
        text = text.replace("to classify them.\n", 'to classify them."\n', 1)
    if field == "owner":
        text = text.replace("x@example.com, omar", "omar", 1)
    agent, findings = load_one(text)
    assert agent is None, field
    assert any(f.rule == "load.control-character" for f in findings), [f.message for f in findings]


def test_the_reference_engine_reads_dollar_as_the_end_of_the_text():
    """The schema-level fix, independent of the loader's check: `$` no longer matches before a final newline."""
    compiled = schema_mod.validator_for(str(AGENT_SCHEMA_PATH))
    name_schema = compiled.schema["properties"]["name"]
    for engine_valid in (
        lambda value: compiled.full.is_valid({**_valid_data(), "name": value}),
        lambda value: compiled.fast.is_valid({**_valid_data(), "name": value}),
    ):
        assert engine_valid("support-triage")
        assert not engine_valid("support-triage\n")
    assert name_schema["pattern"].endswith("$")
    assert schema_mod.python_pattern("^a$|^b[$]$").pattern == "^a\\Z|^b[$]\\Z"


def _valid_data() -> dict:
    agent, findings = load_one(_text(HOSTILE / "collision" / "support-triage.yaml"))
    assert agent is not None and not findings
    from agentid.registry.yamlsafe import load_bytes

    return load_bytes((HOSTILE / "collision" / "support-triage.yaml").read_bytes()).data


# --------------------------------------------------------------------------------------------------- finding 7


def test_an_agent_named_like_a_plugin_identity_collides():
    loaded = load_registry(HOSTILE / "collision", CATALOG, root=REPO)
    clashes = [f for f in loaded.findings if f.rule == "load.duplicate-identity"]
    assert [(f.file, f.line) for f in clashes] == [("tests/fixtures/agents/hostile/collision/support-triage.yaml", 19)]
    message = clashes[0].message
    assert "identity `support-triage--knowledge-base`" in message
    assert "plugin `knowledge-base` of `support-triage`" in message
    assert "tests/fixtures/agents/hostile/collision/support-triage--knowledge-base.yaml:2" in message
    assert clashes[0].severity is Severity.ERROR


def test_two_plugins_of_different_agents_with_one_identity_name_collide(tmp_path):
    """`support-triage--knowledge-base` + plugin `search` and `support-triage` + plugin `knowledge-base--search`."""
    first = _text(HOSTILE / "collision" / "support-triage--knowledge-base.yaml").replace("web-search", "search")
    second = _text(HOSTILE / "collision" / "support-triage.yaml").replace(
        "  - name: knowledge-base\n", "  - name: knowledge-base--search\n"
    )
    (tmp_path / "support-triage--knowledge-base.yaml").write_text(first)
    (tmp_path / "support-triage.yaml").write_text(second)
    loaded = load_registry(tmp_path, CATALOG, root=REPO)
    clashes = [f for f in loaded.findings if f.rule == "load.duplicate-identity"]
    assert len(clashes) == 1, [f.message for f in loaded.findings]
    assert "identity `support-triage--knowledge-base--search`" in clashes[0].message
    assert "plugin `search` of `support-triage--knowledge-base`" in clashes[0].message


def test_distinct_identities_do_not_collide(tmp_path):
    for name in ("support-triage.yaml", "support-triage--knowledge-base.yaml"):
        shutil.copy(HOSTILE / "collision" / name, tmp_path / name)
    (tmp_path / "support-triage.yaml").write_text(
        _text(tmp_path / "support-triage.yaml").replace("  - name: knowledge-base\n", "  - name: kb-search\n")
    )
    loaded = load_registry(tmp_path, CATALOG, root=REPO)
    assert not [f for f in loaded.findings if f.rule.startswith("load.")]


# --------------------------------------------------------------------------------------------------- YAML numbers

NUMBERS = {
    "0120": ("octal number 80", "write 120"),
    "0x78": ("reads it as 120", "write 120"),
    "1_2_0": ("reads it as 120", "write 120"),
    "2:00": ("reads it as 120", "write 120"),
    "15.0": ("decimal fraction", "write 15"),
    "1.5e+3": ("decimal fraction", "write 1500"),
    "+30": ("starts with a digit or `-`", "write 30"),
    ".inf": ("decimal fraction", "whole number in plain digits"),
}


@pytest.mark.parametrize("number", sorted(NUMBERS))
def test_only_plain_decimal_integers_are_numbers(number):
    reading, fix = NUMBERS[number]
    text = _text(HOSTILE / "collision" / "support-triage.yaml")
    text = text.replace("  token_lifetime_minutes: 30\n", f"  token_lifetime_minutes: {number}\n")
    agent, findings = load_one(text)
    assert agent is None
    assert [(f.rule, f.line) for f in findings] == [("load.number", 17)]
    assert reading in findings[0].message and fix in findings[0].remediation, findings[0]


@pytest.mark.parametrize("number", ["120", "0", "-5", '"0120"'])
def test_plain_decimal_integers_and_quoted_text_are_read_as_written(number):
    text = _text(HOSTILE / "collision" / "support-triage.yaml")
    text = text.replace("  max_tokens_per_hour: 120\n", f"  max_tokens_per_hour: {number}\n")
    _agent, findings = load_one(text)
    assert not [f for f in findings if f.rule == "load.number"]


# --------------------------------------------------------------------------------------------------- symlinks


def test_every_symlink_under_agents_is_refused(tmp_path):
    """Outside the repository, dangling, looping or inside it: one file is one identity, reviewed as that file."""
    agents = tmp_path / "agents"
    agents.mkdir()
    shutil.copy(HOSTILE / "collision" / "support-triage.yaml", agents / "support-triage.yaml")
    outside = tmp_path / "elsewhere.yaml"
    shutil.copy(HOSTILE / "collision" / "support-triage--knowledge-base.yaml", outside)
    os.symlink(outside, agents / "support-triage--knowledge-base.yaml")
    os.symlink(tmp_path / "missing.yaml", agents / "finance-reconciler.yaml")
    os.symlink(agents / "loop.yaml", agents / "loop.yaml")
    os.symlink(agents / "support-triage.yaml", agents / "support-triage-copy.yaml")
    loaded = load_registry(agents, CATALOG, root=tmp_path / "agents")
    links = {f.file.rsplit("/", 1)[-1]: f for f in loaded.findings if f.rule == "load.symlink"}
    assert sorted(links) == [
        "finance-reconciler.yaml",
        "loop.yaml",
        "support-triage--knowledge-base.yaml",
        "support-triage-copy.yaml",
    ]
    assert "points outside the repository" in links["support-triage--knowledge-base.yaml"].message
    assert "leads nowhere" in links["finance-reconciler.yaml"].message
    assert "leads nowhere" in links["loop.yaml"].message
    assert "points inside the repository" in links["support-triage-copy.yaml"].message
    assert all(f.severity is Severity.ERROR and f.line == 1 and "git rm" in f.remediation for f in links.values())
    assert [agent.name for agent in loaded.registry] == ["support-triage"], "no linked definition is loaded"
    assert len(loaded.files) == 5


def test_validate_exits_1_on_a_dangling_symlink(tmp_path, capsys):
    agents = tmp_path / "agents"
    agents.mkdir()
    shutil.copy(HOSTILE / "collision" / "support-triage.yaml", agents / "support-triage.yaml")
    os.symlink(tmp_path / "missing.yaml", agents / "finance-reconciler.yaml")
    code = main(["validate", "--agents", str(agents), "--format", "json"])
    out, _ = capsys.readouterr()
    assert code == 1
    assert [f["rule"] for f in json.loads(out)["findings"]] == ["load.symlink"]


def test_a_symlink_stored_in_git_is_refused_by_the_review(tmp_path, monkeypatch, capsys):
    """`agentid review --head REV` reads files from git, where a symlink is a blob holding its target's path."""
    from tests.review.gitrepo import GitWorkspace

    workspace = GitWorkspace(tmp_path / "repo")
    monkeypatch.chdir(workspace.root)
    base = workspace.git("rev-parse", "HEAD")
    outside = tmp_path / "elsewhere.yaml"
    shutil.copy(HOSTILE / "collision" / "support-triage--knowledge-base.yaml", outside)
    os.symlink(outside, workspace.root / "agents" / "support-triage--knowledge-base.yaml")
    head = workspace.commit("Link an agent defined elsewhere")
    main(["review", *PINNED, "--base", base, "--head", head, "--no-plan", "--format", "json"])
    out, _err = capsys.readouterr()
    assert "load.symlink" in out and "stored in git" in out
    assert "support-triage--knowledge-base" not in json.dumps(json.loads(out)["changes"])  # never loaded as an agent
