"""Registry tests: what must hold for whatever the live registry contains (0, 1 or 1,000 agents).

Everything else in tests/ tests the tool, on its own sample registry (tests/fixtures/sample-repo). These tests read
the company's own data: agents/, policies/ (catalog, owners, settings), every Pulumi.<stack>.yaml and
.github/CODEOWNERS. They name no agent, scope or stack: every agent validates, `check` passes on every stack, every
stack's offline plan succeeds, every agent's owners approve its file through CODEOWNERS, and the documented commands
that do not depend on particular agents run. tests/ci/test_adopted_registry.py runs this module on a changed registry
(samples deleted, a new agent added) and on an empty one.

Dates are judged on a pinned day (tests.conftest.TODAY), or on ``AGENTID_TODAY`` (YYYY-MM-DD) when it is set: a
test suite must not turn red because the calendar moved. Judging the registry as of the real today (an overdue
access review, a lapsed waiver) is the policy gate's job: the pull-request and deploy workflows run `agentid check`
without --today. To see what the gate will say on a given day, run with AGENTID_TODAY=YYYY-MM-DD.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from agentid.cli.main import main
from agentid.plan.stackfile import available_stacks
from tests.conftest import REPO, TODAY

AGENTS = REPO / "agents"
CATALOG = REPO / "policies" / "catalog.yaml"
STACKS = available_stacks(REPO)
DAY = os.environ.get("AGENTID_TODAY") or TODAY.isoformat()

#: README commands whose outcome holds for any registry (their outputs go to a temporary directory); `{stack}`
#: means every stack. Each must stay documented in README.md or the Makefile's demo.
DOCUMENTED = (
    ".venv/bin/agentid validate",
    ".venv/bin/agentid check --stack {stack}",
    ".venv/bin/agentid plan --stack {stack}",
    ".venv/bin/agentid rules",
    ".venv/bin/agentid check --format sarif --output out/agentid.sarif",
    ".venv/bin/agentid inventory --format html --output out/inventory.html",
    ".venv/bin/agentid review-report --format csv --output out/access-review.csv",
)
#: subcommands that take --today
DATED = {"check", "plan", "inventory", "review-report"}


@pytest.fixture(autouse=True)
def _at_the_repository_root(monkeypatch):
    monkeypatch.chdir(REPO)


def run(capsys, *args: str) -> tuple[int, str, str]:
    if args[0] in DATED:
        args = (*args, "--today", DAY)
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def agent_files() -> list[Path]:
    return sorted(AGENTS.glob("*.yaml"))


def test_every_agent_validates(capsys):
    code, out, err = run(capsys, "validate", "--format", "json")
    assert code == 0, out + err
    report = json.loads(out)
    assert report["findings"] == [], report["findings"]
    assert report["summary"]["agents"] == len(agent_files())


@pytest.mark.parametrize("stack", STACKS)
def test_check_passes_on_the_stack(capsys, stack: str):
    """Registry rules and resource rules on the stack's offline plan: what the pull request's policy gate runs."""
    code, out, err = run(capsys, "check", "--stack", stack, "--format", "json")
    assert code == 0, out + err
    assert [f for f in json.loads(out)["findings"] if not f["waived"] and f["severity"] == "error"] == []


@pytest.mark.parametrize("stack", STACKS)
def test_the_stack_plans(capsys, stack: str):
    code, out, err = run(capsys, "plan", "--stack", stack, "--format", "json")
    assert code == 0, err
    planned = json.loads(out)
    assert planned["stack"] == stack and isinstance(planned["resources"], list)


def test_every_agents_owners_approve_its_file(capsys):
    """CODEOWNERS is what `agentid codeowners` generates, and each agent file's line names every owner's handle."""
    code, out, err = run(capsys, "codeowners", "--check")
    assert code == 0, out + err
    from agentid.registry import load_registry
    from agentid.review.codeowners import load_owners_map

    registry = load_registry(AGENTS, CATALOG, root=REPO).registry
    handles = load_owners_map(REPO / "policies" / "owners.yaml").handles
    lines = (REPO / ".github" / "CODEOWNERS").read_text(encoding="utf-8").splitlines()
    for agent in registry:
        pattern = f"/agents/{Path(agent.file).name}"
        owned = [line.split()[1:] for line in lines if line.split()[:1] == [pattern]]
        assert owned, f"{agent.file}: no line for it in .github/CODEOWNERS: run `agentid codeowners` and commit it"
        missing = [owner for owner in agent.owners if handles.get(owner.casefold()) not in owned[-1]]
        assert not missing, f"{agent.file}: owners {missing} cannot approve changes to it (.github/CODEOWNERS)"


def test_every_agent_file_names_its_schema_for_editors():
    from tests.docs.test_agent_modeline import MODELINE

    wrong = [f"agents/{path.name}:1" for path in agent_files() if not path.read_text().startswith(MODELINE + "\n")]
    assert not wrong, f"these files do not start with `{MODELINE}` (agentid new writes it): {wrong}"


def test_the_documented_commands_run(capsys, tmp_path: Path):
    """The per-stack ones (`check --stack`, `plan --stack`) are the tests above; the rest run here."""
    documented = (REPO / "README.md").read_text(encoding="utf-8") + (REPO / "Makefile").read_text(encoding="utf-8")
    for command in DOCUMENTED:
        assert command.split(" {stack}")[0] in documented, f"`{command}` is no longer documented: update DOCUMENTED"
    for command in (c for c in DOCUMENTED if "{stack}" not in c):
        args = [str(tmp_path / a[len("out/") :]) if a.startswith("out/") else a for a in command.split()[1:]]
        code, out, err = run(capsys, *args)
        assert code == 0, f"`{command}` exited {code}\n{out[-2000:]}\n{err[-2000:]}"
    assert (tmp_path / "inventory.html").is_file() and (tmp_path / "agentid.sarif").is_file()
