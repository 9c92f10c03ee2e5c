"""Write ``docs/benchmarks.md``: the machine, the method, every figure and a pass/fail per target.

The report is generated, never edited by hand, so it always matches a real run; the machine facts (cores, CPU,
memory, load average before and after) are part of it because a figure without its machine means nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import platform
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.measure import Measurement
from benchmarks.run import REPO, REPORT_JSON_PATH, REPORT_PATH, STACK, SizeResult, Target

#: Rows of the per-size table: measurement key, what it is, and the floor it is compared with.
ROWS: tuple[tuple[str, str, str | None], ...] = (
    ("floor_yaml_mixed", "YAML parse floor: PyYAML `CSafeLoader` over every file (mixed set)", None),
    ("check_registry_mixed", "`agentid check --registry-only` (mixed set)", "floor_yaml_mixed"),
    ("floor_yaml_valid", "YAML parse floor (valid set)", None),
    ("check_registry_valid", "`agentid check --registry-only` (valid set)", "floor_yaml_valid"),
    ("check_full_valid", f"`agentid check --stack {STACK}`: registry + offline plan + resource rules", None),
    ("plan", f"`agentid plan --stack {STACK} --format json` (offline plan)", "floor_sdk"),
    ("floor_sdk", "SDK floor: the plan's resources under the Pulumi mock engine, no project code, collector off", None),
    ("floor_sdk_default_gc", "SDK floor, default collector (informational: the same floor, collector on)", None),
    ("checkov", "checkov 3.3 `--framework yaml` + the agentid adapter (policies/checkov)", None),
    ("check_registry_checkov_sample", "`agentid check --registry-only` on the files checkov read", None),
    ("floor_orjson", "orjson parse floor: `orjson.loads` per line of the event file", None),
    ("detect_compile_profile", "`agentid detections --profile` (compile the profile: the deploy job, once)", None),
    ("detect_profile", "`agentid detect --profile --format json` over the same event file", "floor_orjson"),
    ("detect", "`agentid detect --agents` (loads the YAML registry) over the same event file", "floor_orjson"),
    ("floor_orjson_one", "orjson parse floor on a one-event file", None),
    ("detect_profile_one", "`agentid detect --profile` on a one-event file (start-up + reading the profile)", None),
    ("detect_one", "`agentid detect --agents` on a one-event file (start-up + loading N agents)", None),
    ("pr_agent_registry", "PR editing one agent: `agentid check --registry-only` (same registry)", None),
    ("pr_agent_restore", "PR editing one agent: restore the main branch's plan cache (hard links)", None),
    ("pr_agent_check", f"PR editing one agent: `agentid check --stack {STACK}` (incremental)", "pr_agent_registry"),
    ("pr_agent_review", "PR editing one agent: `agentid review --base` (incremental)", "pr_agent_registry"),
    ("pr_catalog_registry", "PR editing the catalog: `agentid check --registry-only`", None),
    ("pr_catalog_restore", "PR editing the catalog: restore the plan cache", None),
    ("pr_catalog_check", f"PR editing the catalog: `agentid check --stack {STACK}`", "pr_catalog_registry"),
    ("pr_catalog_review", "PR editing the catalog: `agentid review --base`", "pr_catalog_registry"),
)


@dataclass(slots=True)
class Machine:
    """Facts about where the figures were taken."""

    cores: int
    cpu: str
    memory_gib: float
    python: str
    system: str
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    started: str = ""
    finished: str = ""
    commit: str = ""
    versions: dict[str, str] = field(default_factory=dict)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return float("nan")


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        # The report's own files are outputs, not measured code: a previous run's report left uncommitted does not
        # make this run's code differ from the commit.
        outputs = [f":(exclude){path.relative_to(REPO)}" for path in (REPORT_PATH, REPORT_JSON_PATH)]
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", *outputs],
                               cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
        return out + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _checkov_version(checkov: Path) -> str:
    if not checkov.exists():
        return "not installed"
    try:
        return subprocess.run([str(checkov), "--version"], capture_output=True, text=True, timeout=120).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def machine_facts(checkov: Path) -> Machine:
    versions = {p: _version(p) for p in ("PyYAML", "jsonschema", "jsonschema-rs", "orjson", "pulumi", "pulumi-okta")}
    versions["checkov"] = _checkov_version(checkov)
    return Machine(
        cores=os.cpu_count() or 0,
        cpu=_cpu_model(),
        memory_gib=_memory_gib(),
        python=platform.python_version(),
        system=f"{platform.system()} {platform.release()} ({platform.machine()})",
        load_before=os.getloadavg(),
        started=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        commit=_commit(),
        versions=versions,
    )


def _seconds(value: float) -> str:
    return f"{value:.2f}" if value >= 0.1 else f"{value:.3f}"


def _load(load: Sequence[float]) -> str:
    return " / ".join(f"{x:.2f}" for x in load)


def _verdict(target: Target) -> str:
    if target.informational:
        return "informational" if target.value is not None else "not measured"
    passed = target.passed
    return "not measured" if passed is None else "**PASS**" if passed else "**FAIL**"


def _value(target: Target) -> str:
    if target.value is None:
        return "—"
    if target.name.startswith(("agents over", "N+1")):
        return f"{int(target.value):,}"
    if target.name.endswith("MB"):
        return f"{target.value:.0f} MB"
    return f"{target.value:.2f}×"


def _limit(target: Target) -> str:
    if target.name.startswith(("agents over", "N+1")):
        return f"{int(target.limit)}"
    if target.name.endswith("MB"):
        return f"≤ {target.limit:g} MB"
    return f"{'≥' if target.higher_is_better else '≤'} {target.limit:g}×"


def size_section(result: SizeResult) -> list[str]:
    m, facts = result.measurements, result.facts
    lines = [
        f"## N = {result.n:,} agents",
        "",
        f"{result.n:,} agent files ({facts.get('planted', 0):,} with planted violations of "
        f"{facts.get('planted_rules', 0)} different rules, {facts.get('plugins', 0):,} plugins) in the mixed set; "
        f"the same {result.n:,} agents without violations in the valid set.",
        "",
        "| Command | Median s | Min s | CPU s | Peak RSS MiB | Runs | × its floor | CPU × its floor |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key, label, floor_key in ROWS:
        measured: Measurement | None = m.get(key)
        if measured is None:
            continue
        ratio = cpu_ratio = ""
        cpu = measured.cpu_seconds
        if floor_key and floor_key in m:
            ratio = f"{measured.seconds / m[floor_key].seconds:.2f}×"
            floor_cpu = m[floor_key].cpu_seconds
            if cpu is not None and floor_cpu:
                cpu_ratio = f"{cpu / floor_cpu:.2f}×"
        lines.append(
            f"| {label} | {_seconds(measured.seconds)} | {_seconds(measured.min_seconds)} | "
            f"{_seconds(cpu) if cpu is not None else ''} | {measured.peak_rss_mib:.0f} | {len(measured.runs)} | "
            f"{ratio} | {cpu_ratio} |"
        )
    lines += ["", "| Target | Measured | Limit | Result | On |", "| --- | ---: | ---: | --- | --- |"]
    lines += [f"| {t.name} | {_value(t)} | {_limit(t)} | {_verdict(t)} | {t.detail} |" for t in result.targets]
    lines += ["", *fact_lines(result), ""]
    if result.problems:
        lines += ["Problems seen in this run:", ""]
        lines += [f"- {problem}" for problem in result.problems[:30]]
        lines.append("")
    return lines


def fact_lines(result: SizeResult) -> list[str]:
    facts = result.facts
    out = []
    verified = (
        ("check_registry_mixed_verified", "`check --registry-only` on the mixed set reported every planted violation "
         "under its rule and nothing on the valid agents"),
        ("check_full_valid_verified", f"`check --stack {STACK}` on the valid set reported no finding"),
    )  # fmt: skip
    for key, what in verified:
        if key in facts:
            out.append(f"- {'Yes' if facts[key] else 'NO'}: {what}.")
    if "plan_resources" in facts:
        counts = ", ".join(f"{t.split(':')[-1]} {c:,}" for t, c in sorted(facts["plan_counts"].items()))
        out.append(
            f"- Plan ({STACK}): {facts['plan_resources']:,} resources for {facts['plan_agents']:,} agents "
            f"({counts}); {facts['plan_okta_per_agent_mean']:.2f} Okta resources per agent on average, "
            f"{facts['plan_over_budget']:,} agents above 3 + 3 per plugin"
            + (f" (e.g. {', '.join(facts['plan_over_budget_examples'])})" if facts["plan_over_budget"] else "")
            + "."
        )
    if "stability_diff" in facts:
        diff = facts["stability_diff"]
        out.append(
            f"- Stability: planning N+1 agents (new: `{facts['stability_new_agent']}`) added {diff['added']}, removed "
            f"{diff['removed']} and changed the inputs of {diff['changed']} resources; "
            f"{facts['stability_foreign_count']} of them belong to another agent"
            + (
                f": {', '.join(f'`{x}`' for x in facts.get('stability_foreign', [])[:6])}."
                if facts.get("stability_foreign")
                else "."
            )
        )
    if "checkov_files" in facts:
        if facts["checkov_files"] < result.n:
            out.append(
                f"- checkov ran on a subsample of {facts['checkov_files']:,} files (the first agents of the same "
                f"generator), compared with `check --registry-only` on the same subsample; at {result.n:,} files "
                f"checkov would take about {_extrapolate(result):.0f} s if it scales linearly (not measured)."
            )
        out.append(
            f"- checkov missed {facts.get('checkov_missed', 0)} planted violations and failed "
            f"{facts.get('checkov_false_failures', 0)} valid files (YAML syntax errors are parse errors in checkov)."
        )
    if "pr_agent_edited" in facts:
        out.append(
            f"- Pull request: the main branch's `agentid check` (every stack, full plans filling the cache) took "
            f"{facts.get('pr_main_run_s', 0):.0f} s, untimed in the targets; the PR rewords "
            f"`{facts['pr_agent_edited']}`'s description. What the PR's commands said about their plans:"
        )
        for key in (
            "pr_agent_check_modes",
            "pr_agent_review_modes",
            "pr_catalog_check_modes",
            "pr_catalog_review_modes",
        ):
            out.extend(f"  - `{key.removesuffix('_modes')}`: {line}" for line in facts.get(key, []))
        if "pr_catalog_scope" in facts:
            out.append(f"- The catalog PR rewords the description of scope `{facts['pr_catalog_scope']}`.")
    if "detect_events" in facts:
        out.append(
            f"- Event file: {facts['detect_events']:,} Okta System Log events "
            f"({facts['detect_bytes'] / 1024 / 1024:.0f} MiB of JSON lines) from the synthetic day generator."
        )
    if "detect_profile_same_report" in facts:
        size = facts.get("detect_profile_bytes")
        out.append(
            f"- {'Yes' if facts['detect_profile_same_report'] else 'NO'}: `detect --profile` (a compiled profile"
            + (f" of {size / 1024 / 1024:.1f} MiB" if size else "")
            + ") printed the same report as `detect --agents` on both event files."
        )
    return out


def _extrapolate(result: SizeResult) -> float:
    checkov = result.measurements.get("checkov")
    if checkov is None or not result.facts.get("checkov_files"):
        return float("nan")
    return checkov.seconds * result.n / result.facts["checkov_files"]


METHOD = """\
## Method

