"""Whole-process measurements: wall time and peak resident memory of one command, as a user would run it.

In-process timers would miss interpreter start-up and imports, which are most of what a pre-commit hook costs.
Each command runs as its own process; ``os.wait4`` returns that process's own resource usage, so its peak RSS
is not mixed up with any other measurement's (``RUSAGE_CHILDREN`` would keep the largest child seen so far).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: GNU time, for the measured child's own peak RSS (see run_once); wait4's rusage is the fallback.
TIME = Path("/usr/bin/time")


class CommandFailed(Exception):
    """A measured command exited with an unexpected status: its timing would be meaningless."""

    def __init__(self, argv: Sequence[str], status: int, stderr: str):
        tail = stderr.strip().splitlines()[-12:]
        super().__init__(f"`{' '.join(argv)}` exited {status}:\n" + "\n".join(tail))
        self.status = status


@dataclass(frozen=True, slots=True)
class Run:
    """One execution: wall seconds, peak RSS in MiB, exit status, the captured output, and CPU seconds.

    CPU is user + system time of the command and every descendant it waited for (``os.wait4`` accounts reaped
    children to their parent): a command that spreads its work over several cores shows a wall time below its CPU
    time, and the report gives both so that a ratio won by parallelism is visible as such.
    """

    seconds: float
    peak_rss_mib: float
    status: int
    stdout: bytes
    stderr: bytes
    cpu_seconds: float | None = None


@dataclass(slots=True)
class Measurement:
    """Repeated runs of one command; the median is reported (robust to one noisy run on a shared machine)."""

    label: str
    argv: tuple[str, ...]
    runs: list[Run] = field(default_factory=list)
    note: str = ""

    @property
    def seconds(self) -> float:
        return statistics.median(run.seconds for run in self.runs)

    @property
    def cpu_seconds(self) -> float | None:
        """Median CPU seconds over the runs, or None when a run was not measured for CPU (an old JSON twin)."""
        cpu = [run.cpu_seconds for run in self.runs]
        return None if any(c is None for c in cpu) else statistics.median(c for c in cpu if c is not None)

    @property
    def min_seconds(self) -> float:
        return min(run.seconds for run in self.runs)

    @property
    def peak_rss_mib(self) -> float:
        return max(run.peak_rss_mib for run in self.runs)

    @property
    def last(self) -> Run:
        return self.runs[-1]


def run_once(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    ok_status: Sequence[int] = (0,),
) -> Run:
    """Run ``argv`` to completion and measure it. Raises :class:`CommandFailed` on an unexpected exit status.

    Output goes to temporary files, not pipes: the child is reaped by ``os.wait4`` (which is what yields its own
    rusage), so nothing else may wait for it, and files cannot fill up and stall the child as a pipe would.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile() as rss:
        command = list(argv)
        if TIME.exists():
            # The child's own peak RSS: Linux carries the forking parent's high-water mark into a child's
            # ru_maxrss, so a runner that grew (events, plans) would otherwise show up in every small command.
            command = [str(TIME), "-f", "%M", "-o", rss.name, *command]
        start = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )
        _pid, wait_status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(wait_status)  # reaped here: Popen must not wait again
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
        peak_kib = _time_peak_kib(Path(rss.name)) if TIME.exists() else None
    status = process.returncode
    if status not in ok_status:
        raise CommandFailed(argv, status, stderr.decode("utf-8", "replace"))
    peak = (peak_kib if peak_kib is not None else usage.ru_maxrss) / 1024
    return Run(seconds, peak, status, stdout, stderr, cpu_seconds=usage.ru_utime + usage.ru_stime)


def _time_peak_kib(path: Path) -> int | None:
    """The last line ``/usr/bin/time -f %M`` wrote (KiB), or None (e.g. the child was killed)."""
    try:
        lines = path.read_text(encoding="utf-8").strip().splitlines()
        return int(lines[-1]) if lines else None
    except (OSError, ValueError):
        return None


def measure(
    label: str,
    argv: Sequence[str],
    *,
    repeat: int,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    ok_status: Sequence[int] = (0,),
    note: str = "",
) -> Measurement:
    """Run ``argv`` ``repeat`` times (one discarded warm-up run first, so the page cache is warm for everyone)."""
    run_once(argv, cwd=cwd, env=env, ok_status=ok_status)
    result = Measurement(label, tuple(argv), note=note)
    for _ in range(repeat):
        result.runs.append(run_once(argv, cwd=cwd, env=env, ok_status=ok_status))
    return result


@dataclass(frozen=True, slots=True)
class Command:
    """One command of a group measured side by side."""

    key: str
    label: str
    argv: tuple[str, ...]
    ok_status: tuple[int, ...] = (0,)


def measure_interleaved(
    commands: Sequence[Command],
    *,
    repeat: int,
    warm_up: bool,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> dict[str, Measurement]:
    """Run ``commands`` in rounds (A B C, A B C, ...), so a burst of load on a shared machine hits every command of
    the group alike instead of skewing one of them: the ratios between them are what the targets judge."""
    if warm_up:
        for command in commands:
            run_once(command.argv, cwd=cwd, env=env, ok_status=command.ok_status)
    results = {c.key: Measurement(c.label, c.argv) for c in commands}
    for _ in range(repeat):
        for command in commands:
            results[command.key].runs.append(run_once(command.argv, cwd=cwd, env=env, ok_status=command.ok_status))
    return results
