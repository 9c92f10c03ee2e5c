"""The compiled detection profile: a :class:`~agentid.detect.definitions.DetectionSet` as one versioned JSON file.

Why: ``agentid detect`` needs only the identities' client ids, scopes, budgets, hours and expiry dates, but building
them from the registry means parsing and schema-checking every ``agents/*.yaml`` file, which at 10,000 agents costs
more than judging a day of events. The deploy job, which has the registry and the stack's real client ids, writes
the profile once after ``pulumi up`` (``agentid detections --profile FILE``); the box that runs detections reads it
with one ``orjson.loads`` and needs no checkout of ``agents/``.

The file holds names, client ids, scopes and dates only (never key material: credentials are not part of a
:class:`DetectionSet`). It says which registry it came from (``registry_digest``, see :func:`registry_digest`),
for which stack and day it was compiled, and by which agentid, and carries a format ``version``: a reader accepts
exactly the version it writes, and anything else is refused with what to do rather than half-understood.

Reading a profile imports no YAML, schema or registry code, so it stays cheap (only compiling one, after the registry
is loaded, uses the loader: :func:`registry_digest`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import re
from pathlib import Path
from typing import Any, NoReturn

import orjson

from agentid.detect.clientids import CLIENT_PREFIXES, PRINCIPAL_PREFIXES, okta_id_problem
from agentid.detect.definitions import DetectionSet, IdentityProfile

#: The ``format`` member every profile carries, so another JSON file is recognised as not a profile at once.
PROFILE_FORMAT = "agentid-detection-profile"
#: Bumped whenever a member is added, removed or changes meaning: a reader refuses any other version.
#: Version 2 added ``auth_servers`` and each identity's ``networks`` (its zones' gateway CIDRs).
PROFILE_VERSION = 2

TOP_LEVEL_KEYS = frozenset(
    {
        "format",
        "version",
        "agentid_version",
        "compiled_for",
        "stack",
        "registry_digest",
        "deployer_ids",
        "allowed_client_ids",
        "auth_servers",
        "identities",
    }
)
IDENTITY_KEYS = frozenset(
    {
        "identity",
        "agent",
        "client_id",
        "scopes",
        "max_tokens_per_hour",
        "active_hours_utc",
        "expires",
        "file",
        "networks",
    }
)
#: The registry schema's pattern for ``profile.active_hours_utc`` (an end of 24:00 is allowed).
_ACTIVE_HOURS = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-4]):[0-5][0-9]$")


class ProfileError(ValueError):
    """The profile file cannot be used; the message names the file, what is wrong and how to get a good one."""


def registry_digest(agents_dir: Path, catalog: Path) -> str:
    """``sha256:<hex>`` over the catalog and every agent definition (file name and content), in name order.

    The registry's inputs, not the checkout: the same files give the same digest wherever they are checked out, so
    a reviewer can tell which registry a profile came from by compiling one from a checkout and comparing. The files
    are the loader's own choice (:func:`agentid.registry.loader.agent_files`), imported here only: compiling a
    profile has loaded the registry already, reading one must not import it."""
    from agentid.registry.loader import agent_files

    outer = hashlib.sha256()
    outer.update(b"catalog\0" + hashlib.sha256(catalog.read_bytes()).digest())
    for path in agent_files(agents_dir):
        outer.update(b"\n" + path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return "sha256:" + outer.hexdigest()


def profile_document(detections: DetectionSet, *, agentid_version: str, digest: str) -> dict[str, Any]:
    """The profile as plain JSON values, in the order a reviewer reads it (what it is first, identities last)."""
    return {
        "format": PROFILE_FORMAT,
        "version": PROFILE_VERSION,
        "agentid_version": agentid_version,
        "compiled_for": detections.today.isoformat(),
        "stack": detections.stack,
        "registry_digest": digest,
        "deployer_ids": list(detections.deployer_ids),
        "allowed_client_ids": list(detections.allowed_client_ids),
        "auth_servers": list(detections.auth_servers),
        "identities": [
            {
                "identity": p.identity,
                "agent": p.agent,
                "client_id": p.client_id,
                "scopes": sorted(p.scopes),
                "max_tokens_per_hour": p.max_tokens_per_hour,
                "active_hours_utc": p.active_hours_utc,
                "expires": p.expires.isoformat() if p.expires else None,
                "file": p.file,
                "networks": list(p.networks),
            }
            for p in detections.identities
        ],
    }


def dump_profile(detections: DetectionSet, *, agentid_version: str, digest: str) -> bytes:
    """The profile file's bytes: indented (it is reviewed and diffed), identities in registry order."""
    document = profile_document(detections, agentid_version=agentid_version, digest=digest)
    return orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"


def _what_to_do(path: object) -> str:
    return (
        f"Compile it again with `agentid detections --profile {path}` (with the deploy's --stack, --client-ids and "
        "--deployer-id), or leave out --profile to read the registry."
    )


def _fail(path: object, problem: str) -> NoReturn:
    raise ProfileError(f"{path}: {problem}. {_what_to_do(path)}")


