"""Strict, position-aware YAML reading for files that humans review and machines trust.

PyYAML's ``safe_load`` accepts duplicate keys (the last one silently wins), expands aliases (a "billion laughs"
file exhausts memory), and forgets where each value came from. Agent definitions are security policy, so this
reader builds plain Python values straight from libyaml's event stream instead:

* aliases and anchors are refused at the first event, so memory stays bounded by the file size;
* nesting depth is capped, because libyaml's own composer recurses in C and crashes on deep input;
* duplicate keys, non-string keys, multiple documents and unknown tags are errors;
* every value's line and column is recorded by its path, so schema and rule findings can point at the line;
* timestamps stay strings (the schema checks them as dates and the model parses them), so an impossible date
  such as ``2027-02-30`` is a finding rather than an exception.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

import yaml

try:  # libyaml is part of the pinned PyYAML wheel; the pure-Python parser is a slower but equal fallback.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - exercised only on machines without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_BYTES = 128 * 1024
MAX_DEPTH = 32

Path = tuple[str | int, ...]

_STR = "tag:yaml.org,2002:str"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_SCALAR_TAGS = {
    _STR,
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    _TIMESTAMP,
}
_COLLECTION_TAGS = {None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}

#: First characters for which YAML 1.1 may resolve a plain scalar to something other than a string. A plain scalar
#: starting with any other character is a string without asking the resolver (what ``Resolver.resolve`` concludes
#: too, since the safe resolver has no wildcard or path resolvers); most values in agent files are such strings.
_RESOLVABLE_FIRST = frozenset(key for key in _Loader.yaml_implicit_resolvers if key is not None)
_PLAIN_SHORTCUT = (
    None not in _Loader.yaml_implicit_resolvers
    and not _Loader.yaml_path_resolvers
    and _Loader.yaml_implicit_resolvers is yaml.resolver.Resolver.yaml_implicit_resolvers
)


@lru_cache(maxsize=4096)
def _plain_tag(value: str) -> str:
    """The YAML 1.1 tag of a plain scalar. It depends on the text alone, and keys and values repeat across agent
    files (``owners``, ``token_lifetime_minutes``, ``true``), so the answer is remembered."""
    return _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))


#: The safe loaders' resolver (they inherit its class-level tables), shared by every file.
_RESOLVER = yaml.resolver.Resolver()

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"

#: The only numbers agent files hold: plain decimal integers, read alike by YAML 1.1 (PyYAML), YAML 1.2 (editors,
#: the yaml-language-server) and JSON. ``0120`` (octal 80 in YAML 1.1, 120 in 1.2), ``0x78``, ``1_2_0``, ``2:00``
#: (sexagesimal 120 in YAML 1.1, a string in 1.2) and ``15.0`` (a float) are refused with the number to write.
_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)", re.ASCII)

#: The tag of plain scalars seen before, read inline by :func:`parse` (cheaper than a call into the lru_cache);
#: bounded so a stream of distinct values cannot grow it without limit.
_PLAIN_TAGS: dict[str, str] = {}
_PLAIN_TAGS_MAX = 65536

#: ``tuple.__new__(Position, (line, column))`` skips the named tuple's Python-level ``__new__``: one per value.
_new_tuple = tuple.__new__


class Position(NamedTuple):
    """1-based line and column of a value (or key) in its file.

    A named tuple rather than a frozen dataclass: a file of a few hundred values records a position for each, and
    a tuple is built several times faster, which matters to a pre-commit hook reading thousands of files."""

    line: int
    column: int


@dataclass(frozen=True, slots=True)
class YamlProblem:
    """Something that makes a file unreadable or ambiguous; ``rule`` names the kind for machine consumers."""

    rule: str
    message: str
    position: Position
    remediation: str = ""


@dataclass(slots=True)
class YamlDocument:
    """A parsed document: plain data plus where each value (``positions``) and each key (``keys``) stood."""

    data: Any
    positions: dict[Path, Position] = field(default_factory=dict)
    keys: dict[Path, Position] = field(default_factory=dict)
    #: the text the document was parsed from (comments included): what checks for pasted secrets read
    text: str = ""

    def position_of(self, path: Path, *, key: bool = False) -> Position:
        """Where ``path`` is, or its nearest recorded ancestor: a missing value is reported at its parent."""
        table = self.keys if key else self.positions
        probe = tuple(path)
        while probe:
            found = table.get(probe) or self.positions.get(probe)
            if found is not None:
                return found
            probe = probe[:-1]
        return self.positions.get((), Position(1, 1))


class YamlReadError(Exception):
    """Raised with every problem found before reading had to stop."""

    def __init__(self, problems: list[YamlProblem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def _position(mark: Any) -> Position:
    return Position(mark.line + 1, mark.column + 1)


def decode(raw: bytes, *, max_bytes: int = MAX_BYTES) -> str:
    """Bytes to text, refusing what a reviewer could not read reliably: oversize or non-UTF-8 files."""
    if len(raw) > max_bytes:
        raise YamlReadError(
            [
                YamlProblem(
                    "load.file-too-large",
                    f"file is {len(raw):,} bytes; agent files are limited to {max_bytes:,} bytes",
                    Position(1, 1),
                    "Keep one agent per file and move long prose to the agent's own documentation.",
                )
            ]
        )
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlReadError(
            [
                YamlProblem(
                    "load.encoding",
                    f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                    Position(line, column),
                    "Save the file as UTF-8.",
                )
            ]
        ) from None


class _Frame:
    """One open mapping or sequence while walking the event stream."""

    __slots__ = ("container", "is_mapping", "key", "path")

    def __init__(self, container: Any, path: Path, is_mapping: bool):
        self.container = container
        self.path = path
        self.is_mapping = is_mapping
        self.key: str | None = None


def _scalar_value(loader: Any, event: Any, problems: list[YamlProblem]) -> Any:
    """Resolve a scalar as YAML 1.1 would, but keep timestamps as text and refuse unknown tags."""
    tag = event.tag
    if tag is None or tag == "!":
        if event.implicit[0] is False or event.style:
            return event.value  # quoted or block scalars are strings
        tag = (
            _plain_tag(event.value) if _PLAIN_SHORTCUT else loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        )
    if tag == _STR:
        return event.value
    if tag not in _SCALAR_TAGS:
        problems.append(
            YamlProblem(
                "load.tag",
                f"YAML tag `{tag}` is not allowed in agent files",
                _position(event.start_mark),
                "Remove the tag; agent files hold plain strings, numbers, booleans, lists and mappings.",
            )
        )
        return None
    if tag == _TIMESTAMP:
        return event.value
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark)
    try:
        value = loader.construct_object(node)
    except (ValueError, OverflowError, yaml.YAMLError):
        return event.value
    if (tag == _INT and not _DECIMAL.fullmatch(event.value)) or tag == _FLOAT:
        problems.append(_number_problem(event.value, value, _position(event.start_mark)))
    return value


def _number_problem(text: str, value: Any, position: Position) -> YamlProblem:
    """``text`` is a number YAML 1.1 reads as ``value`` but that is not a plain decimal integer."""
    shown = text if len(text) <= 24 else text[:21] + "..."
    digits = text.lstrip("+-")
    meant: Any
    if digits.isdigit() and digits[0] == "0":  # 0120: the writer most likely meant the decimal number
        meant = int(text)
        reading = f"YAML 1.1 reads it as the octal number {value}, YAML 1.2 editors as {meant}"
    elif digits.isdigit():  # +120
        meant = int(text)
        reading = "a number starts with a digit or `-`"
    elif isinstance(value, float):
        meant = int(value) if value == value and value not in (float("inf"), float("-inf")) else None
        reading = "it is a decimal fraction, not a whole number"
    else:
        meant = value
        reading = f"YAML 1.1 reads it as {value}; YAML 1.2 editors read it differently"
    fix = f"write {meant}" if meant is not None else "write a whole number in plain digits"
    return YamlProblem(
        "load.number",
        f"`{shown}` is not a plain decimal integer: {reading}",
        position,
        f"Where a number is meant, {fix} (digits only: no leading zero, `0x`, `_`, `:` or decimal point); "
        "where text is meant, put it in quotes.",
    )


def _alias(problems: list[YamlProblem], position: Position) -> YamlReadError:
    """Anchors and aliases end reading at once: expanding them is how a small file exhausts memory."""
    problems.append(
        YamlProblem(
            "load.alias",
            "YAML anchors and aliases (`&name`, `*name`) are not allowed in agent files",
            position,
            "Write each value out in full so a reviewer sees exactly what is granted.",
        )
    )
    return YamlReadError(problems)


def _key_problem(value: Any, position: Position) -> YamlProblem:
    if isinstance(value, bool):
        hint = f"YAML reads this key as the boolean {str(value).lower()}; quote it."
    else:
        hint = "Keys must be plain text."
    return YamlProblem("load.key-type", f"mapping key {value!r} is not a string", position, hint)


def parse(text: str) -> YamlDocument:
    """Parse one YAML document strictly. Raises :class:`YamlReadError` listing every problem found."""
    problems: list[YamlProblem] = []
    doc = YamlDocument(data=None, text=text)
    stack: list[_Frame] = []
    documents = 0
    have_root = False

    def attach(value: Any, position: Position) -> None:
        nonlocal have_root
        if not stack:
            doc.data = value
            doc.positions[()] = position
            have_root = True
            return
        frame = stack[-1]
        if not frame.is_mapping:
            path = (*frame.path, len(frame.container))
            frame.container.append(value)
            doc.positions[path] = position
            return
        if frame.key is None:
            if not isinstance(value, str):
                problems.append(
                    _key_problem(value, position)
                    if not isinstance(value, (dict, list))
                    else YamlProblem("load.key-type", "mapping keys must be plain text", position)
                )
                frame.key = "\0invalid"
                return
            if value in frame.container:
                first = doc.keys.get((*frame.path, value))
                where = f" (first defined on line {first.line})" if first else ""
                problems.append(
                    YamlProblem(
                        "load.duplicate-key",
                        f"duplicate key `{value}`{where}",
                        position,
                        "Remove one of the two entries; YAML would silently keep only the last one.",
                    )
                )
                frame.key = "\0duplicate"
                return
            frame.key = value
            doc.keys[(*frame.path, value)] = position
            return
        key = frame.key
        frame.key = None
        if key.startswith("\0"):
            return
        frame.container[key] = value
        doc.positions[(*frame.path, key)] = position

    positions, keys = doc.positions, doc.keys
    loader = _Loader(text)
    get_event = loader.get_event
    # Module-level names read once per document rather than once per event (a file has dozens of events).
    scalar_event, new_tuple, position_class = yaml.ScalarEvent, _new_tuple, Position
    mapping_start, sequence_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
    mapping_end, sequence_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
    shortcut, resolvable_first, plain_tags = _PLAIN_SHORTCUT, _RESOLVABLE_FIRST, _PLAIN_TAGS
    try:
        while True:
            event = get_event()
            kind = type(event)  # exact classes from libyaml: cheaper than a chain of isinstance()
            if kind is scalar_event:
                mark = event.start_mark
                position = new_tuple(position_class, (mark.line + 1, mark.column + 1))
                if event.anchor:
                    raise _alias(problems, position)
                value = event.value
                if event.tag is not None:
                    value = _scalar_value(loader, event, problems)
                elif not event.style and event.implicit[0]:  # plain (quoted and block scalars are strings)
                    if not shortcut or not value:  # the empty plain scalar is null
                        value = _scalar_value(loader, event, problems)
                    elif value[0] in resolvable_first:
                        # Most such scalars are keys or names seen before (`name`, `owners`, `okta.users.read`):
                        # their tag is remembered, and only a non-string (or a non-decimal number) goes the long way.
                        tag = plain_tags.get(value)
                        if tag is None:
                            tag = _plain_tag(value)
                            if len(plain_tags) < _PLAIN_TAGS_MAX:
                                plain_tags[value] = tag
                        if tag == _INT and len(value) < 19 and value.isascii() and value.isdigit():
                            if value[0] != "0" or value == "0":
                                value = int(value)  # what construct_yaml_int does with plain decimal digits
                            else:  # 017 is octal in YAML 1.1: refused with the number to write
                                value = _scalar_value(loader, event, problems)
                        elif tag != _STR and tag != _TIMESTAMP:  # timestamps stay text (see _scalar_value)
                            value = _scalar_value(loader, event, problems)
                # The two common cases inline (a new key, a value under a key or in a list); attach() does the rest.
                if stack:
                    frame = stack[-1]
                    if not frame.is_mapping:
                        positions[(*frame.path, len(frame.container))] = position
                        frame.container.append(value)
                        continue
                    key = frame.key
                    if key is None:
                        if type(value) is str and value not in frame.container:
                            frame.key = value
                            keys[(*frame.path, value)] = position
                            continue
                    elif not key.startswith("\0"):
                        frame.key = None
                        frame.container[key] = value
                        positions[(*frame.path, key)] = position
                        continue
                attach(value, position)
                continue
            if kind is mapping_start or kind is sequence_start:
                mark = event.start_mark
                position = new_tuple(position_class, (mark.line + 1, mark.column + 1))
                if event.anchor:
                    raise _alias(problems, position)
                if event.tag not in _COLLECTION_TAGS:
                    problems.append(
                        YamlProblem(
                            "load.tag",
                            f"YAML tag `{event.tag}` is not allowed in agent files",
                            position,
                            "Remove the tag.",
                        )
                    )
                if len(stack) >= MAX_DEPTH:
                    problems.append(
                        YamlProblem(
                            "load.too-deep",
                            f"values are nested more than {MAX_DEPTH} levels deep",
                            position,
                            "Agent files are shallow; check the indentation or brackets.",
                        )
                    )
                    raise YamlReadError(problems)
                if not stack:
                    path: Path = ()
                else:
                    frame = stack[-1]
                    if not frame.is_mapping:
                        path = (*frame.path, len(frame.container))
                    elif frame.key is None:
                        problems.append(YamlProblem("load.key-type", "mapping keys must be plain text", position))
                        raise YamlReadError(problems)
                    else:
                        path = (*frame.path, frame.key)
                is_mapping = kind is mapping_start
                stack.append(_Frame({} if is_mapping else [], path, is_mapping))
                positions.setdefault(path, position)
                continue
            if kind is mapping_end or kind is sequence_end:
                done = stack.pop()
                position = positions.get(done.path) or _position(event.start_mark)
                if stack:  # the common cases inline, as for scalars: into a list, or under a valid key
                    frame = stack[-1]
                    if not frame.is_mapping:
                        positions[(*frame.path, len(frame.container))] = position
                        frame.container.append(done.container)
                        continue
                    key = frame.key
                    if key is not None and not key.startswith("\0"):
                        frame.key = None
                        frame.container[key] = done.container
                        positions[(*frame.path, key)] = position
                        continue
                attach(done.container, position)
                continue
            if kind is yaml.StreamEndEvent:
                break
            if kind is yaml.StreamStartEvent or kind is yaml.DocumentEndEvent:
                continue
            if kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    problems.append(
                        YamlProblem(
                            "load.multiple-documents",
                            "file holds more than one YAML document",
                            _position(event.start_mark),
                            "Put each agent in its own file under agents/.",
                        )
                    )
                    raise YamlReadError(problems)
                continue
            # What is left: an alias, or an anchored event of another kind; both end reading.
            position = _position(event.start_mark)
            if kind is yaml.AliasEvent or getattr(event, "anchor", None):
                raise _alias(problems, position)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        problems.append(
            YamlProblem(
                "load.syntax",
                f"YAML syntax error: {message or 'unreadable YAML'}",
                _position(mark) if mark else Position(1, 1),
                "Check indentation, quotes and the `key: value` spacing on this line.",
            )
        )
    except yaml.reader.ReaderError as exc:
        offset = max(exc.position, 0)
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        problems.append(
            YamlProblem(
                "load.syntax",
                f"character U+{exc.character if isinstance(exc.character, int) else ord(exc.character):04X} "
                "is not allowed in YAML",
                Position(line, column),
                "Remove the control character.",
            )
        )
    except yaml.YAMLError as exc:
        problems.append(YamlProblem("load.syntax", f"YAML error: {exc}", Position(1, 1)))
    finally:
        loader.dispose()
    if problems:
        raise YamlReadError(problems)
    if not have_root:
        doc.data = None
        doc.positions[()] = Position(1, 1)
    return doc


def load_bytes(raw: bytes, *, max_bytes: int = MAX_BYTES) -> YamlDocument:
    """Decode and parse; every failure is a :class:`YamlReadError`."""
    return parse(decode(raw, max_bytes=max_bytes))
