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
from collections.abc import Iterable, Mapping
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


def load_client_ids(path: Path, identities: Iterable[str]) -> dict[str, str]:
    """Read a client id map from ``path`` (stack outputs or a flat map), keeping only registry identities.

    An identity missing from the file is an error, not a silent gap: its grants would otherwise be reported as
    shadow agents, or its abuse missed.
    """
    try:
        document = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise ClientIdError(f"{path}: cannot read the client id file: {exc.strerror}") from None
    except orjson.JSONDecodeError as exc:
        raise ClientIdError(
            f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}). "
            "Write it with `pulumi stack output --json > FILE`."
        ) from None
    found = _extract(document)
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
