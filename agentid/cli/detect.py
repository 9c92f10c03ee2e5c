"""``agentid detect`` (offline detector over Okta System Log events) and ``agentid detections`` (write the rules).

Both build the same :class:`~agentid.detect.definitions.DetectionSet` from the registry that the Pulumi program's
EventBridge rules are built from, so triage offline, the SIEM and AWS agree on what an anomaly is.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

import click

from agentid.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    RepoPaths,
    load_or_exit,
    registry_options,
    today_option,
)
from agentid.detect.clientids import ClientIdError, merge_client_ids
from agentid.detect.definitions import DetectionSet, build_detection_set, identity_names

if TYPE_CHECKING:
    from agentid.detect.detector import Report

F = TypeVar("F", bound=Callable[..., Any])


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
            "Default: the offline ids the plan and tests use.",
        ),
        click.option(
            "--deployer-id",
            "deployer_ids",
            multiple=True,
            help="Okta id of the principal that deploys (repeatable); its changes are not tampering.",
        ),
        click.option(
            "--allow-client",
            "allowed_clients",
            multiple=True,
            help="A non-agent client allowed to get client-credentials tokens (repeatable); not a shadow agent.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _detection_set(
    paths: RepoPaths,
    today: dt.date,
    stack: str | None,
    client_ids_files: tuple[Path, ...],
    deployer_ids: tuple[str, ...],
    allowed_clients: tuple[str, ...],
) -> DetectionSet:
    """The detections built from the registry (every agent file parsed and checked)."""
    result = load_or_exit(paths)
    if not result.ok:
        for finding in result.findings:
            click.echo(f"{finding.location}: {finding.severity.value}: {finding.message}", err=True)
        raise click.UsageError("the registry is invalid; fix it (see `agentid validate`) before generating detections")
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
    required=True,
    metavar="FILE|-",
    help="Okta System Log events: JSON lines, a JSON array (as /api/v1/logs returns), or EventBridge envelopes.",
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
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for tools.",
)
@click.pass_context
def detect(
    ctx: click.Context,
    paths: RepoPaths,
    events: str,
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
    Pulumi.<stack>.yaml. Duplicate events (same uuid) count once;
    events are sorted by time first, as Okta delivers out of order. Malformed lines are reported on standard error
    with their line number and skipped. Expiry is judged on each event's own date; --today sets the date the
    generated rules are for, so it changes nothing here.

    With --profile the identities come from a profile compiled by `agentid detections --profile` (the deploy job
    writes one after `pulumi up`): the same alerts as reading the registry it was compiled from, without parsing
    agents/. A profile compiled on another day judges events the same way (expiry is per event date); recompile it
    whenever the registry or the stack's client ids change.

    Exit status: 0 no alert, 1 alerts, 2 usage error.

    \b
    Examples:
      agentid detect --events okta-2026-12-01.jsonl
      pulumi stack output --json > outputs.json
      agentid detect --events - --stack prod --client-ids outputs.json --deployer-id 0oa1deployer --format json
      agentid detect --events okta-2026-12-01.jsonl --profile detection-profile.json
      agentid detect --events okta-2026-12-02.jsonl --profile detection-profile.json --baseline sources.json
    """
    from agentid.detect.baseline import BaselineError, load_baseline
    from agentid.detect.detector import detect_events

    if profile_file is not None:
        _refuse_registry_options(ctx, profile_file)
    try:
        baseline = load_baseline(baseline_file) if baseline_file is not None else None
    except BaselineError as exc:
        raise click.UsageError(f"--baseline {exc}") from None
    source, name = _open_input(events)
    with contextlib.nullcontext(source) if events == "-" else source:  # standard input is not ours to close
        if profile_file is not None:
            detections = _profile_set(profile_file)
        else:
            detections = _detection_set(paths, today, stack, client_ids_files, deployer_ids, allowed_clients)
        try:
            report = detect_events(source, detections, baseline=baseline)
        except OSError as exc:
            raise click.UsageError(f"--events {events}: reading it failed: {exc.strerror or exc}") from None
    if baseline is not None:
        try:
            baseline.save()
        except BaselineError as exc:
            raise click.UsageError(f"--baseline {exc}") from None
    for problem in report.problems:
        location = f"{name}:{problem.line}" if problem.line is not None else f"{name}: {problem.where}"
        click.echo(f"{location}: warning: {problem.message} (skipped)", err=True)
    if output_format == "json":
        import json

        click.echo(json.dumps({"stack": detections.stack, **report.to_dict()}, indent=2))
    else:
        click.echo(_render_text(report, colour=sys.stdout.isatty()), nl=False)
    return EXIT_FINDINGS if report.alerts else EXIT_OK


