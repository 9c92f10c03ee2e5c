"""The cyclic collector is off for a whole command, and ``check --registry-only`` has freed the registry when it is
back on.

Why it matters: every object allocated while the collector is paused is counted as young; if the registry were still
alive when the collector comes back (at the end of :func:`agentid.cli.main.main`), the first collection would scan
all of it once more for nothing (~15 ms for 1,000 agents, more than the command's own rules take; 0.8 s at 10,000
agents once, when a memo of the verdict cache held it). The test looks at what is alive at the very moment the
pause ends.
"""

from __future__ import annotations

import contextlib
import gc
import shutil
import tomllib
from collections.abc import Iterator

import pytest

import agentid.cli.main as main_mod
from agentid.cli.common import EXIT_FINDINGS
from agentid.cli.main import main
from agentid.gcpause import cyclic_gc_paused
from agentid.registry.model import Agent
from tests.conftest import AGENTS_DIR, FIXTURES, REPO


@pytest.mark.parametrize("cache", ["off", "on"])
@pytest.mark.parametrize("registry", ["agents", "failing"])
def test_no_agent_is_alive_when_the_collector_comes_back(registry: str, cache: str, monkeypatch, capsys, tmp_path):
    """With the verdict cache on too: nothing it keeps may hold the registry (a memo of its digest once did, and the
    collector then scanned 10,000 agents at exit, 0.8 s)."""
    if cache == "on":
        monkeypatch.delenv("AGENTID_CACHE", raising=False)
        monkeypatch.setenv("AGENTID_CACHE_DIR", str(tmp_path / "cache"))
    source = AGENTS_DIR if registry == "agents" else FIXTURES / "policies" / "failing"
    agents = tmp_path / "agents"  # a copy: agents loaded by other tests (session fixtures) are not this run's
    shutil.copytree(source, agents)
    alive_at_resume: list[int] = []

    @contextlib.contextmanager
    def watched_pause() -> Iterator[None]:
        with cyclic_gc_paused():
            yield
            mine = [o for o in gc.get_objects() if isinstance(o, Agent) and o.file.startswith(str(tmp_path))]
            alive_at_resume.append(len(mine))

    monkeypatch.setattr(main_mod, "cyclic_gc_paused", watched_pause)
    code = main(["check", "--registry-only", "--agents", str(agents), "--today", "2026-12-01", "--format", "json"])
    out, _ = capsys.readouterr()
    assert code == (0 if registry == "agents" else 1), out
    assert '"agents": ' in out and '"agents": 0' not in out, "the registry was loaded and judged"
    assert alive_at_resume == [0]


@pytest.mark.parametrize("failing", [False, True])
def test_a_command_runs_with_the_collector_paused_and_main_restores_it(failing: bool, monkeypatch):
    """The cyclic collector is off for the whole command (agentid.gcpause: at 10,000 agents a pull request's check and
    review each spent ~0.8 s in collections) and back on when main() returns, whether the command failed or not."""

    states: list[bool] = []

    def command(**_kwargs):
        states.append(gc.isenabled())
        if failing:
            raise RuntimeError("the meeting summariser's plan blew up")
        return 0

    monkeypatch.setattr(main_mod.cli, "main", command)
    assert gc.isenabled()
    code = main_mod.main(["validate"])
    assert states == [False]
    assert gc.isenabled(), "main() must hand the collector back on"
    assert code == (3 if failing else 0)


def test_the_console_script_exits_with_mains_code_and_every_object_frozen(monkeypatch):
    """``agentid`` is :func:`agentid.cli.main.run`: main's exit status, and then every live object frozen, so the
    interpreter's shutdown collections walk none of them (agentid.gcpause.skip_exit_collections: ~0.15 s of a pull
    request's 1.1 s check at 1,000 agents)."""
    monkeypatch.setattr(main_mod, "main", lambda argv=None: EXIT_FINDINGS)
    gc.unfreeze()  # the collector's normal state, whatever ran before in this process
    try:
        assert main_mod.run() == EXIT_FINDINGS
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_the_installed_command_is_the_console_script_that_skips_the_exit_collections():
    """pyproject.toml's ``[project.scripts]`` names :func:`agentid.cli.main.run`, not :func:`main` (which tests and
    other callers that go on running use)."""
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts == {"agentid": "agentid.cli.main:run"}
