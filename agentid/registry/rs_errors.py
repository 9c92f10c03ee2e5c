"""Schema errors found by ``jsonschema_rs``, read as the reference ``jsonschema`` would have reported them.

Why: a registry with a few files the schema rejects used to import ``jsonschema`` (~70 ms, more than reading a
hundred files) only to word those few errors. ``jsonschema_rs`` has already found them; this module reads each one
as the parts of a ``jsonschema.ValidationError`` that :func:`agentid.registry.schema._translate` uses (keyword, its
value, the subschema holding it, the instance, its path and, where a user can see it, ``jsonschema``'s own message),
so the translated messages stay exactly what they were.

It answers ``None``, and the reference validator decides, whenever it cannot be sure of reproducing ``jsonschema``:

* data that is not plain JSON both engines read alike (floats, huge integers, non-string keys, other types);
* a keyword outside :data:`_WORDED` (a ``oneOf``/``anyOf`` only when the subschema's ``x-message`` replaces its text);
* an error the reference would not report (a pattern Python's ``re`` matches, a date ``jsonschema`` accepts), or
  an error location that cannot be found in the schema and data as given.

Engine differences that make ``jsonschema_rs`` *miss* an error (whitespace in patterns, year 0000) are kept out by
the caller (:class:`agentid.registry.schema.CompiledSchema`) before this module is asked. tests/registry compares
every outcome with the reference validator.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: Beyond these, integers may be converted differently by jsonschema_rs (serde_json numbers): let the reference judge.
_INT_RANGE = range(-(2**63), 2**64)

#: jsonschema's ``date`` format: these digits (ASCII only), then a real calendar day.
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)

_MISSING = object()


def python_pattern(pattern: str) -> re.Pattern[str]:
    from agentid.registry.schema import python_pattern as compiled  # the schema module is loaded by now

    return compiled(pattern)


@dataclass(frozen=True, slots=True)
class FastError:
    """The attributes of ``jsonschema.exceptions.ValidationError`` that the translation reads, with the same
    meaning: ``validator`` is the keyword (None for a ``false`` subschema), ``schema`` the subschema holding it."""

    validator: str | None
    validator_value: Any
    instance: Any
    schema: Any
    absolute_path: tuple[str | int, ...]
    message: str
    context: tuple[()] = ()


def word_errors(fast: Any, schema: Any, data: Any) -> list[FastError] | None:
    """Every error of ``data`` as ``jsonschema`` would report it, or None where the reference must decide."""
    if not _plain_json(data):
        return None
    try:
        found = list(fast.iter_errors(data))
        if not found:  # the engines disagree on the verdict: the reference decides
            return None
        errors = []
        for error in found:
            worded = _reading(error, schema, data)
            if worded is None:
                return None
            errors.append(worded)
    except Exception:  # values the Rust side cannot take, an error shape not foreseen: the reference decides
        return None
    return errors


def _plain_json(data: Any) -> bool:
    """Only dicts with string keys, lists, strings, booleans, None and integers both engines represent exactly."""
    pending = [data]
    while pending:
        value = pending.pop()
        kind = type(value)
        if kind is dict:
            if not all(type(key) is str for key in value):
                return False
            pending.extend(value.values())
        elif kind is list:
            pending.extend(value)
        elif kind is int:
            if value not in _INT_RANGE:
                return False
        elif kind not in (str, bool) and value is not None:
            return False
    return True


def _at(document: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        in_dict = isinstance(document, dict) and isinstance(part, str) and part in document
        if not in_dict and not (isinstance(document, list) and type(part) is int and 0 <= part < len(document)):
            return _MISSING
        document = document[part]
    return document


def _reading(error: Any, schema: Any, data: Any) -> FastError | None:
    import jsonschema_rs

    path = tuple(error.instance_path)
    instance = _at(data, path)
    schema_path = tuple(error.schema_path)
    if instance is _MISSING or not schema_path:
        return None
    if isinstance(error.kind, jsonschema_rs.ValidationErrorKind.FalseSchema):
        steps = _route(schema_path)
        if not steps or _at(schema, schema_path) is not False:
            return None
        if steps[-1] in _INSTANCE_STEPS:
            # jsonschema reports a ``false`` subschema at the instance that holds the value (it fails before
            # descending): `credentials.keys[0]` for a forbidden `crv`, where jsonschema_rs says `...keys[0].crv`.
            if not path:
                return None
            path = path[:-1]
        return FastError(None, None, instance, False, path, f"False schema does not allow {instance!r}")
    if _route(schema_path[:-1]) is None:
        return None
    keyword, subschema = schema_path[-1], _at(schema, schema_path[:-1])
    if not isinstance(keyword, str) or not isinstance(subschema, dict) or keyword not in subschema:
        return None
    value = subschema[keyword]
    if keyword == "required":
        missing = getattr(error.kind, "property", _MISSING)
        if not isinstance(instance, dict) or missing not in value or missing in instance:
            return None
        return FastError(keyword, value, instance, subschema, path, f"{missing!r} is a required property")
    word = _WORDED.get(keyword)
    message = word(value, instance, subschema) if word is not None else None
    if message is None and isinstance(subschema.get("x-message"), str) and keyword in ("oneOf", "anyOf"):
        message = str(error.message)  # never shown: the subschema's x-message is what the translation reports
    if message is None:
        return None
    return FastError(keyword, value, instance, subschema, path, message)


#: Keywords a schema path may pass through: each descends to a subschema whose errors ``jsonschema`` reports with
#: the same instance path (a name or index follows the first group). ``propertyNames``, ``contains``, ``not`` and
#: the like report differently, or not at all: an error under them goes to the reference.
_NAMED_STEPS = frozenset({"properties", "$defs"})
_INDEXED_STEPS = frozenset({"allOf"})
_PLAIN_STEPS = frozenset({"items", "then", "else", "additionalProperties"})


#: The steps above that move to a part of the instance (a property's value, an item).
_INSTANCE_STEPS = frozenset({"properties", "items", "additionalProperties"})


def _route(schema_path: tuple[Any, ...]) -> list[str] | None:
    """The keywords a schema path steps through, or None if it passes through any other."""
    steps = []
    index = 0
    while index < len(schema_path):
        step = schema_path[index]
        if step in _NAMED_STEPS or step in _INDEXED_STEPS:
            index += 2
            if index > len(schema_path):
                return None
        elif step in _PLAIN_STEPS:
            index += 1
        else:
            return None
        steps.append(step)
    return steps


# Each function: jsonschema's message for a keyword that failed, or None when jsonschema would not report it (or
# this module cannot tell). The texts are jsonschema's own (jsonschema/_keywords.py).


def _additional_properties(value: Any, instance: Any, subschema: dict[str, Any]) -> str | None:
    if value is not False or not isinstance(instance, dict) or "patternProperties" in subschema:
        return None
    extras = sorted((key for key in instance if key not in subschema.get("properties", {})), key=str)
    if not extras:
        return None
    verb = "was" if len(extras) == 1 else "were"
    return f"Additional properties are not allowed ({', '.join(repr(extra) for extra in extras)} {verb} unexpected)"


_JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: type(v) is dict,
    "array": lambda v: type(v) is list,
    "string": lambda v: type(v) is str,
    "integer": lambda v: type(v) is int,
    "number": lambda v: type(v) is int,  # plain JSON here: no floats
    "boolean": lambda v: type(v) is bool,
    "null": lambda v: v is None,
}


def _type(value: Any, instance: Any, _subschema: dict[str, Any]) -> str | None:
    types = [value] if isinstance(value, str) else value
    if not isinstance(types, list) or not all(t in _JSON_TYPES for t in types):
        return None
    if any(_JSON_TYPES[t](instance) for t in types):
        return None
    return f"{instance!r} is not of type {', '.join(repr(t) for t in types)}"


def _enum(value: Any, instance: Any, _subschema: dict[str, Any]) -> str | None:
    if not isinstance(value, list) or not all(type(option) is str for option in value) or instance in value:
        return None
    return f"{instance!r} is not one of {value!r}"


def _const(value: Any, instance: Any, _subschema: dict[str, Any]) -> str | None:
    if type(value) is not str or instance == value:
        return None
    return f"{value!r} was expected"


def _pattern(value: Any, instance: Any, _subschema: dict[str, Any]) -> str | None:
    if type(instance) is not str or type(value) is not str or python_pattern(value).search(instance):
        return None
    return f"{instance!r} does not match {value!r}"


def _format(value: Any, instance: Any, _subschema: dict[str, Any]) -> str | None:
    if value != "date" or type(instance) is not str or _is_date(instance):
        return None
    return f"{instance!r} is not a {value!r}"


def _is_date(text: str) -> bool:
    if not _DATE.fullmatch(text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _unique_items(value: Any, instance: Any, _subschema: dict[str, Any]) -> str | None:
    if value is not True or type(instance) is not list or not all(type(item) is str for item in instance):
        return None
    if len(set(instance)) == len(instance):
        return None
    return f"{instance!r} has non-unique elements"


def _size(kind: type, at_least: bool, at_limit: str, otherwise: str, limit_word: int) -> Callable[..., str | None]:
    """minLength, maxItems and the like: jsonschema's wording differs at the limit ``limit_word`` (1 or 0)."""

    def check(value: Any, instance: Any, _subschema: dict[str, Any]) -> str | None:
        if type(instance) is not kind or type(value) is not int:
            return None
        if (len(instance) >= value) if at_least else (len(instance) <= value):
            return None
        return f"{instance!r} {at_limit if value == limit_word else otherwise}"

    return check


def _bound(at_least: bool) -> Callable[..., str | None]:
    def check(value: Any, instance: Any, _subschema: dict[str, Any]) -> str | None:
        if type(instance) is not int or type(value) is not int:
            return None
        if (instance >= value) if at_least else (instance <= value):
            return None
        return f"{instance!r} is {'less than the minimum' if at_least else 'greater than the maximum'} of {value!r}"

    return check


_WORDED: dict[str, Callable[[Any, Any, dict[str, Any]], str | None]] = {
    "additionalProperties": _additional_properties,
    "type": _type,
    "enum": _enum,
    "const": _const,
    "pattern": _pattern,
    "format": _format,
    "uniqueItems": _unique_items,
    "minLength": _size(str, True, "should be non-empty", "is too short", 1),
    "maxLength": _size(str, False, "is expected to be empty", "is too long", 0),
    "minItems": _size(list, True, "should be non-empty", "is too short", 1),
    "maxItems": _size(list, False, "is expected to be empty", "is too long", 0),
    "minProperties": _size(dict, True, "should be non-empty", "does not have enough properties", 1),
    "maxProperties": _size(dict, False, "is expected to be empty", "has too many properties", 0),
    "minimum": _bound(True),
    "maximum": _bound(False),
}
