"""The sources (IP addresses, autonomous systems) each identity obtained tokens from, kept between runs of
``agentid detect --baseline FILE`` for the ``first-seen-source`` detection.

The file is JSON, small and reviewable::

    {"format": "agentid-detect-baseline", "version": 1,
     "identities": {"0oa...": {"identity": "finance-reconciler", "ip": ["203.0.113.7"], "asn": ["16509"]}}}

A missing file is the first run: nothing is alerted and everything seen is recorded. An identity the file does not
know yet (an agent added since) is likewise only recorded on its first run. The file is rewritten whole and
atomically (a temporary file in the same directory, then :func:`os.replace`), so an interrupted run leaves the
previous baseline, never half of one. A file that is not a baseline (or another version) is refused, not overwritten.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

BASELINE_FORMAT = "agentid-detect-baseline"
BASELINE_VERSION = 1
KINDS = ("ip", "asn")
#: per identity and kind: a runaway (an agent behind rotating egress) must not grow the file without bound
MAX_PER_KIND = 1000


class BaselineError(ValueError):
    """The baseline file cannot be used; the message names it and says what to do."""


@dataclass(slots=True)
class Baseline:
    path: Path
    #: client id -> {"identity": name, "ip": set, "asn": set}
    identities: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: False when the file did not exist (the first run)
    existed: bool = False

    def knows(self, client_id: str) -> bool:
        return client_id in self.identities

    def has(self, client_id: str, kind: str, value: str) -> bool:
        entry = self.identities.get(client_id)
        return entry is not None and value in entry[kind]

    def add(self, client_id: str, identity: str, kind: str, value: str) -> None:
        entry = self.identities.setdefault(client_id, {"identity": identity, "ip": set(), "asn": set()})
        entry["identity"] = identity
        if len(entry[kind]) < MAX_PER_KIND:
            entry[kind].add(value)

    def document(self) -> dict[str, Any]:
        return {
            "format": BASELINE_FORMAT,
            "version": BASELINE_VERSION,
            "identities": {
                client_id: {"identity": entry["identity"], **{kind: sorted(entry[kind]) for kind in KINDS}}
                for client_id, entry in sorted(self.identities.items())
            },
        }

    def save(self) -> None:
        """Write the baseline atomically next to its final path."""
        data = orjson.dumps(self.document(), option=orjson.OPT_INDENT_2) + b"\n"
        directory = self.path.parent
        try:
            directory.mkdir(parents=True, exist_ok=True)
            handle, partial = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".partial", dir=directory)
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(data)
                os.replace(partial, self.path)
            except BaseException:
                Path(partial).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise BaselineError(
                f"{self.path}: cannot write the baseline: {exc.strerror or exc}. Choose a path you can write to."
            ) from None


def _refuse(path: Path, problem: str) -> BaselineError:
    return BaselineError(
        f"{path}: {problem}. Pass a baseline written by `agentid detect --baseline`, or a path that does not exist "
        "yet to start one (the first run only records)."
    )


def load_baseline(path: Path) -> Baseline:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Baseline(path)
    except IsADirectoryError:
        raise _refuse(path, "is a directory") from None
    except OSError as exc:
        raise _refuse(path, f"cannot read it: {exc.strerror or exc}") from None
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise _refuse(path, f"not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(document, dict) or document.get("format") != BASELINE_FORMAT:
        raise _refuse(path, f'not an agentid baseline (no "format": "{BASELINE_FORMAT}")')
    if document.get("version") != BASELINE_VERSION:
        raise _refuse(path, f"baseline version {document.get('version')!r}; this agentid reads {BASELINE_VERSION}")
    raw = document.get("identities")
    if not isinstance(raw, dict):
        raise _refuse(path, "identities must be an object")
    identities: dict[str, dict[str, Any]] = {}
    for client_id, entry in raw.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("identity"), str):
            raise _refuse(path, f"identities.{client_id} must be an object with identity, ip and asn")
        values = {}
        for kind in KINDS:
            items = entry.get(kind, [])
            if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
                raise _refuse(path, f"identities.{client_id}.{kind} must be a list of strings")
            values[kind] = set(items)
        identities[client_id] = {"identity": entry["identity"], **values}
    return Baseline(path, identities, existed=True)


__all__ = ["BASELINE_FORMAT", "BASELINE_VERSION", "Baseline", "BaselineError", "load_baseline"]
