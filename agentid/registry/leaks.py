"""Private key material pasted into an agent definition: found in any shape, reported by name, never echoed.

Two shapes are looked for:

* **private JWK members** (RFC 7517/7518: ``d``, ``p``, ``q``, ``dp``, ``dq``, ``qi``, ``oth``, ``k``) in any mapping
  under a ``credentials`` block, at any depth and whatever the shape around it (``keys`` as a list, a mapping, a
  list of lists), in any mapping anywhere that has a ``kty`` (a key pasted at the wrong indentation), and inside a
  string under ``credentials`` (a JWK pasted as JSON or YAML text: ``keys: '{"kty": "EC", "d": "..."}'``). Mapping
  members are removed from the data before anything else (the schema, its error messages, the model) sees them;
* **PEM private key blocks** (``-----BEGIN [RSA |EC |OPENSSH |ENCRYPTED |...]PRIVATE KEY-----``) anywhere in the
  file's text, comments included: a key in a comment is committed to git history like any other line.

Findings name the members or the PEM header, never a value.
"""

from __future__ import annotations

import re
from typing import Any

from agentid.registry.yamlsafe import Path, Position, YamlDocument

#: JWK members that carry private key material (RFC 7517 section 4 and RFC 7518 section 6.2.2/6.3.2/6.4.1).
PRIVATE_JWK_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")

_PRIVATE = frozenset(PRIVATE_JWK_MEMBERS)

#: A private member written as a key inside a string: JSON (``"d": ``, also with YAML's ``\"`` escapes) or YAML
#: (``d: `` at a line start, after ``{`` or ``,``). A URL such as ``https://x/d:1`` does not match (``/`` before it).
_EMBEDDED_MEMBER = re.compile(r"""(?:^|(?<=[\s{,]))\\?["']?(d|p|q|dp|dq|qi|oth|k)\\?["']?[ \t]*:""", re.MULTILINE)

#: A PEM private key header (RFC 7468 labels ``PRIVATE KEY``, ``ENCRYPTED PRIVATE KEY``, and the legacy ``RSA``,
#: ``EC``, ``DSA``, ``OPENSSH`` and PGP ``... PRIVATE KEY BLOCK`` ones). Case and spacing are not trusted.
_PEM_HEADER = re.compile(r"-----\s*BEGIN[ \t]+(?:[A-Z0-9]+[ \t]+)*PRIVATE[ \t]+KEY(?:[ \t]+BLOCK)?\s*-----", re.I)

#: Where PEM findings are filed in :func:`find_private_material`'s answer: ``(PEM_MARK, line, column)``.
PEM_MARK = "\0pem"


def find_private_material(doc: YamlDocument) -> dict[tuple[Any, ...], tuple[str, ...]]:
    """Remove private JWK members from ``doc.data`` (in place); return what was found, by path.

    A value is a tuple of member names, or for a PEM block (path ``(PEM_MARK, line, column)``) its header.
    """
    found: dict[tuple[Any, ...], tuple[str, ...]] = {}
    data = doc.data
    if not isinstance(data, dict):
        return found
    text = doc.text
    with_kty = _walk_credentials(data, found)
    # A mapping with `kty` outside a credentials block: only possible when the text says `kty` more often than the
    # credentials blocks hold it (comments count too, which only costs a walk). Without text, always look.
    if not text or text.count("kty") > with_kty:
        _walk(data, (), False, found)
    for position, header in pem_headers(text):
        found[(PEM_MARK, *position)] = (header,)
    return found


def _walk_credentials(data: dict[str, Any], found: dict[tuple[Any, ...], tuple[str, ...]]) -> int:
    """Scan the agent's and each plugin's ``credentials``; the number of mappings with ``kty`` seen there."""
    seen = 0
    blocks = [(data.get("credentials"), ("credentials",))]
    plugins = data.get("plugins")
    if type(plugins) is list:
        blocks += [
            (plugin.get("credentials"), ("plugins", index, "credentials"))
            for index, plugin in enumerate(plugins)
            if type(plugin) is dict
        ]
    for block, path in blocks:
        kind = type(block)
        if kind is dict or kind is list:
            seen += _walk(block, path, True, found)
        elif kind is str and ":" in block:
            _embedded(block, path, found)
    return seen


def _walk(node: Any, path: Path, in_credentials: bool, found: dict[tuple[Any, ...], tuple[str, ...]]) -> int:
    """Strip and record private members under ``node``; the number of mappings with ``kty`` seen. Strings are looked
    at here, by their parent, only when they could hold a member written as text (under credentials, with a colon):
    one call per value would cost more than the rest of the walk."""
    seen = 0
    if type(node) is dict:
        if "kty" in node:
            seen = 1
        if (in_credentials or seen) and not _PRIVATE.isdisjoint(node):
            names = tuple(name for name in PRIVATE_JWK_MEMBERS if name in node)
            for name in names:
                del node[name]
            found[path] = names
        children: Any = node.items()
    else:
        children = enumerate(node)
    for key, value in children:
        kind = type(value)
        if kind is dict or kind is list:
            seen += _walk(value, (*path, key), in_credentials or key == "credentials", found)
        elif kind is str and in_credentials and ":" in value:  # no member written as a key without a colon
            _embedded(value, (*path, key), found)
    return seen


def _embedded(text: str, path: Path, found: dict[tuple[Any, ...], tuple[str, ...]]) -> None:
    if path in found:
        return
    members = {match.group(1) for match in _EMBEDDED_MEMBER.finditer(text)}
    if members:
        found[path] = tuple(name for name in PRIVATE_JWK_MEMBERS if name in members)


def pem_headers(text: str) -> list[tuple[Position, str]]:
    """Where ``text`` holds a PEM private key block, and its header (for files that did not parse as YAML)."""
    found: list[tuple[Position, str]] = []
    if "-----" not in text:  # the common case, without the regular expression
        return found
    for match in _PEM_HEADER.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
        header = " ".join(match.group(0).strip("- \t").split()).upper()
        found.append((Position(line, column), f"-----{header}-----"))
    return found


#: A line that writes a private member as a key (YAML or JSON): what a front-end quoting source lines must not quote.
_MEMBER_LINE = re.compile(r"""(?:^|[\s{,\[-])\\?["']?(?:d|p|q|dp|dq|qi|oth|k)\\?["']?[ \t]*:""")
_PEM_END = re.compile(r"-----\s*END[ \t]", re.I)


def secret_lines(text: str) -> set[int]:
    """1-based numbers of the lines that may hold private key material: a PEM block (header to footer) or a private
    member written as a key. Generous on purpose (prose such as "step d: reconcile" counts): it only tells a
    front-end which source lines not to quote (checkov copies the failing block's lines into its reports)."""
    found: set[int] = set()
    in_pem = False
    for number, line in enumerate(text.splitlines(), 1):
        if _PEM_HEADER.search(line):
            in_pem = True
        if in_pem or _MEMBER_LINE.search(line):
            found.add(number)
        if in_pem and _PEM_END.search(line):
            in_pem = False
    return found


def holds_secret_text(value: Any) -> bool:
    """Whether a value must not be echoed even outside ``credentials``: a string holding a PEM private key or a
    private JWK member written as text."""
    return type(value) is str and (
        _PEM_HEADER.search(value) is not None or ('"' in value and _EMBEDDED_MEMBER.search(value) is not None)
    )
