"""Read ``agents/*.yaml`` and the catalog into a :class:`Registry`, reporting every problem in every file at once.

One run reports everything (a developer fixes a whole PR in one pass), and a broken file never stops the others
from being checked. A file that fails the schema yields no model; cross-file problems (duplicate names, unknown
purposes or scopes) are reported here too because they make the registry itself inconsistent.
"""

from __future__ import annotations

import datetime as dt
import difflib
import errno
import hashlib
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat
from pathlib import Path, PurePosixPath
from typing import Any

import orjson

from agentid.findings import Finding, Severity
from agentid.gcpause import cyclic_gc_paused
from agentid.registry import forkmap
from agentid.registry import schema as schema_mod
from agentid.registry.controls import describe, refused_characters
from agentid.registry.leaks import (
    PEM_MARK,
    PRIVATE_JWK_MEMBERS,  # noqa: F401 (re-exported: front-ends import it from here)
    find_private_material,
    pem_headers,
)
from agentid.registry.model import (
    Access,
    Agent,
    Catalog,
    Credentials,
    Jwk,
    Keep,
    Lifecycle,
    LifecycleKind,
    Plugin,
    Profile,
    PurposeInfo,
    Registry,
    ScopeGrant,
    ScopeInfo,
    Sensitivity,
    Source,
    Waiver,
)
from agentid.registry.yamlsafe import Path as Path_
from agentid.registry.yamlsafe import Position, YamlDocument, YamlReadError, load_bytes

_new_tuple = tuple.__new__


AGENT_SUFFIX = ".yaml"

#: The rule id under which private key material is reported (the policy engine lists it with its metadata).
PRIVATE_KEY_RULE = "private-key-material"


@dataclass(frozen=True, slots=True)
class LoadResult:
    """The registry built from every valid file, and every finding about every file."""

    registry: Registry
    findings: tuple[Finding, ...]
    files: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.findings)


class CatalogError(Exception):
    """The catalog itself is unreadable; nothing can be checked without it."""

    def __init__(self, findings: list[Finding]):
        super().__init__("; ".join(f.message for f in findings))
        self.findings = findings


def _finding(
    rule: str,
    message: str,
    file: str,
    position: Position | None,
    *,
    agent: str | None = None,
    remediation: str = "",
    severity: Severity = Severity.ERROR,
) -> Finding:
    return Finding(
        rule=rule,
        severity=severity,
        message=message,
        file=file,
        line=position.line if position else None,
        column=position.column if position else None,
        agent=agent,
        remediation=remediation,
    )


def display_path(path: Path, root: Path | None) -> str:
    """Paths relative to the repository when possible: that is what GitHub annotations and reviewers expect."""
    resolved = path.resolve()
    if root is not None:
        try:
            return resolved.relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    try:
        return resolved.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()


def display_paths_in(directory: Path, root: Path | None) -> Callable[[Path], str]:
    """:func:`display_path` for many files of one directory, resolving the directory once.

    Resolving every file walks every component of its path (a system call each); for a registry of thousands of
    files that costs more than parsing them. A symlinked file still gets the full treatment (it may point anywhere).
    """
    base = _display_base(directory, root)

    def show(path: Path) -> str:
        if path.parent != directory or path.is_symlink():
            return display_path(path, root)
        return _shown_in(base, path)

    return show


def _display_base(directory: Path, root: Path | None) -> str | None:
    """How :func:`display_path` shows ``directory`` (None: as given), for files directly in it."""
    resolved = directory.resolve()
    for anchor in (root, Path.cwd()) if root is not None else (Path.cwd(),):
        try:
            return resolved.relative_to(anchor.resolve()).as_posix()
        except ValueError:
            continue
    return None


def _shown_in(base: str | None, path: Path) -> str:
    if base is None:  # outside the repository and the working directory: the path as given
        return path.as_posix()
    return path.name if base == "." else f"{base}/{path.name}"


# --------------------------------------------------------------------------------------------------- catalog


def load_catalog(path: Path, *, root: Path | None = None) -> Catalog:
    """Read and validate ``policies/catalog.yaml``. Raises :class:`CatalogError` with findings when it is broken."""
    from policies import CATALOG_SCHEMA_PATH

    file = display_path(path, root)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CatalogError(
            [
                _finding(
                    "load.catalog",
                    f"cannot read the catalog: {exc.strerror}",
                    file,
                    None,
                    remediation="Pass --catalog with the path of policies/catalog.yaml.",
                )
            ]
        ) from None
    try:
        doc = load_bytes(raw, max_bytes=2 * 1024 * 1024)
    except YamlReadError as exc:
        raise CatalogError(
            [_finding(p.rule, p.message, file, p.position, remediation=p.remediation) for p in exc.problems]
        ) from None
    control = control_findings(doc, file, None)
    problems = schema_mod.validate(doc, schema_mod.validator_for(str(CATALOG_SCHEMA_PATH)))
    if problems or control:
        raise CatalogError(
            control
            + [_finding("load.catalog", p.message, file, p.position, remediation=p.remediation) for p in problems]
        )
    scopes = {
        name: ScopeInfo(name, entry["description"], entry["domain"], Sensitivity(entry["sensitivity"]))
        for name, entry in doc.data["scopes"].items()
    }
    purposes = {
        name: PurposeInfo(name, entry["description"], frozenset(entry["domains"]))
        for name, entry in doc.data["purposes"].items()
    }
    return Catalog(scopes=scopes, purposes=purposes, file=file)


