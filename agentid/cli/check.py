"""``agentid check``: the least-privilege gate, in a terminal, in CI and before ``pulumi preview``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from agentid.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    RepoPaths,
    cache_option,
    load_or_exit,
    registry_options,
    summary_counts,
    today_option,
    write_output,
)
from agentid.cli.console import colour_for, complete_stacks, is_quiet, progress, quiet_option
from agentid.findings import Finding, Severity, has_blocking, sorted_findings
from agentid.registry.model import Registry

FORMATS = ("text", "json", "sarif", "junit")


@dataclass(frozen=True, slots=True)
class CheckRun:
    """Everything one check produced: what the renderers and the exit status are computed from."""

    findings: list[Finding]
    registry: Registry
    files: int
    rules_run: list[Any]
    stacks: tuple[str, ...]
    resources: int | None
    plan_note: str | None
    #: how each stack's plan was built (agentid.plan.incremental.PlanMode): incremental or full, and why
    plan_modes: tuple[Any, ...] = ()


@click.command()
@registry_options
@click.option(
    "--stack",
    shell_complete=complete_stacks,
    help="Judge this stack (its Pulumi.<stack>.yaml and offline plan). Default: every stack.",
)
@today_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text for people, json for tools, sarif for code scanning, junit for CI test reports.",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the report to this file instead of standard output.",
)
@click.option(
    "--registry-only",
    is_flag=True,
    help="Run only the registry rules (no offline plan, no Pulumi): fast enough for a pre-commit hook.",
)
@click.option(
    "--settings",
    "settings_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Organisation limits. Default: policies/settings.yaml at the repository root.",
)
@quiet_option
@cache_option
def check(
    paths: RepoPaths,
    stack: str | None,
    today: dt.date,
    output_format: str,
    output: Path | None,
    registry_only: bool,
    settings_file: Path | None,
    no_cache: bool,
) -> int:
    """Run every policy rule on the agent registry and on the offline plan of each stack.

    Reports loader problems, registry rules (owners, scopes, keys, lifecycle, waivers) and resource rules (what
    the Pulumi program would create). Waived findings are listed in their own tally.
    Each stack's plan re-plans only the agents whose inputs changed since a cached plan (.agentid-cache/) and
    reuses the rest; standard error says which it did and why. --no-cache plans every agent.
    Exit status: 0 no unwaived error, 1 unwaived errors, 2 usage error.

    \b
    Examples:
      agentid check --stack dev
      agentid check --registry-only                       # no Pulumi: a quick pre-commit gate
      agentid check --format sarif --output out/agentid.sarif
      agentid check --today 2026-12-01 --format json
    """
    stacks = _stacks(paths.root, stack)
    settings = _settings(paths.root, settings_file)
    with progress("agentid check", total=2 + (0 if registry_only else len(stacks))) as steps:
        steps(f"reading {paths.agents}")
        result = load_or_exit(paths, meanwhile=_plan_warm_up(registry_only, stacks))
        run = run_check(
            result.registry,
            result.findings,
            today=today,
            stacks=stacks,
            explicit_stack=stack,
            settings=settings,
            root=paths.root,
            registry_only=registry_only,
            files=len(result.files),
            steps=steps,
            use_cache=not no_cache,
        )
    if run.plan_note:
        click.echo(f"agentid: {run.plan_note}", err=True)
    if not is_quiet():
        for mode in run.plan_modes:
            click.echo(f"agentid: {mode.note()}", err=True)
    # Colour only for a person at a terminal, and never when they opt out (agentid.cli.console).
    colour = output is None and colour_for()
    write_output(render(run, output_format, colour=colour), output)
    return EXIT_FINDINGS if has_blocking(run.findings) else EXIT_OK


def _stacks(root: Path, stack: str | None) -> tuple[str, ...]:
    """The stacks to judge: the one asked for (which must have a config file), else every configured stack."""
    known = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))
    if stack is None:
        return tuple(known)
    if stack not in known:
        listed = ", ".join(known) or "none"
        raise click.UsageError(
            f"no stack `{stack}`: {root / f'Pulumi.{stack}.yaml'} does not exist (configured stacks: {listed})."
        )
    return (stack,)


def _settings(root: Path, settings_file: Path | None) -> Any:
    from policies.engine import SettingsError, default_settings, load_settings

    if settings_file is not None and not settings_file.is_file():
        raise click.UsageError(
            f"settings file {settings_file} does not exist; pass --settings FILE, or leave it out to use "
            "policies/settings.yaml at the repository root."
        )
    try:
        if settings_file is None and (root / "policies" / "settings.yaml").is_file():
            settings_file = root / "policies" / "settings.yaml"
        return load_settings(settings_file) if settings_file else default_settings()
    except SettingsError as exc:
        from agentid.output.text import problem_line

        for finding in exc.findings:
            click.echo(problem_line(finding, "error"), err=True)
        raise click.exceptions.Exit(EXIT_USAGE) from None


def run_check(
    registry: Registry,
    loader_findings: Sequence[Finding],
    *,
    today: dt.date,
    stacks: Sequence[str],
    explicit_stack: str | None,
    settings: Any,
    root: Path,
    registry_only: bool,
    files: int,
    steps: Callable[[str], None] = lambda _step: None,
    use_cache: bool = True,
) -> CheckRun:
    """Loader findings, registry rules once, then resource and stack rules on each stack's offline plan (each
    phase announced to ``steps``, the progress display)."""
    from agentid.findings_cache import FindingsCache, cached_evaluate
    from policies.engine import evaluate, merge_loader_findings, rules_for, stack_context

    common = {"today": today, "settings": settings, **stack_context(root)}
    steps(f"{len(registry)} agents: registry rules")
    verdicts = FindingsCache.for_root(root, enabled=use_cache)  # a review of this revision reads them again

    def registry_verdict() -> list[Finding]:
        return cached_evaluate(evaluate, verdicts, registry, stack=explicit_stack, **common)

    plan_note = None
    resource_count: int | None = None  # None: no plan was judged (registry rules only)
    modes: list[Any] = []
    if registry_only:
        findings = registry_verdict()
    else:
        # The registry rules (~0.6 s at 10,000 agents) do not depend on the plans: judged in a forked child on the
        # second core while this process plans (agentid.registry.forkmap.fork_call; without one, here, after).
        from agentid.registry.forkmap import fork_call

        pending = fork_call(registry_verdict)
        try:
            judged, plan_note, plan_findings = _plans(registry, stacks, root, use_cache, modes, steps, common, verdicts)
        except BaseException:
            pending.cancel()
            raise
        findings = pending.result()
        if judged:
            resource_count = sum(count for _stack, count, _findings in judged)
        # Registry rules already ran once above; from each plan only the resource and stack rules' findings are new.
        plan_rule_ids = {r.meta.id for r in rules_for(with_resources=True)} - {
            r.meta.id for r in rules_for(with_resources=False)
        }
        for _stack, _count, on_plan in judged:
            findings.extend(f for f in on_plan if f.rule in plan_rule_ids)
        findings.extend(plan_findings)
        # Okta ids belong to one org: a zone id in two stack files means one of them points at the wrong org.
        from agentid.conformance import shared_zone_ids

        findings.extend(shared_zone_ids(root))
    merged = merge_loader_findings(loader_findings, _unique(findings))
    return CheckRun(
        findings=merged,
        registry=registry,
        files=files,
        rules_run=rules_for(with_resources=resource_count is not None),
        stacks=tuple(stacks) if not registry_only else tuple(s for s in (explicit_stack,) if s),
        resources=resource_count,
        plan_note=plan_note,
        plan_modes=tuple(modes),
    )


def _plan_warm_up(registry_only: bool, stacks: Sequence[str]) -> Callable[[], None] | None:
    """When a plan follows, what imports its SDK while the agent files are read (agentid.plan imports no Pulumi)."""
    if registry_only or not stacks:
        return None
    from agentid.plan import prepare

    return prepare


def _unique(findings: list[Finding]) -> list[Finding]:
    """The same finding from two stacks' plans (a shared resource rule) is reported once."""
    seen: set[tuple[Any, ...]] = set()
    unique = []
    for finding in findings:
        key = (finding.rule, finding.file, finding.line, finding.agent, finding.message)
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return unique


