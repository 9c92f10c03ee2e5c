"""Plain scalars resolve exactly as YAML 1.1 (PyYAML's safe loader) resolves them, shortcut or not.

The strict reader skips the resolver for plain scalars whose first character cannot start a bool, number, null or
timestamp; this checks that shortcut against PyYAML itself on tricky values. Timestamps are the one intended
difference: the reader keeps them as text (the schema validates them as dates).
"""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from agentid.registry.yamlsafe import YamlReadError, parse

TRICKY = [
    "yes", "No", "on", "OFF", "y", "n", "true", "False", "~", "null", "Null", "0x1F", "0o17", "017", "1_000",
    "+12", "-3.5e+3", ".inf", "-.Inf", ".nan", "1:30", "190:20:30.15", "2027-02-28", "2027-02-30", "<<", "=",
    "3.", "0b101", "12e3", "é-scope", "calendar.read", "finance-reconciler", "https://keys.example.com/x",
    "0", "00", "0009", "15", "1440", "123456789012345678", "1234567890123456789", "12345678901234567890123",
    "-0", "+0", "٣٠", "1٣", "okta.users.read", "owners", "token_lifetime_minutes", "nina.petrova",
]  # fmt: skip
token = st.one_of(
    st.sampled_from(TRICKY),
    st.text(alphabet="abcyYnNtTfFoO0123456789.-+_:~<=é", min_size=1, max_size=12),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(token, min_size=1, max_size=8))
def test_plain_scalars_resolve_like_pyyaml(tokens: list[str]):
    text = "".join(f"k{index}: {value}\n" for index, value in enumerate(tokens))
    try:
        expected = yaml.load(text, Loader=yaml.CSafeLoader)
    except (yaml.YAMLError, ValueError):
        assume(False)
    try:
        got = parse(text).data
    except YamlReadError:
        assume(False)
    for index, value in enumerate(tokens):
        want = expected[f"k{index}"]
        if isinstance(want, dt.date):  # timestamps stay text in agent files
            want = value
        have = got[f"k{index}"]
        if isinstance(want, float) and want != want:  # NaN
            assert isinstance(have, float) and have != have
        else:
            assert have == want and type(have) is type(want), (value, have, want)


def test_an_empty_plain_value_is_null_and_a_repeated_one_keeps_its_type():
    """The reader remembers plain scalars' tags across files: the second file must read exactly like the first."""
    for _ in range(2):
        data = parse("name: \nmax_tokens_per_hour: 120\nteam: 17\nreview_by: 2027-03-01\nflag: yes\n").data
        assert data == {"name": None, "max_tokens_per_hour": 120, "team": 17, "review_by": "2027-03-01", "flag": True}
        assert type(data["max_tokens_per_hour"]) is int
        # a non-decimal number is refused every time, not only the first time its tag is worked out
        with pytest.raises(YamlReadError, match="not a plain decimal integer"):
            parse("team: 0017\n")


def test_nested_collections_keep_their_positions():
    """Collections inside lists and mappings (the reader's inlined paths) are placed and positioned exactly."""
    doc = parse("owners:\n  - {email: nina.petrova@example.com}\n  - [on-call, finance]\naccess: {}\n")
    assert doc.data == {"owners": [{"email": "nina.petrova@example.com"}, ["on-call", "finance"]], "access": {}}
    assert {path: tuple(position) for path, position in doc.positions.items()} == {
        (): (1, 1),
        ("owners",): (2, 3),
        ("owners", 0): (2, 5),
        ("owners", 0, "email"): (2, 13),
        ("owners", 1): (3, 5),
        ("owners", 1, 0): (3, 6),
        ("owners", 1, 1): (3, 15),
        ("access",): (4, 9),
    }
    assert {path: tuple(position) for path, position in doc.keys.items()} == {
        ("owners",): (1, 1),
        ("owners", 0, "email"): (2, 6),
        ("access",): (4, 1),
    }


def test_a_collection_as_a_key_or_a_tagged_collection_is_refused_at_its_place():
    for text, rule, message, where in [
        ("? [transcripts.read]\n: 1\n", "load.key-type", "mapping keys must be plain text", (1, 3)),
        (
            "scopes: !!set {a: 1}\n",
            "load.tag",
            "YAML tag `tag:yaml.org,2002:set` is not allowed in agent files",
            (1, 9),
        ),
    ]:
        try:
            parse(text)
        except YamlReadError as exc:
            assert [(p.rule, p.message, tuple(p.position)) for p in exc.problems] == [(rule, message, where)]
        else:
            raise AssertionError(f"{text!r} was accepted")
