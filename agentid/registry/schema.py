r"""JSON Schema validation that speaks in lines and suggestions.

The schema (``policies/agent.schema.json``) is the single description of the format; this module only turns
``jsonschema`` errors into messages a person can act on: the dotted path, the line it is on, and for an unknown
key the closest known key ("did you mean `scopes`?").

Speed: most files are valid, and for them only the verdict matters. ``jsonschema_rs`` (Rust) decides that verdict
about a hundred times faster than ``jsonschema`` from the very same schema file. A document it rejects is explained
from ``jsonschema_rs``'s own errors, read as ``jsonschema`` would have reported them
(:mod:`agentid.registry.rs_errors`), so that importing ``jsonschema`` (~70 ms) is not paid for a few rejected files;
whatever that reading cannot reproduce exactly goes through ``jsonschema`` itself (imported only then), so every
message is the reference's.
The two engines agree on this schema except for regular-expression whitespace and one date: ``jsonschema_rs``
follows ECMA-262, where ``\s`` excludes U+001C-U+001F and U+0085, which Python's ``re`` counts as whitespace, and
includes U+FEFF, which Python's does not; and it accepts the year 0000, which Python's ``datetime`` (and so
``jsonschema``) rejects. A document holding one of those takes the reference path, so the verdict is always
``jsonschema``'s. Without ``jsonschema_rs`` installed (e.g. in checkov's venv) every document takes the reference
path.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path as FsPath
from typing import TYPE_CHECKING, Any

import orjson

from agentid.registry.yamlsafe import Path, Position, YamlDocument

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

    from agentid.registry.rs_errors import FastError

#: Where the engines disagree, as orjson writes it: characters only one of Python's ``re`` and ECMA-262
#: (jsonschema_rs) counts as ``\s`` (U+001C-U+001F and U+0085; U+FEFF), and a string starting with year 0000.
_ENGINE_DIVERGENT = re.compile(rb"\\u001[cdefCDEF]|\xc2\x85|\xef\xbb\xbf|\"0000-")


def _divergent(serialised: bytes) -> bool:
    """:data:`_ENGINE_DIVERGENT` in ``serialised``, by plain substring scans first: on every valid file, the
    regular expression (which tries its alternatives at each ``"`` and ``\\``) costs more than the dump itself."""
    if b"\\u001" in serialised and _ENGINE_DIVERGENT.search(serialised):
        return True
    return b"\xc2\x85" in serialised or b"\xef\xbb\xbf" in serialised or b'"0000-' in serialised


#: Escapes whose meaning Python's ``re`` and ECMA-262 share (``\s`` given the characters above are ruled out): a
#: schema whose patterns use any other is never explained from jsonschema_rs's errors.
_NON_PORTABLE_ESCAPE = re.compile(r"\\[^s.\-/\\]")


@dataclass(frozen=True, slots=True)
class SchemaProblem:
    message: str
    position: Position
    remediation: str = ""
    #: a missing required key, as (object path, key): dropped when an unknown key ``supplies`` it (one error per
    #: mistake: a misspelt or misindented required key is reported once, where it is written)
    missing: tuple[Path, str] | None = field(default=None, compare=False, repr=False)
    supplies: tuple[tuple[Path, str], ...] = field(default=(), compare=False, repr=False)


class CompiledSchema:
    """One schema file, compiled for the fast verdict and (lazily) for the reference validator."""

    def __init__(self, schema: dict[str, Any]):
        self.schema = schema
        self.fast: Any = None
        #: whether errors of jsonschema_rs may stand in for jsonschema's (see agentid.registry.rs_errors)
        self.fast_wording = _portable_patterns(schema)
        try:
            import jsonschema_rs
        except ImportError:  # pragma: no cover - exercised only where jsonschema_rs is not installed
            self.full.check_schema(schema)
            return
        try:
            self.fast = jsonschema_rs.validator_for(schema, validate_formats=True)
        except Exception:  # a schema jsonschema_rs cannot compile: let jsonschema judge (and reject) it
            self.full.check_schema(schema)

    @cached_property
    def full(self) -> Draft202012Validator:
        """The reference validator (``jsonschema``) with date checking: the verdict and the errors we translate.

        Its ``pattern`` reads ``$`` as the end of the text (``\\Z``), as ECMA-262 and jsonschema_rs do: Python's ``$``
        also matches before a final newline, so ``name: "x\\n"`` passed here and failed there."""
        from jsonschema import Draft202012Validator, validators

        validator_class = validators.extend(Draft202012Validator, {"pattern": _pattern_keyword})
        return validator_class(self.schema, format_checker=Draft202012Validator.FORMAT_CHECKER)  # type: ignore[return-value]

    def surely_valid(self, data: Any, serialised: bytes | None = None) -> bool:
        """True when the fast validator accepts ``data`` and the reference validator is known to agree.
        ``serialised`` is ``orjson.dumps(data)`` when the caller has it already."""
        if self.fast is None:
            return False
        try:
            if _divergent(serialised if serialised is not None else orjson.dumps(data)):
                return False
            return bool(self.fast.is_valid(data))
        except Exception:  # values the Rust side cannot take (huge integers, NaN): the reference path decides
            return False

    def iter_errors(self, data: Any) -> Iterator[ValidationError]:
        return self.full.iter_errors(data)

    def errors(self, data: Any) -> Iterable[ValidationError | FastError]:
        """The errors of a document the fast validator rejected: read from jsonschema_rs where that reproduces
        jsonschema exactly, else from jsonschema itself."""
        if self.fast is not None and self.fast_wording:
            try:
                divergent = _divergent(orjson.dumps(data))
            except Exception:  # not JSON to orjson: the reference path decides
                divergent = True
            if not divergent:
                from agentid.registry.rs_errors import word_errors  # only for a rejected document

                worded = word_errors(self.fast, self.schema, data)
                if worded is not None:
                    return worded
        return self.iter_errors(data)


def _pattern_keyword(validator: Any, pattern: str, instance: Any, _schema: Any) -> Iterator[ValidationError]:
    """jsonschema's ``pattern`` keyword, with ``$`` meaning the end of the text (see :func:`python_pattern`)."""
    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "string") and not python_pattern(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@lru_cache(maxsize=256)
def python_pattern(pattern: str) -> re.Pattern[str]:
    """A schema ``pattern`` compiled for Python with ECMA-262's ``$``: the end of the text, never "before a final
    newline" (``\\Z``). Every unescaped ``$`` outside a character class is rewritten."""
    out, escaped, in_class = [], False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "$" and not in_class:
            out.append("\\Z")
            continue
        out.append(char)
    return re.compile("".join(out))


def _portable_patterns(schema: Any) -> bool:
    """Every ``pattern`` in the schema uses only escapes both regular-expression dialects read alike."""
    pending = [schema]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            pattern = node.get("pattern")
            if isinstance(pattern, str) and _NON_PORTABLE_ESCAPE.search(pattern):
                return False
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return True


@lru_cache(maxsize=8)
def validator_for(schema_path: str) -> CompiledSchema:
    """The compiled schema; cached because compiling costs more than validating."""
    return CompiledSchema(json.loads(FsPath(schema_path).read_text(encoding="utf-8")))


def dotted(path: Path) -> str:
    """``access.scopes[0].name`` from ``("access", "scopes", 0, "name")``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "the document"


def _known_keys(schema: dict[str, Any]) -> list[str]:
    return sorted(schema.get("properties", {}))


def _describe(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _type_hint(error: ValidationError | FastError) -> str:
    if isinstance(error.instance, bool) and error.validator == "type" and "string" in str(error.validator_value):
        return " (YAML reads yes/no/on/off/true/false as booleans: put the value in quotes)"
    if isinstance(error.instance, str) and error.validator == "type" and "integer" in str(error.validator_value):
        return " (write the number without quotes)"
    return ""


def _leaf_errors(error: ValidationError | FastError) -> Iterator[ValidationError | FastError]:
    """Unwrap ``allOf``/``if-then`` so the user sees the concrete failure, not the combinator."""
    if error.validator in ("allOf",) and error.context:
        for child in error.context:
            yield from _leaf_errors(child)
    else:
        yield error


_SEE_README = "See agents/README.md for every field and an example."

#: How to write a value of each JSON type in YAML, for a `type` error's fix.
_TYPE_ADVICE = {
    "array": "a list: `[a, b]`, or one `- item` per line below the key",
    "object": "a mapping: `key: value` lines indented below it",
    "string": "text (in quotes if it could be read as a number, a date or yes/no)",
    "integer": "a whole number, without quotes",
    "number": "a number, without quotes",
    "boolean": "true or false",
}


def _fix(advice: str, schema: Any) -> str:
    """``advice`` as a sentence, then the field's own description from the schema when it has one."""
    text = schema.get("description") if isinstance(schema, dict) else None
    advice = advice.rstrip(".") + "."
    return f"{advice} {text.rstrip('.')}." if isinstance(text, str) and text else advice


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _size_problem(error: ValidationError | FastError, where: str) -> tuple[str, str] | None:
    """Message and fix for minLength/maxLength/minItems/maxItems, the limit named."""
    limit = error.validator_value
    if not isinstance(limit, int):
        return None
    instance = error.instance
    if error.validator == "minItems":
        return (
            f"{where}: {'is empty' if not instance else f'has {len(instance)}'}; at least "
            f"{_plural(limit, 'entry is', 'entries are')} required",
            _fix(f"List at least {_plural(limit, 'entry', 'entries')}", error.schema),
        )
    if error.validator == "maxItems":
        return (
            f"{where}: has {len(instance)} entries; at most {limit} are allowed",
            _fix(f"Keep at most {_plural(limit, 'entry', 'entries')}", error.schema),
        )
    if error.validator == "minLength":
        return (
            f"{where}: {_describe(instance)} is too short ({_plural(len(instance), 'character', 'characters')}; "
            f"at least {limit} required)",
            _fix(f"Write at least {_plural(limit, 'character', 'characters')}", error.schema),
        )
    if error.validator == "maxLength":
        return (
            f"{where}: is too long ({len(instance)} characters; at most {limit} allowed)",
            _fix(f"Shorten it to at most {_plural(limit, 'character', 'characters')}", error.schema),
        )
    return None


@lru_cache(maxsize=8)
def _key_homes(schema_json: str) -> dict[str, tuple[Path, ...]]:
    """Key -> the object paths (through ``properties`` only, no list items) where the schema defines it."""
    schema = json.loads(schema_json)
    homes: dict[str, list[Path]] = {}

    def walk(node: Any, path: Path) -> None:
        if not isinstance(node, dict):
            return
        for key, child in (node.get("properties") or {}).items():
            homes.setdefault(key, []).append(path)
            if isinstance(child, dict) and child.get("type") == "object":
                walk(child, (*path, key))

    walk(schema, ())
    return {key: tuple(paths) for key, paths in homes.items()}


def _misplaced(key: str, path: Path, root_schema: Any) -> Path | None:
    """Where an unknown ``key`` at ``path`` belongs, when the schema defines it in exactly one other object a level
    up or down (a key dedented out of its block, or indented into the one above it)."""
    if not isinstance(root_schema, dict):
        return None
    homes = _key_homes(json.dumps(root_schema, sort_keys=True)).get(key, ())
    near = [home for home in homes if home != path and (home[: len(path)] == path or path[: len(home)] == home)]
    return near[0] if len(near) == 1 else None


#: A key name shown as is in "unknown key" messages under ``credentials`` (anything longer may be a pasted value).
_SHOWABLE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,23}", re.ASCII)


