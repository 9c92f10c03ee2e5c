"""The registry rules as checkov checks: one ``CKV_AGENT_<n>`` per rule, calling the very same rule functions.

checkov (``--framework yaml --external-checks-dir policies/checkov``) executes this file inside its own venv,
``.venv-checkov``, where agentid is not installed: checkov 3.3.x pins ``packaging<24`` and cannot share a venv with
Pulumi. So the repository root is put on ``sys.path`` here, and only agentid's light dependencies (PyYAML,
jsonschema, joserfc) are in that venv's lock (``policies/checkov/requirements.lock``). This works from a fresh
clone with no install step, and always runs the rules of the checkout being scanned.

checkov hands each check the document parsed by its own YAML parser (dates become ``datetime``, duplicate keys
are tolerated, positions come as ``__startline__``/``__endline__`` markers). Rules must judge exactly what
``agentid check`` judges, so the folder is loaded with agentid's strict loader and judged once by the same engine
(:func:`policies.engine.evaluate`: same settings, same waivers); checkov's parse is only used to point each result
at the offending block. Each check then reports its own rule's findings for the scanned file.

What the loader itself refuses is not a rule: a file that is not valid YAML or not valid against the schema, a name
already taken, a purpose or scope missing from the catalog. :class:`AgentLoadsCheck` (``CKV_AGENT_0``) fails for
any of those, so checkov fails every file ``agentid check`` fails; a file that does not load at all also fails every
rule's check, since no rule can vouch for it.

A ``# checkov:skip=CKV_AGENT_<n>:reason`` comment inside the document (not on its first line) skips a check,
checkov's own mechanism (except a rule agentid never waives, and any check of a file holding a private key); the
registry's waivers (``waivers:`` in the agent file) pass a check exactly as they waive the finding in
``agentid check``. Set ``AGENTID_TODAY=YYYY-MM-DD`` to judge dates as of a fixed day (checkov has no ``--today``;
tests and reproducible CI runs pin it).
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from checkov.common.bridgecrew.severities import BcSeverities, Severities  # noqa: E402
from checkov.common.models.enums import CheckCategories, CheckResult  # noqa: E402
from checkov.yaml_doc.base_yaml_check import BaseYamlCheck  # noqa: E402
from checkov.yaml_doc.enums import BlockType  # noqa: E402

from agentid.findings import Finding, Severity  # noqa: E402
from agentid.registry.leaks import secret_lines  # noqa: E402
from agentid.registry.loader import PRIVATE_JWK_MEMBERS, display_path, load_registry  # noqa: E402
from agentid.registry.model import Registry  # noqa: E402
from policies import DEFAULT_CATALOG_PATH  # noqa: E402
from policies.engine import (  # noqa: E402
    default_settings,
    evaluate,
    load_known_environments,
    load_stack_limits,
    pinned_today,
    rules_for,
)
from policies.rules import Rule  # noqa: E402

MARKERS = ("__startline__", "__endline__")
#: Warnings map to LOW so that ``scripts/checkov`` can report them without failing (``--soft-fail-on LOW``).
SEVERITY = {Severity.ERROR: Severities[BcSeverities.HIGH], Severity.WARNING: Severities[BcSeverities.LOW]}


def today() -> dt.date:
    """The day rules judge dates on: ``AGENTID_TODAY`` when set (checkov has no ``--today``), else today. A bad
    value stops checkov with the message rather than failing every check with a traceback."""
    try:
        return pinned_today()
    except ValueError as exc:
        raise SystemExit(str(exc)) from None


@dataclass(frozen=True, slots=True)
class FolderVerdict:
    """What ``agentid check`` says about every agent file of one folder (without a plan)."""

    registry: Registry
    files: tuple[str, ...]
    loader_findings: tuple[Finding, ...]
    rule_findings: tuple[Finding, ...]


@functools.cache
def judge_folder(folder: Path) -> FolderVerdict:
    """Load the folder's registry and run every registry rule once, through the same engine ``agentid check``
    uses: the same functions, settings (policies/settings.yaml), stack token limits (Pulumi.<stack>.yaml) and
    waiver handling. Registry-wide rules (a key shared by two agents) need the whole folder anyway."""
    loaded = load_registry(folder, DEFAULT_CATALOG_PATH, root=REPO_ROOT)
    findings = evaluate(
        loaded.registry,
        today=today(),
        settings=default_settings(),
        stack_token_limits=load_stack_limits(REPO_ROOT),
        known_environments=load_known_environments(REPO_ROOT),
    )
    return FolderVerdict(loaded.registry, loaded.files, loaded.findings, tuple(findings))


def block_at(conf: Any, line: int | None) -> dict[str, Any] | None:
    """The innermost block of checkov's parse whose lines contain ``line``: where the result points."""
    if line is None or not isinstance(conf, dict | list):
        return None
    children = conf.values() if isinstance(conf, dict) else conf
    for child in children:
        inner = block_at(child, line)
        if inner is not None:
            return inner
    if isinstance(conf, dict) and all(m in conf for m in MARKERS) and conf[MARKERS[0]] <= line <= conf[MARKERS[1]]:
        return conf
    return None