# --------------------------------------------------------------------------------------------------- one file


def _credentials(
    data: Mapping[str, Any], private: Mapping[tuple[Any, ...], tuple[str, ...]], path: tuple[Any, ...]
) -> Credentials:
    if "jwks_uri" in data:
        return Credentials(jwks_uri=data["jwks_uri"])
    keys = []
    for index, key in enumerate(data["keys"]):
        keys.append(
            Jwk(
                kty=key["kty"],
                kid=key["kid"],
                use=key.get("use"),
                alg=key.get("alg"),
                n=key.get("n"),
                e=key.get("e"),
                crv=key.get("crv"),
                x=key.get("x"),
                y=key.get("y"),
                private_members=private.get((*path, "keys", index), ()),
            )
        )
    return Credentials(keys=tuple(keys))


def build_agent(
    data: Mapping[str, Any], source: Source, private: Mapping[tuple[Any, ...], tuple[str, ...]] | None = None
) -> Agent:
    """Turn a schema-valid mapping into the model. Only call this on data the schema accepted."""
    private = private or {}
    lifecycle = data["lifecycle"]
    access = data["access"]
    profile = data["profile"]
    return Agent(
        name=data["name"],
        description=data["description"],
        owners=tuple(data["owners"]),
        team=data["team"],
        purpose=data["purpose"],
        environments=tuple(data["environments"]),
        lifecycle=Lifecycle(
            kind=LifecycleKind(lifecycle["kind"]),
            review_by=dt.date.fromisoformat(lifecycle["review_by"]),
            expires=dt.date.fromisoformat(lifecycle["expires"]) if lifecycle.get("expires") else None,
        ),
        credentials=_credentials(data["credentials"], private, ("credentials",)),
        access=Access(
            scopes=tuple(ScopeGrant(s["name"], s["reason"]) for s in access["scopes"]),
            token_lifetime_minutes=access["token_lifetime_minutes"],
            okta_api_scopes=tuple(access.get("okta_api_scopes", ())),
            network_zones=tuple(access.get("network_zones", ())),
            okta_admin_roles=tuple(access.get("okta_admin_roles", ())),
        ),
        profile=Profile(profile["max_tokens_per_hour"], profile["active_hours_utc"]),
        plugins=tuple(
            Plugin(
                p["name"],
                p["description"],
                tuple(p["scopes"]),
                _credentials(p["credentials"], private, ("plugins", index, "credentials")),
                okta_api_scopes=tuple(p.get("okta_api_scopes", ())),
                okta_admin_roles=tuple(p.get("okta_admin_roles", ())),
            )
            for index, p in enumerate(data.get("plugins", ()))
        ),
        waivers=tuple(
            Waiver(w["rule"], w["reason"], w["approved_by"], dt.date.fromisoformat(w["expires"]), index)
            for index, w in enumerate(data.get("waivers", ()))
        ),
        keep=tuple(
            Keep(k["scope"], k["reason"], dt.date.fromisoformat(k["until"]), index)
            for index, k in enumerate(data.get("keep", ()))
        ),
        source=source,
    )


#: What identifies an agent file's bytes: the ids git gives them as a blob, in a SHA-256 repository and a SHA-1 one.
ContentIds = tuple[str, str]


def content_ids(raw: bytes) -> ContentIds:
    """The git blob ids of an agent file's bytes (SHA-256 of ``blob <size>\0`` and the bytes, then the SHA-1 one).
    With the file's name, the bytes are all that decide its model (given this code): what is computed from the model
    can be cached by the SHA-256 id (:mod:`agentid.findings_cache`), and a review finds the base's unchanged files by
    either id without reading them again (:func:`agentid.review.gitrev.load_registry_at`)."""
    header = b"blob %d\0" % len(raw)
    sha256 = hashlib.sha256(header)
    sha256.update(raw)
    sha1 = hashlib.sha1(header, usedforsecurity=False)
    sha1.update(raw)
    return sha256.hexdigest(), sha1.hexdigest()


@lru_cache(maxsize=1)
def _name_pattern() -> re.Pattern[str]:
    """The schema's pattern for ``name``: the schema stays the single description of the format."""
    from policies import AGENT_SCHEMA_PATH

    return schema_mod.python_pattern(
        schema_mod.validator_for(str(AGENT_SCHEMA_PATH)).schema["properties"]["name"]["pattern"]
    )


