"""Loading on several cores gives exactly what loading in one process gives: same models, positions and findings.

The registry here mixes the sample agents with every kind of broken file (YAML errors, schema errors, private key
material, a wrong suffix, a name mismatch) and names that collide across the workers' chunks, so each worker sees
both kinds of result and the cross-file checks run on merged results.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from agentid.registry import forkmap, load_registry
from agentid.registry import loader as loader_mod
from tests.conftest import AGENTS_DIR, CATALOG, FIXTURES, REPO, SAMPLE_REPO

INVALID = FIXTURES / "agents" / "invalid"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux only")


@pytest.fixture(scope="module")
def mixed_registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Sample agents, every invalid fixture, case-insensitive duplicate names and a `.yml` file, in one folder."""
    folder = tmp_path_factory.mktemp("registry") / "agents"
    folder.mkdir()
    for source in [*AGENTS_DIR.glob("*.yaml"), *INVALID.glob("*.yaml")]:
        shutil.copy(source, folder / source.name)
    summariser = (AGENTS_DIR / "meeting-summarizer.yaml").read_text(encoding="utf-8")
    # The same agent under another file name (a duplicate name and a name mismatch), sorted to the far end.
    (folder / "zz-meeting-summarizer-copy.yaml").write_text(summariser, encoding="utf-8")
    (folder / "Meeting-Summarizer.yaml").write_text(
        summariser.replace("name: meeting-summarizer", "name: Meeting-Summarizer"), encoding="utf-8"
    )
    (folder / "finance-reconciler-old.yml").write_text("name: finance-reconciler-old\n", encoding="utf-8")
    return folder


def _load(folder: Path, monkeypatch: pytest.MonkeyPatch, workers: int):
    """load_registry as the CLI calls it, with the worker count forced (the threshold lowered to these few files)."""
    monkeypatch.setattr(loader_mod, "PARALLEL_MIN_FILES", 1)
    monkeypatch.setattr(forkmap, "available_workers", lambda: workers)
    return load_registry(folder, CATALOG, root=REPO)


def _snapshot(result) -> tuple:
    """Everything a caller can see, positions included (Source.positions is left out of Agent equality)."""
    agents = [(agent, dict(agent.source.positions), agent.file) for agent in result.registry]
    return agents, result.findings, result.files


@pytest.mark.parametrize("workers", [2, 3, 5])
def test_parallel_loading_equals_serial_loading(mixed_registry, monkeypatch, workers):
    serial = _load(mixed_registry, monkeypatch, 1)
    parallel = _load(mixed_registry, monkeypatch, workers)
    assert _snapshot(parallel) == _snapshot(serial)
    rules = {f.rule for f in serial.findings}
    # The fixture really exercises the hard cases (else this test could pass on a registry of valid files only).
    assert {"load.syntax", "load.schema", "private-key-material", "load.duplicate-name", "load.file-suffix"} <= rules
    assert len(serial.registry) >= 6


def test_workers_really_run_in_other_processes():
    pids = forkmap.fork_map(
        lambda _item: os.getpid(), list(range(6)), workers=3, encode=lambda r: r, decode=lambda r: r
    )
    assert pids[:2] == [os.getpid()] * 2
    assert len(set(pids[2:])) == 2 and os.getpid() not in pids[2:]


def test_a_failing_worker_is_redone_in_this_process():
    parent = os.getpid()

    def encode(value: int) -> int:
        if os.getpid() != parent:
            raise RuntimeError("a worker that cannot send its results")
        return value

    results = forkmap.fork_map(lambda item: item * 10, list(range(7)), workers=2, encode=encode, decode=lambda r: r)
    assert results == [item * 10 for item in range(7)]


def test_a_crashing_worker_is_redone_in_this_process():
    parent = os.getpid()

    def func(item: int) -> int:
        if os.getpid() != parent:
            os._exit(3)
        return item + 1

    assert forkmap.fork_map(func, list(range(5)), workers=2, encode=lambda r: r, decode=lambda r: r) == [1, 2, 3, 4, 5]


def test_the_environment_variable_caps_the_workers(monkeypatch, capsys):
    monkeypatch.setenv(forkmap.WORKERS_ENV, "1")
    assert forkmap.available_workers() == 1
    monkeypatch.setenv(forkmap.WORKERS_ENV, "two")
    forkmap.available_workers()
    assert "ignoring AGENTID_LOAD_WORKERS='two'" in capsys.readouterr().err


