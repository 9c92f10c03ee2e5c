"""Which Okta client id belongs to which registry identity.

The offline detector and the Sigma rules match Okta events by client id (the EventBridge rules match the app label
instead, :mod:`agentid.detect.labels`), but client ids are minted by Okta at deploy time: the registry never holds
them. Three sources, in order of preference:

* the real stack's outputs (``pulumi stack output --json > outputs.json``, then ``--client-ids outputs.json``);
* a plain JSON object ``{"<identity>": "<client id>"}`` written by hand for a one-off triage;
* the **offline world**: :func:`offline_client_id`, a deterministic id derived from the identity name, used by the
  offline plan, the moto tests and the synthetic traffic generator so that all of them agree without a real org.

An offline id looks like a real one (``0oa`` + 17 characters, 20 in all) so it exercises the same code paths, and it
is derived from a hash so that renaming or adding an agent never changes another agent's id.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

#: Stack output keys that may hold the identity -> client id map (the program's name first).
OUTPUT_KEYS = ("client_ids", "clientIds", "agents")


class ClientIdError(ValueError):
    """The client id file cannot be used; the message names the file and what to do."""


# --- Okta ids ----------------------------------------------------------------------------------------------------
# An Okta object id is 20 ASCII letters and digits, the first three naming the object type: 0oa for an app (whose
# OAuth client id is its app id unless one was set at creation), 00u for a user. Checked against Okta's published
# examples: okta/okta-developer-docs@468de9c511b5e4009bb5f06c25cbf4b85fecb8d0,
# packages/@okta/vuepress-site/docs/reference/api/apps/index.md ("id": "0oa1gjh63g214q0Hq0g4", user filter
# 00ucw2RPGIUNTDQOYPOF) and docs/reference/system-log-query/index.md (actor.id ne "00uxc78lMKUMVIHLTAXY",
# target.id eq "0oabe82gnXOFVCDUMVAK"); of the 0oa/00u ids in that repository 713 of 745 have 20 characters and the
# rest are placeholders or typos ("0oa1b2c3d4e5", "0oaaq9pjc2ujmFZexample").
# Okta does let an app be created with a client_id of its own choosing, which may contain $-_.+!*'(), (okta-sdk-
# dotnet docs/ApplicationCredentialsOAuthClient.md): agentid never sets one, and accepting * or ? would let a single
# entry exempt every client from a Sigma rule, so ids outside Okta's own form are refused here.
OKTA_ID = re.compile(r"[0-9A-Za-z]{20}")
#: The id prefixes each list accepts: clients are apps; a principal that deploys is a user or a service app.
CLIENT_PREFIXES = ("0oa",)
PRINCIPAL_PREFIXES = ("00u", "0oa")


def okta_id_problem(value: object, prefixes: tuple[str, ...] = CLIENT_PREFIXES) -> str | None:
    """Why ``value`` is not an Okta id with one of ``prefixes``, or None when it is one."""
    if not isinstance(value, str):
        return f"{value!r} is not a string"
    if not OKTA_ID.fullmatch(value):
        return (
            f"{value!r} is not an Okta id (20 letters and digits, such as 0oa1gjh63g214q0Hq0g4; wildcards, spaces "
            "and other characters are refused)"
        )
    if not value.startswith(prefixes):
        kinds = " or ".join(f"{prefix}... ({_KINDS[prefix]})" for prefix in prefixes)
        return f"{value!r} is not an Okta id of the expected kind: expected {kinds}"
    return None


_KINDS = {"0oa": "an app or OAuth client", "00u": "a user"}


def check_okta_ids(
    values: Iterable[object], where: str, prefixes: tuple[str, ...] = CLIENT_PREFIXES
) -> tuple[str, ...]:
    """``values`` when every one is an Okta id of the expected kind; else :class:`ClientIdError` naming ``where``."""
    checked = []
    for value in values:
        problem = okta_id_problem(value, prefixes)
        if problem is not None:
            raise ClientIdError(f"{where}: {problem}")
        checked.append(value)
    return tuple(checked)  # type: ignore[arg-type]


def offline_client_id(identity: str) -> str:
    """The deterministic client id of ``identity`` in the offline world (``0oa`` + 17 base-62 characters)."""
    number = int.from_bytes(hashlib.sha256(identity.encode()).digest()[:16], "big")
    chars = []
    for _ in range(17):
        number, rest = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[rest])
    return "0oa" + "".join(chars)


def offline_client_ids(identities: Iterable[str]) -> dict[str, str]:
    return {name: offline_client_id(name) for name in identities}


def _extract(document: Any) -> dict[str, str] | None:
    """Find the identity -> client id map in a stack-output document or a flat map."""
    if not isinstance(document, dict):
        return None
    for key in OUTPUT_KEYS:
        nested = document.get(key)
        if isinstance(nested, dict):
            found = _flatten(nested)
            if found:
                return found
    return _flatten(document)


def _flatten(mapping: Mapping[str, Any]) -> dict[str, str]:
    """Accept ``{name: "0oa.."}`` and ``{name: {"client_id": "0oa.."}}`` (with plugins nested the same way)."""
    result: dict[str, str] = {}
    for name, value in mapping.items():
        if isinstance(value, str):
            result[name] = value
        elif isinstance(value, dict):
            client_id = value.get("client_id") or value.get("clientId")
            if isinstance(client_id, str):
                result[name] = client_id
            plugins = value.get("plugins")
            if isinstance(plugins, dict):
                for plugin, inner in _flatten(plugins).items():
                    result[plugin if "--" in plugin else f"{name}--{plugin}"] = inner
    return result


def _read_map(path: Path) -> dict[str, str] | None:
    """The identity -> client id map in ``path``, or ``None`` when it holds none; unreadable or invalid JSON is an
    error naming the file."""
    try:
        document = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise ClientIdError(f"{path}: cannot read the client id file: {exc.strerror}") from None
    except orjson.JSONDecodeError as exc:
        raise ClientIdError(
            f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}). "
            "Write it with `pulumi stack output --json > FILE`."
        ) from None
    return _extract(document)


def load_client_ids(path: Path, identities: Iterable[str]) -> dict[str, str]:
    """Read a client id map from ``path`` (stack outputs or a flat map), keeping only registry identities.

    An identity missing from the file is an error, not a silent gap: its grants would otherwise be reported as
    shadow agents, or its abuse missed.
    """
    found = _read_map(path)
    if not found:
        raise ClientIdError(
            f"{path}: no client ids found. Expected `pulumi stack output --json` with a `client_ids` map, "
            'or a JSON object {"<identity>": "<client id>"}.'
        )
    wanted = list(identities)
    missing = [name for name in wanted if name not in found]
    if missing:
        raise ClientIdError(
            f"{path}: no client id for {', '.join(missing)}. Re-export the stack outputs after `pulumi up`, "
            "or pass --stack for the stack that deploys exactly these agents."
        )
    for name in wanted:
        _check_client_id(path, name, found[name])
    return {name: found[name] for name in wanted}


def _check_client_id(path: Path, identity: str, client_id: str) -> None:
    problem = okta_id_problem(client_id)
    if problem is not None:
        raise ClientIdError(
            f"{path}: the client id of {identity}: {problem}. Re-export the outputs with `pulumi stack output --json`."
        )


def merge_client_ids(paths: Sequence[Path], identities: Iterable[str]) -> dict[str, str]:
    """The client ids of a sharded environment: one stack-output file per member stack (and the core's, which holds
    none), merged into one map of the registry identities.

    Why strict: each member deploys its own agents, so an identity found with two different ids means two stacks
    created an app for it (members with different ``count``, an agent moved without ``pulumi state move``) or one
    file is stale; picking either id silently would report the other app as a shadow agent, or miss its abuse. The
    same id in two files (re-exported twice) is harmless. A file holding no registry identity (the core's) adds
    nothing; an identity in no file is an error, as with one file.
    """
    if len(paths) == 1:
        return load_client_ids(paths[0], identities)
    wanted = list(identities)
    wanted_set = set(wanted)
    merged: dict[str, str] = {}
    source: dict[str, Path] = {}
    for path in paths:
        found = _read_map(path) or {}
        for name, client_id in found.items():
            if name not in wanted_set:
                continue
            _check_client_id(path, name, client_id)
            if name in merged and merged[name] != client_id:
                raise ClientIdError(
                    f"{name} has client id {merged[name]} in {source[name]} but {client_id} in {path}: two stacks "
                    "deployed it, or one file is stale. Re-export every member's outputs after `pulumi up` "
                    "(`pulumi stack output --json`); if both apps exist, give every member the same agentid:shard "
                    "count and move the agent with `pulumi state move` (docs/scale.md)."
                )
            merged.setdefault(name, client_id)
            source.setdefault(name, path)
    files = ", ".join(str(path) for path in paths)
    missing = [name for name in wanted if name not in merged]
    if missing:
        raise ClientIdError(
            f"no client id for {', '.join(missing)} in any of {files}. Pass one --client-ids per member stack of "
            "the environment (`pulumi stack output --json` of each, after `pulumi up`), or pass --stack for the "
            "stack that deploys exactly these agents."
        )
    return {name: merged[name] for name in wanted}
