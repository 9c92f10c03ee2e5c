"""Terminal behaviour every command shares (agentid.cli.console): colour only on a terminal and never under NO_COLOR,
progress on standard error only when it is a terminal, ``--quiet`` printing only findings, shell completion.

Terminals are real: the CLI runs in a subprocess whose stdout or stderr is a pseudo-terminal (``pty``), so what is
tested is what a person at a terminal sees, not a mocked ``isatty``.
"""

from __future__ import annotations

import errno
import json
import os
import pty
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from agentid.cli.main import main
from tests.conftest import FIXTURES, REPO

FAILING = str(FIXTURES / "policies" / "failing")
INVALID = str(FIXTURES / "agents" / "invalid")
PINNED = ("--today", "2026-12-01")
ESCAPE = "\x1b["
#: An SGR sequence that sets a colour (30-37, 90-97 foreground; 38;... extended), not just bold or a cursor move.
COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-79]|9[0-7]|38;[0-9;]+)m")


@pytest.fixture(autouse=True)
def _in_the_sample_repository(repo, monkeypatch):
    """Commands run in the tests' repository (conftest's ``repo``), never on whatever registry the tree holds."""
    monkeypatch.chdir(repo)


def run_cli(
    args: list[str], *, tty: str | None = None, env: dict[str, str] | None = None, cwd: Path | None = None
) -> tuple[int, str, str]:
    """Run ``agentid ARGS`` in ``cwd`` (default: the current directory); ``tty`` ("stdout" or "stderr") is
    connected to a pseudo-terminal of 120x40."""
    cwd = cwd or Path.cwd()
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM", "COLUMNS")}
    environment.update({"TERM": "xterm-256color", **(env or {})})
    command = [sys.executable, "-m", "agentid.cli.main", *args]
    if tty is None:
        done = subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=120)
        return done.returncode, done.stdout, done.stderr
    controller, terminal = pty.openpty()
    os.set_blocking(controller, True)
    import fcntl
    import struct
    import termios

    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, tty: terminal}
    process = subprocess.Popen(
        command, cwd=cwd, env=environment, stdin=subprocess.DEVNULL, stdout=streams["stdout"], stderr=streams["stderr"]
    )
    os.close(terminal)
    # The piped stream is drained on a thread while the terminal is read here: a report bigger than a pipe's buffer
    # would otherwise block the child, which would never close the terminal.
    piped: dict[str, bytes] = {}

    def communicate() -> None:
        piped["out"], piped["err"] = process.communicate(timeout=120)

    drain = threading.Thread(target=communicate)
    drain.start()
    seen = bytearray()
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError as exc:  # the terminal's other end closed: the child is done with it
            if exc.errno != errno.EIO:
                raise
            break
        if not chunk:
            break
        seen += chunk
    os.close(controller)
    drain.join(timeout=120)
    text = seen.decode("utf-8", errors="replace").replace("\r\n", "\n")
    out, err = (text, piped["err"].decode()) if tty == "stdout" else (piped["out"].decode(), text)
    return process.returncode, out, err


# --- colour -------------------------------------------------------------------------------------------------------
def test_findings_are_coloured_on_a_terminal():
    code, out, _ = run_cli(["validate", "--agents", INVALID], tty="stdout")
    assert code == 1 and COLOUR.search(out), out[:500]


@pytest.mark.parametrize(
    "command",
    [
        ["validate", "--agents", INVALID],
        ["check", "--agents", FAILING, "--registry-only", *PINNED],
        ["plan", "--stack", "dev", "--summary", *PINNED],
        ["rules"],
    ],
)
def test_no_color_turns_colour_off_on_a_terminal(command):
    """https://no-color.org: NO_COLOR set (to anything but "") means no colour, even on a terminal."""
    _code, out, _ = run_cli(command, tty="stdout", env={"NO_COLOR": "1"})
    assert out.strip(), "the command printed nothing"
    assert not COLOUR.search(out), f"{command[0]} coloured its output under NO_COLOR: {out[:300]!r}"
    assert ESCAPE not in out, f"{command[0]} styled its output under NO_COLOR: plain text expected: {out[:300]!r}"


def test_an_empty_no_color_does_not_turn_colour_off():
    _code, out, _ = run_cli(["validate", "--agents", INVALID], tty="stdout", env={"NO_COLOR": ""})
    assert COLOUR.search(out)


def test_the_plan_table_is_coloured_on_a_terminal_only_without_no_color():
    _code, coloured, _ = run_cli(["plan", "--stack", "dev", "--summary", *PINNED], tty="stdout")
    assert ESCAPE in coloured
    _code, piped, _ = run_cli(["plan", "--stack", "dev", "--summary", *PINNED])
    assert ESCAPE not in piped and "finance-reconciler" in piped


# --- progress -----------------------------------------------------------------------------------------------------
def test_progress_is_drawn_on_a_terminal_and_erased():
    code, out, err = run_cli(["check", "--stack", "dev", *PINNED], tty="stderr")
    assert code == 0
    assert "agentid check:" in err, f"no progress on a terminal: {err!r}"
    assert "offline plan of stack dev" in err or "registry rules" in err or "reading" in err
    assert ESCAPE in err, "a transient display moves the cursor back to erase itself"
    assert out.rstrip().endswith("(0 errors, 0 warnings, 0 waived)") and ESCAPE not in out, "stdout is the report"