def private_values(conf: Any) -> set[str]:
    """The values of private JWK members (``d``, ``p``, ... in a mapping that has ``kty``) in checkov's parse."""
    found: set[str] = set()
    if isinstance(conf, list):
        for child in conf:
            found |= private_values(child)
    elif isinstance(conf, dict):
        for key, value in conf.items():
            if key in PRIVATE_JWK_MEMBERS and "kty" in conf:
                found |= {str(v) for v in (value if isinstance(value, list) else [value]) if str(v).strip()}
            else:
                found |= private_values(value)
    return found


def redacted_block(block: dict[str, Any], path: Path, line: int | None, secrets: set[str]) -> dict[str, Any]:
    """``block``, or when the lines checkov would quote from it hold a private key value, the nearest lines at or
    above ``line`` that hold none. checkov copies the quoted lines (lines start..end+1) into its console output,
    SARIF and JUnit; a leaked key must not be copied into CI logs and code-scanning alerts as well."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    text = raw.splitlines()
    # The values found in checkov's parse, and every line the loader's leak scan marks: a PEM block (in a comment too)
    # or a private member written in a shape the parse above does not see (`keys` as a mapping, JSON text).
    tainted = {number for number, content in enumerate(text, 1) if any(value in content for value in secrets)}
    tainted |= secret_lines(raw)
    if not tainted:
        return block
    start, end = block.get(MARKERS[0], 1), block.get(MARKERS[1], len(text))
    if not tainted & set(range(start, end + 2)):
        return block
    first = line or 1
    while first > 1 and (first in tainted or first + 1 in tainted):
        first -= 1
    return {MARKERS[0]: first, MARKERS[1]: first}


def _quotes_secret_lines(scanned_file: str) -> bool:
    """Whether the file holds lines the loader's leak scan marks (a PEM block, a private member in any shape): a
    skipped result quotes the whole document, so nothing in such a file is skipped."""
    for candidate in (Path(scanned_file), Path(scanned_file.lstrip("/"))):
        try:
            return bool(secret_lines(candidate.read_text(encoding="utf-8", errors="replace")))
        except OSError:
            continue
    return False


class AgentFileCheck(BaseYamlCheck):
    """A check over a whole agent document, judged from the folder's one verdict (:func:`judge_folder`)."""

    def __init__(self, *, name: str, id: str, severity: Severity, guideline: str) -> None:
        super().__init__(
            name=name,
            id=id,
            categories=(CheckCategories.IAM,),
            supported_entities=("*",),
            block_type=BlockType.DOCUMENT,
        )
        self.severity = SEVERITY[severity]
        self.guideline = guideline

    def run(
        self,
        scanned_file: str,
        entity_configuration: dict[str, Any],
        entity_name: str,
        entity_type: str,
        skip_info: Any,
    ) -> Any:
        """checkov's run, with ``# checkov:skip`` honoured only where :meth:`skippable` allows it."""
        if skip_info and (not self.skippable(entity_configuration) or _quotes_secret_lines(scanned_file)):
            skip_info = None
        return super().run(scanned_file, entity_configuration, entity_name, entity_type, skip_info)

    def skippable(self, conf: dict[str, Any]) -> bool:
        """Whether a ``# checkov:skip`` comment may excuse this check on this document."""
        raise NotImplementedError

    def scan_entity_conf(self, conf: dict[str, Any], entity_type: str) -> Any:
        # entity_path is "<file>:*:<file>" for a wildcard check: the file as checkov was given it (cwd-relative)
        path = Path(self.entity_path.split(":*:", 1)[0]).resolve()
        verdict = judge_folder(path.parent)
        file = display_path(path, REPO_ROOT)
        if file not in verdict.files:
            return CheckResult.UNKNOWN  # not an agent definition (agentid reads agents/*.yaml only)
        loader_errors = [f for f in verdict.loader_findings if f.file == file and f.severity is Severity.ERROR]
        return self.judge(conf, path, file, verdict, loader_errors)

    def judge(
        self, conf: dict[str, Any], path: Path, file: str, verdict: FolderVerdict, loader_errors: list[Finding]
    ) -> Any:
        """This check's result for one agent file (``loader_errors``: what keeps it from loading cleanly)."""
        raise NotImplementedError

    @staticmethod
    def failed(conf: dict[str, Any], path: Path, line: int | None, *, whole: bool = False) -> Any:
        """A failed result pointing at the block holding ``line`` (the whole document when ``whole``), never quoting
        private key material."""
        block = conf if whole else block_at(conf, line) or conf
        return CheckResult.FAILED, redacted_block(block, path, line, private_values(conf))


