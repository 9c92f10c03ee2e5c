"""Stack files are written in pull requests, and the deploy job turns some of their values into command-line
arguments (issue 15, finding 10) and decides from them which GitHub environment deploys (the weakness "a stack file
added in a PR deploys through an environment with no reviewers"). The workflow's own step scripts run here on
hostile stack files, as tests/ci/test_deploy_stacks.py runs them on good ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ci.test_deploy_stacks import (
    DEPLOYER,
    PULL_REQUEST,
    allow,
    gate_run,
    run_script,
    run_step,
    step,
    workspace,
    write_stack,
)

CLIENT = "0oa1allowed0client00"
INJECTED = f"{DEPLOYER}\n--allow-client\n*"


def _detections(*deployers: object, allowed: list[object] | None = None) -> dict:
    return {"agentid:detections": {"enabled": True, "deployerIds": list(deployers), "allowedClientIds": allowed or []}}


def _recording_agentid(root: Path) -> Path:
    """An agentid that records its arguments NUL-delimited, so the test sees exactly what the step passed."""
    record = root / "agentid-args"
    fake = root / ".venv" / "bin" / "agentid"
    fake.unlink()
    fake.write_text(f'#!/bin/sh\nfor a in "$@"; do printf "%s\\0" "$a"; done > {record}\n')
    fake.chmod(0o755)
    return record


@pytest.fixture()
def prod_repo(tmp_path: Path) -> Path:
    allow(tmp_path, "dev", "prod")
    write_stack(tmp_path, "dev", None)
    write_stack(tmp_path, "prod", None, _detections(DEPLOYER, allowed=[CLIENT]))
    (tmp_path / "outputs").mkdir()
    (tmp_path / "outputs" / "prod.json").write_text(json.dumps({"clientIds": {}}))
    return tmp_path


# ------------------------------------------------------------------------------------- finding 10: ids as arguments


def test_detection_ids_are_printed_nul_delimited_as_options(prod_repo: Path):
    result = run_script(prod_repo, "--detection-args", "prod")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\0") == ["--deployer-id", DEPLOYER, "--allow-client", CLIENT, ""]


@pytest.mark.parametrize(
    "bad",
    [INJECTED, "*", "0oa*", "--stack=dev", " 0oa1deployer0service0", "0oa1deployer0service0 ", 42, None, ""],
    ids=["newlines", "wildcard", "prefix-wildcard", "option", "leading-space", "trailing-space", "number", "null",
         "empty"],
)  # fmt: skip
def test_a_value_that_is_not_an_okta_id_is_refused_naming_the_file_and_entry(prod_repo: Path, bad):
    write_stack(prod_repo, "prod", None, _detections(DEPLOYER, bad))
    result = run_script(prod_repo, "--detection-args", "prod")
    assert result.returncode == 2 and result.stdout == ""
    assert (
        "Pulumi.prod.yaml: agentid:detections.deployerIds[1] is" in result.stderr and "not an Okta id" in result.stderr
    )


def test_the_deploy_step_passes_each_id_as_one_argument(prod_repo: Path):
    env = workspace(prod_repo) | {"STACK": "prod"}
    record = _recording_agentid(prod_repo)
    result = run_step(step("deploy", "Compile the detection profile")["run"], prod_repo, env)
    assert result.returncode == 0, result.stderr
    args = record.read_text().split("\0")[:-1]
    assert args[args.index("--deployer-id") :] == ["--deployer-id", DEPLOYER, "--allow-client", CLIENT]


def test_the_deploy_step_stops_on_an_injected_newline_before_running_agentid(prod_repo: Path):
    """The reported attack: a deployerIds entry with newlines became extra CLI arguments in the mapfile step."""
    write_stack(prod_repo, "prod", None, _detections(INJECTED))
    env = workspace(prod_repo) | {"STACK": "prod"}
    record = _recording_agentid(prod_repo)
    result = run_step(step("deploy", "Compile the detection profile")["run"], prod_repo, env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "not an Okta id" in result.stderr
    assert not record.exists(), "agentid ran with arguments from a hostile stack file"


def test_a_stack_file_name_that_is_not_a_stack_name_is_refused(prod_repo: Path):
    (prod_repo / "Pulumi.dev\n--stack=prod.yaml").write_text("config: {}\n")
    result = run_script(prod_repo)
    assert result.returncode == 2 and "is not a Pulumi stack name" in result.stderr and result.stdout == ""


def test_an_error_quoting_a_hostile_key_prints_no_workflow_command(prod_repo: Path):
    write_stack(prod_repo, "dev", {"mode": "all", "x\n::add-mask::hunter2\n::error::forged": 1})
    result = run_script(prod_repo)
    assert result.returncode == 2 and "unknown field" in result.stderr
    assert all(line.startswith("error: ") for line in result.stderr.splitlines()), result.stderr


# ---------------------------------------------------------------------------- the reviewed allow-list of stacks


def test_a_stack_file_added_in_a_pull_request_does_not_deploy(prod_repo: Path):
    write_stack(prod_repo, "qa", None)
    result = run_script(prod_repo)
    assert result.returncode == 2 and result.stdout == ""
    assert "Pulumi.qa.yaml: stack qa is not in .github/deploy-stacks.txt" in result.stderr
    allow(prod_repo, "dev", "prod", "qa")  # the security team's reviewed change
    assert json.loads(run_script(prod_repo).stdout)["unsharded"] == ["dev", "qa", "prod"]


def test_a_sharded_environment_deploys_only_when_listed(tmp_path: Path):
    allow(tmp_path, "dev")
    write_stack(tmp_path, "dev", None)
    write_stack(tmp_path, "qa-core", {"mode": "core", "environment": "qa"})
    write_stack(tmp_path, "qa-shard-00", {"mode": "member", "environment": "qa", "index": 0, "count": 1,
                                          "core": "acme/agentid/qa-core"})  # fmt: skip
    result = run_script(tmp_path)
    assert result.returncode == 2 and "sharded environment qa is not in .github/deploy-stacks.txt" in result.stderr
    allow(tmp_path, "dev", "qa")
    assert [e["stack"] for e in json.loads(run_script(tmp_path).stdout)["sharded"]] == ["qa-core", "qa-shard-00"]


def test_without_the_allow_list_nothing_deploys(prod_repo: Path):
    (prod_repo / ".github" / "deploy-stacks.txt").unlink()
    result = run_script(prod_repo)
    assert result.returncode == 2 and ".github/deploy-stacks.txt does not exist" in result.stderr


def test_the_order_step_and_the_pull_request_gate_stop_on_an_unlisted_stack(prod_repo: Path):
    write_stack(prod_repo, "qa", None)
    env = workspace(prod_repo) | {"GITHUB_OUTPUT": str(prod_repo / "github-output")}
    order = run_step(step("stacks", "Order the stacks")["run"], prod_repo, env)
    assert order.returncode != 0 and "stack qa is not in" in order.stderr
    outputs = prod_repo / "github-output"
    assert not outputs.exists() or "unsharded=" not in outputs.read_text(), "no matrix for the deploy jobs"
    result, checked = gate_run(prod_repo)
    assert result.returncode != 0 and checked == []


def test_the_repository_lists_its_deploy_environments_and_previews_use_a_read_only_credential():
    from tests.conftest import REPO

    listed = [
        line.split("#")[0].strip()
        for line in (REPO / ".github" / "deploy-stacks.txt").read_text().splitlines()
        if line.split("#")[0].strip()
    ]
    assert listed == ["dev", "prod"]
    for job in ("preview", "preview-members"):
        text = json.dumps(step_env(job))
        assert "PREVIEW" in text and "secrets.PULUMI_ACCESS_TOKEN" not in text and "secrets.OKTA_API_" not in text


def step_env(job: str) -> dict:
    import yaml

    data = yaml.safe_load(PULL_REQUEST.read_text())["jobs"][job]
    (uses,) = [s for s in data["steps"] if "pulumi/actions@" in s.get("uses", "")]
    return {"job": data.get("env", {}), "step": uses.get("env", {})}
