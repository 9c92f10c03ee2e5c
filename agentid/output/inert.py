"""User text made inert for every place it is shown: Markdown (the PR comment, reports), terminals and CI logs, XML.

Agent definitions are written by anyone who can open a pull request, and their free text (names, descriptions,
reasons, key ids, waiver text) reaches outputs that *interpret* text: GitHub renders Markdown and @mentions, the
Actions runner executes ``::command::`` lines it sees in a job's log, terminals act on escape sequences, XML 1.0
refuses most control characters. Every renderer passes user values through exactly one of these functions; none
builds its own escaping. Each keeps the value readable (nothing is dropped silently except characters that have no
printable meaning), and each is idempotent on plain text (letters, digits, spaces, ``.-/``).

* :func:`md_text` — prose: every character Markdown, GitHub Flavored Markdown or GitHub's renderer gives a meaning
  (emphasis, links, images, HTML, entities, tables, math, strike-through, footnotes) is backslash-escaped, ``@`` and
  ``#`` get a zero-width joiner so no mention or issue reference forms, line breaks collapse into spaces.
* :func:`md_code` — identifiers: a code span whose backtick fence is longer than any backtick run inside (CommonMark
  §6.1), so nothing inside is markup; GitHub does not turn text in code into mentions or links.
* :func:`log_text` — terminals and CI logs: control characters (C0, DEL, C1, Unicode line separators, bidi
  overrides) shown as visible ``\\xNN`` escapes, so a value cannot start a line, move the cursor or colour the
  screen; a value that would begin a line with ``::`` (a GitHub Actions workflow command) or contains ``##[``
  (the runner's legacy command form) is defused.
* :func:`xml_text` — characters XML 1.0 forbids (§2.2 Char) shown as visible escapes; ``<``/``&`` are the XML
  writer's business (ElementTree escapes them).
"""

from __future__ import annotations

import re
from functools import cache


#: Characters shown as visible escapes: C0 controls (tab, LF and CR included: a value never spans lines), DEL, C1
#: controls (0x9B is a one-byte CSI), Unicode line/paragraph separators, bidirectional overrides and isolates
#: ("Trojan Source", CVE-2021-42574), and the byte-order mark.
@cache
def _control() -> re.Pattern[str]:
    return re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")


#: The ASCII punctuation CommonMark, GFM and GitHub's renderer act on inside a line. Backslash-escaping any ASCII
#: punctuation is always allowed (CommonMark §2.4), and escaping these is enough once no value starts a line:
#: emphasis ``* _``, strike-through ``~``, code `` ` ``, links/images/footnotes ``[ ] !``, autolinks and HTML
#: ``< >``, entities ``&``, tables ``|``, math ``$``, and the backslash itself.
@cache
def _md_special() -> re.Pattern[str]:
    return re.compile(r"([\\`*_\[\]<>!&|~$#@:])")


ZWJ = "\u200d"


#: A GitHub Actions workflow command: a line whose trimmed text starts with ``::`` (actions/runner
#: ActionCommand.TryParseV2 trims, then tests StartsWith("::")); ``##[`` anywhere is the legacy form (TryParse).
@cache
def _workflow_command() -> re.Pattern[str]:
    return re.compile(r"^(\s*)::")


#: Characters XML 1.0 does not allow in a document (https://www.w3.org/TR/xml/#charsets): C0 controls other than
#: tab/LF/CR, surrogates, U+FFFE and U+FFFF.
@cache
def _xml_invalid() -> re.Pattern[str]:
    return re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


ELLIPSIS = "…"


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def one_line(value: object) -> str:
    """The value as one line of plain text: control characters become visible ``\\xNN`` escapes, except line breaks
    and tabs, which become one space (a description's line breaks are layout, not content)."""
    text = str(value)
    text = re.sub("[\t\n\r\u2028\u2029\x0b\x0c\x85]+", " ", text)
    return _control().sub(_escape_char, text)


def shorten(text: str, limit: int | None) -> tuple[str, bool]:
    """``text`` cut to at most ``limit`` characters (an ellipsis marks the cut); whether it was cut."""
    if limit is None or len(text) <= limit:
        return text, False
    return text[: max(limit - 1, 0)] + ELLIPSIS, True


def _md_escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in "@#":
        # Neither `\@` nor `\#` stops GitHub's mention and reference filters (they run on the rendered text):
        # a zero-width joiner after the sign does, and stays invisible.
        return char + ZWJ
    if char == ":":
        return "\\:"  # no `https://` autolink, no `:emoji:` shortcode
    return "\\" + char


#: Block markers that only act at the start of a line (lists, setext underlines, ordered lists): escaped there too,
#: so a value is inert even where a renderer places it first on a line.
@cache
def _md_line_start() -> re.Pattern[str]:
    return re.compile(r"^([-+=])|^(\d{1,9})([.)])")


def md_text(value: object, limit: int | None = None) -> str:
    """User prose for Markdown, inert: safe in a table cell, a list item or a paragraph, even at a line start."""
    text, _ = shorten(one_line(value).strip(), limit)
    text = _md_special().sub(_md_escape, text)
    return _md_line_start().sub(lambda m: "\\" + m.group(1) if m.group(1) else m.group(2) + "\\" + m.group(3), text)


def md_code(value: object, limit: int | None = None) -> str:
    """A user identifier (name, key id, file, scope) as a Markdown code span, inert and table-safe.

    A pipe inside a code span still splits a GFM table row, and the escape GFM offers (``\\|``) is read differently
    by different parsers after a backslash; a value with a pipe is shown as escaped prose instead.
    """
    text, _ = shorten(one_line(value), limit)
    if not text.strip():
        return md_text(repr(text))
    if "|" in text:
        return md_text(text)
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    # CommonMark strips one space from each side when both are present: pad when the value starts or ends with a
    # backtick (it would merge with the fence) or a space (it would be stripped).
    pad = " " if text[0] in "` " or text[-1] in "` " else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def log_text(value: object) -> str:
    """User text for a terminal or a CI log, inert: one line, no control characters, no workflow command."""
    text = one_line(value)
    text = _workflow_command().sub(lambda m: m.group(1) + "\\::", text)
    return text.replace("##[", "#\\#[")


def log_block(value: object) -> str:
    """Several lines of user text for a log (e.g. a waiver reason): each line inert, line breaks kept."""
    return "\n".join(log_text(line) for line in str(value).splitlines())


def xml_text(value: object) -> str:
    """User text for an XML 1.0 document: forbidden characters shown as visible escapes."""
    return _xml_invalid().sub(_escape_char, str(value))
