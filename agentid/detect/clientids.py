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
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

#: Stack output keys that may hold the identity -> client id map (the program's name first).
OUTPUT_KEYS = ("client_ids", "clientIds", "agents")


class ClientIdError(ValueError):
    """The client id file cannot be used; the message names the file and what to do."""


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
    return {name: found[name] for name in wanted}


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
