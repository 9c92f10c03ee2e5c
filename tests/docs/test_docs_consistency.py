"""The documentation agrees with the code, with the stack files and with itself, wherever that can be checked
mechanically (tests/docs/test_readme.py runs the documented commands; this checks what they name):

- every ``agentid <command> --option`` named in the docs, the workflows, the Makefile and the pre-commit hooks exists;
- every ``agentid:<key>`` the docs name is read by the code, and every key the stack files set is documented in
  docs/deploying.md; every ``okta:<key>`` is a setting of the Okta provider (read from pulumi-okta's own config module);
- credentials are set with ``pulumi config set --secret`` wherever the docs set them (the keys agentid.plan.stackfile
  treats as credentials), and the README's deploy steps are the ones docs/deploying.md gives in full;
- every relative link resolves to a file, and every ``#anchor`` to a heading in it.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from agentid.cli.main import COMMANDS, cli
from tests import conftest
from tests.conftest import REPO

#: The stack files the docs describe: the tests' sample repository's where conftest names one (``STACKS``), not a
#: company's live ones (which may add settings of their own).
STACK_ROOT: Path = getattr(conftest, "STACKS", REPO)

DOCS = [REPO / "README.md", REPO / "agents" / "README.md", *sorted((REPO / "docs").glob("*.md"))]
#: Where else commands are written down for people or machines to run.
RUN_FILES = [
    REPO / "Makefile",
    REPO / ".pre-commit-config.yaml",
    *sorted((REPO / ".github" / "workflows").glob("*.yml")),
]
#: The code that reads stack configuration: a documented key must appear in it.
CONFIG_READERS = ("infra", "agentid", "policies", "scripts")

FENCED = re.compile(r"^```([^\n]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
#: Fenced blocks holding commands or configuration (not quoted output: ```markdown, ```text).
CODE_LANGUAGES = {"", "sh", "bash", "shell", "yaml", "yml"}
INLINE = re.compile(r"`([^`]+)`")
#: `agentid check ...`, `.venv/bin/agentid check ...`; not `agentid:key` or `agentid-reports`.
INVOCATION = re.compile(r"(?:^|(?<=[\s/(\"']))agentid ([a-z][a-z-]*)([^\n]*)")
OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")
CONFIG_KEY = re.compile(r"(?<![\w.-])(agentid|okta):([a-zA-Z][a-zA-Z0-9]*)(?![:\w-])")


def code_texts(path: Path) -> list[str]:
    """The code in a Markdown file (fenced blocks of commands or configuration, line by line; inline spans, joined
    across line breaks), or the whole of any other file; shell comments left out."""
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".md":
        lines = text.splitlines()
    else:
        fenced = [
            line
            for language, block in FENCED.findall(text)
            if language.strip() in CODE_LANGUAGES
            for line in block.splitlines()
        ]
        lines = fenced + [span.replace("\n", " ") for span in INLINE.findall(FENCED.sub("", text))]
    return [re.split(r"(?:^|\s)#", line)[0] if not line.lstrip().startswith("#") else "" for line in lines]


def invocations(path: Path) -> list[tuple[str, list[str]]]:
    """(command, long options) for each `agentid ...` written in the file; options stop at a comment, pipe or
    redirection (they belong to another program)."""
    found = []
    for text in code_texts(path):
        for match in INVOCATION.finditer(text):
            rest = re.split(r"\s#|\||;|&&|>|\)|\$\(", match.group(2))[0]
            found.append((match.group(1), OPTION.findall(rest)))
    return found


def options_of(command: str) -> set[str]:
    import click

    ctx = click.Context(cli)
    sub = cli.get_command(ctx, command)
    assert sub is not None
    names = {"--help"}
    for param in sub.params:
        names.update(o for o in (*param.opts, *param.secondary_opts) if o.startswith("--"))
    return names


@pytest.mark.parametrize("path", DOCS + RUN_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_agentid_command_and_option_named_exists(path: Path):
    problems = []
    for command, options in invocations(path):
        if command not in COMMANDS:
            problems.append(f"`agentid {command}`: no such command (commands: {', '.join(sorted(COMMANDS))})")
            continue
        problems += [f"`agentid {command} {o}`: no such option" for o in options if o not in options_of(command)]
    assert not problems, f"{path.relative_to(REPO)}:\n" + "\n".join(sorted(set(problems)))


def test_the_docs_name_the_commands_they_describe():
    """Every command is documented somewhere a reader looks (README or docs/), not only in its --help."""
    named = {command for path in DOCS for command, _ in invocations(path)}
    assert set(COMMANDS) <= named, f"undocumented commands: {sorted(set(COMMANDS) - named)}"


# --- configuration keys --------------------------------------------------------------------------------------------
def doc_keys(namespace: str) -> dict[str, set[str]]:
    """key -> the docs naming ``namespace:key``."""
    keys: dict[str, set[str]] = {}
    for path in DOCS:
        for text in code_texts(path):
            for ns, key in CONFIG_KEY.findall(text):
                if ns == namespace:
                    keys.setdefault(key, set()).add(str(path.relative_to(REPO)))
    return keys


def code_text() -> str:
    return "\n".join(
        path.read_text(encoding="utf-8") for folder in CONFIG_READERS for path in sorted((REPO / folder).rglob("*.py"))
    )


def okta_provider_keys() -> set[str]:
    """The Okta provider's settings, from pulumi-okta's own config module (the SDK the program deploys with)."""
    import pulumi_okta.config.vars as provider_config

    source = Path(provider_config.__file__).read_text(encoding="utf-8")
    keys = set(re.findall(r"__config__\.get\w*\('([A-Za-z]+)'", source))
    assert {"orgName", "privateKeyId", "scopes"} <= keys, "pulumi-okta's config module changed shape"
    return keys


def stack_files() -> list[Path]:
    return sorted(STACK_ROOT.glob("Pulumi.*.yaml"))


def stack_keys(path: Path) -> set[tuple[str, str]]:
    import yaml

    config = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("config") or {}
    return {tuple(key.split(":", 1)) for key in config if ":" in key}  # type: ignore[misc]


def test_every_agentid_key_the_docs_name_is_read_by_the_code():
    code = code_text()
    unread = {
        key: sorted(docs)
        for key, docs in doc_keys("agentid").items()
        if f'"{key}"' not in code and f"'{key}'" not in code and f"agentid:{key}" not in code
    }
    assert not unread, f"documented agentid: keys no code reads (typo, or a removed setting): {unread}"


def test_every_okta_key_the_docs_name_is_a_provider_setting():
    unknown = {key: sorted(docs) for key, docs in doc_keys("okta").items() if key not in okta_provider_keys()}
    assert not unknown, f"okta: keys that pulumi-okta does not have: {unknown}"


@pytest.mark.parametrize("path", stack_files(), ids=lambda p: p.name)
def test_every_key_a_stack_file_sets_is_documented(path: Path):
    deploying = " ".join(code_texts(REPO / "docs" / "deploying.md"))
    undocumented = sorted(f"{ns}:{key}" for ns, key in stack_keys(path) if f"{ns}:{key}" not in deploying)
    assert not undocumented, f"{path.name} sets keys docs/deploying.md does not explain: {undocumented}"


def config_sets(path: Path) -> list[tuple[str, bool]]:
    """(key, --secret?) for every `pulumi config set` in the file's code."""
    found = []
    for text in code_texts(path):
        for match in re.finditer(r"pulumi config set ([^\n#|]*)", text):
            words = shlex.split(match.group(1).replace("$(", "").replace(")", ""), posix=True)
            keys = [w for w in words if not w.startswith("-")]
            if keys:
                found.append((re.sub(r"\[\d+\]$", "", keys[0]), "--secret" in words))
    return found


