"""``check --registry-only`` frees the registry before the cyclic collector is back on.

Why it matters: the collector is paused for the whole command, so every object allocated meanwhile is counted as
young; if the registry were still alive when the collector comes back, the first collection would scan all of it
once more for nothing (~15 ms for 1,000 agents, more than the command's own rules take). The test looks at what
is alive at the very moment the pause ends.
"""

from __future__ import annotations

import contextlib
import gc
import shutil
from collections.abc import Iterator

import pytest

import agentid.cli.check as check_mod
from agentid.cli.main import main
from agentid.gcpause import cyclic_gc_paused
from agentid.registry.model import Agent
from tests.conftest import AGENTS_DIR, FIXTURES


@pytest.mark.parametrize("registry", ["agents", "failing"])
def test_no_agent_is_alive_when_the_collector_comes_back(registry: str, monkeypatch, capsys, tmp_path):
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

    monkeypatch.setattr(check_mod, "cyclic_gc_paused", watched_pause)
    code = main(["check", "--registry-only", "--agents", str(agents), "--today", "2026-12-01", "--format", "json"])
    out, _ = capsys.readouterr()
    assert code == (0 if registry == "agents" else 1), out
    assert '"agents": ' in out and '"agents": 0' not in out, "the registry was loaded and judged"
    assert alive_at_resume == [0]