def valid_agent_name(name: str) -> bool:
    """Whether ``name`` has the form the schema requires of an agent's ``name`` (and so of its file's stem)."""
    return _name_pattern().search(name) is not None


def _within_file_checks(agent: Agent, file: str, expected_name: str | None) -> list[Finding]:
    """Consistency the schema cannot express: file name, unique scope, plugin and key ids."""
    findings: list[Finding] = []

    def at(*path: str | int) -> Position:
        return agent.source.positions.get(tuple(path)) or Position(agent.line(*path) or 1, 1)

    if expected_name is not None and agent.name != expected_name:
        renamed = PurePosixPath(file).with_name(f"{agent.name}{AGENT_SUFFIX}").as_posix()
        # Suggest `name: <file stem>` only when that would be a valid name (a file called `Invoice_Matcher.yaml`
        # cannot be fixed by copying its stem into the file).
        remediation = f"Rename the file to {renamed}" + (
            f" or set `name: {expected_name}`." if valid_agent_name(expected_name) else "."
        )
        findings.append(
            _finding(
                "load.name-mismatch",
                f"name `{agent.name}` does not match the file name `{expected_name}{AGENT_SUFFIX}`",
                file,
                at("name"),
                agent=agent.name,
                remediation=remediation,
            )
        )
    # Okta logins are case-insensitive: the schema's uniqueItems cannot see that `Priya@` and `priya@` are one person.
    owners: dict[str, int] = {}
    for index, owner in enumerate(agent.owners):
        folded = owner.casefold()
        if folded in owners and agent.owners[owners[folded]] != owner:
            findings.append(
                _finding(
                    "load.duplicate-owner",
                    f"owner `{owner}` is listed twice (as `{agent.owners[owners[folded]]}` at "
                    f"owners[{owners[folded]}]); Okta logins are case-insensitive",
                    file,
                    at("owners", index),
                    agent=agent.name,
                    remediation="Keep one entry per person; add a second, different owner if you need a backup.",
                )
            )
        owners.setdefault(folded, index)
    seen: dict[str, int] = {}
    for index, grant in enumerate(agent.access.scopes):
        if grant.name in seen:
            findings.append(
                _finding(
                    "load.duplicate-scope",
                    f"scope `{grant.name}` is listed twice (first at access.scopes[{seen[grant.name]}])",
                    file,
                    at("access", "scopes", index, "name"),
                    agent=agent.name,
                    remediation="Keep one entry per scope and merge the reasons.",
                )
            )
        seen.setdefault(grant.name, index)
    plugin_names: dict[str, int] = {}
    for index, plugin in enumerate(agent.plugins):
        if plugin.name in plugin_names:
            findings.append(
                _finding(
                    "load.duplicate-plugin",
                    f"plugin `{plugin.name}` is defined twice",
                    file,
                    at("plugins", index, "name"),
                    agent=agent.name,
                    remediation="Give each plugin a unique name.",
                )
            )
        plugin_names.setdefault(plugin.name, index)
    for path, credentials in [(("credentials",), agent.credentials)] + [
        (("plugins", i, "credentials"), p.credentials) for i, p in enumerate(agent.plugins)
    ]:
        kids: set[str] = set()
        for index, key in enumerate(credentials.keys):
            if key.kid in kids:
                findings.append(
                    _finding(
                        "load.duplicate-kid",
                        f"key id `{key.kid}` is used twice in {schema_mod.dotted(path)}.keys",
                        file,
                        at(*path, "keys", index, "kid"),
                        agent=agent.name,
                        remediation="Give every key a unique `kid` so Okta can pick the right one.",
                    )
                )
            kids.add(key.kid)
    return findings


def load_agent_bytes(
    raw: bytes, file: str, *, expected_name: str | None = None, schema_path: str | None = None
) -> tuple[Agent | None, list[Finding]]:
    """Read one agent definition. Never raises for bad input: problems come back as findings."""
    from policies import AGENT_SCHEMA_PATH

    try:
        doc = load_bytes(raw)
    except YamlReadError as exc:
        return None, _unreadable_findings(exc, raw, file, expected_name)
    return load_agent_document(
        doc,
        file,
        expected_name=expected_name,
        schema_path=schema_path or str(AGENT_SCHEMA_PATH),
        digest=content_ids(raw),
    )


def load_agent_document(
    doc: YamlDocument,
    file: str,
    *,
    expected_name: str | None = None,
    schema_path: str | None = None,
    digest: ContentIds | None = None,
) -> tuple[Agent | None, list[Finding]]:
    """Validate a parsed document and build its model (shared by files, git revisions and checkov). ``digest``: the
    :func:`content_ids` of the bytes ``doc`` was read from, when known (it lets results be cached by content)."""
    checked = _check_document(doc, file, expected_name=expected_name, schema_path=schema_path, digest=digest)
    if isinstance(checked, list):
        return None, checked
    return _model_of(checked, file, expected_name)


