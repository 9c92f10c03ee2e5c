"""scripts/deploy_stacks.py and the deploy workflow's sharded path: which stacks deploy, in which order, and the one
detection profile a sharded environment gets from every member's outputs.

The workflow's own step scripts run here (with a fake `pulumi` answering `stack output`, the real agentid and
registry), as the daily-deploy gate test does, so the YAML is tested as it would run, not only linted."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from agentid.detect.profile import load_profile
from agentid.stack import shard_of
from tests.conftest import AGENTS_DIR, REPO, SAMPLE_REPO, STACKS, is_company_data

SCRIPT = REPO / "scripts" / "deploy_stacks.py"
WORKFLOW = REPO / ".github" / "workflows" / "deploy.yml"
PULL_REQUEST = REPO / ".github" / "workflows" / "pull-request.yml"
DEPLOYER = "0oa1deployer0service"
MEMBERS = 3


def run_script(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--root", str(root), *args], capture_output=True, text=True, timeout=60
    )


def write_stack(root: Path, stack: str, shard: dict | None, extra: dict | None = None) -> None:
    config: dict = {"okta:orgName": "acme", **(extra or {})}
    if shard is not None:
        config["agentid:shard"] = shard
    (root / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))


def allow(root: Path, *names: str) -> None:
    """The reviewed allow-list of deploy environments (.github/deploy-stacks.txt) for a test repository."""
    (root / ".github").mkdir(exist_ok=True)
    (root / ".github" / "deploy-stacks.txt").write_text("# reviewed\n" + "".join(f"{n}\n" for n in names))


def member(index: int, count: int = MEMBERS, core: str = "acme/agentid/prod-core") -> dict:
    return {"mode": "member", "environment": "prod", "index": index, "count": count, "core": core}


@pytest.fixture()
def sharded_repo(tmp_path: Path) -> Path:
    """dev stays one stack; prod is a core and three members (written out of order: the order is by index)."""
    allow(tmp_path, "dev", "prod")
    write_stack(tmp_path, "dev", None)
    write_stack(
        tmp_path,
        "prod-core",
        {"mode": "core", "environment": "prod"},
        {"agentid:detections": {"enabled": True, "deployerIds": [DEPLOYER]}},
    )
    for index in (2, 0, 1):
        write_stack(tmp_path, f"prod-shard-{index:02d}", member(index))
    return tmp_path


def test_without_shard_files_the_deploy_order_is_dev_then_prod_as_before():
    result = run_script(STACKS)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"unsharded": ["dev", "prod"], "sharded": []}


def test_prod_deploys_after_every_other_unsharded_stack(tmp_path: Path):
    allow(tmp_path, "dev", "staging", "prod")
    for stack in ("staging", "prod", "dev"):
        write_stack(tmp_path, stack, None)
    assert json.loads(run_script(tmp_path).stdout)["unsharded"] == ["dev", "staging", "prod"]


def test_a_sharded_environment_deploys_its_core_then_its_members_by_index(sharded_repo: Path):
    result = run_script(sharded_repo)
    assert result.returncode == 0, result.stderr
    order = json.loads(result.stdout)
    assert order["unsharded"] == ["dev"]
    assert [(e["stack"], e["environment"], e["compile_profile"]) for e in order["sharded"]] == [
        ("prod-core", "prod", False),
        ("prod-shard-00", "prod", False),
        ("prod-shard-01", "prod", False),
        ("prod-shard-02", "prod", True),
    ]
    listing = run_script(sharded_repo, "--environment", "prod")
    assert listing.stdout.split() == ["prod-core", "prod-shard-00", "prod-shard-01", "prod-shard-02"]


def test_members_are_ordered_by_their_index_not_their_file_name(tmp_path: Path):
    """Unpadded names sort prod-shard-10 before prod-shard-2; the deploy order is the index's."""
    allow(tmp_path, "prod")
    write_stack(tmp_path, "prod-core", {"mode": "core", "environment": "prod"})
    for index in range(11):
        write_stack(tmp_path, f"prod-shard-{index}", member(index, count=11))
    result = run_script(tmp_path, "--environment", "prod")
    assert result.stdout.split() == ["prod-core", *(f"prod-shard-{i}" for i in range(11))], result.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda root: write_stack(root, "prod-shard-01", {"mode": "shard", "environment": "prod"}),
            "Pulumi.prod-shard-01.yaml: agentid:shard.mode is 'shard'; use all, core or member",
        ),
        (
            lambda root: (root / "Pulumi.prod-shard-01.yaml").unlink(),
            "environment prod: count is 3 but no member has index 1: the agents hashing there would be deployed "
            "nowhere",
        ),
        (
            lambda root: write_stack(root, "prod-shard-01", member(1, count=4)),
            "environment prod: its members disagree on count (3, 4)",
        ),
        (
            lambda root: write_stack(root, "prod-shard-03", member(2)),
            "environment prod: index 2 is used by prod-shard-02, prod-shard-03",
        ),
        (
            lambda root: (root / "Pulumi.prod-core.yaml").unlink(),
            "environment prod (Pulumi.prod-shard-00.yaml, Pulumi.prod-shard-01.yaml, Pulumi.prod-shard-02.yaml) has "
            "no core stack",
        ),
        (
            lambda root: write_stack(root, "prod-shard-01", member(1, core="acme/agentid/prod")),
            "Pulumi.prod-shard-01.yaml: agentid:shard.core is acme/agentid/prod, but the core stack of prod is "
            "prod-core",
        ),
        (
            lambda root: write_stack(root, "prod", None),
            "environment prod: Pulumi.prod.yaml deploys every prod agent unsharded beside the core prod-core",
        ),
        (
            lambda root: (root / "Pulumi.prod-shard-01.yaml").write_text("config: [unclosed\n"),
            "Pulumi.prod-shard-01.yaml: cannot read it as YAML",
        ),
    ],
    ids=[
        "bad-mode",
        "missing-member",
        "count-mismatch",
        "duplicate-index",
        "no-core",
        "wrong-core",
        "also-unsharded",
        "broken-yaml",
    ],
)
def test_a_broken_sharded_environment_stops_before_anything_deploys(sharded_repo: Path, change, message: str):
    change(sharded_repo)
    result = run_script(sharded_repo)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("error: ") and message in result.stderr, result.stderr


