"""Control characters in agent definitions: refused in every key and string, before the schema sees them.

Why before the schema: its patterns end in ``$``, which Python's ``re`` (the ``jsonschema`` path) lets match before a
final newline, so ``name: "x\\n"`` passed there while ``jsonschema_rs`` refused it; and no field of an agent
definition has a use for them, while every output does harm with them (a newline in an owner makes an owner-less
CODEOWNERS line, ``\\n::notice`` becomes a GitHub workflow command, ESC reaches terminals, U+202E reorders what a
reviewer reads). Refused: C0 controls (tab and newline included: a trailing newline is what ``|`` and ``>`` blocks
add), DEL, C1 controls, the Unicode line and paragraph separators and the bidirectional embeddings, overrides and
isolates.

Speed: the document is serialised once by orjson and one regular expression looks for these characters (as JSON
escapes or raw bytes); only a document where it finds one is walked to say which value holds it.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import orjson

from agentid.registry.yamlsafe import Path

#: The refused characters, in a Python string.
REFUSED = re.compile("[\x00-\x1f\x7f-\x9f\u2028-\u202e\u2066-\u2069]")

#: The same as orjson writes them: C0 as JSON escapes (``\\n``, ``\\u001b``), the rest as raw UTF-8. A ``\\\\n`` (an
#: escaped backslash before an ``n``) matches too; the walk that follows sorts that out.
_REFUSED_JSON = re.compile(rb"\\[nrtbfu]|\x7f|\xc2[\x80-\x9f]|\xe2\x80[\xa8-\xae]|\xe2\x81[\xa6-\xa9]")

_NAMES = {"\t": "tab", "\n": "line feed", "\r": "carriage return", "\x1b": "escape", "\x00": "null"}


def refused_characters(data: Any, serialised: bytes | None = None) -> list[tuple[Path, bool, str]]:
    """Each key or string holding a refused character: (path, whether the key itself, the first such character).

    ``serialised`` is ``orjson.dumps(data)`` when the caller has it already (the schema's fast verdict needs it too).
    """
    try:
        if serialised is None:
            serialised = orjson.dumps(data)
        if not _maybe_refused(serialised):
            return []
    except (TypeError, orjson.JSONEncodeError):  # not JSON to orjson (huge integers): walk it
        pass
    found: list[tuple[Path, bool, str]] = []
    pending: list[tuple[Path, Any]] = [((), data)]
    while pending:
        path, node = pending.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str) and (match := REFUSED.search(key)):
                    found.append(((*path, key), True, match.group()))
                pending.append(((*path, key), value))
        elif isinstance(node, list):
            pending.extend(((*path, index), value) for index, value in enumerate(node))
        elif isinstance(node, str) and (match := REFUSED.search(node)):
            found.append((path, False, match.group()))
    return found


def _maybe_refused(serialised: bytes) -> bool:
    """:data:`_REFUSED_JSON` in ``serialised``, by substring scans first: a valid document has no backslash (JSON
    escapes) and usually no byte of the refused non-ASCII ranges, and ``in`` costs a tenth of the expression."""
    if (
        b"\\" not in serialised
        and b"\x7f" not in serialised
        and b"\xc2" not in serialised
        and b"\xe2" not in serialised
    ):
        return False
    return _REFUSED_JSON.search(serialised) is not None


def describe(character: str) -> str:
    """``U+000A (line feed)``."""
    name = _NAMES.get(character) or unicodedata.name(character, "").lower() or "control character"
    return f"U+{ord(character):04X} ({name})"