@dataclass(frozen=True, slots=True)
class _Checked:
    """A document the schema accepted, its private JWK members already removed (``private`` names them): all that
    is left is building the model. Loading is split here because this half is the expensive one that workers do."""

    doc: YamlDocument
    private: dict[tuple[Any, ...], tuple[str, ...]]
    #: :func:`content_ids` of the file's bytes (None when not read from bytes)
    digest: ContentIds | None = None


@dataclass(frozen=True, slots=True)
class _Unexplained:
    """A document the fast schema engine rejected, not yet explained (see :func:`_check_document`)."""

    doc: YamlDocument
    private: dict[tuple[Any, ...], tuple[str, ...]]
    digest: ContentIds | None = None


def _check_document(
    doc: YamlDocument,
    file: str,
    *,
    expected_name: str | None,
    schema_path: str | None = None,
    explain: bool = True,
    digest: ContentIds | None = None,
) -> _Checked | _Unexplained | list[Finding]:
    """The document's shape and schema: a :class:`_Checked` document, or the findings that keep it from loading.

    With ``explain=False`` a document the fast engine rejects comes back :class:`_Unexplained`, for
    :func:`_explain` to turn into findings later: explaining may need the reference ``jsonschema`` (for what
    :mod:`agentid.registry.rs_errors` cannot word), whose import costs more than reading a hundred files, and a worker
    process that imported it too would pay that twice.
    """
    from policies import AGENT_SCHEMA_PATH

    if not isinstance(doc.data, dict):
        kind = "empty" if doc.data is None else f"a {type(doc.data).__name__}"
        return [
            _finding(
                "load.not-a-mapping",
                f"an agent definition must be a mapping of keys to values, but this file is {kind}",
                file,
                doc.positions.get(()),
                agent=expected_name,
                remediation="Start from `agentid new NAME --purpose P --owner EMAIL` or copy a file from agents/.",
            )
        ]
    private = find_private_material(doc)
    validator = schema_mod.validator_for(schema_path or str(AGENT_SCHEMA_PATH))
    name = doc.data.get("name") if isinstance(doc.data.get("name"), str) else expected_name
    try:
        serialised: bytes | None = orjson.dumps(doc.data)  # read by the character check and the schema's verdict
    except (TypeError, orjson.JSONEncodeError):  # not plain JSON (huge integers): each check finds its own way
        serialised = None
    control = control_findings(doc, file, name, serialised)
    if control:  # refused before the schema, whose `$` lets a final newline through on the jsonschema path
        outcome = _schema_outcome(doc, private, schema_mod.validate(doc, validator), file, expected_name, digest)
        if isinstance(outcome, _Checked):
            return _private_key_findings(private, doc, file, name) + control
        return sorted(outcome + control, key=lambda f: (f.line or 0, f.column or 0))
    if serialised is not None and validator.surely_valid(doc.data, serialised):  # the verdict for most files
        return _Checked(doc, private, digest)
    if not explain:
        return _Unexplained(doc, private, digest)
    return _schema_outcome(doc, private, schema_mod.validate(doc, validator), file, expected_name, digest)


def _explain(unexplained: _Unexplained, file: str, expected_name: str | None) -> _Checked | list[Finding]:
    """What :func:`_check_document` would have returned for a document it left unexplained."""
    from policies import AGENT_SCHEMA_PATH

    doc = unexplained.doc
    problems = schema_mod.validate(doc, schema_mod.validator_for(str(AGENT_SCHEMA_PATH)))
    return _schema_outcome(doc, unexplained.private, problems, file, expected_name, unexplained.digest)


def _schema_outcome(
    doc: YamlDocument,
    private: dict[tuple[Any, ...], tuple[str, ...]],
    problems: Sequence[schema_mod.SchemaProblem],
    file: str,
    expected_name: str | None,
    digest: ContentIds | None = None,
) -> _Checked | list[Finding]:
    if problems:  # a leaked key is reported even when a typo elsewhere keeps the file from loading
        name = doc.data.get("name") if isinstance(doc.data.get("name"), str) else expected_name
        return _private_key_findings(private, doc, file, name) + [
            _finding("load.schema", p.message, file, p.position, agent=name, remediation=p.remediation)
            for p in problems
        ]
    return _Checked(doc, private, digest)


def _model_of(checked: _Checked, file: str, expected_name: str | None) -> tuple[Agent, list[Finding]]:
    """The model of a checked document, with the findings only the model can show (file name, repeated ids)."""
    doc = checked.doc
    ids = checked.digest
    source = Source(file, doc.positions) if ids is None else Source(file, doc.positions, ids[0], ids[1])
    agent = build_agent(doc.data, source, checked.private).loaded(None if ids is None else ids[0])
    return agent, _private_key_findings(checked.private, doc, file, agent.name) + _within_file_checks(
        agent, file, expected_name
    )


