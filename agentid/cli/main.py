"""Entry point and command table.

Commands are imported lazily: ``agentid validate`` in a pre-commit hook must not pay for importing Pulumi, and a
broken optional dependency of one command must not break the others.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from agentid.gcpause import cyclic_gc_paused, skip_exit_collections

#: command name -> "module:attribute". Each command lives in its own module under agentid.cli.
COMMANDS: dict[str, str] = {
    "validate": "agentid.cli.validate:validate",
    "new": "agentid.cli.new:new",
    "plan": "agentid.cli.plan:plan",
    "check": "agentid.cli.check:check",
    "rules": "agentid.cli.rules:rules",
    "detect": "agentid.cli.detect:detect",
    "detections": "agentid.cli.detect:detections",
    "review": "agentid.cli.review:review",
    "codeowners": "agentid.cli.codeowners:codeowners",
    "expiring": "agentid.cli.expiring:expiring",
    "inventory": "agentid.cli.inventory:inventory",
    "review-report": "agentid.cli.review_report:review_report",
    "show": "agentid.cli.show:show",
    "discover": "agentid.cli.live:discover",
    "drift": "agentid.cli.live:drift",
    "import": "agentid.cli.live_import:import_apps",
    "rightsize": "agentid.cli.rightsize:rightsize",
}


class LazyGroup(click.Group):
    """A click group that imports a command's module only when that command runs (or help lists it)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        return getattr(importlib.import_module(module_name), attribute)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        name = args[0] if args else ""
        if name and name not in COMMANDS and not name.startswith("-"):
            import difflib

            close = difflib.get_close_matches(name, list(COMMANDS), n=1)
            hint = f" Did you mean `agentid {close[0]}`?" if close else ""
            ctx.fail(f"no command `{name}`.{hint} Run `agentid --help` to list the commands.")
        return super().resolve_command(ctx, args)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(package_name="agentid", prog_name="agentid")
def cli() -> None:
    """Agent identity as code for Okta.

    Every AI agent is a registered non-human identity: a purpose, accountable owners, its own credential,
    least-privilege scopes and a declared behaviour profile, reviewed in git.

    \b
    Examples:
      agentid validate                    # check every agents/*.yaml against the schema and catalog
      agentid new invoice-matcher --purpose reconciliation --owner maria.lopez@example.com
    """


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; unexpected errors become one readable line (set AGENTID_DEBUG=1 for the traceback)."""
    try:
        # A command reads plain data that lives until it ends: the cyclic collector would only re-scan it (see
        # agentid.gcpause; the Pulumi engine's run already had it off).
        with cyclic_gc_paused():
            result = cli.main(args=argv, prog_name="agentid", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("agentid: aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last line of defence: no traceback reaches a user
        if os.environ.get("AGENTID_DEBUG"):
            raise
        click.echo(
            f"agentid: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in agentid, not in your files. Re-run with AGENTID_DEBUG=1 and report the traceback.",
            err=True,
        )
        return 3
    return result if isinstance(result, int) else 0


def run() -> int:
    """The console script ``agentid``: :func:`main`, then an exit without the interpreter's final collections
    (:func:`agentid.gcpause.skip_exit_collections`), as the process ends here."""
    code = main()
    skip_exit_collections()
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