def _secret_place(path: Path) -> bool:
    """Values under a ``credentials`` block are never echoed: a private key pasted in any shape must not reach a log,
    a report or a PR comment through an error message."""
    return "credentials" in path


def _echoable(value: Any) -> bool:
    """Whether an error message may quote ``value`` outside ``credentials``: not when any text in it holds a private
    key (a PEM block, a JWK written as JSON). Asked only of values in error, never of a valid document."""
    from agentid.registry.leaks import holds_secret_text

    if isinstance(value, dict):
        return all(_echoable(key) and _echoable(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_echoable(item) for item in value)
    return not holds_secret_text(value)


def _withheld(value: Any) -> str:
    """How a message names a value it must not quote."""
    if isinstance(value, dict):
        return "a mapping (not shown)"
    if isinstance(value, list):
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''} (not shown)"
    if isinstance(value, str):
        return f"a text of {len(value)} characters (not shown)"
    return f"a {type(value).__name__} (not shown)"


def _translate(
    error: ValidationError | FastError, doc: YamlDocument, root_schema: Any = None
) -> Iterator[SchemaProblem]:
    path: Path = tuple(error.absolute_path)
    if _secret_place(path) or not _echoable(error.instance):
        yield from _translate_withheld(error, doc, path, root_schema)
    else:
        yield from _translate_shown(error, doc, path, root_schema)