def _private_key_findings(
    private: Mapping[tuple[Any, ...], tuple[str, ...]], doc: YamlDocument, file: str, agent: str | None
) -> list[Finding]:
    """Private key material is reported by member name or PEM header only: the value must never reach a log, a
    report or a PR comment."""
    findings = []
    for path, names in private.items():
        if path and path[0] == PEM_MARK:
            findings.append(_pem_finding(names[0], file, Position(path[1], path[2]), agent))
            continue
        members = ", ".join(f"`{name}`" for name in names)
        position = doc.position_of(path)
        findings.append(
            _private_finding(
                f"{schema_mod.dotted(path)} contains private key material ({members}); "
                "only public keys belong in an agent definition",
                file,
                position,
                agent,
            )
        )
    return sorted(findings, key=lambda f: (f.line or 0, f.column or 0))


def _pem_finding(header: str, file: str, position: Position, agent: str | None) -> Finding:
    return _private_finding(
        f"line {position.line} holds a PEM private key block (`{header}`); "
        "only public keys belong in an agent definition",
        file,
        position,
        agent,
        pem=True,
    )


def _private_finding(message: str, file: str, position: Position, agent: str | None, *, pem: bool = False) -> Finding:
    return Finding(
        rule=PRIVATE_KEY_RULE,
        severity=Severity.ERROR,
        message=message,
        file=file,
        line=position.line,
        column=position.column,
        agent=agent,
        remediation=f"Delete the {'PEM block' if pem else 'private members'} from the file and its git history, and "
        "rotate the key: anyone who read this file or its history holds the agent's credential.",
        nhi=("NHI2",),
    )


def _unreadable_findings(exc: YamlReadError, raw: bytes, file: str, agent: str | None) -> list[Finding]:
    """A file that is not YAML still must not hide a pasted private key: the PEM check reads the text itself."""
    findings = [
        _finding(p.rule, p.message, file, p.position, agent=agent, remediation=p.remediation) for p in exc.problems
    ]
    text = raw.decode("utf-8", errors="replace") if b"-----" in raw else ""
    return [_pem_finding(header, file, position, agent) for position, header in pem_headers(text)] + findings


def control_findings(doc: YamlDocument, file: str, agent: str | None, serialised: bytes | None = None) -> list[Finding]:
    """A finding for each key or string holding a control character (see :mod:`agentid.registry.controls`)."""
    findings = []
    for path, is_key, character in refused_characters(doc.data, serialised):
        where = schema_mod.dotted(path)
        if character == "\n" and not is_key and _trailing_newline_only(doc.data, path):
            fix = (
                "A trailing newline comes from a `|` or `>` block: write `>-` (folds lines, no final newline) or put "
                "the value on one line; agent files hold one-line text."
            )
        else:
            fix = (
                "Remove it. Agent files hold one-line text: escapes in double quotes (`\\n`, `\\t`, `\\e`, "
                "`\\x1b`, `\\u202e`) and tabs inside quotes produce such characters."
            )
        findings.append(
            _finding(
                "load.control-character",
                f"{'the key ' if is_key else ''}`{where}` contains the control character {describe(character)}",
                file,
                doc.position_of(path, key=is_key),
                agent=agent,
                remediation=fix,
            )
        )
    return sorted(findings, key=lambda f: (f.line or 0, f.column or 0))


def _trailing_newline_only(data: Any, path: tuple[Any, ...]) -> bool:
    for part in path:
        data = data[part]
    return isinstance(data, str) and data.endswith("\n") and refused_characters(data[:-1]) == []


# --------------------------------------------------------------------------------------------------- registry


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


def cross_file_checks(agents: Iterable[Agent], catalog: Catalog) -> list[Finding]:
    """Problems that make the registry inconsistent: duplicate names, unknown purposes and scopes."""
    findings: list[Finding] = []
    by_folded: dict[str, Agent] = {}
    identities: dict[str, tuple[Agent, int | None]] = {}
    for agent in agents:
        findings.extend(_identity_collisions(agent, identities))
        folded = agent.name.casefold()
        if folded in by_folded:
            other = by_folded[folded]
            findings.append(
                _finding(
                    "load.duplicate-name",
                    f"agent name `{agent.name}` is already used by {other.file}",
                    agent.file,
                    _at(agent, "name"),
                    agent=agent.name,
                    remediation="Agent names are unique (case-insensitively); choose another name.",
                )
            )
        by_folded.setdefault(folded, agent)
        if agent.purpose not in catalog.purposes:
            findings.append(
                _finding(
                    "load.unknown-purpose",
                    f"purpose `{agent.purpose}` is not in the catalog{_suggest(agent.purpose, catalog.purposes)}",
                    agent.file,
                    _at(agent, "purpose"),
                    agent=agent.name,
                    remediation=f"Use one of: {', '.join(sorted(catalog.purposes))}; or add the purpose to "
                    f"{catalog.file} in a change the security team reviews.",
                )
            )
        for index, grant in enumerate(agent.access.scopes):
            if grant.name not in catalog.scopes:
                findings.append(_unknown_scope(agent, catalog, grant.name, ("access", "scopes", index, "name")))
        for p_index, plugin in enumerate(agent.plugins):
            for s_index, scope in enumerate(plugin.scopes):
                if scope not in catalog.scopes:
                    findings.append(_unknown_scope(agent, catalog, scope, ("plugins", p_index, "scopes", s_index)))
    return findings


