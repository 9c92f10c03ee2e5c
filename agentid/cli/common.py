"""Options and helpers shared by the commands: where the repository is, loading it, today's date, output."""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from agentid.findings import Finding, sorted_findings
from agentid.output.text import problem_line

if TYPE_CHECKING:
    from agentid.registry import LoadResult

F = TypeVar("F", bound=Callable[..., Any])

#: exit statuses every command shares (README "Exit status"): 0 ok; 1 findings, which include a definition that
#: fails to load (the same in every command that reads the registry: a report that leaves an agent out says so and
#: exits 1); 2 usage errors (a flag, a missing directory, a broken catalog or settings file); 3 a bug in agentid.
EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def find_root(start: Path | None = None) -> Path:
    """The repository root: the nearest directory upward holding ``Pulumi.yaml``, else the current directory."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "Pulumi.yaml").is_file():
            return candidate
    return here


@dataclass(frozen=True, slots=True)
class RepoPaths:
    root: Path
    agents: Path
    catalog: Path


def registry_options(func: F) -> F:
    """``--agents`` and ``--catalog``, defaulting to the repository's own."""

    @click.option(
        "--agents",
        "agents_dir",
        type=click.Path(path_type=Path, file_okay=False),
        help="Directory of agent definitions. Default: agents/ at the repository root.",
    )
    @click.option(
        "--catalog",
        "catalog_file",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Scope and purpose catalog. Default: policies/catalog.yaml at the repository root.",
    )
    @functools.wraps(func)
    def wrapper(*args: Any, agents_dir: Path | None, catalog_file: Path | None, **kwargs: Any) -> Any:
        root = find_root()
        paths = RepoPaths(
            root=root, agents=agents_dir or root / "agents", catalog=catalog_file or root / "policies" / "catalog.yaml"
        )
        return func(*args, paths=paths, **kwargs)

    return wrapper  # type: ignore[return-value]


def cache_option(func: F) -> F:
    """``--no-cache``: plan every identity, neither reading nor writing the plan cache (agentid/plan/incremental.py)."""
    return click.option(
        "--no-cache",
        "no_cache",
        is_flag=True,
        help="Plan every identity in full: do not reuse or store plan results in .agentid-cache/ "
        "(AGENTID_CACHE=off does the same).",
    )(func)


def today_option(func: F) -> F:
    """``--today``: every date-dependent judgement takes the date as input so tests and CI runs are reproducible."""
    return click.option(
        "--today",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default=None,
        help="Judge dates as of this day (YYYY-MM-DD). Default: the current UTC date.",
        callback=lambda _ctx, _param, value: value.date() if value else dt.datetime.now(dt.UTC).date(),
    )(func)


def load_or_exit(paths: RepoPaths, *, meanwhile: Callable[[], None] | None = None) -> LoadResult:
    """Load the registry; a missing directory or broken catalog is a usage error with what to do next.
    ``meanwhile``: work to overlap with reading the files (see :func:`agentid.registry.load_registry`)."""
    from agentid.registry import CatalogError, load_registry  # here: `detect --profile` never loads the registry

    if not paths.agents.is_dir():
        raise click.UsageError(
            f"agents directory {paths.agents} does not exist. "
            "Run agentid from the repository root or pass --agents DIR."
        )
    if not paths.catalog.is_file():
        raise click.UsageError(
            f"catalog {paths.catalog} does not exist. Run agentid from the repository root or pass --catalog FILE."
        )
    try:
        return load_registry(paths.agents, paths.catalog, root=paths.root, meanwhile=meanwhile)
    except CatalogError as exc:
        for finding in exc.findings:
            click.echo(problem_line(finding, "error"), err=True)
        click.echo(f"agentid: fix the catalog {paths.catalog} as shown above, then re-run.", err=True)
        raise click.exceptions.Exit(EXIT_USAGE) from None


def report_unloaded(command: str, result: LoadResult) -> list[str]:
    """Name, on standard error, the definitions that fail to load (a report on the rest would silently omit them),
    each problem as ``file:line:col: error: message`` with its fix; return their files. A command that goes on
    without them exits :data:`EXIT_FINDINGS`."""
    errors = [f for f in result.findings if f.severity == "error"]
    skipped = sorted({f.file or "?" for f in errors})
    if skipped:
        echo_findings(errors)
        click.echo(
            f"agentid {command}: {len(skipped)} definition(s) fail to load and are left out: {', '.join(skipped)} "
            "(run `agentid validate`); exit status 1",
            err=True,
        )
    return skipped


def echo_findings(findings: Iterable[Finding]) -> None:
    """Findings on standard error as ``file:line:col: severity: message [rule]`` and a ``fix:`` line."""
    from agentid.output.text import render_finding

    for finding in sorted_findings(findings):
        click.echo(render_finding(finding, colour=False), err=True)


def refuse_unloaded(command: str, result: LoadResult, consequence: str) -> None:
    """Stop with :data:`EXIT_FINDINGS` when a definition fails to load, for a command whose output would be wrong
    without it (``consequence`` says how); the problems are printed with their fixes."""
    errors = [f for f in result.findings if f.severity == "error"]
    if errors:
        echo_findings(errors)
        files = sorted({f.file or "?" for f in errors})
        click.echo(
            f"agentid {command}: {len(files)} definition(s) fail to load ({', '.join(files)}); {consequence}. "
            "Fix them (`agentid validate` lists the same problems) and re-run.",
            err=True,
        )
        raise click.exceptions.Exit(EXIT_FINDINGS)


def write_output(text: str, output: Path | None) -> None:
    """Write to ``--output`` (atomically, so a failed run never leaves half a report) or standard output."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
        return
    write_atomically(
        output,
        (text if text.endswith("\n") else text + "\n").encode("utf-8"),
        f"cannot write {output}",
        "Choose a path in a directory you can write to, or leave out --output to print to standard output.",
    )


def write_atomically(target: Path, data: bytes, what: str, advice: str = "") -> None:
    """Write ``data`` to ``target`` through a ``.partial`` file renamed into place, so a failed run never leaves half
    a file to be read; a failure is a usage error saying ``what`` failed, why, and ``advice``."""
    partial = target.with_name(target.name + ".partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(data)
        partial.replace(target)
    except OSError as exc:
        if partial.parent.is_dir():
            partial.unlink(missing_ok=True)  # never leave half a file behind
        raise click.UsageError(f"{what}: {exc.strerror or exc}" + (f". {advice}" if advice else "")) from None


def summary_counts(findings: list[Finding] | tuple[Finding, ...]) -> dict[str, int]:
    errors = sum(1 for f in findings if f.severity == "error" and not f.waived)
    warnings = sum(1 for f in findings if f.severity == "warning" and not f.waived)
    waived = sum(1 for f in findings if f.waived)
    return {"errors": errors, "warnings": warnings, "waived": waived}


#: ``--format text|json`` for the commands whose output is a report for people or a document for tools.
text_or_json_option = click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for tools.",
)
