"""``python -m benchmarks``: generate synthetic agents, or run every benchmark and write docs/benchmarks.md.

python -m benchmarks run --n 1000 --n 10000      # what `make bench` runs
python -m benchmarks generate out/ --n 500       # just the agent files (and a manifest of what was planted)
python -m benchmarks keys --rsa 600              # regenerate the committed pool of RSA public keys
"""

from __future__ import annotations

import datetime as dt
import shlex
import sys
from pathlib import Path

import click

from benchmarks.generate import DEFAULT_SEED, generate
from benchmarks.keys import RSA_POOL_PATH, generate_rsa_pool
from benchmarks.run import REPO, REPORT_JSON_PATH, REPORT_PATH

DEFAULT_TODAY = "2026-12-01"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """agentid benchmarks: floors, checkov and scale (see docs/benchmarks.md)."""


def _date(_ctx: click.Context, _param: click.Parameter, value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD") from None


@cli.command("generate")
@click.argument("out_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("--n", "count", type=click.IntRange(1, 100_000), required=True, help="How many agents.")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True)
@click.option("--today", default=DEFAULT_TODAY, show_default=True, callback=_date, help="Dates are relative to it.")
@click.option("--violations", type=click.FloatRange(0, 1), default=0.1, show_default=True,
              help="Share of agents with a planted violation.")  # fmt: skip
def generate_command(out_dir: Path, count: int, seed: int, today: dt.date, violations: float) -> None:
    """Write COUNT agents to OUT_DIR/agents/ and OUT_DIR/manifest.json (which agent carries which violation)."""
    manifest = generate(out_dir, count, seed=seed, today=today, violation_rate=violations)
    click.echo(f"wrote {manifest.n:,} agents ({len(manifest.planted):,} with planted violations) to {out_dir}/agents")


@cli.command("keys")
@click.option("--rsa", "count", type=click.IntRange(1, 100_000), required=True, help="How many RSA-2048 keys.")
@click.option("--out", "path", type=click.Path(path_type=Path, dir_okay=False), default=RSA_POOL_PATH,
              show_default=True)  # fmt: skip
def keys_command(count: int, path: Path) -> None:
    """Generate the pool of real RSA public keys synthetic agents use (RSA keys cannot be seeded, so it is committed;
    only the public numbers are written)."""
    generate_rsa_pool(count, path)
    click.echo(f"wrote {count:,} RSA public keys to {path}")


@cli.command("run")
@click.option("--n", "sizes", type=click.IntRange(10, 100_000), multiple=True, default=(1000, 10000),
              show_default=True, help="Registry sizes to measure (repeatable).")  # fmt: skip
@click.option("--work", type=click.Path(path_type=Path, file_okay=False), default=REPO / "benchmarks" / ".work",
              show_default=True, help="Scratch directory for generated files (git-ignored).")  # fmt: skip
@click.option("--repeat", type=click.IntRange(1, 20), default=3, show_default=True,
              help="Timed runs of each quick command (median reported).")  # fmt: skip
@click.option("--heavy-repeat", type=click.IntRange(1, 20), default=1, show_default=True,
              help="Timed runs of the plan, full check, SDK floor and checkov.")  # fmt: skip
@click.option("--checkov-max-files", type=click.IntRange(10, 100_000), default=2000, show_default=True,
              help="Run checkov on at most this many files; beyond, a subsample and an extrapolation.")  # fmt: skip
@click.option("--detect-events", type=click.IntRange(1000, 5_000_000), default=200_000, show_default=True)
@click.option("--today", default=DEFAULT_TODAY, show_default=True, callback=_date)
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), default=REPORT_PATH,
              show_default=True)  # fmt: skip
@click.option("--pr-only", is_flag=True,
              help="Measure only what a pull request waits for (registry-only check, incremental check and review); "
              "every other target reads `not measured`.")  # fmt: skip
def run_command(
    sizes: tuple[int, ...],
    work: Path,
    repeat: int,
    heavy_repeat: int,
    checkov_max_files: int,
    detect_events: int,
    today: dt.date,
    output: Path,
    pr_only: bool,
) -> None:
    """Measure every command against its floor for each N and write the report (and a JSON twin next to it)."""
    import os

    from benchmarks import report
    from benchmarks.run import Settings, bench_size, log

    settings = Settings(
        sizes=tuple(sizes),
        work=work,
        repeat=repeat,
        heavy_repeat=heavy_repeat,
        today=today,
        checkov_max_files=checkov_max_files,
        detect_events=detect_events,
        pr_only=pr_only,
    )
    machine = report.machine_facts(settings.checkov)
    log(f"machine: {machine.cores} cores, load {machine.load_before}, commit {machine.commit}")
    compile_project_bytecode()
    results = [bench_size(n, settings) for n in settings.sizes]
    machine.load_after = os.getloadavg()
    machine.finished = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = "python -m benchmarks run " + shlex.join(arg for n in sizes for arg in ("--n", str(n)))
    command += " --pr-only" if pr_only else ""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report.render(results, machine, command), encoding="utf-8")
    output.with_suffix(".json").write_text(report.to_json(results, machine, command), encoding="utf-8")
    failed = [t.name for r in results for t in r.targets if t.passed is False]
    click.echo(f"wrote {output} ({len(failed)} target(s) failed)")


def compile_project_bytecode() -> None:
    """Compile the project's modules once, as an install (or any earlier run) would have.

    The floors import PyYAML and orjson from site-packages, where pip compiled them; with PYTHONDONTWRITEBYTECODE
    set (as on this machine) every measured agentid process would otherwise compile ~5,000 lines of source again,
    a cost (~30 ms a process) that no user who has run agentid once pays. compileall writes the ``__pycache__``
    files (git-ignored) regardless of that setting, and imports read them."""
    import compileall

    from benchmarks.run import REPO

    for package in ("agentid", "policies", "infra"):
        if not compileall.compile_dir(REPO / package, quiet=1):
            raise click.ClickException(f"could not compile {package}/ (a syntax error?)")


@cli.command("report")
@click.option("--input", "source", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              default=REPORT_JSON_PATH, show_default=True)  # fmt: skip
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), default=REPORT_PATH,
              show_default=True)  # fmt: skip
def report_command(source: Path, output: Path) -> None:
    """Re-render the report from the JSON a run wrote (e.g. after editing benchmarks/notes.md); measures nothing."""
    from benchmarks import report

    results, machine, command = report.from_json(source.read_text(encoding="utf-8"))
    output.write_text(report.render(results, machine, command), encoding="utf-8")
    click.echo(f"wrote {output} from {source}")


if __name__ == "__main__":
    sys.exit(cli())