def _identity_collisions(agent: Agent, seen: dict[str, tuple[Agent, int | None]]) -> Iterator[Finding]:
    """Identity names (an agent's name, ``<agent>--<plugin>`` for its plugins: :meth:`Plugin.identity_name`) are
    unique across every agent and plugin: each names an Okta app, its label, its Pulumi resources and its client id.
    An agent called ``support-triage--knowledge-base`` and the plugin ``knowledge-base`` of ``support-triage`` would
    be one identity twice. Agent-against-agent is ``load.duplicate-name``, a plugin twice in one file is
    ``load.duplicate-plugin``; this reports every other pair, in the file read later, naming both places."""
    own: list[tuple[str, int | None]] = [(agent.name, None)]
    own += [(plugin.identity_name(agent.name), index) for index, plugin in enumerate(agent.plugins)]
    for identity, index in own:
        folded = identity.casefold()
        first = seen.get(folded)
        if first is None:
            seen[folded] = (agent, index)
            continue
        other, other_index = first
        if other.name.casefold() == agent.name.casefold():
            continue  # two agents of one name (load.duplicate-name), or one plugin twice (load.duplicate-plugin)
        path = ("name",) if index is None else ("plugins", index, "name")
        other_path = ("name",) if other_index is None else ("plugins", other_index, "name")
        yield _finding(
            "load.duplicate-identity",
            f"identity `{identity}` ({_identity_kind(agent, index)}) is also {_identity_kind(other, other_index)} "
            f"at {other.file}:{_at(other, *other_path).line}",
            agent.file,
            _at(agent, *path),
            agent=agent.name,
            remediation="Identity names are unique across agents and plugins (a plugin's is `<agent>--<plugin>`): "
            "rename the agent or the plugin. Avoid `--` in agent names: it is the plugin separator.",
        )


def _identity_kind(agent: Agent, index: int | None) -> str:
    return f"agent `{agent.name}`" if index is None else f"plugin `{agent.plugins[index].name}` of `{agent.name}`"


def _at(agent: Agent, *path: str | int) -> Position:
    return Position(agent.line(*path) or 1, agent.source.column(*path) or 1)


def _unknown_scope(agent: Agent, catalog: Catalog, scope: str, path: tuple[str | int, ...]) -> Finding:
    return _finding(
        "load.unknown-scope",
        f"scope `{scope}` is not in the catalog{_suggest(scope, catalog.scopes)}",
        agent.file,
        _at(agent, *path),
        agent=agent.name,
        remediation=f"Request a scope listed in {catalog.file}; new scopes are added there with their data domain "
        "and sensitivity, in a change the security team reviews.",
    )


def agent_files(agents_dir: Path) -> list[Path]:
    """The definitions under ``agents/``: ``*.yaml`` plus ``*.yml`` (reported, so a typo'd suffix is not ignored)."""
    return [path for path, _symlink in _agent_entries(agents_dir)[0]]


#: Suffixes of files that look like agent definitions (anything else in agents/, a README, is not one).
_DEFINITION_SUFFIXES = (".yaml", ".yml")

MISPLACED_RULE = "load.subfolder"


def _agent_entries(agents_dir: Path, *, dangling: bool = False) -> tuple[list[tuple[Path, bool]], list[Path]]:
    """Each definition's path and whether it is a symlink, sorted by name (the same order as by path: they share one
    parent); and the subdirectories to look into for misplaced definitions. ``os.scandir`` knows a file's type from
    the directory listing itself, where ``Path.is_file`` and ``Path.is_symlink`` cost two system calls per file:
    more than reading a small file. With ``dangling``, symlinks that lead nowhere (or to a directory) are listed too:
    the loader reports them rather than skipping them."""
    found: list[tuple[str, bool]] = []
    folders: list[str] = []
    with os.scandir(agents_dir) as listing:
        for entry in listing:
            name = entry.name
            dot = name.rfind(".")  # Path.suffix, spelled out
            if 0 < dot < len(name) - 1 and name[dot:] in _DEFINITION_SUFFIXES:
                symlink = entry.is_symlink()
                if (dangling and symlink) or _is_file(entry):
                    found.append((name, symlink))
            elif not name.startswith(".") and _is_dir(entry):
                folders.append(name)
    found.sort()
    return [(agents_dir / name, symlink) for name, symlink in found], [agents_dir / f for f in sorted(folders)]


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def misplaced_definitions(folders: Iterable[Path]) -> list[Path]:
    """``*.yaml``/``*.yml`` files anywhere under ``folders`` (subdirectories of agents/), sorted; hidden
    directories and symlinked directories are not entered. The loader reads only agents/*.yaml: a definition in a
    subfolder would be silently ignored, and an agent whose file was moved there would look deleted."""
    found: list[Path] = []
    for folder in folders:
        for directory, subdirs, names in os.walk(folder):
            subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
            found.extend(Path(directory) / n for n in names if PurePosixPath(n).suffix in _DEFINITION_SUFFIXES)
    return sorted(found)


