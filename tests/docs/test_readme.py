"""The documentation's commands and quoted output are real.

Every ```sh block in the README, agents/README.md and docs/ runs, in order, in a temporary copy of the repository
(so nothing in the tree changes), and each command must exit as documented: 0 unless its comment says `exit N`.
Markers (an HTML comment on the line right before a fence) tell the test what a block is:

- ``<!-- docs-test: credentials -->``: needs Pulumi/Okta credentials; never run, and it must contain a pulumi command;
- ``<!-- docs-test: file PATH -->``: the block's text is written to PATH (the edit a walkthrough asks for);
- ``<!-- docs-test: output -->``: every line is printed by the previous command;
- ``<!-- docs-test: troubleshooting -->``: every line is printed by one of the broken inputs built in this test
  (``…`` stands for a path that varies).

A command whose program the test does not know fails the test, so a new command needs a runner or a marker.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import REPO, TODAY, fixture_repo

DOCS = [REPO / "README.md", REPO / "agents" / "README.md", *sorted((REPO / "docs").glob("*.md"))]
#: what a temporary copy needs from the tool besides fixture_repo's (the sample registry comes from the fixtures)
COPIED_FIXTURES = ["tests/fixtures/detect", "tests/fixtures/rightsize"]
#: commands documented but deliberately not run here, and why
NOT_RUN = {
    "make test": "runs this very suite (and scripts/setup); .ci/run runs it",
    "scripts/checkov": "needs .venv-checkov and ~30 s; tests/checkov runs the real checkov",
}
#: agentid commands that judge dates: the test pins --today so the documented exits hold on any day
TAKES_TODAY = {
    "new",
    "plan",
    "check",
    "detect",
    "detections",
    "review",
    "expiring",
    "inventory",
    "review-report",
    "show",
}
MARKER = re.compile(r"^<!--\s*docs-test:\s*(\S+)\s*(.*?)\s*-->$")
FENCE = re.compile(r"^```(\w*)\s*$")
EXIT = re.compile(r"\bexit (\d)\b")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Docs Test",
    "GIT_AUTHOR_EMAIL": "docs-test@example.com",
    "GIT_COMMITTER_NAME": "Docs Test",
    "GIT_COMMITTER_EMAIL": "docs-test@example.com",
}


@dataclass
class Block:
    doc: Path
    line: int
    lang: str
    marker: str = ""
    argument: str = ""
    lines: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{self.doc.relative_to(REPO)}:{self.line}"


def blocks(doc: Path) -> list[Block]:
    """Fenced blocks with the marker (if any) on the line just before the opening fence."""
    found: list[Block] = []
    current: Block | None = None
    previous = ""
    for number, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), start=1):
        fence = FENCE.match(line)
        if current is None and fence:
            marker = MARKER.match(previous.strip())
            current = Block(doc, number, fence.group(1), *(marker.groups() if marker else ("", "")))
        elif current is not None and line.strip() == "```":
            found.append(current)
            current = None
        elif current is not None:
            current.lines.append(line)
        previous = line
    return found


def split_comment(line: str) -> tuple[str, str]:
    """`command   # comment` -> (command, comment); a `#` inside quotes or backticks is not a comment."""
    quote = ""
    for index, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"`":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index].strip(), line[index + 1 :].strip()
    return line.strip(), ""


def commands(block: Block) -> list[tuple[str, int]]:
    """(command, expected exit status) for each command line of a shell block."""
    result = []
    for line in block.lines:
        command, comment = split_comment(line)
        if command:
            expected = EXIT.search(comment)
            result.append((command, int(expected.group(1)) if expected else 0))
    return result


def make_target(name: str) -> list[str]:
    """The recipe lines of a Makefile target (their component commands, not `make` itself)."""
    recipe, inside = [], False
    for line in (REPO / "Makefile").read_text().splitlines():
        if re.match(rf"^{re.escape(name)}:", line):
            inside = True
        elif inside and line.startswith("\t"):
            recipe.append(line.strip().lstrip("@"))
        elif inside:
            break
    return recipe


def pin_today(command: str) -> str:
    """Insert --today after `agentid <subcommand>` when the subcommand judges dates and the doc did not pin one."""

    def insert(match: re.Match[str]) -> str:
        sub = match.group(2)
        if sub in TAKES_TODAY and "--today" not in command:
            return f"{match.group(0)} --today {TODAY.isoformat()}"
        return match.group(0)

    return re.sub(r"(\.venv/bin/agentid) ([a-z-]+)", insert, command)


def runnable(command: str) -> list[str] | None:
    """The shell commands to run for a documented one, [] for a documented skip, None when unknown."""
    words = shlex.split(command, posix=True) if command else []
    if command == "make demo":
        return make_target("demo")[1:] if make_target("demo")[0].startswith("scripts/setup") else make_target("demo")
    if any(command == known or command.startswith(known + " ") for known in NOT_RUN):
        return []
    program = words[0] if words else ""
    if command.startswith('eval "$(_AGENTID_COMPLETE=') and command.endswith(' .venv/bin/agentid)"'):
        return [command]  # shell completion: the script must generate and load in bash
    if program in {".venv/bin/agentid", "cat"} or (program == "git" and words[1] in {"switch", "add", "commit"}):
        return [command]
    return None


def repo_copy(tmp: Path) -> Path:
    """A git repository built from the sample registry and the tool (:func:`fixture_repo`), `main` checked out and
    an `origin/main` ref, .venv linked: the documented commands never see the live registry."""
    fixture_repo(tmp, *COPIED_FIXTURES)
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A", "--", "."],
        ["commit", "-q", "-m", "sample registry"],
        ["update-ref", "refs/remotes/origin/main", "HEAD"],
    ):
        subprocess.run(["git", *args], cwd=tmp, check=True, env={**os.environ, **GIT_ENV}, capture_output=True)
    return tmp


def run(root: Path, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", pin_today(command)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **GIT_ENV, "COLUMNS": "200", "NO_COLOR": "1"},
    )


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_documented_commands_run_as_documented(doc: Path, tmp_path: Path):
    root = repo_copy(tmp_path)
    last: subprocess.CompletedProcess[str] | None = None
    ran = 0
    for block in blocks(doc):
        if block.marker == "credentials":
            assert any(cmd.startswith("pulumi ") for cmd, _ in commands(block)), (
                f"{block.where}: a `credentials` block must hold the pulumi command that needs them"
            )
            continue
        if block.marker == "file":
            target = root / block.argument
            target.write_text("\n".join(block.lines) + "\n", encoding="utf-8")
            continue
        if block.marker == "output":
            assert last is not None, f"{block.where}: an output block needs a command before it"
            printed = last.stdout.splitlines()
            missing = [line for line in block.lines if line.strip() and line not in printed]
            assert not missing, f"{block.where}: the command does not print {missing}; it printed:\n{last.stdout}"
            continue
        if block.lang not in {"sh", "bash", "shell"}:
            continue
        for command, expected in commands(block):
            steps = runnable(command)
            assert steps is not None, (
                f"{block.where}: `{command}` is new to tests/docs/test_readme.py: teach runnable() to run it, "
                "or mark its block <!-- docs-test: credentials --> if it needs credentials"
            )
            for step in steps:
                last = run(root, step)
                ran += 1
                assert last.returncode == expected, (
                    f"{block.where}: `{step}` exited {last.returncode}, the doc says {expected}\n"
                    f"stdout:\n{last.stdout[-3000:]}\nstderr:\n{last.stderr[-3000:]}"
                )
    assert ran or not any(b.lang == "sh" and not b.marker for b in blocks(doc)), f"{doc}: no command ran"


def test_the_tree_is_untouched_by_the_docs_test(tmp_path: Path):
    """The walkthrough's agent exists only in the temporary copy: the live registry (which may well hold an
    invoice-matcher of its own) is not touched by the documented commands."""
    before = sorted((path.name, path.stat().st_mtime_ns) for path in (REPO / "agents").iterdir())
    root = repo_copy(tmp_path)
    (scaffold,) = [cmd for b in blocks(REPO / "README.md") for cmd, _ in commands(b) if " new invoice-matcher " in cmd]
    assert run(root, scaffold).returncode == 0
    assert (root / "agents" / "invoice-matcher.yaml").is_file() and not root.is_relative_to(REPO)
    assert sorted((path.name, path.stat().st_mtime_ns) for path in (REPO / "agents").iterdir()) == before


# --- troubleshooting: the quoted messages are what the tools print on the broken inputs people actually write ---


def walkthrough_agent() -> str:
    (block,) = [b for b in blocks(REPO / "README.md") if b.marker == "file"]
    return "\n".join(block.lines) + "\n"


def broken_inputs_output(root: Path) -> str:
    """Run the tools on each mistake in turn (restoring the tree after each) and collect everything printed."""
    agent = walkthrough_agent()
    path = root / "agents" / "invoice-matcher.yaml"
    reconciler = root / "agents" / "finance-reconciler.yaml"
    original_reconciler = reconciler.read_text()
    mistakes: list[tuple[Path, str, str]] = [
        (path, agent.replace("team: finance-systems\n", "team: finance-systems\nteam: finance\n"), "validate"),
        (path, agent.replace("environments:", "enviroments:"), "validate"),
        (path, agent.replace("- name: finance.ledger.read", "- name: finance.ledger.reed"), "validate"),
        (path, agent.replace("name: invoice-matcher", "name: invoice-matching"), "validate"),
        (reconciler, original_reconciler.replace("      e: AQAB\n", "      e: AQAB\n      d: AQAB\n"), "validate"),
        (path, agent.replace("maria.lopez@example.com", "new.hire@example.com"), "codeowners --check"),
        (path, agent, "codeowners --check"),  # a new agent, CODEOWNERS not regenerated
    ]
    printed = []
    for target, text, args in mistakes:
        target.write_text(text, encoding="utf-8")
        result = run(root, f".venv/bin/agentid {args}")
        assert result.returncode == 1, f"`agentid {args}` on a broken {target.name} exited {result.returncode}"
        printed += [result.stdout, result.stderr]
        path.unlink(missing_ok=True)
        reconciler.write_text(original_reconciler, encoding="utf-8")
    # the walkthrough's scaffold, checked before its TODOs are filled in
    scaffold = [cmd for b in blocks(REPO / "README.md") for cmd, _ in commands(b) if " new invoice-matcher " in cmd]
    result = run(root, f"{scaffold[0]} && .venv/bin/agentid check --registry-only")
    assert result.returncode == 1, result.stdout + result.stderr
    printed += [result.stdout, result.stderr]
    path.unlink()
    subprocess.run(["git", "update-ref", "-d", "refs/remotes/origin/main"], cwd=root, check=True)
    result = run(root, ".venv/bin/agentid review --base origin/main")
    assert result.returncode == 2
    printed += [result.stdout, result.stderr]
    return "\n".join(printed)


def test_troubleshooting_quotes_real_messages(tmp_path: Path):
    quoted = [
        (block, line)
        for doc in DOCS
        for block in blocks(doc)
        if block.marker == "troubleshooting"
        for line in block.lines
        if line.strip()
    ]
    assert len(quoted) >= 8, "the README's troubleshooting section lost its quoted messages"
    printed = broken_inputs_output(repo_copy(tmp_path)).splitlines()
    for block, line in quoted:
        pattern = re.compile(".*".join(map(re.escape, line.split("…"))) + "$")
        assert any(pattern.fullmatch(out) for out in printed), f"{block.where}: no tool prints {line!r}"


def test_the_waiver_example_is_a_valid_waiver(tmp_path: Path):
    """The README's waiver snippet, pasted into the walkthrough's agent, passes the loader and the waiver rules."""
    (snippet,) = [b for b in blocks(REPO / "README.md") if b.lang == "yaml" and b.lines[0] == "waivers:"]
    root = repo_copy(tmp_path)
    agent = walkthrough_agent().replace("waivers: []\n", "\n".join(snippet.lines) + "\n")
    assert "approved_by:" in agent
    (root / "agents" / "invoice-matcher.yaml").write_text(agent, encoding="utf-8")
    result = run(root, ".venv/bin/agentid check --registry-only")
    assert result.returncode == 0, result.stdout + result.stderr