def _strings(path: object, where: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(type(item) is str for item in value):
        _fail(path, f"not a detection profile: {where} must be a list of strings")
    return tuple(value)


def _date(path: object, where: str, value: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        _fail(path, f"not a detection profile: {where} must be a date (YYYY-MM-DD), not {value!r}")


def load_profile(path: Path) -> DetectionSet:
    """Read and check a profile written by :func:`dump_profile`. Raises :class:`ProfileError` (naming ``path``) for
    a file that cannot be read, is not JSON, is another version or has the wrong shape: nothing half-read is used."""
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise ProfileError(f"{path} is a directory; pass the file `agentid detections --profile` wrote") from None
    except FileNotFoundError:
        raise ProfileError(f"{path} does not exist. {_what_to_do(path)}") from None
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        _fail(path, f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})")
    return profile_from_document(document, path)


def profile_from_document(document: Any, path: object = "<profile>") -> DetectionSet:
    """The :class:`DetectionSet` a profile document describes, after checking every member's type."""
    if not isinstance(document, dict) or document.get("format") != PROFILE_FORMAT:
        _fail(path, f'not an agentid detection profile (no "format": "{PROFILE_FORMAT}" member)')
    version = document.get("version")
    if version != PROFILE_VERSION or type(version) is not int:
        _fail(path, f"detection profile version {version!r}; this agentid reads version {PROFILE_VERSION} only")
    keys = document.keys()
    if keys != TOP_LEVEL_KEYS:
        missing, extra = sorted(TOP_LEVEL_KEYS - keys), sorted(keys - TOP_LEVEL_KEYS)
        _fail(path, f"not a detection profile: missing {missing or 'nothing'}, unexpected {extra or 'nothing'}")
    for key in ("agentid_version", "registry_digest"):
        if type(document[key]) is not str:
            _fail(path, f"not a detection profile: {key} must be a string")
    stack = document["stack"]
    if stack is not None and type(stack) is not str:
        _fail(path, "not a detection profile: stack must be a string or null")
    identities = document["identities"]
    if not isinstance(identities, list):
        _fail(path, "not a detection profile: identities must be a list")
    _check_unique(path, identities)
    return DetectionSet(
        identities=tuple(_identity(path, index, raw) for index, raw in enumerate(identities)),
        today=_date(path, "compiled_for", document["compiled_for"]),
        stack=stack,
        deployer_ids=_okta_ids(path, "deployer_ids", document["deployer_ids"], PRINCIPAL_PREFIXES),
        allowed_client_ids=_okta_ids(path, "allowed_client_ids", document["allowed_client_ids"], CLIENT_PREFIXES),
        auth_servers=_strings(path, "auth_servers", document["auth_servers"]),
    )


def _okta_ids(path: object, where: str, value: Any, prefixes: tuple[str, ...]) -> tuple[str, ...]:
    """Okta ids only: the Sigma rules and the detector match them, and a wildcard would exempt everyone."""
    for index, item in enumerate(_strings(path, where, value)):
        problem = okta_id_problem(item, prefixes)
        if problem is not None:
            _fail(path, f"{where}[{index}]: {problem}")
    return tuple(value)


def _check_unique(path: object, identities: list[Any]) -> None:
    """Two entries with one client id would silently judge one identity's events by the other's profile."""
    seen_ids: set[str] = set()
    seen_names: set[str] = set()
    for index, raw in enumerate(identities):
        if isinstance(raw, dict):
            client_id, name = raw.get("client_id"), raw.get("identity")
            if type(client_id) is str:
                if client_id in seen_ids:
                    _fail(path, f"identities[{index}] repeats client id {client_id}")
                seen_ids.add(client_id)
            if type(name) is str:
                if name in seen_names:
                    _fail(path, f"identities[{index}] repeats identity {name}")
                seen_names.add(name)


def _identity(path: object, index: int, raw: Any) -> IdentityProfile:
    where = f"identities[{index}]"
    if not isinstance(raw, dict) or raw.keys() != IDENTITY_KEYS:
        _fail(path, f"not a detection profile: {where} must be an object with {', '.join(sorted(IDENTITY_KEYS))}")
    for key in ("identity", "agent", "client_id", "file"):
        if type(raw[key]) is not str or not raw[key]:
            _fail(path, f"not a detection profile: {where}.{key} must be a non-empty string")
    budget = raw["max_tokens_per_hour"]
    if type(budget) is not int or budget < 0:
        _fail(path, f"not a detection profile: {where}.max_tokens_per_hour must be a whole number ≥ 0")
    hours = raw["active_hours_utc"]
    if type(hours) is not str or not _ACTIVE_HOURS.match(hours):
        _fail(path, f'not a detection profile: {where}.active_hours_utc must look like "06:00-20:00"')
    problem = okta_id_problem(raw["client_id"])
    if problem is not None:
        _fail(path, f"{where}.client_id: {problem}")
    expires = raw["expires"]
    networks = _strings(path, f"{where}.networks", raw["networks"])
    for cidr in networks:
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            _fail(path, f"not a detection profile: {where}.networks holds {cidr!r}, not a CIDR")
    return IdentityProfile(
        identity=raw["identity"],
        agent=raw["agent"],
        client_id=raw["client_id"],
        scopes=frozenset(_strings(path, f"{where}.scopes", raw["scopes"])),
        max_tokens_per_hour=budget,
        active_hours_utc=hours,
        expires=None if expires is None else _date(path, f"{where}.expires", expires),
        file=raw["file"],
        networks=networks,
    )


__all__ = [
    "PROFILE_FORMAT",
    "PROFILE_VERSION",
    "ProfileError",
    "dump_profile",
    "load_profile",
    "profile_document",
    "profile_from_document",
    "registry_digest",
]
