"""The examples in every command's ``--help`` are commands that work, not just text that says "Example".

Each example line is parsed by the command itself (an option renamed or a value no longer accepted fails here), and
every repository path it names must exist. The validate examples, cheap and offline, are also run.
"""

from __future__ import annotations

import itertools
import shlex
from pathlib import Path

import click
import pytest

from agentid.cli.main import COMMANDS, cli, main
from tests.conftest import fixture_repo

#: Options whose value is a path in this repository (not a report the example writes, nor a user's own export).
REPO_PATH_OPTIONS = ("--agents", "--catalog", "--settings")


def _examples(command: str) -> list[list[str]]:
    """The ``agentid ...`` lines under "Example(s):" in the help text, as argument lists (pipes, redirections and
    comments cut off, ``\\`` continuations joined)."""
    help_text = cli.get_command(click.Context(cli), command).help or ""
    lines = help_text.split("Example", 1)[1].splitlines()[1:] if "Example" in help_text else []
    joined: list[str] = []
    for line in lines:
        if not line.strip():
            break
        if joined and joined[-1].endswith("\\"):
            joined[-1] = joined[-1][:-1] + " " + line.strip()
        else:
            joined.append(line.strip())
    examples = []
    for line in joined:
        words = shlex.split(line, comments=True)
        if not words or words[0] != "agentid":
            continue  # e.g. `pulumi stack output --json > outputs.json` before the agentid line that reads it
        cut = next((i for i, word in enumerate(words) if word in ("|", ">", ">>")), len(words))
        examples.append(words[1:cut])
    return examples


@pytest.fixture(scope="module")
def example_repo(tmp_path_factory) -> Path:
    """The examples run where a user runs them: a repository (the sample registry, the tool and its test fixtures,
    which some examples name)."""
    return fixture_repo(tmp_path_factory.mktemp("help-examples"), "tests/fixtures")


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help_examples_parse_and_name_existing_paths(command: str, monkeypatch, example_repo: Path):
    monkeypatch.chdir(example_repo)
    examples = _examples(command)
    assert examples, f"`agentid {command} --help` shows no `agentid {command} ...` example"
    for words in examples:
        example = "agentid " + shlex.join(words)
        assert words[0] == command, f"an example in `agentid {command} --help` runs another command: {example}"
        target = cli.get_command(click.Context(cli), command)
        try:
            target.make_context(command, list(words[1:]))
        except click.ClickException as exc:
            pytest.fail(f"`{example}` (from `agentid {command} --help`) is rejected: {exc.format_message()}")
        for option, value in itertools.pairwise(words):
            if option in REPO_PATH_OPTIONS:
                assert (example_repo / value).exists(), f"`{example}`: {value} does not exist in the repository"


def test_validate_examples_run(capsys, monkeypatch, example_repo: Path):
    monkeypatch.chdir(example_repo)
    ran = 0
    for words in _examples("validate"):
        code = main(words)
        out, err = capsys.readouterr()
        assert code in (0, 1), f"`agentid {shlex.join(words)}` exited {code}: {err}"
        assert "agents" in out or '"findings"' in out, f"`agentid {shlex.join(words)}` printed {out!r}"
        ran += 1
    assert ran >= 2, "validate --help shows at least two examples"
