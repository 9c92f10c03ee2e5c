"""``agentid detect`` (offline detector over Okta System Log events) and ``agentid detections`` (write the rules).

Both build the same :class:`~agentid.detect.definitions.DetectionSet` from the registry that the Pulumi program's
EventBridge rules are built from, so triage offline, the SIEM and AWS agree on what an anomaly is.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

import click

from agentid.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    RepoPaths,
    load_or_exit,
    refuse_unloaded,
    registry_options,
    text_or_json_option,
    today_option,
    write_atomically,
)
from agentid.cli.okta_options import OKTA_SOURCE, okta_log_options, pull_okta, report_pulled
from agentid.detect.clientids import (
    CLIENT_PREFIXES,
    PRINCIPAL_PREFIXES,
    ClientIdError,
    merge_client_ids,
    okta_id_problem,
)
from agentid.detect.definitions import DetectionSet, build_detection_set, identity_names
from agentid.output.inert import log_text

if TYPE_CHECKING:
    from agentid.detect.detector import Report
    from agentid.detect.mismatch import LabelMismatch

F = TypeVar("F", bound=Callable[..., Any])


def _okta_ids(prefixes: tuple[str, ...]) -> Callable[[click.Context, click.Parameter, tuple[str, ...]], Any]:
    """A click callback refusing anything but Okta ids: a Sigma rule reads ``*`` as a wildcard, so one bad entry
    would exempt every client or actor from a detection."""

    def check(_ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            problem = okta_id_problem(value, prefixes)
            if problem is not None:
                raise click.BadParameter(f"{problem}.", param=param)
        return values

    return check


def detection_options(func: F) -> F:
    """Options shared by both commands: which agents, which client ids, who may change identities."""
    options = [
        click.option("--stack", help="Only the agents this stack deploys (their `environments` name it)."),
        click.option(
            "--client-ids",
            "client_ids_files",
            type=click.Path(path_type=Path, dir_okay=False),
            multiple=True,
            help="Real client ids: `pulumi stack output --json > FILE` (its clientIds map), or a JSON object "
            '{"<identity>": "<client id>"}. Repeatable: a sharded environment passes one file per member stack '
            "(and the core's), merged; an identity with two different ids is an error. "
            "Required by `detections` (or --offline-ids); `detect` without it uses the offline ids the plan and "
            "tests use, and reports a grant labelled as a registered agent under another id as a label/id mismatch.",
        ),
        click.option(
            "--deployer-id",
            "deployer_ids",
            multiple=True,
            callback=_okta_ids(PRINCIPAL_PREFIXES),
            help="Okta id of the principal that deploys (repeatable; a user 00u... or a service app 0oa..., 20 "
            "letters and digits); its changes are not tampering.",
        ),
        click.option(
            "--allow-client",
            "allowed_clients",
            multiple=True,
            callback=_okta_ids(CLIENT_PREFIXES),
            help="Client id (0oa..., 20 letters and digits) of a non-agent client allowed to get client-credentials "
            "tokens (repeatable); not a shadow agent.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _detection_set(
    command: str,
    paths: RepoPaths,
    today: dt.date,
    stack: str | None,
    client_ids_files: tuple[Path, ...],
    deployer_ids: tuple[str, ...],
    allowed_clients: tuple[str, ...],
) -> DetectionSet:
    """The detections built from the registry (every agent file parsed and checked)."""
    result = load_or_exit(paths)
    # Without an agent whose file fails to load, its tokens would be alerted on as a shadow agent's.
    refuse_unloaded(command, result, "detections without them would call those agents shadow agents")
    registry = result.registry
    agents = registry.for_stack(stack) if stack else registry.agents
    if stack and not agents:
        named = sorted({env for agent in registry.agents for env in agent.environments})
        raise click.UsageError(
            f"no agent names stack {stack!r} in its environments; pass one of: {', '.join(named) or 'none'}"
            + _sharded_hint(paths.root, stack)
        )
    client_ids = None
    if client_ids_files:
        try:
            client_ids = merge_client_ids(client_ids_files, identity_names(agents))
        except ClientIdError as exc:
            raise click.UsageError(str(exc)) from None
    stack_config = _stack_config(paths.root, stack)
    return build_detection_set(
        registry,
        today=today,
        stack=stack,
        client_ids=client_ids,
        deployer_ids=deployer_ids,
        allowed_client_ids=allowed_clients,
        zone_gateways=stack_config.zone_gateways,
        auth_servers=stack_config.auth_servers,
    )


def _stack_config(root: Path, stack: str | None):
    """The stack's network zone gateways and authorization server (``Pulumi.<stack>.yaml``), for the network and
    tampering detections; nothing without --stack."""
    from agentid.detect.stackconfig import DetectionStackConfig, StackConfigError, load_detection_config, stack_file

    if not stack:
        return DetectionStackConfig()
    try:
        return load_detection_config(stack_file(root, stack))
    except StackConfigError as exc:
        raise click.UsageError(f"{exc}. Fix the stack file (see docs/detections.md).") from None


def _sharded_hint(root: Path, stack: str) -> str:
    """A core or member stack (``agentid:shard``) is part of an environment: its agents list the environment's name,
    and its detections are the environment's, compiled once from every member's client ids (docs/scale.md)."""
    from policies.engine import load_stack_shards

    environment = load_stack_shards(root)[0].get(stack)
    if environment is None:
        return ""
    return (
        f". Stack {stack} is part of the sharded environment {environment} (agentid:shard in Pulumi.{stack}.yaml): "
        f"pass --stack {environment} with one --client-ids per member stack's outputs"
    )


#: Options that choose what the registry path builds; a compiled profile has already fixed every one of them.
#: (The stack's network zones and authorization server come with --stack, from Pulumi.<stack>.yaml.)
_REGISTRY_OPTIONS = {
    "stack": "--stack",
    "client_ids_files": "--client-ids",
    "deployer_ids": "--deployer-id",
    "allowed_clients": "--allow-client",
    "agents_dir": "--agents",
    "catalog_file": "--catalog",
}


def _refuse_registry_options(ctx: click.Context, profile: Path) -> None:
    """--profile replaces the registry: an option that would select agents, ids or deployers is a mistake to report,
    not a choice to ignore silently (the profile's stack or deployers would win without the user knowing)."""
    from click.core import ParameterSource

    given = [
        flag
        for name, flag in _REGISTRY_OPTIONS.items()
        if ctx.get_parameter_source(name) not in (None, ParameterSource.DEFAULT)
    ]
    if given:
        raise click.UsageError(
            f"--profile {profile} cannot be combined with {', '.join(given)}: the profile was compiled with its stack, "
            "client ids and deployers already (`agentid detections --profile`). Drop "
            f"{'it' if len(given) == 1 else 'them'}, or leave out --profile to read the registry."
        )


def _profile_set(profile: Path) -> DetectionSet:
    from agentid.detect.profile import ProfileError, load_profile

    try:
        return load_profile(profile)
    except ProfileError as exc:
        raise click.UsageError(f"--profile {exc}") from None


def _open_input(events: str) -> tuple[BinaryIO, str]:
    """The events as a binary stream: the detector reads JSON lines as it goes, so a large export is never held
    whole in memory. Opened before the registry is loaded, so a wrong path is reported at once."""
    if events == "-":
        return sys.stdin.buffer, "<stdin>"
    path = Path(events)
    if path.is_dir():
        raise click.UsageError(f"--events {events} is a directory; pass a file of events, or - for standard input")
    try:
        # A 1 MiB buffer: reading a large export through the default 8 KiB one cost a sixth of parsing it.
        return path.open("rb", buffering=1 << 20), events
    except FileNotFoundError:
        raise click.UsageError(
            f"--events {events} does not exist; pass an exported System Log file, or - to read standard input"
        ) from None
    except OSError as exc:
        raise click.UsageError(f"--events {events}: cannot read it: {exc.strerror}") from None


@click.command()
@click.option(
    "--events",
    default=None,
    metavar="FILE|-",
    help="Okta System Log events: JSON lines, a JSON array (as /api/v1/logs returns), or EventBridge envelopes.",
)
@okta_log_options(
    since_help="the first event time (ISO 8601) when no cursor exists.",
    until_help="stop before this time (default: read to the newest event).",
)
@click.option(
    "--cursor",
    "cursor_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="With --okta: where the position is kept between runs (read, then saved once the events are judged).",
)
@click.option(
    "--profile",
    "profile_file",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="A compiled detection profile (`agentid detections --profile FILE`, written by the deploy job) instead of "
    "the registry: no agents/ checkout needed. Not combinable with --stack, --client-ids, --deployer-id, "
    "--allow-client, --agents or --catalog.",
)
@click.option(
    "--baseline",
    "baseline_file",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="JSON state of the sources (IP, ASN) each identity got tokens from, read and then rewritten atomically: "
    "a source not in it raises first-seen-source. A file that does not exist yet is created (the first run only "
    "records).",
)
@detection_options
@registry_options
@today_option
@text_or_json_option
@click.pass_context
def detect(
    ctx: click.Context,
    paths: RepoPaths,
    events: str | None,
    from_okta: bool,
    org_url: str | None,
    since: str | None,
    until: str | None,
    cursor_file: Path | None,
    profile_file: Path | None,
    baseline_file: Path | None,
    stack: str | None,
    client_ids_files: tuple[Path, ...],
    deployer_ids: tuple[str, ...],
    allowed_clients: tuple[str, ...],
    today: dt.date,
    output_format: str,
) -> int:
    """Find agents acting outside their declared profile in Okta System Log events.

    Applies every detection (shadow agents, refused tokens, bad credentials, expired agents, tampering, log stream
    changes, secret reads, API grants, non-JWT client authentication, API tokens, trusted servers, network zones,
    tokens per hour, active hours, scopes outside the profile, IPs outside the agent's zones; first-seen sources
    with --baseline). With --stack, the zones' gateways and the authorization server come from
    Pulumi.<stack>.yaml. Events are judged in time order, as Okta delivers out of order. Malformed lines are
    reported on standard error
    with their line number and skipped. Expiry is judged on each event's own date; --today sets the date the
    generated rules are for, so it changes nothing here.

    With --profile the identities come from a profile compiled by `agentid detections --profile` (the deploy job
    writes one after `pulumi up`): the same alerts as reading the registry it was compiled from, without parsing
    agents/. A profile compiled on another day judges events the same way (expiry is per event date); recompile it
    whenever the registry or the stack's client ids change.

    Repeated alerts of one detection for one identity (or client, or actor) are reported once, with the count, the
    first and last times and the first event uuids. An event whose uuid was already seen is a redelivery when its
    content is the same (counted once); with other content it is judged as an event of its own and reported as a
    conflicting duplicate.

    With --okta the events are pulled from the org's /api/v1/logs with the read-only app (docs/adopting.md):
    --since for the first run, --until to bound it, --cursor FILE to continue where the last run stopped (each event
    is judged once: the run re-reads its starting instant and drops what the previous run saw; the cursor is saved
    only after judging). Pages follow Link rel=next; a 429 waits for X-Rate-Limit-Reset.

    Exit status: 0 no alert, 1 alerts, a label/id mismatch or a definition that fails to load (nothing is judged),
    2 usage error or an events file that could not be read to its end (the report then covers the events before
    the break).

    \b
    Examples:
      agentid detect --events okta-2026-12-01.jsonl
      pulumi stack output --json > outputs.json
      agentid detect --events - --stack prod --client-ids outputs.json --deployer-id 0oa5pulumi0deployer7 --format json
      agentid detect --events okta-2026-12-01.jsonl --profile detection-profile.json
      agentid detect --events okta-2026-12-02.jsonl --profile detection-profile.json --baseline sources.json
      agentid detect --okta --since 2026-12-01T00:00:00Z --cursor state/okta-log.cursor --profile detection-profile.json
    """
    from agentid.detect.baseline import BaselineError, load_baseline
    from agentid.detect.detector import detect_events

    if profile_file is not None:
        _refuse_registry_options(ctx, profile_file)
    try:
        baseline = load_baseline(baseline_file) if baseline_file is not None else None
    except BaselineError as exc:
        raise click.UsageError(f"--baseline {exc}") from None
    pulled = None
    if from_okta:
        if events is not None:
            raise click.UsageError("pass --events FILE or --okta, not both")
        pulled, cursor_path = pull_okta(org_url, since, until, cursor_file), cursor_file
        source, name = pulled.data, OKTA_SOURCE
    else:
        if events is None:
            raise click.UsageError("pass --events FILE (or - for standard input), or --okta to read the org's log")
        if any(v is not None for v in (since, until, cursor_file)):
            raise click.UsageError("--since, --until and --cursor go with --okta")
        source, name = _open_input(events)
    with contextlib.nullcontext(source) if events in ("-", None) else source:  # standard input is not ours to close
        if profile_file is not None:
            detections = _profile_set(profile_file)
        else:
            detections = _detection_set("detect", paths, today, stack, client_ids_files, deployer_ids, allowed_clients)
        try:
            report = detect_events(source, detections, baseline=baseline)
        except OSError as exc:
            raise click.UsageError(f"--events {events}: reading it failed: {exc.strerror or exc}") from None
    if baseline is not None:
        try:
            baseline.save()
        except BaselineError as exc:
            raise click.UsageError(f"--baseline {exc}") from None

    from agentid.detect.mismatch import split_label_mismatches

    # A "shadow" grant labelled as a registered identity is a label/id mismatch (wrong --client-ids, or an app
    # labelled as an agent by hand), not an unregistered agent.
    report, mismatches = split_label_mismatches(report, detections)
    for problem in report.problems:
        location = f"{name}:{problem.line}" if problem.line is not None else f"{name}: {problem.where}"
        level = "error" if problem.fatal else "warning"
        suffix = "" if problem.fatal else " (skipped)"
        click.echo(f"{log_text(location)}: {level}: {log_text(problem.message)}{suffix}", err=True)
    if mismatches and profile_file is None and not client_ids_files:
        click.echo(
            f"agentid detect: {len(mismatches)} grant(s) to registered agents under other client ids: without "
            "--client-ids the offline placeholder ids are used. Pass the stack's outputs (`pulumi stack output "
            "--json > outputs.json`, its clientIds map) with --client-ids outputs.json.",
            err=True,
        )
    if output_format == "json":
        import json

        document = {"stack": detections.stack, **report.to_dict()}
        document["label_id_mismatches"] = [m.to_dict() for m in mismatches]
        click.echo(json.dumps(document, indent=2))
    else:
        from agentid.cli.console import colour_for

        click.echo(_render_text(report, colour=colour_for(), mismatches=mismatches), nl=False)
    if pulled is not None:
        report_pulled("detect", pulled)
        if cursor_path is not None and pulled.cursor is not None:
            pulled.cursor.save(cursor_path)  # only now: a run that failed before judging is read again
    unread = next((p for p in report.problems if p.fatal), None)
    if unread is not None:
        # Lines were not analysed: exiting 0 (or 1) would say the whole file was judged. The report above still
        # holds every alert of the events before the break.
        click.echo(
            f"{log_text(name)}:{unread.line}: error: the events file could not be read past this line, so the report "
            "covers only the events before it. Fix or re-export the file (one event, or one page of /api/v1/logs, "
            "per line reads past any bad line) and run again.",
            err=True,
        )
        return EXIT_USAGE
    return EXIT_FINDINGS if report.alerts or mismatches else EXIT_OK


_COLOURS = {"critical": "red", "high": "red", "medium": "yellow", "low": "cyan"}


def _render_text(report: Report, *, colour: bool, mismatches: Sequence[LabelMismatch] = ()) -> str:
    lines = []
    for mismatch in mismatches:
        label = click.style("high", fg="red", bold=True) if colour else "high"
        where = f" line {mismatch.line}" if mismatch.line is not None else ""
        lines.append(f"{mismatch.published}  {label}  [label-id-mismatch]  {mismatch.message}")
        lines.append(
            f"    event {mismatch.uuid or '-'}{where}; respond: compare the client id with the stack's outputs; "
            "if the outputs hold the known id, find the app with this label in Okta: it is not the deployed one"
        )
    for alert in report.alerts:
        severity = click.style(alert.severity, fg=_COLOURS.get(alert.severity), bold=True) if colour else alert.severity
        where = f" line {alert.line}" if alert.line is not None else ""
        # Alerts quote event fields (client ids, scopes, names) anyone who can call Okta can choose: inert.
        lines.append(f"{log_text(alert.published)}  {severity}  [{alert.detection}]  {log_text(alert.message)}")
        if alert.count > 1:  # aggregated: the message is the first event's
            lines.append(
                f"    x{alert.count} events from {log_text(alert.published)} to {log_text(alert.last)}; first events: "
                + ", ".join(log_text(uuid) for uuid in alert.sample)
            )
        lines.append(f"    event {log_text(alert.uuid or '-')}{where}; respond: {_response(alert.detection)}")
    for conflict in report.conflicts:
        lines.append(f"conflicting duplicate: {log_text(conflict.message)}")
    summary = report.summary()
    lines.append(
        f"{summary['events']} events ({summary['duplicates']} duplicates, "
        + (f"{summary['conflicting_duplicates']} conflicting duplicates, " if report.conflicts else "")
        + f"{summary['malformed']} malformed skipped): {summary['alerts']} alerts"
        + (
            " (" + ", ".join(f"{k}: {v} event{'' if v == 1 else 's'}" for k, v in summary["by_detection"].items()) + ")"
            if report.alerts
            else ""
        )
        + (f"; {len(mismatches)} label/id mismatches" if mismatches else "")
    )
    return "\n".join(lines) + "\n"


def _response(detection: str) -> str:
    from agentid.detect.definitions import DETECTIONS

    return DETECTIONS[detection].response


@click.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Directory to write sigma/*.yml and eventbridge/*.json into (generated files there are replaced).",
)
@click.option(
    "--profile",
    "profile_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also (or only) write the compiled detection profile to this file, for `agentid detect --profile FILE` "
    "where there is no registry (JSON: client ids, scopes, budgets, hours and expiry dates; no key material).",
)
@click.option(
    "--event-source",
    help="The Okta partner event source, aws.partner/okta.com/<org>/<name>. Default: any Okta partner source.",
)
@click.option(
    "--max-pattern-chars",
    type=click.IntRange(512, 4096),
    default=2048,
    show_default=True,
    help="AWS's event pattern size quota (agentid:detections.maxPatternChars): only the --deployer-id and "
    "--allow-client lists can make a pattern longer; the command fails rather than write one AWS would reject.",
)
@click.option(
    "--offline-ids",
    is_flag=True,
    help="Without --client-ids, use the offline placeholder ids (a demo, a test): no Okta org has them, so the Sigma "
    "rules are marked `status: experimental` and a warning says not to deploy them.",
)
@detection_options
@registry_options
@today_option
def detections(
    paths: RepoPaths,
    out_dir: Path | None,
    profile_file: Path | None,
    event_source: str | None,
    max_pattern_chars: int,
    offline_ids: bool,
    stack: str | None,
    client_ids_files: tuple[Path, ...],
    deployer_ids: tuple[str, ...],
    allowed_clients: tuple[str, ...],
    today: dt.date,
) -> int:
    """Write the generated Sigma rules and EventBridge patterns for a SIEM team or a review.

    One Sigma file per detection (per identity where the profile sets a threshold or hours), valid for pySigma
    (`sigma convert -t splunk`), and the EventBridge patterns the stack deploys (one per single-event detection).
    The EventBridge patterns recognise agents by their Okta app label prefix (`agentid:`; `agentid:expired:` for
    expired agents), never by client id, so they do not change when an agent is added; the Sigma rules match client
    ids. --client-ids with the stack's outputs is required so the Sigma rules and the profile name real clients;
    --offline-ids instead uses placeholder ids (a demo, a test) and marks the Sigma rules `status: experimental`.

    --profile FILE writes the same detections compiled for `agentid detect --profile FILE`, which then needs no
    registry: the deploy job writes it after `pulumi up`, with the stack's outputs as --client-ids. It records the
    stack, --today, the agentid version and a digest of the registry's files.

    Exit status: 0 written, 1 a definition fails to load (nothing is written), 2 usage error.

    \b
    Examples:
      pulumi stack output --json > outputs.json
      agentid detections --out build/detections --stack prod --client-ids outputs.json \\
        --deployer-id 0oa5pulumi0deployer7
      agentid detections --profile detection-profile.json --stack prod --client-ids outputs.json \\
        --deployer-id 0oa5pulumi0deployer7
      # a sharded environment: one profile for prod, from the core's and every member's outputs
      agentid detections --profile detection-profile.json --stack prod --client-ids prod-core.json \\
        --client-ids prod-shard-00.json --client-ids prod-shard-01.json --deployer-id 0oa5pulumi0deployer7
    """
    if out_dir is None and profile_file is None:
        raise click.UsageError(
            "say what to write: --out DIR (Sigma rules and EventBridge patterns), --profile FILE (the compiled profile "
            "`agentid detect --profile` reads), or both"
        )
    detection_set = _detection_set("detections", paths, today, stack, client_ids_files, deployer_ids, allowed_clients)
    _require_client_ids(client_ids_files, offline_ids)
    if offline_ids:
        click.echo(
            "agentid detections: WARNING: --offline-ids: the Sigma rules and the profile hold placeholder client ids "
            "that no Okta org has; a SIEM or `agentid detect --profile` using them would miss every agent's "
            "activity. The Sigma rules are marked `status: experimental`. For real rules pass --client-ids with the "
            "stack's outputs (`pulumi stack output --json`, its clientIds map).",
            err=True,
        )
    if out_dir is not None:
        _write_rules(out_dir, detection_set, event_source, max_pattern_chars, experimental=offline_ids)
    if profile_file is not None:
        _write_profile(profile_file, detection_set, paths)
    return EXIT_OK


def _require_client_ids(client_ids_files: tuple[Path, ...], offline_ids: bool) -> None:
    """Sigma rules and the profile match agents by client id: without the real ids every registered agent would
    look like a shadow agent. Refuse, unless the placeholder ids are asked for by name."""
    if client_ids_files and offline_ids:
        raise click.UsageError("--offline-ids and --client-ids exclude each other: keep --client-ids (the real ids).")
    if not client_ids_files and not offline_ids:
        raise click.UsageError(
            "--client-ids is required: the Sigma rules and the profile match agents by client id, and without the "
            "real ids every registered agent would look like a shadow agent. Get them from the stack's outputs: "
            "`pulumi stack output --json > outputs.json` (its clientIds map), then pass --client-ids outputs.json "
            "(once per member stack of a sharded environment). For a demo or a test, --offline-ids uses placeholder "
            "ids and marks the rules experimental."
        )


def _write_profile(target: Path, detection_set: DetectionSet, paths: RepoPaths) -> None:
    """Write the profile atomically: a deploy job that fails halfway must not leave half a profile to be read."""
    from agentid import __version__
    from agentid.detect.profile import dump_profile, registry_digest

    digest = registry_digest(paths.agents, paths.catalog)
    data = dump_profile(detection_set, agentid_version=__version__, digest=digest)
    write_atomically(target, data, f"--profile {target}: cannot write", "Choose a path you can write to.")
    click.echo(
        f"wrote detection profile {target}: {len(detection_set.identities)} identities"
        f"{f' of stack {detection_set.stack}' if detection_set.stack else ''}, compiled for "
        f"{detection_set.today.isoformat()} from registry {digest}\n"
        f"Read it with `agentid detect --profile {target} --events FILE`; compile it again after every deploy."
    )


def _write_rules(
    out_dir: Path, detection_set: DetectionSet, event_source: str | None, max_pattern_chars: int, *, experimental: bool
) -> None:
    import json
    import re

    from agentid.detect import sigma
    from agentid.detect.eventbridge import PatternInputs, PatternTooLongError, checked_patterns
    from agentid.detect.labels import AGENT_LABEL_PREFIX, EXPIRED_LABEL_PREFIX

    files = {f"sigma/{name}": text for name, text in sigma.generate(detection_set).items()}
    if experimental:  # placeholder client ids: a SIEM must not treat these rules as production-ready
        files = {name: re.sub(r"(?m)^status: stable$", "status: experimental", text) for name, text in files.items()}
    try:
        patterns = checked_patterns(PatternInputs.from_detection_set(detection_set, event_source), max_pattern_chars)
    except PatternTooLongError as exc:
        raise click.UsageError(str(exc)) from None
    for rule, pattern in patterns.items():
        # Indented for reading: the deployed JSON is compact, and it is the compact length the quota counts.
        files[f"eventbridge/{rule}.json"] = json.dumps(json.loads(pattern), indent=2, sort_keys=True) + "\n"
    try:
        _write_tree(out_dir, files)
    except OSError as exc:
        raise click.UsageError(f"--out {out_dir}: cannot write: {exc}. Choose a directory you can write to.") from None
    click.echo(
        f"wrote {len(files)} files to {out_dir} ({len(files) - len(patterns)} Sigma, {len(patterns)} EventBridge)\n"
        f"EventBridge: {len(patterns)} rules whatever the registry's size; agents are recognised by their Okta app "
        f"label ({AGENT_LABEL_PREFIX}<identity>, {EXPIRED_LABEL_PREFIX}<identity> once expired), not by client id. "
        "Sigma: agents are matched by client id (regenerate after adding an agent)."
    )


def _write_tree(root: Path, files: dict[str, str]) -> None:
    """Write every file, then remove generated files (``*.yml`` under sigma/, ``*.json`` under eventbridge/) that
    are no longer produced, so a removed agent's rules do not linger. Nothing else in ``root`` is touched."""
    for relative, text in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(target)
    wanted = {root / relative for relative in files}
    for folder, suffix in (("sigma", ".yml"), ("eventbridge", ".json")):
        for stale in (root / folder).rglob(f"*{suffix}") if (root / folder).is_dir() else ():
            if stale not in wanted:
                stale.unlink()


__all__ = ["EXIT_USAGE", "detect", "detections"]
