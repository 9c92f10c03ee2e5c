"""Reading our Markdown the way GitHub would, to prove user text stays inert: markdown-it-py (CommonMark with GFM
tables and strike-through; already in the lock through rich) parses the comment, and the checks walk its tokens.

GitHub's own mention, issue-reference and autolink filters run on the rendered text, outside code; they are
modelled by :func:`mentions` on the text tokens.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

_PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
_FORBIDDEN = {"link_open", "image", "html_inline", "html_block", "em_open", "s_open", "heading_open", "blockquote_open",
              "bullet_list_open", "ordered_list_open", "fence", "code_block", "hr"}  # fmt: skip
#: GitHub's mention and reference patterns, approximately: @user, @org/team, #123, owner/repo#123.
_MENTION = re.compile(r"(?<![\w`])@[A-Za-z0-9]|(?:^|[\s(])#\d|\w/[\w.-]+#\d")
ZWJ = "\u200d"
#: Markup the renderers write themselves (never with user text inside).
OUR_HEADINGS = {"agentid privilege review"}
OUR_HTML = {"<sub>", "</sub>"}


def tokens(markdown: str):
    return _PARSER.parse(markdown)


def inline_children(markdown: str):
    for token in tokens(markdown):
        if token.type == "inline":
            yield from token.children or []


def markup_found(
    markdown: str,
    allowed_strong: set[str],
    allowed_html: set[str] = OUR_HTML,
    allowed_blocks: frozenset[str] = frozenset(),
) -> list[str]:
    """Every construct user text could have made: links, images, HTML, emphasis, headings, lists, quotes, and bold
    other than ours (``allowed_strong``: the texts we set in bold)."""
    found = []
    block = tokens(markdown)
    for index, token in enumerate(block):
        if token.type == "heading_open" and _our_heading(block[index + 1]):
            continue
        if token.type in _FORBIDDEN and token.type not in allowed_blocks:
            found.append(f"{token.type}: {token.content!r}")
    children = list(inline_children(markdown))
    found += [f"{t.type}: {t.content!r}" for t in children if t.type in _FORBIDDEN and t.content not in allowed_html]
    for index, token in enumerate(children):
        if token.type == "strong_open":
            inner = children[index + 1].content if index + 1 < len(children) else ""
            if inner not in allowed_strong:
                found.append(f"strong: {inner!r}")
    return found


def _our_heading(inline) -> bool:
    """Our headings: the comment's title, the access review's title, and one per agent holding only its name in code."""
    children = [c for c in inline.children or [] if c.type != "text" or c.content.strip()]
    return (
        inline.content in OUR_HEADINGS
        or inline.content.startswith(("Access review (", "Agent inventory ("))
        or (len(children) == 1 and children[0].type == "code_inline")
    )


def mentions(markdown: str) -> list[str]:
    """Mentions and references GitHub would link in the rendered text (code spans excluded, as on GitHub)."""
    return [m.group() for t in inline_children(markdown) if t.type == "text" for m in _MENTION.finditer(t.content)]


def plain(markdown: str) -> str:
    """The text a reader sees (text and code), joiners removed: to compare with the plain values."""
    return "".join(t.content for t in inline_children(markdown) if t.type in ("text", "code_inline")).replace(ZWJ, "")


def table_cells(line: str) -> int:
    """How many cells a GFM table row has: pipes split cells unless backslash-escaped (code spans included)."""
    count, index = 0, 0
    body = line.strip()
    while index < len(body):
        if body[index] == "\\":
            index += 2
            continue
        if body[index] == "|":
            count += 1
        index += 1
    return count - 1
