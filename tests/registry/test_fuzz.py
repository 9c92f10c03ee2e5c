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