- **Inputs.** `python -m benchmarks generate` writes N agent files against `policies/catalog.yaml`: eleven kinds of
  agent (meeting summariser, finance reconciler, HR onboarding assistant, support triage, ...) with realistic names,
  owners, scopes and reasons; real public keys (EC keys derived from the seed, RSA-2048 keys from a committed pool
  of public keys, jwks_uri for a quarter); about a quarter of the agents of plugin-capable kinds have a plugin. The
  *mixed* set plants a violation in 10% of the agents (25 kinds: owners, scopes outside the purpose, lifetimes,
  review dates, shared keys and jwks_uri, Okta admin scopes, waivers, private key members, schema errors, unknown
  and wildcard scopes, YAML syntax errors); the *valid* set is the same agents without them. Agent *i* depends only on
  the seed and *i*, so N+1 agents are the same N plus one.
- **Whole-process timing.** Each command is its own process (interpreter start-up and imports included), timed
  from start to exit; its peak RSS comes from GNU `time`, its CPU time (user + system, including the worker
  processes it forks and reaps) from `os.wait4`. agentid loads large registries and event files on every core the
  load average leaves idle, so wall and CPU ratios are both given; a target is judged on wall time, as a user waits
  for it. The project's modules are byte-compiled before the run, as the floors' libraries are by pip (this machine
  sets `PYTHONDONTWRITEBYTECODE`). Commands that are compared run side by side in rounds
  (floor, check, floor, check, ...), so a burst of load from other jobs on this shared machine hits both; the
  median of the rounds is reported. Quick groups start with one discarded warm-up round; the plan group is warmed
  by the plan that sizes the SDK floor. Absolute seconds move with the load average given above, ratios much less.