def test_small_registries_load_in_one_process(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("a registry below the threshold must not start workers")

    monkeypatch.setattr(forkmap, "_start_worker", refuse)
    assert len(load_registry(AGENTS_DIR, CATALOG, root=SAMPLE_REPO).registry) == 6


def test_workers_are_started_only_for_idle_cores(monkeypatch):
    monkeypatch.delenv(forkmap.WORKERS_ENV, raising=False)
    monkeypatch.setattr(forkmap, "_single_threaded", lambda: True)
    monkeypatch.setattr(forkmap.os, "sched_getaffinity", lambda _pid: {0, 1})
    for load, workers in [(0.0, 2), (1.0, 2), (1.4, 2), (1.6, 1), (2.0, 1), (7.5, 1)]:
        monkeypatch.setattr(forkmap.os, "getloadavg", lambda load=load: (load, load, load))
        assert forkmap.available_workers() == workers, load
    monkeypatch.setenv(forkmap.WORKERS_ENV, "2")  # an explicit number wins over the load
    assert forkmap.available_workers() == 2
    monkeypatch.setattr(forkmap, "_single_threaded", lambda: False)  # never fork a process running other threads
    assert forkmap.available_workers() == 1


def test_an_error_in_this_process_stops_the_workers(monkeypatch):
    parent = os.getpid()
    started = []
    start = forkmap._start_worker

    def recording_start(*args):
        started.append(start(*args))
        return started[-1]

    def func(item: int) -> int:
        if os.getpid() == parent:
            raise ValueError("a bug in the parent's share")
        return item

    monkeypatch.setattr(forkmap, "_start_worker", recording_start)
    with pytest.raises(ValueError, match="parent's share"):
        forkmap.fork_map(func, list(range(4)), workers=2, encode=lambda r: r, decode=lambda r: r)
    ((pid, _pipe),) = started
    with pytest.raises(ChildProcessError):  # the worker was stopped and reaped: nothing is left behind
        os.waitpid(pid, os.WNOHANG)


def test_a_worker_leaves_schema_errors_for_this_process_to_explain(mixed_registry):
    """Explaining a schema error may need the reference jsonschema (a costly import): a worker sends the rejected
    document back whole, and this process explains it exactly as one-process loading would have."""
    rejected = []
    for path in sorted(mixed_registry.glob("*.yaml")):
        outcome = loader_mod._check_agent_file((path, path.name))
        if isinstance(outcome, loader_mod._Unexplained):
            rejected.append(path)
            explained = loader_mod._explain(outcome, path.name, path.stem)
            _, findings = loader_mod.load_agent_bytes(path.read_bytes(), path.name, expected_name=path.stem)
            assert explained == findings, path.name
    assert rejected, "the mixed registry holds files the schema rejects"


# --------------------------------------------------------------------------------------------------- meanwhile


@pytest.mark.parametrize("workers", [1, 2, 3])
@pytest.mark.parametrize("count", [0, 1, 7])
def test_meanwhile_runs_once_in_this_process_and_never_reaches_a_worker(workers, count):
    """What the parent does meanwhile (the plan's SDK import) runs exactly once, here, after every worker is forked:
    no worker sees its effects (here a flag; for the SDK, its threads and locks)."""
    parent = os.getpid()
    state = {"imported": 0}

    def meanwhile() -> None:
        assert os.getpid() == parent
        state["imported"] += 1

    results = forkmap.fork_map(
        lambda item: (item, os.getpid(), state["imported"]),
        list(range(count)),
        workers=workers,
        encode=lambda r: r,
        decode=lambda r: r,
        meanwhile=meanwhile,
    )
    assert state["imported"] == 1
    assert [item for item, _pid, _seen in results] == list(range(count))
    if workers > 1 and count > 1:
        # every chunk went to a worker, each forked before `meanwhile` ran
        assert all(pid != parent and seen == 0 for _item, pid, seen in results)


def test_a_failing_meanwhile_propagates_and_leaves_no_worker_behind():
    def meanwhile() -> None:
        raise RuntimeError("the SDK failed to import")

    with pytest.raises(RuntimeError, match="failed to import"):
        forkmap.fork_map(
            lambda item: item,
            list(range(6)),
            workers=2,
            encode=lambda r: r,
            decode=lambda r: r,
            meanwhile=meanwhile,
        )
    with pytest.raises(ChildProcessError):  # every forked worker was stopped and reaped
        os.waitpid(-1, os.WNOHANG)


def test_loading_with_meanwhile_equals_loading_without(mixed_registry, monkeypatch):
    monkeypatch.setattr(loader_mod, "PARALLEL_MIN_FILES", 1)
    monkeypatch.setattr(forkmap, "available_workers", lambda: 2)
    calls: list[str] = []
    plain = load_registry(mixed_registry, CATALOG, root=REPO)
    overlapped = load_registry(mixed_registry, CATALOG, root=REPO, meanwhile=lambda: calls.append("sdk"))
    assert calls == ["sdk"]
    assert _snapshot(overlapped) == _snapshot(plain)


# --------------------------------------------------------------------------------------------------- fork_call


def test_a_forked_call_runs_in_another_process(monkeypatch):
    monkeypatch.setattr(forkmap, "available_workers", lambda: 2)
    pending = forkmap.fork_call(lambda: (os.getpid(), "finance-reconciler"))
    pid, name = pending.result()
    assert pid != os.getpid() and name == "finance-reconciler"


@pytest.mark.parametrize("failure", ["raises", "crashes", "cannot pickle"])
def test_a_failing_forked_call_is_made_here(monkeypatch, failure):
    monkeypatch.setattr(forkmap, "available_workers", lambda: 2)
    parent = os.getpid()

    def summarise() -> object:
        if os.getpid() != parent:
            if failure == "raises":
                raise RuntimeError("the child cannot judge")
            if failure == "crashes":
                os._exit(3)
            return lambda: "an answer pickle cannot carry"
        return ("meeting-summarizer", parent)

    assert forkmap.fork_call(summarise).result() == ("meeting-summarizer", parent)


def test_without_an_idle_core_the_call_is_made_by_result(monkeypatch):
    monkeypatch.setattr(forkmap, "available_workers", lambda: 1)
    made: list[int] = []
    pending = forkmap.fork_call(lambda: made.append(os.getpid()) or len(made))
    assert made == [], "nothing runs before the answer is asked for"
    assert pending.result() == 1 and made == [os.getpid()]


def test_a_cancelled_forked_call_leaves_no_child(monkeypatch):
    monkeypatch.setattr(forkmap, "available_workers", lambda: 2)
    import time

    pending = forkmap.fork_call(lambda: time.sleep(30))
    worker = pending._worker
    assert worker is not None
    pending.cancel()
    with pytest.raises(ChildProcessError):
        os.waitpid(worker[0], os.WNOHANG)