def test_an_unknown_environment_is_named(sharded_repo: Path):
    result = run_script(sharded_repo, "--environment", "staging")
    assert result.returncode == 2 and "staging is not a sharded environment here; sharded environments: prod" in (
        result.stderr
    )


# ------------------------------------------------------------------------------------------ the workflow as it runs


def steps_of(job: str, workflow: Path = WORKFLOW) -> list[dict]:
    return yaml.safe_load(workflow.read_text())["jobs"][job]["steps"]


def step(job: str, name: str, workflow: Path = WORKFLOW) -> dict:
    (found,) = [s for s in steps_of(job, workflow) if s.get("name") == name]
    return found


def workspace(root: Path) -> dict[str, str]:
    """``root`` as the job's checkout: the real scripts, the sample registry and catalog, the project's Python, an
    agentid pinned to one day, and a fake `pulumi` whose `stack output` answers from outputs/<stack>.json."""
    (root / "scripts").mkdir()
    shutil.copy(SCRIPT, root / "scripts" / SCRIPT.name)
    (root / "agents").symlink_to(AGENTS_DIR)
    (root / "policies").mkdir()  # the tool's policies/ with the sample registry's catalog, owners and settings
    for entry in (REPO / "policies").iterdir():
        if entry.name != "__pycache__":
            sample = SAMPLE_REPO / "policies" / entry.name
            (root / "policies" / entry.name).symlink_to(
                sample if is_company_data(Path("policies", entry.name)) else entry
            )
    (root / "infra").symlink_to(REPO / "infra")
    (root / "agentid").symlink_to(REPO / "agentid")  # the script imports the stack configuration from its checkout
    bin_dir = root / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").symlink_to(REPO / ".venv" / "bin" / "python")
    (bin_dir / "agentid").write_text(f'#!/bin/sh\nexec {REPO}/.venv/bin/agentid "$@" --today 2026-12-01\n')
    fake = root / "fakebin" / "pulumi"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\n# pulumi stack output --stack NAME --json\ncat "outputs/$4.json"\n')
    for path in (bin_dir / "agentid", fake):
        path.chmod(0o755)
    return {"PATH": f"{fake.parent}:/usr/bin:/bin", "HOME": str(root)}