def test_credentials_are_always_set_as_secrets_and_other_keys_exist():
    from agentid.plan.stackfile import CREDENTIAL_KEYS

    provider = okta_provider_keys()
    problems = []
    for path in DOCS:
        for key, secret in config_sets(path):
            where = f"{path.relative_to(REPO)}: `pulumi config set {key}`"
            if key in CREDENTIAL_KEYS and not secret:
                problems.append(f"{where} without --secret: a credential would be stored in clear")
            if key not in CREDENTIAL_KEYS and secret:
                problems.append(f"{where} with --secret: only credentials are secret ({sorted(CREDENTIAL_KEYS)})")
            namespace, _, name = key.partition(":")
            if namespace == "okta" and name not in provider:
                problems.append(f"{where}: pulumi-okta has no setting `{name}`")
    assert not problems, "\n".join(problems)


def credentials_block(path: Path) -> list[str]:
    """The commands of the first `docs-test: credentials` block (the deploy steps), comments stripped."""
    text = path.read_text(encoding="utf-8")
    match = re.search(r"<!--\s*docs-test:\s*credentials\s*-->\s*\n```\w*\n(.*?)\n```", text, re.DOTALL)
    assert match, f"{path.relative_to(REPO)} has no deploy steps marked <!-- docs-test: credentials -->"
    return [line.split(" #")[0].strip() for line in match.group(1).splitlines() if line.strip()]


