"""``agentid codeowners``: write (or check) .github/CODEOWNERS from agent owners and policies/owners.yaml."""

from __future__ import annotations

import difflib
from pathlib import Path

import click

from agentid.cli.common import EXIT_FINDINGS, EXIT_OK, RepoPaths, load_or_exit, registry_options, write_output
from agentid.output.inert import log_text
from agentid.output.text import problem_line


def _report(findings) -> None:
    for finding in findings:
        click.echo(problem_line(finding, "error"), err=True)
        if finding.remediation:
            click.echo(f"  fix: {log_text(finding.remediation)}", err=True)


@click.command()
@registry_options
@click.option(
    "--owners-map",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Owner email -> GitHub handle map. Default: policies/owners.yaml at the repository root.",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where CODEOWNERS lives. Default: .github/CODEOWNERS at the repository root.",
)
@click.option(
    "--check", is_flag=True, help="Do not write: exit 1 if the committed file differs from what it should be."
)
def codeowners(paths: RepoPaths, owners_map: Path | None, output: Path | None, check: bool) -> int:
    """Generate .github/CODEOWNERS so each agent's owners must approve changes to its definition.

    Each agents/<name>.yaml is owned by its owners' GitHub handles (from policies/owners.yaml); the security team
    owns policies/ and the CODEOWNERS file. An owner without a handle in the map is an error.

    Exit status: 0 written (or up to date with --check), 1 stale, an unmapped owner or an invalid definition,
    2 usage error.

    \b
    Examples:
      agentid codeowners            # regenerate, then commit .github/CODEOWNERS
      agentid codeowners --check    # in CI: fail when someone forgot to regenerate
    """
    from agentid.registry.loader import display_path
    from agentid.review.codeowners import OwnersMapError, load_owners_map, render_codeowners, unmapped_owners

    map_path = owners_map or paths.root / "policies" / "owners.yaml"
    target = output or paths.root / ".github" / "CODEOWNERS"
    if not map_path.is_file():
        raise click.UsageError(f"owners map {map_path} does not exist; create it or pass --owners-map FILE")
    result = load_or_exit(paths)
    errors = [f for f in result.findings if f.severity == "error"]
    if errors:
        _report(errors)
        click.echo("agentid codeowners: fix the definitions above first (see `agentid validate`).", err=True)
        return EXIT_FINDINGS
    try:
        owners = load_owners_map(map_path, display_path(map_path, paths.root))
    except OwnersMapError as exc:
        _report(exc.findings)
        return EXIT_FINDINGS
    unmapped = unmapped_owners(result.registry, owners)
    if unmapped:
        _report(unmapped)
        return EXIT_FINDINGS
    wanted = render_codeowners(result.registry, owners)
    shown = display_path(target, paths.root)
    current = target.read_text(encoding="utf-8") if target.is_file() else None
    if check:
        if current == wanted:
            click.echo(f"{shown} is up to date ({len(result.registry)} agents).")
            return EXIT_OK
        click.echo(f"{shown} is stale: run `agentid codeowners` and commit the result.", err=True)
        diff = difflib.unified_diff(
            (current or "").splitlines(keepends=True), wanted.splitlines(keepends=True), shown, f"{shown} (expected)"
        )
        click.echo("".join(diff), err=True, nl=False)
        return EXIT_FINDINGS
    if current == wanted:
        click.echo(f"{shown} is already up to date ({len(result.registry)} agents).")
        return EXIT_OK
    write_output(wanted, target)
    click.echo(f"wrote {shown} ({len(result.registry)} agents); commit it with the change.")
    return EXIT_OK
