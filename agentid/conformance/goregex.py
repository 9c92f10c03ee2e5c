"""Go regular expressions (package ``regexp``, RE2 syntax) evaluated with Go's semantics in Python.

The provider validates inputs with ``regexp.MustCompile(`...`)`` and ``stringvalidator.RegexMatches``, which calls
``(*Regexp).MatchString``: an unanchored search. A pattern copied from Go source into Python's ``re`` mostly means
the same thing, except where the two dialects differ. :func:`compile_go` translates the differences that matter and
refuses the constructs it does not translate, so a ported validator never silently means something else:

* ``$`` outside a class: in Go (without the ``m`` flag) the end of the text only; in Python also just before a final
  newline (``"name\\n"`` would pass). It becomes ``\\Z``; Go's ``\\z`` becomes ``\\Z`` too.
* ``\\d``, ``\\w``, ``\\s``: ASCII-only in Go, Unicode in Python. They become explicit ASCII classes.
* Escapes Python knows but RE2 refuses (``\\Z``, ``\\G``...) or that mean something else are refused.
* Character classes: both parse ``[\\\\.\\\\-_]`` the same way, as ``\\``, ``.`` and the *range* ``\\``..``_``
  (a ``-`` between two class characters is a range whatever escaping precedes it): Go's ``regexp/syntax``
  ``parseClass`` reads a class character, then a range when ``-`` follows and ``]`` does not; ``sre_parse`` does the
  same. Tests pin the accepted set character by character.

The pattern handed in is the Go *source text* between the backquotes of a raw string (no escape processing), so it
can be compared with the provider's file verbatim.
"""

from __future__ import annotations

import re

#: RE2's Perl classes are ASCII-only (regexp/syntax/perl_groups.go).
_PERL_CLASSES = {"d": "0-9", "w": "0-9A-Za-z_", "s": "\\t\\n\\f\\r "}
#: Escapes that mean the same in RE2 and Python (outside and inside classes).
_SAME_ESCAPES = set("ntfrvA")


class UnsupportedGoRegex(ValueError):
    """The pattern uses a construct this port does not translate (so it might not mean what Go means)."""


def translate(pattern: str) -> str:
    """Python ``re`` source meaning what ``pattern`` means to Go's ``regexp``."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            if i + 1 >= len(pattern):
                raise UnsupportedGoRegex(f"trailing backslash in {pattern!r}")
            nxt = pattern[i + 1]
            if not nxt.isalnum():
                out.append("\\" + nxt)  # escaped punctuation is a literal in both dialects
            elif nxt in _PERL_CLASSES:
                body = _PERL_CLASSES[nxt]
                out.append(body if in_class else f"[{body}]")
            elif nxt == "z" and not in_class:
                out.append(r"\Z")
            elif nxt in _SAME_ESCAPES and not (nxt == "A" and in_class):
                out.append("\\" + nxt)
            else:
                raise UnsupportedGoRegex(f"escape \\{nxt} in {pattern!r} is not translated")
            i += 2
            continue
        if in_class:
            if char == "[" and pattern[i + 1 : i + 2] == ":":
                raise UnsupportedGoRegex(f"POSIX class in {pattern!r} is not translated")
            if char == "]":
                in_class = False
            out.append(char)
            i += 1
            continue
        if char == "[":
            in_class = True
            out.append(char)
            i += 1
            # A `]` (after an optional `^`) right after `[` is a literal in both dialects.
            if pattern[i : i + 1] == "^":
                out.append("^")
                i += 1
            if pattern[i : i + 1] == "]":
                out.append(r"\]")
                i += 1
            continue
        if char == "$":
            out.append(r"\Z")
        elif char == "(" and pattern[i + 1 : i + 2] == "?":
            flags = re.match(r"\(\?([a-zA-Z]*)(\)|:)", pattern[i:])
            if flags is None or set(flags.group(1)) - {"i"}:
                raise UnsupportedGoRegex(f"group syntax at {pattern[i:]!r} is not translated (only (?i) and (?:)")
            out.append(flags.group(0))
            i += len(flags.group(0))
            continue
        else:
            out.append(char)
        i += 1
    if in_class:
        raise UnsupportedGoRegex(f"unterminated class in {pattern!r}")
    return "".join(out)


def compile_go(pattern: str) -> re.Pattern[str]:
    """Compile the Go source ``pattern``; use ``.search`` (Go's ``MatchString`` is unanchored)."""
    return re.compile(translate(pattern))


def go_match_string(pattern: re.Pattern[str], value: str) -> bool:
    """``(*regexp.Regexp).MatchString(value)``."""
    return pattern.search(value) is not None
