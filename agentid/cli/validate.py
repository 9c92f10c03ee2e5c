"""``agentid validate``: is every definition well-formed and consistent with the catalog?"""

from __future__ import annotations

import click

from agentid.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    RepoPaths,
    load_or_exit,
    registry_options,
    summary_counts,
    text_or_json_option,
)
from agentid.cli.console import colour_for, findings_text, progress, quiet_option
from agentid.findings import has_blocking, sorted_findings
from agentid.output import jsonout


@click.command()
@registry_options
@text_or_json_option
@quiet_option
def validate(paths: RepoPaths, output_format: str) -> int:
    """Check every agent definition against the schema and the catalog.

    Reports every problem in every file in one run, as file:line:col, with a suggested fix.
    Exit status: 0 valid, 1 invalid, 2 usage error.

    \b
    Examples:
      agentid validate
      agentid validate --format json > findings.json
      agentid validate --agents tests/fixtures/agents/invalid   # exit 1: one finding per kind of bad input
    """
    with progress("agentid validate") as steps:
        steps(f"reading {paths.agents}")
        result = load_or_exit(paths)
    findings = sorted_findings(result.findings)
    counts = summary_counts(findings)
    summary = {**counts, "files": len(result.files), "agents": len(result.registry)}
    if output_format == "json":
        click.echo(jsonout.render(findings, summary))
    else:
        status = "valid" if not has_blocking(findings) else "invalid"
        line = (
            f"{len(result.files)} files, {len(result.registry)} agents: {status} "
            f"({counts['errors']} errors, {counts['warnings']} warnings)"
        )
        click.echo(findings_text(findings, line, colour=colour_for()), nl=False)
    return EXIT_FINDINGS if has_blocking(findings) else EXIT_OK