def _translate_shown(
    error: ValidationError | FastError, doc: YamlDocument, path: Path, root_schema: Any = None
) -> Iterator[SchemaProblem]:
    where = dotted(path)
    custom = error.schema.get("x-message") if isinstance(error.schema, dict) else None
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = _known_keys(error.schema)
        extras = [key for key in error.instance if key not in error.schema.get("properties", {})]
        context = f" in `{where}`" if path else ""
        for key in extras:
            position = doc.position_of((*path, key), key=True)
            home = _misplaced(str(key), path, root_schema)
            if home is not None:
                block = f"under `{dotted(home)}`" if home else "at the top level"
                yield SchemaProblem(
                    f"unknown key `{key}`{context}: it belongs {block}; indented wrongly?",
                    position,
                    f"Indent `{key}` under `{dotted(home)}:`, at the same depth as the keys already there."
                    if home
                    else f"Move `{key}` to the left margin (no indentation), like `name` and `owners`.",
                    supplies=((home, str(key)),),
                )
                continue
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            hint = f"; did you mean `{close[0]}`?" if close else ""
            yield SchemaProblem(
                f"unknown key `{key}`{context}{hint}",
                position,
                (f"Rename it to `{close[0]}`. " if close else "")
                + (f"Known keys here: {', '.join(known)}." if known else ""),
                supplies=((path, close[0]),) if close else (),
            )
        return
    if error.validator == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else error.message
        context = f" in `{where}`" if path else ""
        yield SchemaProblem(
            f"missing required key `{missing}`{context}",
            doc.position_of(path),
            f"Add `{missing}:`{' under `' + where + ':`' if path else ''}. {_SEE_README}",
            missing=(path, missing),
        )
        return
    if "propertyNames" in getattr(error, "absolute_schema_path", ()) and isinstance(error.instance, str):
        # A key of the mapping is wrong (e.g. a catalog scope named okta.*): point at that key, and name it.
        name = error.instance
        detail = custom or f"is not an allowed name ({error.message})"
        yield SchemaProblem(f"{where}: `{name}` {detail}", doc.position_of((*path, name), key=True))
        return
    if custom:
        yield SchemaProblem(f"{where}: {custom}", doc.position_of(path), _fix(_SEE_README, error.schema))
        return
    sized = (
        _size_problem(error, where) if error.validator in ("minItems", "maxItems", "minLength", "maxLength") else None
    )
    if sized is not None:
        yield SchemaProblem(sized[0], doc.position_of(path), sized[1])
        return
    if error.validator == "format" and error.validator_value == "date":
        yield SchemaProblem(
            f"{where}: {_describe(error.instance)} is not a valid date",
            doc.position_of(path),
            "Write dates as YYYY-MM-DD, e.g. 2027-03-01.",
        )
        return
    if error.validator == "pattern":
        yield SchemaProblem(
            f"{where}: {_describe(error.instance)} does not have the expected form",
            doc.position_of(path),
            f"It must match {error.validator_value}.",
        )
        return
    if error.validator == "uniqueItems":
        yield SchemaProblem(f"{where}: has duplicate entries", doc.position_of(path), "Remove the repeated entry.")
        return
    if error.validator == "enum":
        options = ", ".join(str(option) for option in error.validator_value)
        yield SchemaProblem(
            f"{where}: {_describe(error.instance)} is not one of {options}",
            doc.position_of(path),
            f"Use one of: {options}.",
        )
        return
    if error.validator is False or error.validator == "false" or (error.schema is False):
        yield SchemaProblem(f"`{where}` is not allowed here", doc.position_of(path, key=True), "Remove it.")
        return
    message = error.message
    if len(message) > 200:
        message = message[:197] + "..."
    yield SchemaProblem(f"{where}: {message}{_type_hint(error)}", doc.position_of(path), _fallback_fix(error))


