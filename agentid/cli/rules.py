"""``agentid rules``: every policy rule with its metadata, for people (text), tools (json) and the docs (md)."""

from __future__ import annotations

import json

import click


@click.command()
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "md"]),
    default="text",
    show_default=True,
    help="text for people, json for tools, md for docs/rules.md.",
)
def rules(output_format: str) -> int:
    """List every rule: id (what waivers name), title, severity, OWASP NHI tags, rationale and remediation.

    \b
    Examples:
      agentid rules
      agentid rules --format json | jq '.[] | select(.waivable)'
      agentid rules --format md > docs/rules.md
    """
    from policies.rules import all_rules
    from policies.rules._docs import render_markdown, rule_dict, runs_in

    metas = [r.meta for r in all_rules()]
    if output_format == "json":
        where = runs_in()
        click.echo(json.dumps([rule_dict(m, where[m.id]) for m in metas], indent=2))
    elif output_format == "md":
        click.echo(render_markdown(), nl=False)
    else:
        _table(metas)
    return 0


def _table(metas: list) -> None:
    from rich.table import Table

    from agentid.cli.console import make_console

    console = make_console()  # colour on a terminal unless NO_COLOR; 160 columns off one
    table = Table(show_lines=False, expand=False)
    for column in ("id", "severity", "nhi", "kind", "title"):
        table.add_column(column, overflow="fold")
    for meta in metas:
        severity = meta.severity.value + ("" if meta.waivable else " (no waiver)")
        table.add_row(meta.id, severity, " ".join(meta.nhi), meta.kind.value, meta.title)
    console.print(table)
    console.print("Details, rationale and fixes: `agentid rules --format md` or docs/rules.md")