def suffix_finding(file: str) -> Finding:
    """The finding for a definition whose name ends in another suffix than ``.yaml`` (``.yml``): it is not loaded."""
    where = PurePosixPath(file)
    return _finding(
        "load.file-suffix",
        f"agent files end in {AGENT_SUFFIX}, not {where.suffix}: this file is not loaded",
        file,
        Position(1, 1),
        agent=where.stem,
        remediation=f"Rename it to {where.stem}{AGENT_SUFFIX}.",
    )


def misplaced_finding(file: str, agents_dir: str) -> Finding:
    """The finding for a definition ``file`` found below ``agents_dir`` rather than directly in it (both as shown)."""
    stem = PurePosixPath(file).stem
    target = f"{agents_dir.rstrip('/')}/{stem}{AGENT_SUFFIX}" if agents_dir not in ("", ".") else f"{stem}.yaml"
    return _finding(
        MISPLACED_RULE,
        f"agent definitions are read only directly in {agents_dir.rstrip('/') or '.'}/, not in subfolders: this file "
        "is not loaded, so its agent is deployed nowhere (and, if it was moved here, its identity would be deleted)",
        file,
        Position(1, 1),
        agent=stem,
        remediation=f"Move it to {target}: every agent file sits directly in {agents_dir.rstrip('/') or '.'}/ "
        "(`git mv` keeps its history; review then sees a rename, not a deletion).",
    )


def _is_file(entry: os.DirEntry[str]) -> bool:
    """``Path.is_file()`` for a directory entry: a dangling or looping symlink is simply not a file."""
    try:
        return entry.is_file()
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP):
            return False
        raise


def load_registry(
    agents_dir: Path, catalog_path: Path, *, root: Path | None = None, meanwhile: Callable[[], None] | None = None
) -> LoadResult:
    """Load every agent file and the catalog. Raises :class:`CatalogError` only when the catalog is unusable.

    ``meanwhile``: work for this process while forked workers read the files (see :func:`forkmap.fork_map`); it is
    called once, unless loading fails first."""
    with cyclic_gc_paused():  # see agentid.gcpause: plain data, no cycles, quadratic collector work otherwise
        return _load_registry(agents_dir, catalog_path, root=root, meanwhile=meanwhile)


def _load_registry(
    agents_dir: Path, catalog_path: Path, *, root: Path | None, meanwhile: Callable[[], None] | None = None
) -> LoadResult:
    catalog = load_catalog(catalog_path, root=root)
    if not agents_dir.is_dir():
        raise FileNotFoundError(agents_dir)
    entries, folders = _agent_entries(agents_dir, dangling=True)
    base = _display_base(agents_dir, root)  # as display_paths_in(); a symlink is shown where it is, not its target
    files = [_shown_in(base, path) for path, _symlink in entries]
    regular = [(path, file) for (path, symlink), file in zip(entries, files, strict=True) if not symlink]
    loaded = iter(load_agent_files([path for path, _ in regular], [file for _, file in regular], meanwhile=meanwhile))
    outcomes = [
        (None, [_symlink_finding(path, file, root)]) if symlink else next(loaded)
        for (path, symlink), file in zip(entries, files, strict=True)
    ]
    if folders:
        shown_dir = base if base is not None else agents_dir.as_posix()
        for path in misplaced_definitions(folders):
            file = display_path(path, root)
            files.append(file)
            outcomes.append((None, [misplaced_finding(file, shown_dir)]))
    return assemble_registry(catalog, outcomes, files)


def _symlink_finding(path: Path, file: str, root: Path | None) -> Finding:
    """A symlink under ``agents/`` is refused wherever it points: one file is one identity, reviewed as that file.

    Outside the repository, it deploys what no pull request shows (and a checkout may not even have); dangling, it
    silently dropped an identity; inside, it makes two files (two names) of one definition, and a change to the target
    changes both identities in a diff that shows only one. The finding names the link, never reads the target."""
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        where = "which leads nowhere (dangling or looping)"
    else:
        inside = root is not None and resolved.is_relative_to(root.resolve())
        where = f"which points {'inside' if inside else 'outside'} the repository"
    return symlink_finding(file, target, where)