def _fallback_fix(error: ValidationError | FastError) -> str:
    """A fix for the errors worded by jsonschema itself (type, bounds, const...)."""
    if error.validator == "type":
        types = [error.validator_value] if isinstance(error.validator_value, str) else list(error.validator_value)
        advice = " or ".join(_TYPE_ADVICE.get(str(t), str(t)) for t in types)
        return _fix(f"Write it as {advice}", error.schema)
    if error.validator in ("minimum", "maximum") and isinstance(error.schema, dict):
        low, high = error.schema.get("minimum"), error.schema.get("maximum")
        if low is not None and high is not None:
            return _fix(f"Use a value from {low} to {high}", error.schema)
        bound = f"at least {low}" if low is not None else f"at most {high}"
        return _fix(f"Use a value {bound}", error.schema)
    return _fix(_SEE_README, error.schema)


def _translate_withheld(
    error: ValidationError | FastError, doc: YamlDocument, path: Path, root_schema: Any = None
) -> Iterator[SchemaProblem]:
    """:func:`_translate` for a value that must not be quoted: the same messages, with the value described instead."""
    where = dotted(path)
    instance = error.instance
    if error.validator == "additionalProperties" and not _secret_place(path):
        # names the keys, which are not values; suggests the right one
        yield from _translate_shown(error, doc, path, root_schema)
        return
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        known = _known_keys(error.schema)
        for key in (key for key in instance if key not in error.schema.get("properties", {})):
            shown = f"`{key}`" if isinstance(key, str) and _SHOWABLE_KEY.fullmatch(key) else "(name not shown)"
            yield SchemaProblem(
                f"unknown key {shown} in `{where}`",
                doc.position_of((*path, key), key=True),
                f"Known keys here: {', '.join(known)}." if known else "",
            )
        return
    quotes_no_value = error.validator in ("required", "const", False, "false") or error.schema is False
    if quotes_no_value or (isinstance(error.schema, dict) and error.schema.get("x-message")):
        yield from _translate_shown(error, doc, path, root_schema)
        return
    shown = _withheld(instance)
    message = str(error.message)
    quoted = repr(instance)
    if message.startswith(quoted):
        message = shown + message[len(quoted) :]
    else:
        message = f"{shown} fails the schema's `{error.validator}` check"
    if error.validator == "pattern":
        message = f"{shown} does not have the expected form"
    if len(message) > 200:
        message = message[:197] + "..."
    yield SchemaProblem(f"{where}: {message}{_type_hint(error)}", doc.position_of(path), _fallback_fix(error))


def validate(doc: YamlDocument, validator: CompiledSchema) -> list[SchemaProblem]:
    """Every schema problem in the document, in file order (none, quickly, for a valid document)."""
    if validator.surely_valid(doc.data):
        return []
    problems: list[SchemaProblem] = []
    for error in validator.errors(doc.data):
        for leaf in _leaf_errors(error):
            problems.extend(_translate(leaf, doc, validator.schema))
    # A misspelt or misindented required key is one mistake: reported where it is written, not also as missing.
    supplied = {pair for p in problems for pair in p.supplies}
    problems = [p for p in problems if p.missing not in supplied]
    unique = {(p.position.line, p.position.column, p.message): p for p in problems}
    return sorted(unique.values(), key=lambda p: (p.position.line, p.position.column, p.message))