class AgentRuleCheck(AgentFileCheck):
    """One registry rule, as a checkov check over a whole agent document."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        super().__init__(
            name=rule.meta.title,
            id=rule.meta.checkov_id,
            severity=rule.meta.severity,
            guideline=f"{rule.meta.id}: {rule.meta.remediation} Run `agentid check` for the full message.",
        )

    def skippable(self, conf: dict[str, Any]) -> bool:
        """Not a rule ``agentid check`` never waives (private key material, admin scopes...), nor anything in a
        document holding a private key: checkov quotes the whole document in a skipped result (SARIF, JUnit), and a
        leaked key must be removed before anything is excused."""
        return self.rule.meta.waivable and not private_values(conf)

    def judge(
        self, conf: dict[str, Any], path: Path, file: str, verdict: FolderVerdict, loader_errors: list[Finding]
    ) -> Any:
        if not any(agent.file == file for agent in verdict.registry):
            # The file does not load (schema, YAML): no rule can vouch for it.
            first = f"{loader_errors[0].location}: {loader_errors[0].message}" if loader_errors else None
            self.details.append(f"{first or f'{file} does not load'} (run `agentid validate`)")
            return self.failed(conf, path, loader_errors[0].line if loader_errors else None, whole=True)
        found = [f for f in verdict.rule_findings if f.rule == self.rule.meta.id and f.file == file and not f.waived]
        if not found:
            return CheckResult.PASSED
        self.details.extend(f"{f.location}: {f.message}" for f in found)
        return self.failed(conf, path, found[0].line)


#: The loader's own check; rule checks are CKV_AGENT_<rule number>, and rule numbers start at 1.
LOAD_CHECK_ID = "CKV_AGENT_0"


class AgentLoadsCheck(AgentFileCheck):
    """The loader's errors as one check: YAML, schema, duplicate names, purposes and scopes not in the catalog."""

    def __init__(self) -> None:
        super().__init__(
            name="Agent definitions load: valid YAML and schema, a unique name, purpose and scopes from the catalog",
            id=LOAD_CHECK_ID,
            severity=Severity.ERROR,
            guideline="Run `agentid validate` for every problem with its file, line and fix.",
        )

    def skippable(self, conf: dict[str, Any]) -> bool:
        """Never: ``agentid check`` has no waiver for a file that does not load."""
        return False

    def judge(
        self, conf: dict[str, Any], path: Path, file: str, verdict: FolderVerdict, loader_errors: list[Finding]
    ) -> Any:
        if not loader_errors:
            return CheckResult.PASSED
        self.details.extend(f"{f.location}: {f.message}" for f in loader_errors)
        return self.failed(conf, path, loader_errors[0].line)


def register_checks() -> list[AgentFileCheck]:
    """The loader's check and one check per registry rule. Resource and stack rules judge a plan, not a file: the
    policy pack runs them."""
    return [AgentLoadsCheck(), *(AgentRuleCheck(rule) for rule in rules_for(with_resources=False))]


CHECKS = register_checks()