- **Floors.** `python -m benchmarks.floors` does the least any tool must: `yaml` parses every file with
  `yaml.load(..., Loader=CSafeLoader)`; `orjson` calls `orjson.loads` on every line; `sdk` reads the JSON of the
  first plan of the run and registers every resource in it under `pulumi.runtime.set_mocks` with the same type,
  logical name, parent and inputs (the real pulumi-okta and pulumi-aws classes and provider, components as plain
  `ComponentResource`s; inputs as the plain values the plan shows, so no Output wiring), with no registry, no rules
  and no project code. A test checks that the engine receives the same types, names, parents and inputs from the
  floor as from the plan.
- **Collector policy.** Every floor runs with Python's cyclic garbage collector disabled from its start:
  collecting is not work a tool must do, and agentid pauses the collector too while it loads a registry, detects
  and plans. The plan target is judged on this strict SDK floor; the same SDK floor with the default collector is
  measured in the same rounds and shown alongside ("SDK floor, default collector", an informational target), so a
  ratio that moves with collector policy rather than with the project's own work is visible as such. The
  collector makes no measurable difference to the YAML and orjson floors (under 2% of their CPU time at 1,000
  agents), so they have no such row.
- **Correctness on the same runs.** Every planted violation must appear under its rule in the JSON output of
  `check --registry-only`, and no valid agent may have a finding; the full check on the valid set must be clean;
  checkov must fail every file with a planted violation (YAML syntax errors are parse errors there).
