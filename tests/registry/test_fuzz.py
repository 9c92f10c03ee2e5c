"""Property tests: whatever bytes or mappings arrive, the loader only ever returns findings."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentid.findings import Finding
from agentid.registry import load_agent_bytes

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


def _check(result) -> None:
    agent, findings = result
    assert all(isinstance(f, Finding) for f in findings)
    assert agent is not None or findings, "an unusable document must produce at least one finding"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_arbitrary_bytes_only_produce_findings(raw: bytes):
    _check(load_agent_bytes(raw, "agents/fuzz.yaml", expected_name="fuzz"))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_text_only_produces_findings(text: str):
    _check(load_agent_bytes(text.encode("utf-8", "surrogatepass"), "agents/fuzz.yaml", expected_name="fuzz"))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(keys, values, max_size=8))
def test_arbitrary_mappings_only_produce_findings(mapping: dict):
    import json

    _check(load_agent_bytes(json.dumps(mapping).encode(), "agents/fuzz.yaml", expected_name="fuzz"))


def _paths(value, path=()):
    """Every path into a parsed agent file: the places a mutation can hit."""
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*path, index))


def _sample_document() -> dict:
    from agentid.registry.yamlsafe import load_bytes
    from tests.conftest import AGENTS_DIR

    return load_bytes((AGENTS_DIR / "finance-reconciler.yaml").read_bytes()).data


_SAMPLE = _sample_document()
#: existing paths, plus optional keys the sample leaves out
_MUTABLE = [*list(_paths(_SAMPLE))[1:], ("lifecycle", "expires"), ("waivers", 0), ("plugins", 0)]
_EDGES = ["2027-02-30", "9999-12-31", "0001-01-01", "", "okta.users.manage", 10**30, -1, 1e308, None, [], {}]
_EDGE_VALUES = st.sampled_from(_EDGES)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_MUTABLE), st.one_of(_EDGE_VALUES, values)), min_size=1, max_size=2))
def test_a_valid_agent_with_arbitrary_values_only_produces_findings(mutations: list):
    """Random mappings almost never pass the schema; near-valid ones reach the model builder and the file checks."""
    _check(_load_mutated(mutations))


def test_every_edge_value_at_every_place_only_produces_findings():
    """The same, exhaustively for the edge values (extreme dates and numbers, empties) that random draws rarely pair
    with the one field they break."""
    for path in _MUTABLE:
        for value in _EDGES:
            _check(_load_mutated([(path, value)]))


def _load_mutated(mutations: list) -> tuple:
    import copy
    import json

    document = copy.deepcopy(_SAMPLE)
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
    raw = json.dumps(document, default=str).encode()
    return load_agent_bytes(raw, "agents/finance-reconciler.yaml", expected_name="finance-reconciler")
