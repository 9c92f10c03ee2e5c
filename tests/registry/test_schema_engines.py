"""The fast schema verdict (jsonschema_rs) never disagrees with the reference validator (jsonschema).

Only documents the fast engine accepts skip the reference path, so the property that matters is: whatever the fast
path calls valid, ``jsonschema`` calls valid too, and ``validate`` returns exactly what the reference path returns.
"""

from __future__ import annotations

import copy
from typing import Any

# jsonschema_rs is pinned (requirements.lock): without it this module must fail, not skip and look green.
import jsonschema_rs  # noqa: F401
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentid.registry import schema as schema_mod
from agentid.registry.yamlsafe import load_bytes
from policies import AGENT_SCHEMA_PATH
from tests.conftest import AGENTS_DIR

COMPILED = schema_mod.validator_for(str(AGENT_SCHEMA_PATH))
SAMPLES = {path.stem: load_bytes(path.read_bytes()) for path in sorted(AGENTS_DIR.glob("*.yaml"))}


def reference(doc) -> list[schema_mod.SchemaProblem]:
    """What ``validate`` returned before the fast path existed: jsonschema on every document."""
    slow = schema_mod.CompiledSchema.__new__(schema_mod.CompiledSchema)
    slow.schema, slow.fast = COMPILED.schema, None
    return schema_mod.validate(doc, slow)


def leaf_paths(value: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(value, dict):
        return [path] + [p for key, item in value.items() for p in leaf_paths(item, (*path, key))]
    if isinstance(value, list):
        return [path] + [p for index, item in enumerate(value) for p in leaf_paths(item, (*path, index))]
    return [path]


#: Text that stresses regular expressions: whitespace Python and ECMA-262 disagree on, newlines, non-ASCII digits.
_TRICKY_CHARS = "ab-.:/@_0123456789\x1c\x1f\x85\u00a0\ufeff\n \u0663\u00e9"
tricky_text = st.one_of(
    st.text(alphabet=_TRICKY_CHARS, max_size=40),
    st.text(alphabet=_TRICKY_CHARS, max_size=30).map(lambda tail: f"https://keys.example.com/{tail}"),
    st.text(alphabet=_TRICKY_CHARS, max_size=12).map(lambda local: f"{local}@example.com"),
)
replacements = st.one_of(
    tricky_text,
    st.text(max_size=20),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.dates().map(lambda d: d.isoformat()),
    st.lists(tricky_text, max_size=3),
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(SAMPLES)), st.data())
def test_fast_verdict_never_accepts_what_the_reference_rejects(name: str, data: st.DataObject):
    doc = copy.deepcopy(SAMPLES[name])
    for _ in range(data.draw(st.integers(1, 3))):
        paths = [p for p in leaf_paths(doc.data) if p]
        path = data.draw(st.sampled_from(paths))
        parent = doc.data
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = data.draw(replacements)
    if COMPILED.surely_valid(doc.data):
        assert not list(COMPILED.full.iter_errors(doc.data))
    assert schema_mod.validate(doc, COMPILED) == reference(doc)


@pytest.mark.parametrize("uri", ["https://keys.example.com/a\x1cb/jwks.json", "https://keys.example.com/\x85"])
def test_whitespace_the_engines_disagree_on_takes_the_reference_path(uri: str):
    doc = copy.deepcopy(SAMPLES["meeting-summarizer"])
    doc.data["credentials"]["jwks_uri"] = uri
    assert not COMPILED.surely_valid(doc.data)
    problems = schema_mod.validate(doc, COMPILED)
    assert [p.message for p in problems] == ["credentials.jwks_uri: must be an https:// URL (Okta fetches the agent's "
                                             "public keys from it)"]  # fmt: skip


def test_every_sample_agent_is_valid_on_the_fast_path():
    assert all(COMPILED.surely_valid(doc.data) for doc in SAMPLES.values())
