"""checkov over the hostile agent fixtures (issue 15, finding 3): checkov copies the failing block's source lines into
its console output, SARIF and JUnit, so private key material in any shape (keys as a mapping, JSON or YAML text, a PEM
block in a comment) must be kept out of the lines it quotes, and no check on such a file may be skipped."""

from __future__ import annotations

import shutil

from tests.checkov.test_checkov_adapter import results, run_script
from tests.conftest import FIXTURES

HOSTILE = FIXTURES / "agents" / "hostile"


def test_checkov_quotes_no_private_key_material_in_any_shape(tmp_path):
    agents = tmp_path / "agents"
    shutil.copytree(HOSTILE, agents, ignore=shutil.ignore_patterns("README.md", "collision"))
    # a checkov skip comment in a file holding a key as JSON text: skipping would quote the whole document
    target = agents / "keys-as-json-text.yaml"
    target.write_text(
        target.read_text().replace(
            "team: customer-support\n", "team: customer-support\n# checkov:skip=CKV_AGENT_3:hiring\n"
        )
    )
    proc = run_script("--no-secrets", "--output", tmp_path / "out", agents)
    assert proc.returncode == 1, proc.stderr
    for report in [proc.stdout, proc.stderr, *(p.read_text() for p in (tmp_path / "out").iterdir())]:
        assert "SECRET" not in report
    outcome = results(tmp_path / "out" / "agents.junit.xml")
    assert "skipped" not in {v for (file, _check), v in outcome.items() if file == "keys-as-json-text.yaml"}
