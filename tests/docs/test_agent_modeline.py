"""Every committed agent file names its schema on line 1, so editors complete and check it as people type.

The YAML language server (VS Code, Neovim, JetBrains) reads this modeline; `agentid new` writes it. These tests
check the sample registry and the scaffold; tests/registry_live/ checks the live agents/ the same way.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import AGENTS_DIR, REPO

MODELINE = "# yaml-language-server: $schema=../policies/agent.schema.json"
AGENT_FILES = sorted(AGENTS_DIR.glob("*.yaml")) + sorted(AGENTS_DIR.glob("*.yml"))


def test_there_are_agent_files():
    assert len(AGENT_FILES) >= 6


def test_the_modeline_points_at_the_schema():
    """The relative path in the modeline must resolve from the repository's agents/ to the real schema file."""
    schema = (REPO / "agents" / MODELINE.split("$schema=", 1)[1]).resolve()
    assert schema == REPO / "policies" / "agent.schema.json" and schema.is_file()


@pytest.mark.parametrize("path", AGENT_FILES, ids=lambda p: p.name)
def test_agent_file_starts_with_the_schema_modeline(path: Path):
    first_line = path.read_text(encoding="utf-8").split("\n", 1)[0].rstrip("\r")
    assert first_line == MODELINE, (
        f"agents/{path.name}:1: the first line must be `{MODELINE}` (got {first_line!r}); "
        "add it so editors check the file against the schema"
    )


def test_agentid_new_writes_the_modeline(tmp_path: Path):
    from agentid.cli.main import main

    code = main(
        [
            "new",
            "invoice-matcher",
            "--purpose",
            "reconciliation",
            "--owner",
            "maria.lopez@example.com",
            "--agents",
            str(tmp_path),
            "--today",
            "2026-12-01",
        ]
    )
    assert code == 0
    assert (tmp_path / "invoice-matcher.yaml").read_text().split("\n", 1)[0] == MODELINE
