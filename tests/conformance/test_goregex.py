"""Go's regexp semantics in Python: the provider's patterns must accept exactly what Go accepts.

Expected sets are derived from Go's documented semantics, not from our translation: RE2's ``parseClass``
(golang/go src/regexp/syntax/parse.go) reads a class character (``\\\\`` is a backslash), then a range when ``-``
follows and ``]`` does not; ``$`` without the ``m`` flag matches only at the end of the text (regexp/syntax doc:
"at end of text ... like \\z not \\Z"); ``\\d``/``\\w``/``\\s`` are ASCII-only ("Perl character classes (all
ASCII-only)"); ``MatchString`` reports whether the string *contains* a match.
"""

from __future__ import annotations

import string

import pytest

from agentid.conformance.goregex import UnsupportedGoRegex, compile_go, go_match_string, translate
from agentid.conformance.okta import EVENT_SOURCE_NAME_GO

#: What Go accepts for one character of `[\\.\\-_A-Za-z0-9]`: backslash, dot, the range \ (0x5C) .. _ (0x5F), i.e.
#: \ ] ^ _, and ASCII letters and digits. Written out by hand from the semantics above.
GO_EVENT_SOURCE_CHARS = set(string.ascii_letters + string.digits + ".") | {"\\", "]", "^", "_"}


def test_resource_log_stream_go_event_source_class_is_read_as_go_reads_it():
    pattern = compile_go(EVENT_SOURCE_NAME_GO)
    accepted = {chr(code) for code in range(128) if go_match_string(pattern, chr(code))}
    assert accepted == GO_EVENT_SOURCE_CHARS, sorted(accepted ^ GO_EVENT_SOURCE_CHARS)


@pytest.mark.parametrize("char", ["-", "[", "`", " ", "é", "\u212a"])
def test_resource_log_stream_go_event_source_class_refuses(char):
    """`[` (0x5B) sits just below the range \\..._; the hyphen is not in the class at all; no non-ASCII letter."""
    assert not go_match_string(compile_go(EVENT_SOURCE_NAME_GO), f"agentid{char}dev")


def test_dollar_is_end_of_text_as_in_go_not_before_a_final_newline():
    pattern = compile_go(EVENT_SOURCE_NAME_GO)
    assert go_match_string(pattern, "agentid_dev_okta")
    assert not go_match_string(pattern, "agentid_dev_okta\n"), "Python's $ would accept the trailing newline"


def test_match_string_is_an_unanchored_search():
    assert go_match_string(compile_go("splunk"), "acme.splunkcloud.com")


def test_perl_classes_are_ascii_only():
    assert translate(r"^\d+$") == r"^[0-9]+\Z"
    assert not go_match_string(compile_go(r"^\d+$"), "١٢")  # Arabic-Indic digits: \d in Python, not in Go
    assert go_match_string(compile_go(r"^[\w.]+$"), "a_b.c")


def test_case_insensitive_flag_is_kept():
    assert go_match_string(compile_go(r"(?i)^[0-9a-f]{2}$"), "AB")


@pytest.mark.parametrize("pattern", [r"\Z", r"(?=a)", r"(?<name>a)", r"[[:alpha:]]", r"\p{Greek}", "[a"])
def test_constructs_not_translated_are_refused(pattern):
    with pytest.raises(UnsupportedGoRegex):
        translate(pattern)
