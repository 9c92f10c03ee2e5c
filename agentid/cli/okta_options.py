"""What `agentid detect --okta` and `agentid rightsize --okta` share: the options that read the org's System Log
(``--okta``, ``--org-url``, ``--since``, ``--until``) and the pull itself (:func:`agentid.okta.logs.pull` through
the read-only reader app: private_key_jwt, ``Link: rel=next`` pages, 429 back-off, Okta's error objects).

The credential is the read-only reader's (``OKTA_CLIENT_ID``, the key in ``OKTA_PRIVATE_KEY_FILE`` or
``OKTA_PRIVATE_KEY``; docs/adopting.md), the same for both commands and for ``discover``/``drift``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from agentid.okta.logs import Pulled

F = TypeVar("F", bound=Callable[..., Any])

#: the name problems in the pulled events are reported under (there is no file)
OKTA_SOURCE = "okta:/api/v1/logs"


def okta_log_options(*, since_help: str, until_help: str) -> Callable[[F], F]:
    """``--okta``, ``--org-url``, ``--since`` and ``--until`` (the command says what its window defaults to)."""
    options = [
        click.option(
            "--okta",
            "from_okta",
            is_flag=True,
            help="Pull the events from the org's /api/v1/logs instead of --events (the read-only reader app: "
            "OKTA_CLIENT_ID and OKTA_PRIVATE_KEY_FILE or OKTA_PRIVATE_KEY; docs/adopting.md).",
        ),
        click.option("--org-url", envvar="OKTA_ORG_URL", metavar="URL", help="With --okta: the org (or OKTA_ORG_URL)."),
        click.option("--since", metavar="TIME", help=f"With --okta: {since_help}"),
        click.option("--until", metavar="TIME", help=f"With --okta: {until_help}"),
    ]

    def decorate(func: F) -> F:
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


def pull_okta(
    org_url: str | None,
    since: str | None,
    until: str | None,
    cursor_file: Path | None = None,
    *,
    event_types: Sequence[str] = (),
) -> Pulled:
    """The org's System Log from the cursor (else ``since``) to ``until`` as JSON lines (only ``event_types`` when
    given, filtered by Okta), or a usage error / exit 2 naming what went wrong (Okta's error code included)."""
    from agentid.cli.live import connect, okta_failure
    from agentid.okta.errors import READ_ERRORS
    from agentid.okta.logs import Cursor, CursorError, pull

    client = connect(org_url)
    try:
        cursor = Cursor.load(cursor_file, client.org_url) if cursor_file is not None else None
    except CursorError as exc:
        raise click.UsageError(f"--cursor {exc}") from None
    if cursor is None and since is None:
        raise click.UsageError("--okta needs --since TIME for the first run (later runs continue from --cursor FILE)")
    try:
        return pull(client, since=since, until=until, cursor=cursor, event_types=event_types)
    except READ_ERRORS as exc:
        raise okta_failure(exc) from None


def report_pulled(command: str, pulled: Pulled) -> None:
    """How many events came from the org (on standard error: standard output holds the report)."""
    click.echo(
        f"agentid {command}: read {pulled.events} event(s) from the org"
        + (f", {pulled.redelivered} already judged by the previous run" if pulled.redelivered else ""),
        err=True,
    )
