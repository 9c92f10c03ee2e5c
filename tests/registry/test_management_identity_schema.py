"""The schema lets an identity's custom `scopes` be empty only when it declares `okta_api_scopes`.

A management-only agent and a plugin holding only Okta management access are valid; an empty `scopes` anywhere else
is refused with the schema's own wording (`x-message`) at the line of that `scopes`, and the fast engine
(jsonschema_rs, agentid/registry/rs_errors.py) and the reference (jsonschema) agree on every case.
"""

from __future__ import annotations

# jsonschema_rs is pinned (requirements.lock): without it this module must fail, not skip and look green.
import jsonschema_rs  # noqa: F401
import pytest

from agentid.registry import schema as schema_mod
from agentid.registry.loader import load_agent_bytes
from agentid.registry.rs_errors import FastError
from agentid.registry.yamlsafe import load_bytes
from policies import AGENT_SCHEMA_PATH
from tests.conftest import FIXTURES

AGENT = schema_mod.validator_for(str(AGENT_SCHEMA_PATH))
OKTA = FIXTURES / "policies" / "okta-identities"
AGENT_MESSAGE = (
    "access.scopes: must list at least one scope; only an agent that calls nothing but the Okta management API "
    "leaves it empty and declares `okta_api_scopes`"
)
PLUGIN_MESSAGE = (
    "plugins[{index}].scopes: must list at least one scope; only a plugin that calls nothing but the Okta "
    "management API leaves it empty and declares `okta_api_scopes`"
)


def edited(name: str, *replacements: tuple[str, str]) -> bytes:
    text = (OKTA / f"{name}.yaml").read_text()
    for old, new in replacements:
        assert text.count(old) == 1, f"{name}.yaml: {old!r}"
        text = text.replace(old, new)
    return text.encode()


def line_of(raw: bytes, fragment: str) -> int:
    return next(n for n, line in enumerate(raw.decode().splitlines(), 1) if fragment in line)


def reference(raw: bytes) -> list[schema_mod.SchemaProblem]:
    """``validate`` with jsonschema alone."""
    slow = schema_mod.CompiledSchema.__new__(schema_mod.CompiledSchema)
    slow.schema, slow.fast, slow.fast_wording = AGENT.schema, None, False
    return schema_mod.validate(load_bytes(raw), slow)


def load(name: str, raw: bytes) -> list[tuple[str, int | None, str]]:
    agent, findings = load_agent_bytes(raw, f"{name}.yaml", expected_name=name)
    assert (agent is None) == bool(findings)
    return [(f.rule, f.line, f.message) for f in findings]


VALID = {
    "management-only agent": ("dormant-account-reporter", ()),
    "plugin holding only Okta access": ("access-review-recorder", ()),
    "management-only agent without roles (rule 23's business, not the schema's)": (
        "dormant-account-reporter",
        (("  okta_admin_roles: [READ_ONLY_ADMIN]\n", ""),),
    ),
}


@pytest.mark.parametrize("case", sorted(VALID))
def test_empty_scopes_beside_okta_api_scopes_is_valid_on_both_engines(case):
    name, replacements = VALID[case]
    raw = edited(name, *replacements)
    assert "scopes: []" in raw.decode()
    assert AGENT.surely_valid(load_bytes(raw).data), "the fast verdict"
    assert reference(raw) == [], "the reference"
    assert load(name, raw) == []


# name -> (agent file, edits, fragment of the offending `scopes` line, expected message)
INVALID = {
    "agent: no Okta access at all": (
        "dormant-account-reporter",
        (("  okta_api_scopes: [okta.users.read]\n  okta_admin_roles: [READ_ONLY_ADMIN]\n", ""),),
        "  scopes: []",
        AGENT_MESSAGE,
    ),
    "agent: okta_api_scopes empty": (
        "dormant-account-reporter",
        (("  okta_api_scopes: [okta.users.read]", "  okta_api_scopes: []"),),
        "  scopes: []",
        AGENT_MESSAGE,
    ),
    "agent: an admin role is not Okta API access": (
        "dormant-account-reporter",
        (("  okta_api_scopes: [okta.users.read]\n", ""),),
        "  scopes: []",
        AGENT_MESSAGE,
    ),
    "plugin: no okta_api_scopes at all": (
        "access-review-recorder",
        (("    okta_api_scopes: [okta.users.read]\n", ""),),
        "    scopes: []",
        PLUGIN_MESSAGE.format(index=0),
    ),
    "second plugin: okta_api_scopes empty": (
        "helpdesk-account-unlocker",
        (("    scopes: [tickets.read]\n    okta_api_scopes: [okta.users.manage]",
          "    scopes: []\n    okta_api_scopes: []"),),
        "    scopes: []",
        PLUGIN_MESSAGE.format(index=1),
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(INVALID))
def test_empty_scopes_without_okta_api_scopes_names_the_line_and_what_to_do(case):
    name, replacements, fragment, message = INVALID[case]
    raw = edited(name, *replacements)
    doc = load_bytes(raw)
    assert not AGENT.surely_valid(doc.data)
    errors = AGENT.errors(doc.data)
    assert isinstance(errors, list) and all(isinstance(e, FastError) for e in errors), "read from jsonschema_rs"
    assert schema_mod.validate(doc, AGENT) == reference(raw), "the fast reading words it as the reference does"
    assert load(name, raw) == [("load.schema", line_of(raw, fragment), message)]