def _plans(
    registry: Registry,
    stacks: Sequence[str],
    root: Path,
    use_cache: bool,
    modes: list[Any],
    steps: Callable[[str], None],
    common: dict[str, Any],
    verdicts: Any,
) -> tuple[list[tuple[str, int, list[Finding]]], str | None, list[Finding]]:
    """Build and judge each stack's offline plan (incrementally where the cache allows: ``modes`` receives how, and
    what was planned ahead for the repository's other stacks: :func:`agentid.plan.incremental.plan_ahead`): each
    stack's resource count and its resource and stack rules' verdict, and the findings of plans that failed or that
    the provider would refuse. A plan whose bundles are cached is judged from them without being assembled
    (:mod:`agentid.plan.judged`). The plan module is imported here, only when needed; Pulumi itself only when an
    identity must be planned."""
    try:
        from agentid.plan.incremental import PlanCache
        from agentid.plan.judged import judge_incremental
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("agentid.plan"):
            return [], "resource rules skipped: the offline plan (agentid.plan) is not installed", []
        raise
    except ImportError as exc:
        return [], f"resource rules skipped: the offline plan (agentid.plan) cannot be built: {exc}", []
    from agentid.conformance import plan_findings, violation_findings
    from agentid.findings_cache import cached_evaluate, remember_verdict
    from agentid.plan.incremental import build_plan_incremental
    from agentid.plan.judged import JudgedPlan
    from policies.engine import evaluate

    judged: list[tuple[str, int, list[Finding]]] = []
    failures: list[Finding] = []
    cache = PlanCache.for_root(root, enabled=use_cache)
    today = common["today"]
    for stack in stacks:
        steps(f"offline plan of stack {stack}")
        judging = {**common, "stack": stack, "plan_rules_only": True}
        try:
            if cache is not None and verdicts is not None:
                plan, mode = judge_incremental(
                    registry, stack, today=today, root=root, cache=cache, verdicts=verdicts, judging=judging
                )
            else:
                plan, mode = build_plan_incremental(registry, stack, today=today, root=root, cache=cache)
            modes.append(mode)
        except Exception as exc:  # a broken plan is a finding that fails the gate, not a traceback
            failures.append(
                Finding(
                    rule="plan.failed",
                    severity=Severity.ERROR,
                    message=f"the offline plan of stack `{stack}` failed: {exc}",
                    file=f"Pulumi.{stack}.yaml",
                    remediation="Fix the stack configuration or the agent definitions named above, then re-run.",
                )
            )
            continue
        if isinstance(plan, JudgedPlan):
            # A review of this revision finds the verdict under the plan's digest, as if it had been judged whole.
            remember_verdict(evaluate, verdicts, registry, plan.findings, plan_digest=plan.digest, **judging)
            judged.append((stack, plan.resources, plan.findings))
            conformance = violation_findings(plan.violations, stack, registry, root=root)
        else:
            on_plan = cached_evaluate(
                evaluate, verdicts, registry, plan_digest=plan.digest, resources=plan.resources, **judging
            )
            judged.append((stack, len(plan.resources), on_plan))
            conformance = plan_findings(plan, registry, root=root)
        # Inputs pulumi-okta 7.0.1 would refuse at `pulumi preview`/`pulumi up` fail the gate like a rule.
        failures.extend(conformance)
    if cache is not None and any(mode.incremental and mode.ran_program for mode in modes):
        # The SDK is started: the other stacks' copies of what was just planned cost one engine run a stack now
        # (~0.2 s at 10,000 agents), where a later command would start the SDK again for them (~0.7 to 1 s).
        from agentid.plan.incremental import plan_ahead
        from agentid.plan.stackfile import available_stacks

        steps("planning ahead for the other stacks")
        others = [other for other in available_stacks(root) if other not in stacks]
        modes.extend(plan_ahead(registry, others, today=today, root=root, cache=cache))
    return judged, None, failures