def symlink_finding(file: str, target: str, where: str = "") -> Finding:
    """The finding for an agent file that is a symbolic link (on disk, or stored as one in git)."""
    target = "".join(char if char.isprintable() else "?" for char in target)
    shown = target if len(target) <= 120 else target[:117] + "..."
    return _finding(
        "load.symlink",
        f"agent file is a symbolic link (to `{shown}`){' ' + where if where else ''}; "
        "agent files must be regular files",
        file,
        Position(1, 1),
        agent=PurePosixPath(file).stem,
        remediation=f"Replace the link with the definition itself (`git rm {file}` and add the real file), or "
        "delete it if that identity should not exist.",
    )


#: Below this many files one process loads them all: a worker's start-up would cost more than it saves.
PARALLEL_MIN_FILES = 256


def load_agent_files(
    paths: Sequence[Path],
    files: Sequence[str],
    *,
    workers: int | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> list[tuple[Agent | None, list[Finding]]]:
    """Each file's model (or None) and findings, in the order given; ``files`` are the paths as shown in findings.

    Reading and checking files is spread over the available cores (:mod:`agentid.registry.forkmap`) when there are
    at least :data:`PARALLEL_MIN_FILES`; ``workers`` overrides that choice (1: one process). Models are always
    built here, in this process, from the workers' plain results: the outcome is the same either way.
    """
    from policies import AGENT_SCHEMA_PATH

    items = list(zip(paths, files, strict=True))
    if workers is None:
        workers = forkmap.available_workers() if len(items) >= PARALLEL_MIN_FILES else 1
    if workers > 1:
        schema_mod.validator_for(str(AGENT_SCHEMA_PATH))  # compiled once, before the fork, for every worker
    checked = forkmap.fork_map(
        _check_agent_file, items, workers=workers, encode=_encode, decode=_decode, meanwhile=meanwhile
    )
    loaded: list[tuple[Agent | None, list[Finding]]] = []
    for (path, file), outcome in zip(items, checked, strict=True):
        if isinstance(outcome, _Unexplained):  # explained here, in one process (see _check_document)
            outcome = _explain(outcome, file, path.stem)
        loaded.append((None, outcome) if isinstance(outcome, list) else _model_of(outcome, file, path.stem))
    return loaded


def _check_agent_file(item: tuple[Path, str]) -> _Checked | _Unexplained | list[Finding]:
    """One file on disk through the strict reader and the schema; a wrong suffix or an unreadable file is a finding,
    not an error."""
    path, file = item
    if path.suffix != AGENT_SUFFIX:
        return [suffix_finding(file)]
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [_finding("load.unreadable", f"cannot read the file: {exc.strerror}", file, None)]
    try:
        doc = load_bytes(raw)
    except YamlReadError as exc:
        return _unreadable_findings(exc, raw, file, path.stem)
    return _check_document(doc, file, expected_name=path.stem, explain=False, digest=content_ids(raw))


#: A checked document as a worker sends it: data, position paths, (line, column) pairs, private member names, digest.
_Plain = tuple[
    Any, tuple[Path_, ...], tuple[tuple[int, int], ...], dict[tuple[Any, ...], tuple[str, ...]], ContentIds | None
]


def _encode(outcome: _Checked | _Unexplained | list[Finding]) -> _Plain | _Unexplained | list[Finding]:
    """Plain tuples pickle several times faster than named tuples (one Python call each to rebuild). An unexplained
    document (a few, if any) travels whole: explaining it reads key positions too."""
    if isinstance(outcome, list | _Unexplained):
        return outcome
    positions = outcome.doc.positions
    return outcome.doc.data, tuple(positions), tuple(map(tuple, positions.values())), outcome.private, outcome.digest


def _decode(plain: _Plain | _Unexplained | list[Finding]) -> _Checked | _Unexplained | list[Finding]:
    if isinstance(plain, list | _Unexplained):
        return plain
    data, paths, pairs, private, digest = plain
    # Position(line, column) for each pair without a Python-level call: tuple.__new__ straight from map().
    positions = dict(zip(paths, map(_new_tuple, repeat(Position), pairs), strict=True))
    # Only the value positions travel: nothing after checking asks for a key's own position (doc.keys).
    return _Checked(YamlDocument(data, positions), private, digest)


def assemble_registry(
    catalog: Catalog, loaded: Iterable[tuple[Agent | None, Sequence[Finding]]], files: Sequence[str]
) -> LoadResult:
    """One registry from per-file results, whether read from disk or from a git revision.

    Both sources then get the same cross-file checks and the same agent order, so a review's base and head compare
    like with like.
    """
    agents: list[Agent] = []
    findings: list[Finding] = []
    for agent, file_findings in loaded:
        findings.extend(file_findings)
        if agent is not None:
            agents.append(agent)
    findings.extend(cross_file_checks(agents, catalog))
    registry = Registry(agents=tuple(sorted(agents, key=lambda a: a.name)), catalog=catalog)
    return LoadResult(registry=registry, findings=tuple(findings), files=tuple(files))