def test_the_readme_deploy_steps_are_the_ones_deploying_md_gives_in_full():
    """The README's short path must not drift from docs/deploying.md's full one (same pulumi commands, same way)."""
    normal = re.compile(r"\s+")

    def shape(command: str) -> str:
        # values differ by example (a client id, a kid): compare the command and its key, not the placeholder
        words = normal.sub(" ", command).split(" ")
        if words[:3] == ["pulumi", "config", "set"]:
            key = next(w for w in words[3:] if not w.startswith("-"))
            flags = sorted(w for w in words[3:] if w.startswith("--"))
            return " ".join(["pulumi config set", *flags, key])
        return " ".join(words)

    readme = [shape(c) for c in credentials_block(REPO / "README.md")]
    full = {shape(c) for c in credentials_block(REPO / "docs" / "deploying.md")}
    missing = [c for c in readme if c not in full]
    assert not missing, f"README.md deploy steps not in docs/deploying.md's first deploy: {missing}"


# --- links ---------------------------------------------------------------------------------------------------------
LINK = re.compile(r"(?<!!)\[[^\]]+\]\(([^)\s]+)\)|^\[[^\]]+\]:\s*(\S+)", re.MULTILINE)


def anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    text = FENCED.sub("", path.read_text(encoding="utf-8"))
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*$", text, re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_resolves(path: Path):
    broken = []
    for inline, reference in LINK.findall(FENCED.sub("", path.read_text(encoding="utf-8"))):
        target = inline or reference
        if re.match(r"^[a-z]+:", target):  # http(s), mailto: not fetched (no network in tests)
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path
        if not resolved.exists():
            broken.append(f"{target}: {resolved} does not exist")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target}: no heading `#{anchor}` in {resolved.relative_to(REPO)}")
    assert not broken, f"{path.relative_to(REPO)}:\n" + "\n".join(broken)


# --- CI secrets ----------------------------------------------------------------------------------------------------
def test_the_secrets_the_workflows_read_are_the_ones_the_docs_ask_for():
    """An admin sets up what docs/ci.md and the README list; a workflow reading a secret they do not mention would
    fail (or skip) on a fresh repository."""
    read = {
        name
        for path in sorted((REPO / ".github" / "workflows").glob("*.yml"))
        for name in re.findall(r"secrets\.([A-Z][A-Z0-9_]*)", path.read_text(encoding="utf-8"))
    } - {"GITHUB_TOKEN"}  # GitHub provides it
    assert read, "no workflow reads a secret: the pattern is out of date"
    for doc in (REPO / "docs" / "ci.md", REPO / "README.md"):
        named = set(re.findall(r"`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`", doc.read_text(encoding="utf-8")))
        assert read <= named, f"{doc.relative_to(REPO)} does not ask for the secrets {sorted(read - named)}"
