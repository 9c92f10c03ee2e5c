"""A company makes the repository its own: the suite survives its registry (issue 16).

From a copy of the repository as a company receives it (the git-tracked files, the samples as the registry), the
registry is changed the way the README says: an agent added with `agentid new` and filled in, two samples deleted,
CODEOWNERS regenerated. The registry tests (tests/registry_live) then run in that copy, with the copy's code first
on the path, and must pass; so must they on a registry emptied of every agent.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, SAMPLE_REPO, TODAY, is_company_data
from tests.docs.test_readme import blocks, commands, walkthrough_agent

SAMPLES_DELETED = ("meeting-summarizer", "support-triage")


def template_copy(target: Path) -> Path:
    """The repository's tracked files (and new ones not ignored), with the sample registry as its registry."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listing.split("\0")):
        source, relative = REPO / name, Path(name)
        if source.is_file() and not is_company_data(relative):
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / relative)
    for source in SAMPLE_REPO.rglob("*"):
        relative = source.relative_to(SAMPLE_REPO)
        if source.is_file() and is_company_data(relative):
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / relative)
    (target / ".venv").symlink_to(REPO / ".venv")
    return target


def agentid(root: Path, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(root / ".venv" / "bin" / "agentid"), *shlex.split(command)[1:]],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(root)},
    )


def registry_tests(root: Path) -> subprocess.CompletedProcess[str]:
    """tests/registry_live in ``root``, its code first on the path, dates pinned as CI would pin them."""
    env = {**os.environ, "PYTHONPATH": str(root), "AGENTID_TODAY": TODAY.isoformat(), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/registry_live"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def test_samples_replaced_by_the_companys_agents_keep_the_registry_tests_green(tmp_path: Path):
    root = template_copy(tmp_path / "adopted")
    (scaffold,) = [c for b in blocks(REPO / "README.md") for c, _ in commands(b) if " new invoice-matcher " in c]
    created = agentid(root, f"{scaffold} --today {TODAY.isoformat()}")
    assert created.returncode == 0, created.stderr
    (root / "agents" / "invoice-matcher.yaml").write_text(walkthrough_agent(), encoding="utf-8")
    for name in SAMPLES_DELETED:
        (root / "agents" / f"{name}.yaml").unlink()
    regenerated = agentid(root, ".venv/bin/agentid codeowners")
    assert regenerated.returncode == 0, regenerated.stderr
    codeowners = (root / ".github" / "CODEOWNERS").read_text()
    assert "/agents/invoice-matcher.yaml" in codeowners and "/agents/support-triage.yaml" not in codeowners

    result = registry_tests(root)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " failed" not in result.stdout and " skipped" not in result.stdout


def test_an_empty_registry_keeps_the_registry_tests_green(tmp_path: Path):
    root = template_copy(tmp_path / "empty")
    for path in (root / "agents").glob("*.yaml"):
        path.unlink()
    regenerated = agentid(root, ".venv/bin/agentid codeowners")
    assert regenerated.returncode == 0, regenerated.stderr
    result = registry_tests(root)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " failed" not in result.stdout