def summary(run: CheckRun) -> dict[str, Any]:
    counts = summary_counts(run.findings)
    return {
        **counts,
        "files": run.files,
        "agents": len(run.registry),
        "rules": len(run.rules_run),
        "stacks": list(run.stacks),
        "resources": run.resources,
    }


def render(run: CheckRun, output_format: str, *, colour: bool) -> str:
    """The report in the chosen format; every format carries the same findings and waivers."""
    findings = sorted_findings(run.findings)
    metas = [r.meta for r in run.rules_run]
    if output_format == "json":
        from agentid.output import jsonout

        return jsonout.render(findings, summary(run))
    if output_format == "sarif":
        from agentid.output import sarif

        stack = run.stacks[0] if len(run.stacks) == 1 else None
        return sarif.render(findings, metas, version=_version(), stack=stack)
    if output_format == "junit":
        from agentid.output import junit
        from policies.rules.base import RuleKind

        per_agent = [m.id for m in metas if m.kind in (RuleKind.REGISTRY, RuleKind.REGISTRY_WIDE)]
        return junit.render(findings, metas, [a.name for a in run.registry], per_agent_rules=per_agent)
    from agentid.cli.console import findings_text

    return findings_text(findings, summary_line(run), colour=colour)


def summary_line(run: CheckRun) -> str:
    counts = summary_counts(run.findings)
    status = "failed" if has_blocking(run.findings) else "passed"
    scope = f"{len(run.registry)} agents, {len(run.rules_run)} rules"
    if run.resources is not None:
        scope += f", {run.resources} planned resources ({', '.join(run.stacks)})"
    return f"{scope}: {status} ({counts['errors']} errors, {counts['warnings']} warnings, {counts['waived']} waived)"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("agentid")
    except PackageNotFoundError:
        return "0"
