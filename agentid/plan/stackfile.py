"""Read ``Pulumi.<stack>.yaml`` the way the Pulumi CLI hands it to a program, without the CLI.

The CLI passes config to the program as strings (objects JSON-encoded) and tells it which keys are secrets. Secure
values (``secure: v1:...``) cannot be decrypted offline: they become a placeholder that is still marked secret, so the
program takes the same code path and the plan shows ``[secret]``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from agentid.stackyaml import load_yaml

#: What a secret value reads as offline. Never the real value: the plan has no way to decrypt it, by design.
SECRET_PLACEHOLDER = "[secret]"

#: Config keys holding credentials, with the environment variable that may hold each instead: in a committed stack
#: file they may only appear encrypted (``secure: v1:...``).
CREDENTIAL_KEYS = {
    "okta:privateKey": "OKTA_API_PRIVATE_KEY",
    "okta:apiToken": "OKTA_API_TOKEN",
    "okta:accessToken": "OKTA_ACCESS_TOKEN",
    "agentid:splunkHecToken": None,
}


class PlanError(Exception):
    """The plan cannot be built. ``findings`` holds the loader's findings when the registry itself is invalid."""

    def __init__(self, message: str, findings: tuple[Any, ...] = ()):
        super().__init__(message)
        self.findings = findings


class StackNotFoundError(PlanError):
    """No ``Pulumi.<stack>.yaml``: a usage error, reported with the stacks that do exist."""

    def __init__(self, stack: str, available: list[str]):
        listing = ", ".join(available) if available else "none (create one with `pulumi stack init NAME`)"
        super().__init__(f"no stack `{stack}`: Pulumi.{stack}.yaml does not exist. Available stacks: {listing}")
        self.stack = stack
        self.available = available


def stack_names(file_names: Iterable[str]) -> list[str]:
    """The stacks that files named ``Pulumi.<stack>.yaml`` configure, sorted (``Pulumi.yaml`` is the project)."""
    return sorted(
        name[len("Pulumi.") : -len(".yaml")]
        for name in file_names
        if name.startswith("Pulumi.") and name.endswith(".yaml") and name.count(".") >= 2
    )


def available_stacks(root: Path) -> list[str]:
    """Stacks with a committed configuration file."""
    return stack_names(path.name for path in root.glob("Pulumi.*.yaml") if path.is_file())


def read_yaml(path: Path) -> Any:
    """A project or stack file's data; a file that cannot be read or parsed is a :class:`PlanError` naming the file
    (and, for YAML, the line and column)."""
    try:
        return load_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PlanError(f"{path.name}: cannot read it: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path.name}:{mark.line + 1}:{mark.column + 1}" if mark else path.name
        raise PlanError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None


def project_name(root: Path) -> str:
    data = read_yaml(root / "Pulumi.yaml")
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise PlanError("Pulumi.yaml: the project has no `name`")
    return data["name"]


@dataclass(frozen=True)
class StackFile:
    """One stack's configuration in the form the Pulumi runtime receives it."""

    stack: str
    project: str
    config: dict[str, str] = field(default_factory=dict)
    secret_keys: tuple[str, ...] = ()


def _as_runtime_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, default=str)


def read_stack_file(root: Path, stack: str) -> StackFile:
    """Parse ``Pulumi.<stack>.yaml``; a missing file raises :class:`StackNotFoundError`."""
    path = root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        raise StackNotFoundError(stack, available_stacks(root))
    project = project_name(root)
    data = read_yaml(path) or {}
    if not isinstance(data, dict):
        raise PlanError(f"{path.name}: must be a mapping with a `config:` key")
    raw = data.get("config") or {}
    if not isinstance(raw, dict):
        raise PlanError(f"{path.name}: `config:` must be a mapping of `namespace:key: value`")
    config: dict[str, str] = {}
    secrets: list[str] = []
    for key, value in raw.items():
        full = str(key) if ":" in str(key) else f"{project}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[full] = SECRET_PLACEHOLDER
            secrets.append(full)
        elif full in CREDENTIAL_KEYS and value not in (None, ""):
            # The value itself is never echoed: it is already exposed to whoever can read the file.
            variable = CREDENTIAL_KEYS[full]
            raise PlanError(
                f"{path.name}: {full} holds a credential in clear text. Remove it from the file (and from git "
                f"history), rotate it, then store it encrypted with `pulumi config set --secret {full} ...`"
                + (f" or set {variable} in the environment." if variable else ".")
            )
        else:
            config[full] = _as_runtime_value(value)
    return StackFile(stack=stack, project=project, config=config, secret_keys=tuple(secrets))