@pytest.mark.parametrize("command", [["validate"], ["plan", "--stack", "dev", *PINNED], ["inventory", *PINNED]])
def test_other_long_commands_show_progress_on_a_terminal_only(command):
    _code, out, err = run_cli(command, tty="stderr")
    assert f"agentid {command[0]}:" in err and f"agentid {command[0]}:" not in out
    _code, _out, err = run_cli(command)
    assert f"agentid {command[0]}:" not in err


def test_progress_shows_a_path_as_text_not_markup(tmp_path):
    """A path or git ref in a step is shown as written: rich markup in it (``[/bold]``) would crash the display."""
    agents = tmp_path / "[/bold]agents"
    shutil.copytree(Path.cwd() / "agents", agents)
    code, out, err = run_cli(["validate", "--agents", str(agents)], tty="stderr")
    assert code == 0 and "valid (0 errors" in out and "[/bold]agents" in err, err[-500:]


def test_progress_under_no_color_draws_without_colour():
    code, _out, err = run_cli(["check", "--stack", "dev", *PINNED], tty="stderr", env={"NO_COLOR": "1"})
    assert code == 0 and "agentid check:" in err and not COLOUR.search(err), repr(err[:300])


def test_no_progress_when_stderr_is_not_a_terminal_or_quiet():
    code, _out, err = run_cli(["check", "--stack", "dev", *PINNED])
    # Off a terminal, stderr holds only the plan's mode (issue 19: "the output says which it did"), never progress.
    assert code == 0 and all(line.startswith("agentid: stack `dev`: ") for line in err.splitlines()), err
    code, _out, err = run_cli(["check", "--stack", "dev", "--quiet", *PINNED], tty="stderr")
    assert code == 0 and "agentid check:" not in err


# --- --quiet ------------------------------------------------------------------------------------------------------
def test_quiet_prints_only_findings(capsys):
    code = main(["check", "--agents", FAILING, "--registry-only", *PINNED, "--quiet"])
    out = capsys.readouterr().out
    assert code == 1
    lines = out.splitlines()
    assert lines and all(re.match(r"\S+:\d+(:\d+)?: (error|warning|waived): |    ", line) for line in lines), lines
    assert "rules: failed" not in out, "no summary line under --quiet"


@pytest.mark.parametrize(
    "command",
    [
        ["validate"],
        ["check", "--registry-only", *PINNED],
        ["check", "--stack", "dev", *PINNED],
        ["plan", "--stack", "dev", *PINNED],
    ],
)
def test_quiet_prints_nothing_when_nothing_is_wrong(capsys, command):
    assert main([*command, "-q"]) == 0
    assert capsys.readouterr().out == ""


def test_quiet_validate_still_prints_findings_and_fails(capsys):
    assert main(["validate", "--agents", INVALID, "-q"]) == 1
    out = capsys.readouterr().out
    assert ": error: " in out and "files," not in out


def test_quiet_leaves_machine_formats_whole(capsys):
    assert main(["check", "--registry-only", *PINNED, "--format", "json", "-q"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["agents"] == 6
    assert main(["plan", "--stack", "dev", *PINNED, "--format", "json", "-q"]) == 0
    assert json.loads(capsys.readouterr().out)["resources"]


# --- the demo's plan summary --------------------------------------------------------------------------------------
def test_plan_summary_is_one_line_per_agent(capsys):
    assert main(["plan", "--stack", "dev", "--summary", *PINNED]) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) < 25, out
    row = next(line for line in out.splitlines() if "okta-user-auditor" in line)
    assert "1 AppOauthApiScope" in row and "1 OauthRoleAssignment" in row and "2 OAuth" in row
    assert re.search(r"stack dev as of 2026-12-01: \d+ Okta resources", out)
    assert main(["plan", "--stack", "dev", "--summary", "--format", "json"]) == 2


def test_make_demo_prints_a_summary_not_every_resource():
    demo = re.search(r"^demo:.*?\n((?:\t.*\n)+)", (REPO / "Makefile").read_text(), re.MULTILINE)
    assert demo, "Makefile has no demo target"
    plans = [line for line in demo.group(1).splitlines() if "agentid plan" in line]
    assert plans and all("--summary" in line or "--quiet" in line for line in plans), plans


# --- shell completion ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("shell", "expected"),
    [
        ("bash", "complete -o nosort -F _agentid_completion agentid"),
        ("zsh", "#compdef agentid"),
        ("fish", "complete --no-files --command agentid"),
    ],
)
def test_shell_completion_script_generates(shell, expected):
    code, out, err = run_cli([], env={"_AGENTID_COMPLETE": f"{shell}_source"})
    assert code == 0 and expected in out, out + err


def test_completion_completes_commands_and_choices():
    env = {"_AGENTID_COMPLETE": "bash_complete", "COMP_WORDS": "agentid ch", "COMP_CWORD": "1"}
    assert run_cli([], env=env)[1].split() == ["plain,check"]
    env.update({"COMP_WORDS": "agentid check --format ", "COMP_CWORD": "3"})
    assert run_cli([], env=env)[1].split() == ["plain,text", "plain,json", "plain,sarif", "plain,junit"]
    env.update({"COMP_WORDS": "agentid plan --stack ", "COMP_CWORD": "3"})
    stacks = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in Path.cwd().glob("Pulumi.*.yaml"))
    assert stacks and run_cli([], env=env)[1].split() == [f"plain,{s}" for s in stacks], "--stack completes stacks"
