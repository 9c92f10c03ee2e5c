"""What :func:`agentid.plan.prepare` imports while the agent files are read, and what it leaves out.

`agentid check` imports the program, the SDK and the provider on the main process while its workers parse the agent
files; whatever the first plan would still import after that is on the critical path of a pull request's check.
pulumi-okta loads its subpackages lazily (on first attribute use), so the components import the classes they
declare by name; pulumi-aws is only for a stack with EventBridge detections. Each case runs in a fresh interpreter:
this test process has imported everything long ago."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO

DECLARED_FROM = (
    "pulumi_okta.app.o_auth",
    "pulumi_okta.app.oauth_role_assignment",
    "pulumi_okta.auth.server",
    "pulumi_okta.auth.server_scope",
    "pulumi_okta.auth.server_policy",
    "pulumi_okta.auth.server_policy_rule",
)


def _modules_after(code: str) -> set[str]:
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_the_warm_up_loads_the_provider_modules_the_program_declares_from():
    loaded = _modules_after("from agentid.plan import prepare\nprepare()")
    assert set(DECLARED_FROM) <= loaded, sorted(set(DECLARED_FROM) - loaded)


PLAN_OF_DEV = """
from agentid.plan import build_plan
from agentid.registry import load_registry
from tests.conftest import AGENTS_DIR, CATALOG, STACKS, TODAY

registry = load_registry(AGENTS_DIR, CATALOG, root=STACKS).registry
plan = build_plan(registry, "dev", today=TODAY, root=STACKS, {options})
assert plan.resources, "planned"
"""


def test_pulumi_aws_is_imported_to_declare_the_detections_and_not_before():
    """The sample's dev stack streams to EventBridge with detections on: its whole plan declares them, so it imports
    pulumi-aws; the program's import does not, nor does a partial plan that leaves the shared resources out."""
    assert "pulumi_aws" not in _modules_after("import infra.program")
    assert "pulumi_aws" in _modules_after(PLAN_OF_DEV.format(options=""))
    partial = "only=frozenset({next(iter(registry)).name}), shared=False"
    assert "pulumi_aws" not in _modules_after(PLAN_OF_DEV.format(options=partial))