def run_step(script: str, root: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_order_step_feeds_both_deploy_jobs(sharded_repo: Path):
    env = workspace(sharded_repo) | {"GITHUB_OUTPUT": str(sharded_repo / "github-output")}
    result = run_step(step("stacks", "Order the stacks")["run"], sharded_repo, env)
    assert result.returncode == 0, result.stderr
    outputs = dict(line.split("=", 1) for line in (sharded_repo / "github-output").read_text().splitlines())
    assert json.loads(outputs["unsharded"]) == ["dev"] and outputs["has-unsharded"] == "true"
    assert [e["stack"] for e in json.loads(outputs["sharded"])["include"]][:2] == ["prod-core", "prod-shard-00"]
    assert outputs["has-sharded"] == "true"
    jobs = yaml.safe_load(WORKFLOW.read_text())["jobs"]
    assert jobs["deploy"]["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.stacks.outputs.unsharded) }}"
    sharded = jobs["deploy-sharded"]
    assert sharded["strategy"]["matrix"] == "${{ fromJSON(needs.stacks.outputs.sharded) }}"
    assert sharded["strategy"]["max-parallel"] == 1, "members share the core's authorization server: one at a time"
    assert sharded["needs"] == ["stacks", "deploy"] and sharded["environment"] == "${{ matrix.environment }}"


def test_the_unsharded_repository_skips_the_sharded_job(tmp_path: Path):
    allow(tmp_path, "dev", "prod")
    for stack in ("dev", "prod"):
        shutil.copy(STACKS / f"Pulumi.{stack}.yaml", tmp_path)
    env = workspace(tmp_path) | {"GITHUB_OUTPUT": str(tmp_path / "github-output")}
    assert run_step(step("stacks", "Order the stacks")["run"], tmp_path, env).returncode == 0
    outputs = dict(line.split("=", 1) for line in (tmp_path / "github-output").read_text().splitlines())
    assert outputs == {"unsharded": '["dev","prod"]', "sharded": '{"include":[]}', "has-unsharded": "true",
                       "has-sharded": "false"}  # fmt: skip


def real_id(identity: str) -> str:
    return "0oaPROD" + hashlib.sha256(identity.encode()).hexdigest()[:13]


def test_the_last_member_compiles_one_profile_from_every_stacks_outputs(sharded_repo: Path, sample_registry):
    """Each member's outputs hold only its agents' client ids and the core's none: the compiled prod profile holds
    every prod identity with its deployed id, and the core's deployer."""
    env = workspace(sharded_repo)
    core = {"issuer": "https://acme.okta.com/oauth2/aus1", "audience": "api://agents", "authorizationServerId": "aus1"}
    outputs: list[dict[str, str]] = [{} for _ in range(MEMBERS)]
    for agent in sample_registry.for_stack("prod"):
        for identity, _c, _s in agent.identities():
            outputs[shard_of(agent.name, MEMBERS)][identity] = real_id(identity)
    (sharded_repo / "outputs").mkdir()
    (sharded_repo / "outputs" / "prod-core.json").write_text(json.dumps(core))
    for index, ids in enumerate(outputs):
        (sharded_repo / "outputs" / f"prod-shard-{index:02d}.json").write_text(json.dumps({**core, "clientIds": ids}))
    compile_step = step("deploy-sharded", "Compile the environment's detection profile")
    assert compile_step["if"] == "matrix.compile_profile"
    result = run_step(compile_step["run"], sharded_repo, env | {"ENVIRONMENT": "prod"})
    assert result.returncode == 0, result.stdout + result.stderr
    profile = load_profile(sharded_repo / "detection-profile-prod.json")
    assert profile.stack == "prod"
    expected = {real_id(i): i for agent in sample_registry.for_stack("prod") for i, _c, _s in agent.identities()}
    assert {cid: p.identity for cid, p in profile.by_client_id.items()} == expected
    assert all(outputs), "every member holds agents, or the merge is not exercised"
    assert profile.deployer_ids == (DEPLOYER,)

    # A member's stale export with another id for one of its agents fails the step, naming the identity.
    stale = dict(outputs[1])
    victim = sorted(stale)[0]
    stale[victim] = "0oaSTALE000000000000"
    (sharded_repo / "outputs" / "prod-core.json").write_text(json.dumps({**core, "clientIds": {victim: stale[victim]}}))
    result = run_step(compile_step["run"], sharded_repo, env | {"ENVIRONMENT": "prod"})
    assert result.returncode == 2 and f"Error: {victim} has client id" in result.stderr


def test_the_new_jobs_exist_with_permissions_and_the_script_is_executable():
    """The generic workflow tests (test_workflows.py) lint every job and check pinning, permissions and event
    text for every job; this names the new ones so removing them is noticed."""
    jobs = yaml.safe_load(WORKFLOW.read_text())["jobs"]
    assert {"stacks", "deploy", "deploy-sharded"} <= set(jobs)
    assert all("permissions" in jobs[name] for name in ("stacks", "deploy-sharded"))
    assert os.access(SCRIPT, os.X_OK)


# ------------------------------------------------------------------------- pull requests: the touched members only


def changed(root: Path, *paths: str) -> list[str]:
    (root / "changed.txt").write_text("".join(f"{p}\n" for p in paths))
    result = run_script(root, "--changed", str(root / "changed.txt"))
    assert result.returncode == 0, result.stderr
    return [entry["stack"] for entry in json.loads(result.stdout)["include"]]


def test_a_pull_request_previews_only_the_members_its_agent_files_hash_to(sharded_repo: Path):
    """finance-reconciler hashes to member 0 of 3, meeting-summarizer to member 2: member 1 and the core are left
    alone; a deleted file (retired-expense-bot) is placed by its name like any other; docs change nothing."""
    assert [shard_of(n, MEMBERS) for n in ("finance-reconciler", "meeting-summarizer")] == [0, 2]
    selected = changed(sharded_repo, "agents/meeting-summarizer.yaml", "agents/finance-reconciler.yaml",
                       "agents/README.md", "docs/scale.md", "tests/detect/test_cli.py")  # fmt: skip
    assert selected == ["prod-shard-00", "prod-shard-02"]
    retired = f"prod-shard-{shard_of('retired-expense-bot', MEMBERS):02d}"
    assert changed(sharded_repo, "agents/retired-expense-bot.yaml") == [retired]
    assert changed(sharded_repo, "docs/scale.md", ".github/workflows/deploy.yml") == []


def test_a_program_or_stack_file_change_previews_what_it_can_alter(sharded_repo: Path):
    every = ["prod-core", "prod-shard-00", "prod-shard-01", "prod-shard-02"]
    assert changed(sharded_repo, "infra/program.py") == every
    assert changed(sharded_repo, "policies/catalog.yaml", "agents/meeting-summarizer.yaml") == every
    assert changed(sharded_repo, "Pulumi.prod-shard-01.yaml") == ["prod-shard-01"]
    assert changed(sharded_repo, "Pulumi.dev.yaml") == [], "dev is unsharded: the existing preview job covers it"


def test_the_pull_request_step_lists_the_touched_members_from_git(sharded_repo: Path):
    """The members job's own script on a real git history: base commit, then a change to one agent file."""
    env = workspace(sharded_repo) | {"GITHUB_OUTPUT": str(sharded_repo / "github-output")}
    git = ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.com", "-c", "commit.gpgsign=false"]
    # The checkout's agents/ is a symlink to the sample registry's; the history uses a plain directory of its own.
    (sharded_repo / "agents").unlink()
    (sharded_repo / "agents").mkdir()
    subprocess.run(["git", "init", "-q"], cwd=sharded_repo, check=True)
    (sharded_repo / "agents" / "meeting-summarizer.yaml").write_text("name: meeting-summarizer\n")
    (sharded_repo / "agents" / "finance-reconciler.yaml").write_text("name: finance-reconciler\n")
    subprocess.run([*git, "add", "agents"], cwd=sharded_repo, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=sharded_repo, check=True)
    base = subprocess.run(["git", "rev-parse", "HEAD"], cwd=sharded_repo, capture_output=True, text=True).stdout
    (sharded_repo / "agents" / "meeting-summarizer.yaml").write_text("name: meeting-summarizer\n# widened\n")
    subprocess.run([*git, "commit", "-qam", "change one agent"], cwd=sharded_repo, check=True)
    result = run_step(step("members", "Select the touched member stacks", PULL_REQUEST)["run"], sharded_repo,
                      env | {"BASE_SHA": base.strip()})  # fmt: skip
    assert result.returncode == 0, result.stderr
    outputs = dict(line.split("=", 1) for line in (sharded_repo / "github-output").read_text().splitlines())
    assert json.loads(outputs["stacks"]) == {"include": [{"stack": "prod-shard-02"}]}
    assert outputs["has-stacks"] == "true"
    jobs = yaml.safe_load(PULL_REQUEST.read_text())["jobs"]
    preview = jobs["preview-members"]
    assert preview["strategy"]["matrix"] == "${{ fromJSON(needs.members.outputs.stacks) }}"
    assert preview["if"] == "needs.members.outputs.has-stacks == 'true'"
    (uses,) = [s for s in preview["steps"] if "pulumi/actions@" in s.get("uses", "")]
    assert uses["with"]["command"] == "preview" and uses["with"]["stack-name"] == "${{ matrix.stack }}"
    assert uses["with"]["policyPacks"] == "policies/pack"


def gate_run(root: Path) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """The pull request's policy gate step, with an agentid that records the stacks it is asked to check."""
    env = workspace(root) if not (root / "scripts").exists() else {"PATH": "/usr/bin:/bin", "HOME": str(root)}
    recorder = root / ".venv" / "bin" / "agentid"
    recorder.write_text('#!/bin/sh\necho "$3" >> checked.txt\n')
    result = run_step(step("gate", "Policy gate (every stack)", PULL_REQUEST)["run"], root, env)
    checked = root / "checked.txt"
    return result, checked.read_text().split() if checked.exists() else []


def test_the_pull_request_gate_checks_dev_and_prod_when_nothing_is_sharded(tmp_path: Path):
    allow(tmp_path, "dev", "prod")
    for stack in ("dev", "prod"):
        shutil.copy(STACKS / f"Pulumi.{stack}.yaml", tmp_path)
    result, checked = gate_run(tmp_path)
    assert result.returncode == 0, result.stderr
    assert checked == ["dev", "prod"]


def test_the_pull_request_gate_checks_the_core_and_every_member(sharded_repo: Path):
    result, checked = gate_run(sharded_repo)
    assert result.returncode == 0, result.stderr
    assert checked == ["dev", "prod-core", "prod-shard-00", "prod-shard-01", "prod-shard-02"]
    (sharded_repo / "Pulumi.prod-shard-01.yaml").unlink()
    (sharded_repo / "checked.txt").unlink()
    result, checked = gate_run(sharded_repo)
    assert result.returncode != 0 and checked == [] and "no member has index 1" in result.stderr


# ------------------------------------------------------------- the monthly right-sizing: once per deploy environment

RIGHTSIZE = REPO / ".github" / "workflows" / "rightsize.yml"
RIGHTSIZE_FIXTURES = REPO / "tests" / "fixtures" / "rightsize"


def test_rightsizing_runs_each_unsharded_stack_on_its_own_as_before():
    result = run_script(STACKS, "--rightsize")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "include": [{"environment": "dev", "stacks": ["dev"]}, {"environment": "prod", "stacks": ["prod"]}]
    }


def test_rightsizing_runs_a_sharded_environment_once_with_its_core_and_every_member(sharded_repo: Path):
    """Not once per member: the members' agents all name prod, and the core deploys none."""
    result = run_script(sharded_repo, "--rightsize")
    assert result.returncode == 0, result.stderr
    members = [f"prod-shard-{index:02d}" for index in range(MEMBERS)]
    assert json.loads(result.stdout) == {
        "include": [
            {"environment": "dev", "stacks": ["dev"]},
            {"environment": "prod", "stacks": ["prod-core", *members]},
        ]
    }
    (sharded_repo / "Pulumi.prod-shard-01.yaml").unlink()
    broken = run_script(sharded_repo, "--rightsize")
    assert broken.returncode == 2 and not broken.stdout and "no member has index 1" in broken.stderr


def test_the_rightsize_workflow_is_one_job_per_environment(sharded_repo: Path):
    env = workspace(sharded_repo) | {"GITHUB_OUTPUT": str(sharded_repo / "github-output")}
    result = run_step(step("stacks", "List the environments", RIGHTSIZE)["run"], sharded_repo, env)
    assert result.returncode == 0, result.stderr
    outputs = dict(line.split("=", 1) for line in (sharded_repo / "github-output").read_text().splitlines())
    assert [t["environment"] for t in json.loads(outputs["targets"])["include"]] == ["dev", "prod"]
    assert outputs["has-targets"] == "true"
    job = yaml.safe_load(RIGHTSIZE.read_text())["jobs"]["rightsize"]
    assert job["strategy"]["matrix"] == "${{ fromJSON(needs.stacks.outputs.targets) }}"
    assert job["environment"] == "${{ matrix.environment }}-read"
    assert job["if"] == "needs.stacks.outputs.has-targets == 'true'"
    for name in ("agentid rightsize --okta", "Open one pull request per team"):
        found = step("rightsize", name, RIGHTSIZE)
        assert found["env"]["ENVIRONMENT"] == "${{ matrix.environment }}"
        assert "client-ids.args" in found["run"] and '--stack "$ENVIRONMENT"' in found["run"]


def test_a_sharded_environment_is_right_sized_as_the_same_agents_in_one_stack(sharded_repo: Path, sample_registry):
    """The client-id step reads the core's and every member's outputs; with them the report over a month of prod
    events is the one the unsharded prod stack gets from its single outputs file: every identity once, its events
    counted once."""
    env = workspace(sharded_repo)
    single = json.loads((RIGHTSIZE_FIXTURES / "outputs-prod.json").read_text())
    shared = {key: value for key, value in single.items() if key != "clientIds"}
    members: list[dict[str, str]] = [{} for _ in range(MEMBERS)]
    for agent in sample_registry.for_stack("prod"):
        for identity, _c, _s in agent.identities():
            members[shard_of(agent.name, MEMBERS)][identity] = single["clientIds"][identity]
    assert all(members), "every member holds agents, or the merge is not exercised"
    (sharded_repo / "outputs").mkdir()
    (sharded_repo / "outputs" / "prod-core.json").write_text(json.dumps(shared))
    for index, ids in enumerate(members):
        (sharded_repo / "outputs" / f"prod-shard-{index:02d}.json").write_text(json.dumps({**shared, "clientIds": ids}))
    stacks = ["prod-core", *(f"prod-shard-{index:02d}" for index in range(MEMBERS))]
    read = step("rightsize", "Read the environment's client ids", RIGHTSIZE)
    assert read["env"]["STACKS"] == "${{ toJSON(matrix.stacks) }}"
    result = run_step(read["run"], sharded_repo, env | {"STACKS": json.dumps(stacks)})
    assert result.returncode == 0, result.stderr
    assert (sharded_repo / "client-ids.args").read_text().split("\0")[:-1] == [
        part for stack in stacks for part in ("--client-ids", f"outputs-{stack}.json")
    ]

    events = RIGHTSIZE_FIXTURES / "events-prod-2026-11.jsonl"
    as_the_workflow_does = (
        "mapfile -d '' -t client_ids < client-ids.args\n"
        f'.venv/bin/agentid rightsize --events {events} "${{client_ids[@]}}" --stack prod --format json '
        "|| test $? -eq 1"
    )
    sharded = run_step(as_the_workflow_does, sharded_repo, env)
    assert sharded.returncode == 0, sharded.stderr
    unsharded = run_step(
        f".venv/bin/agentid rightsize --events {events} --client-ids {RIGHTSIZE_FIXTURES / 'outputs-prod.json'} "
        "--stack prod --format json || test $? -eq 1",
        sharded_repo,
        env,
    )
    assert unsharded.returncode == 0, unsharded.stderr
    report = json.loads(sharded.stdout)
    assert report == json.loads(unsharded.stdout)
    assert len(report["identities"]) == sum(len(ids) for ids in members)