- **Stability.** The plan of N+1 agents is compared with the plan of N agents resource by resource (type and
  logical name; inputs as the engine receives them): everything added, removed or changed must belong to the new
  agent.
- **checkov.** checkov 3.3 from `.venv-checkov` with `--framework yaml --external-checks-dir policies/checkov
  --skip-download`. When N exceeds the sample size (`--checkov-max-files`), checkov runs on the first agents of the
  same generator and `check --registry-only` is timed on the same sample for the speed-up; the full-size time is a
  linear extrapolation, stated as such.
"""


COLLECTOR_POLICY = (
    "Every floor runs with Python's cyclic garbage collector off (collecting is not work a tool must do). The plan "
    "target is judged on that strict SDK floor; the SDK floor with the default collector is shown alongside, not "
    "judged. See Method."
)

#: Hand-written findings appended to the generated report (what was profiled and fixed, what remains, and why).
NOTES_PATH = Path(__file__).with_name("notes.md")


def render(results: Sequence[SizeResult], machine: Machine, command: str) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Generated by `{command}` (see `benchmarks/`); do not edit by hand: re-run it. Started {machine.started}, "
        f"finished {machine.finished}, commit {machine.commit}.",
        "",
        "## Machine",
        "",
        "| | |",
        "| --- | --- |",
        f"| Cores (nproc) | {machine.cores} |",
        f"| CPU | {machine.cpu} |",
        f"| Memory | {machine.memory_gib:.1f} GiB |",
        f"| System | {machine.system} |",
        f"| Python | {machine.python} |",
        f"| Load average (1/5/15 min) before | {_load(machine.load_before)} |",
        f"| Load average (1/5/15 min) after | {_load(machine.load_after)} |",
        "| Versions | " + ", ".join(f"{k} {v}" for k, v in machine.versions.items()) + " |",
        "",
        "The machine is shared (2 cores, other jobs running): absolute seconds carry that noise, ratios much less.",
        "",
        "## Summary",
        "",
        "| Target | " + " | ".join(f"N = {r.n:,}" for r in results) + " |",
        "| --- | " + " | ".join("---" for _ in results) + " |",
    ]
    names = list(dict.fromkeys(t.name for r in results for t in r.targets))
    for name in names:
        cells = []
        for result in results:
            target = next((t for t in result.targets if t.name == name), None)
            cells.append("—" if target is None else f"{_value(target)} {_verdict(target)}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", COLLECTOR_POLICY, ""]
    for result in results:
        lines += size_section(result)
    if NOTES_PATH.is_file():
        lines += [NOTES_PATH.read_text(encoding="utf-8").rstrip(), ""]
    lines += [METHOD]
    return "\n".join(lines).rstrip() + "\n"


def to_json(results: Sequence[SizeResult], machine: Machine, command: str = "") -> str:
    def measurement(m: Measurement) -> dict[str, Any]:
        return {
            "label": m.label,
            "argv": list(m.argv),
            "median_s": m.seconds,
            "runs_s": [r.seconds for r in m.runs],
            "runs_cpu_s": [r.cpu_seconds for r in m.runs],
            "peak_rss_mib": m.peak_rss_mib,
        }

    body = {
        "command": command,
        "machine": dataclasses.asdict(machine),
        "sizes": [
            {
                "n": r.n,
                "measurements": {k: measurement(v) for k, v in r.measurements.items()},
                "targets": [
                    {
                        "name": t.name,
                        "value": t.value,
                        "limit": t.limit,
                        "passed": t.passed,
                        "detail": t.detail,
                        "informational": t.informational,
                    }
                    for t in r.targets
                ],
                "facts": r.facts,
                "problems": r.problems,
            }
            for r in results
        ],
    }
    return json.dumps(body, indent=1, default=str) + "\n"


def from_json(text: str) -> tuple[list[SizeResult], Machine, str]:
    """Rebuild a run from its JSON twin, so the report can be re-rendered (new wording, notes) without re-running."""
    from benchmarks.generate import Manifest
    from benchmarks.measure import Run
    from benchmarks.run import targets_for

    body = json.loads(text)
    fields = {f.name for f in dataclasses.fields(Machine)}
    raw = {k: v for k, v in body["machine"].items() if k in fields}
    for key in ("load_before", "load_after"):
        raw[key] = tuple(raw.get(key) or (0.0, 0.0, 0.0))
    machine = Machine(**raw)
    results = []
    for size in body["sizes"]:
        result = SizeResult(n=size["n"], manifest=Manifest(n=size["n"], seed=0, today="", violation_rate=0.0))
        for key, m in size["measurements"].items():
            cpu = m.get("runs_cpu_s") or [None] * len(m["runs_s"])
            runs = [
                Run(seconds, m["peak_rss_mib"], 0, b"", b"", cpu_seconds=c)
                for seconds, c in zip(m["runs_s"], cpu, strict=True)
            ]
            result.measurements[key] = Measurement(m["label"], tuple(m["argv"]), runs)
        result.facts = size["facts"]
        result.problems = size["problems"]
        result.targets = targets_for(result)
        results.append(result)
    return results, machine, body.get("command") or "python -m benchmarks run --n 1000 --n 10000"
