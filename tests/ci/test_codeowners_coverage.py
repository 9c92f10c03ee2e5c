"""CODEOWNERS makes the security team approve every change to what decides or deploys access (issue 15): the
workflows, the deploy allow-list, the scripts CI runs, the program, the registry code, the policies, the stack files
(a new ``Pulumi.qa.yaml`` included) and the dependency locks; agent files stay owned by their owners.

The generated file is read with GitHub's rules (https://docs.github.com/en/repositories/managing-your-repositorys-
settings-and-features/customizing-your-repository/about-code-owners: gitignore-style patterns, a leading ``/``
anchors at the root, a trailing ``/`` owns everything below, ``*`` stays within one path segment, the last matching
line wins)."""

from __future__ import annotations

import re

import pytest

from agentid.review.codeowners import OwnersMap, render_codeowners
from tests.conftest import REPO

SECURITY = "@example-org/identity-security"
MUST_BE_SECURITY_OWNED = [
    ".github/workflows/deploy.yml",
    ".github/workflows/pull-request.yml",
    ".github/CODEOWNERS",
    ".github/deploy-stacks.txt",
    "scripts/deploy_stacks.py",
    "scripts/setup",
    "infra/program.py",
    "agentid/review/render.py",
    "agentid/registry/loader.py",
    "policies/catalog.yaml",
    "policies/owners.yaml",
    "policies/checkov/requirements.lock",
    "Pulumi.yaml",
    "Pulumi.prod.yaml",
    "Pulumi.qa.yaml",  # a stack file a pull request adds
    "requirements.lock",
    "pyproject.toml",
    "tools/package-lock.json",
]


def _regex(pattern: str) -> re.Pattern[str]:
    anchored = pattern.startswith("/")
    body = pattern.strip("/")
    text = "".join("[^/]*" if part == "*" else re.escape(part) for part in re.split(r"(\*)", body))
    prefix = "" if anchored or "/" in body else "(?:.*/)?"
    suffix = "(?:/.*)?" if not pattern.endswith("/") else "/.*"
    return re.compile(f"^{prefix}{text}{suffix}$")


def owners_of(codeowners: str, path: str) -> list[str]:
    found: list[str] = []
    for line in codeowners.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        pattern, *owners = line.split()
        if _regex(pattern).match(path):
            found = owners  # the last matching pattern wins
    return found


def test_the_matcher_follows_githubs_rules():
    text = "/policies/ @sec\n/Pulumi.*.yaml @sec\n/agents/a.yaml @alice\n"
    assert owners_of(text, "policies/rules/x.py") == ["@sec"]
    assert owners_of(text, "Pulumi.qa.yaml") == ["@sec"] and owners_of(text, "infra/Pulumi.qa.yaml") == []
    assert owners_of(text, "agents/a.yaml") == ["@alice"] and owners_of(text, "agents/b.yaml") == []


@pytest.fixture()
def generated(sample_registry) -> str:
    handles = {
        email.casefold(): "@" + email.split("@")[0].replace(".", "-") for a in sample_registry for email in a.owners
    }
    owners = OwnersMap(SECURITY, handles, dict.fromkeys(handles, 1), "policies/owners.yaml")
    return render_codeowners(sample_registry, owners)


@pytest.mark.parametrize("path", MUST_BE_SECURITY_OWNED)
def test_the_security_team_owns_what_decides_or_deploys_access(generated: str, path: str):
    assert owners_of(generated, path) == [SECURITY], f"{path} can change without the security team's approval"


def test_agent_files_stay_owned_by_their_owners(generated: str, sample_registry):
    for agent in sample_registry:
        owners = owners_of(generated, agent.file)
        assert owners and SECURITY not in owners, agent.file
        assert len(owners) == len(set(agent.owners)), agent.file


def test_the_committed_codeowners_covers_the_same_paths():
    committed = (REPO / ".github" / "CODEOWNERS").read_text()
    team = owners_of(committed, "policies/catalog.yaml")
    assert team, "the committed CODEOWNERS names a security team"
    assert [p for p in MUST_BE_SECURITY_OWNED if owners_of(committed, p) != team] == []