_COLOURS = {"critical": "red", "high": "red", "medium": "yellow", "low": "cyan"}


def _render_text(report: Report, *, colour: bool) -> str:
    lines = []
    for alert in report.alerts:
        severity = click.style(alert.severity, fg=_COLOURS.get(alert.severity), bold=True) if colour else alert.severity
        where = f" line {alert.line}" if alert.line is not None else ""
        lines.append(f"{alert.published}  {severity}  [{alert.detection}]  {alert.message}")
        lines.append(f"    event {alert.uuid or '-'}{where}; respond: {_response(alert.detection)}")
    summary = report.summary()
    lines.append(
        f"{summary['events']} events ({summary['duplicates']} duplicates, {summary['malformed']} malformed "
        f"skipped): {summary['alerts']} alerts"
        + (" (" + ", ".join(f"{k}: {v}" for k, v in summary["by_detection"].items()) + ")" if report.alerts else "")
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
@detection_options
@registry_options
@today_option
def detections(
    paths: RepoPaths,
    out_dir: Path | None,
    profile_file: Path | None,
    event_source: str | None,
    max_pattern_chars: int,
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
    ids. Pass --client-ids
    with the stack's outputs so the Sigma rules name real clients; without it they use the offline ids.

    --profile FILE writes the same detections compiled for `agentid detect --profile FILE`, which then needs no
    registry: the deploy job writes it after `pulumi up`, with the stack's outputs as --client-ids. It records the
    stack, --today, the agentid version and a digest of the registry's files.

    \b
    Examples:
      pulumi stack output --json > outputs.json
      agentid detections --out build/detections --stack prod --client-ids outputs.json --deployer-id 0oa1deployer
      agentid detections --profile detection-profile.json --stack prod --client-ids outputs.json \\
        --deployer-id 0oa1deployer
      # a sharded environment: one profile for prod, from the core's and every member's outputs
      agentid detections --profile detection-profile.json --stack prod --client-ids prod-core.json \\
        --client-ids prod-shard-00.json --client-ids prod-shard-01.json --deployer-id 0oa1deployer
    """
    if out_dir is None and profile_file is None:
        raise click.UsageError(
            "say what to write: --out DIR (Sigma rules and EventBridge patterns), --profile FILE (the compiled profile "
            "`agentid detect --profile` reads), or both"
        )
    detection_set = _detection_set(paths, today, stack, client_ids_files, deployer_ids, allowed_clients)
    if out_dir is not None:
        _write_rules(out_dir, detection_set, event_source, max_pattern_chars)
    if profile_file is not None:
        _write_profile(profile_file, detection_set, paths)
    return EXIT_OK


def _write_profile(target: Path, detection_set: DetectionSet, paths: RepoPaths) -> None:
    """Write the profile atomically: a deploy job that fails halfway must not leave half a profile to be read."""
    from agentid import __version__
    from agentid.detect.profile import dump_profile, registry_digest

    digest = registry_digest(paths.agents, paths.catalog)
    data = dump_profile(detection_set, agentid_version=__version__, digest=digest)
    partial = target.with_name(target.name + ".partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(data)
        partial.replace(target)
    except OSError as exc:
        if partial.parent.is_dir():
            partial.unlink(missing_ok=True)
        raise click.UsageError(
            f"--profile {target}: cannot write: {exc.strerror or exc}. Choose a path you can write to."
        ) from None
    click.echo(
        f"wrote detection profile {target}: {len(detection_set.identities)} identities"
        f"{f' of stack {detection_set.stack}' if detection_set.stack else ''}, compiled for "
        f"{detection_set.today.isoformat()} from registry {digest}\n"
        f"Read it with `agentid detect --profile {target} --events FILE`; compile it again after every deploy."
    )


def _write_rules(out_dir: Path, detection_set: DetectionSet, event_source: str | None, max_pattern_chars: int) -> None:
    import json

    from agentid.detect import sigma
    from agentid.detect.eventbridge import PatternInputs, PatternTooLongError, checked_patterns
    from agentid.detect.labels import AGENT_LABEL_PREFIX, EXPIRED_LABEL_PREFIX

    files = {f"sigma/{name}": text for name, text in sigma.generate(detection_set).items()}
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
