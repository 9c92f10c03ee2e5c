"""The checkov adapter, run by the real checkov 3.3.x from its own venv (.venv-checkov, `scripts/setup --checkov`).

checkov passes silently when it loads no check (a checks folder without ``__init__.py``, an import error in the
adapter), so these tests count the checks that actually ran and make sure a failing agent fails.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
from pathlib import Path

import pytest
from junitparser import JUnitXml

from policies.engine import rules_for
from policies.rules import get_rule
from tests.conftest import AGENTS_DIR, FIXTURES, REPO, TODAY, fixture_repo

pytestmark = pytest.mark.checkov

CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"
AGENT_FIXTURES = FIXTURES / "checkov" / "agents"
#: the registry rules: each is one CKV_AGENT_<n> check (resource and stack rules belong to the policy pack)
RULE_CHECK_IDS = {rule.meta.checkov_id for rule in rules_for(with_resources=False)}
#: the loader's own check: YAML, schema, names, purposes and scopes from the catalog
LOAD_CHECK = "CKV_AGENT_0"
REGISTRY_CHECK_IDS = {LOAD_CHECK, *RULE_CHECK_IDS}
PURPOSE_CHECK = get_rule("purpose-data-domain").meta.checkov_id
#: what the checkout checkov runs in holds from the tool, besides fixture_repo's
CHECKOUT_FILES = ("scripts", "agentid", "tests", "docs", "benchmarks", "pyproject.toml", "README.md")
GIT = ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.com", "-c", "commit.gpgsign=false"]

_checkout: list[Path] = []


@pytest.fixture(scope="module", autouse=True)
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git checkout of the tool with the sample registry (fixture_repo): the adapter reads the catalog, settings
    and stack files of the checkout it runs from, so it runs from one that holds no live registry data."""
    root = fixture_repo(tmp_path_factory.mktemp("checkov-checkout"), *CHECKOUT_FILES)
    (root / ".venv-checkov").symlink_to(REPO / ".venv-checkov")
    for args in (["init", "-q"], ["add", "-A", "."], ["commit", "-qm", "sample registry"]):
        subprocess.run([*GIT, *args], cwd=root, check=True, capture_output=True)
    _checkout[:] = [root]
    return root


def run_script(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """scripts/checkov of the checkout; a path into the tool's tree is given as the same path in the checkout."""
    if not CHECKOV.exists():
        pytest.fail(f"{CHECKOV} is missing: run `scripts/setup --checkov` (make test does) to build .venv-checkov")
    (root,) = _checkout
    in_checkout = [root / arg.relative_to(REPO) if isinstance(arg, Path) and arg.is_relative_to(REPO) else arg
                   for arg in args]  # fmt: skip
    return subprocess.run(
        [str(root / "scripts" / "checkov"), "--today", TODAY.isoformat(), *map(str, in_checkout)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def results(junit: Path) -> dict[tuple[str, str], str]:
    """(file name, check id) -> passed | failed | skipped, from checkov's JUnit report."""
    outcome: dict[tuple[str, str], str] = {}
    for suite in JUnitXml.fromfile(str(junit)):
        for case in suite:
            check_id = re.search(r"CKV_AGENT_\d+", case.name).group(0)
            state = "passed"
            if case.result:
                state = "skipped" if type(case.result[0]).__name__ == "Skipped" else "failed"
            outcome[(Path(case._elem.get("file")).name, check_id)] = state
    return outcome


@pytest.fixture(scope="module")
def fixture_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("checkov-fixtures")
    return run_script("--no-secrets", "--output", out, AGENT_FIXTURES), out


def test_checkov_loaded_one_check_per_registry_rule(fixture_run):
    _, out = fixture_run
    ran = {check for _, check in results(out / "agents.junit.xml")}
    assert len(RULE_CHECK_IDS) >= 20 and LOAD_CHECK not in RULE_CHECK_IDS, "the registry rules did not register"
    assert ran == REGISTRY_CHECK_IDS, f"missing: {REGISTRY_CHECK_IDS - ran}, unexpected: {ran - REGISTRY_CHECK_IDS}"


def test_agent_breaking_a_rule_fails_checkov_and_is_located_in_sarif(fixture_run):
    proc, out = fixture_run
    outcome = results(out / "agents.junit.xml")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert outcome[("quarterly-report-summarizer.yaml", PURPOSE_CHECK)] == "failed"
    failed = {k for k, v in outcome.items() if v == "failed" and k[0] != "expense-approver.yaml"}
    assert failed == {("quarterly-report-summarizer.yaml", PURPOSE_CHECK), ("customer-ticket-tagger.yaml", LOAD_CHECK)}
    sarif = json.loads((out / "agents.sarif").read_text())
    (result,) = [
        r
        for r in sarif["runs"][0]["results"]
        if not r.get("suppressions") and "quarterly" in r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    ]
    location = result["locations"][0]["physicalLocation"]
    assert result["ruleId"] == PURPOSE_CHECK and result["level"] == "error"
    assert location["artifactLocation"]["uri"] == "tests/fixtures/checkov/agents/quarterly-report-summarizer.yaml"
    text = (AGENT_FIXTURES / "quarterly-report-summarizer.yaml").read_text().splitlines()
    region = text[location["region"]["startLine"] - 1 : location["region"]["endLine"]]
    assert any("finance.ledger.read" in line for line in region), "the result points at the offending scope"


def test_inline_checkov_skip_comment_skips_only_that_check(fixture_run):
    _, out = fixture_run
    outcome = results(out / "agents.junit.xml")
    skip_line = next(
        line for line in (AGENT_FIXTURES / "board-minutes-summarizer.yaml").read_text().splitlines() if "skip=" in line
    )
    assert f"checkov:skip={PURPOSE_CHECK}:" in skip_line, "the fixture must skip the purpose check by its id"
    assert outcome[("board-minutes-summarizer.yaml", PURPOSE_CHECK)] == "skipped"
    others = {
        v for (file, check), v in outcome.items() if file == "board-minutes-summarizer.yaml" and check != PURPOSE_CHECK
    }
    assert others == {"passed"}
    sarif = json.loads((out / "agents.sarif").read_text())
    (suppressed,) = [r for r in sarif["runs"][0]["results"] if r.get("suppressions")]
    assert suppressed["suppressions"][0]["justification"].startswith("the board secretary accepted")


def test_registry_waiver_passes_the_check_as_agentid_check_waives_the_finding(fixture_run):
    _, out = fixture_run
    outcome = results(out / "agents.junit.xml")
    assert "waivers:\n  - rule: purpose-data-domain" in (AGENT_FIXTURES / "sales-call-summarizer.yaml").read_text()
    assert outcome[("sales-call-summarizer.yaml", PURPOSE_CHECK)] == "passed"


def test_agent_file_that_does_not_load_fails_every_check_instead_of_passing_silently(fixture_run):
    _, out = fixture_run
    outcome = results(out / "agents.junit.xml")
    broken = {check: v for (file, check), v in outcome.items() if file == "expense-approver.yaml"}
    assert set(broken) == REGISTRY_CHECK_IDS and set(broken.values()) == {"failed"}


def test_agent_that_loads_with_a_scope_missing_from_the_catalog_fails_the_load_check(fixture_run):
    """No rule judges an unknown scope (the loader does); checkov must still fail the file, as `agentid check` does."""
    _, out = fixture_run
    outcome = results(out / "agents.junit.xml")
    tagger = {check: v for (file, check), v in outcome.items() if file == "customer-ticket-tagger.yaml"}
    assert tagger.pop(LOAD_CHECK) == "failed"
    assert set(tagger) == RULE_CHECK_IDS and set(tagger.values()) == {"passed"}
    sarif = json.loads((out / "agents.sarif").read_text())
    (result,) = [
        r
        for r in sarif["runs"][0]["results"]
        if r["ruleId"] == LOAD_CHECK and "tagger" in r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    ]
    region = result["locations"][0]["physicalLocation"]["region"]
    text = (AGENT_FIXTURES / "customer-ticket-tagger.yaml").read_text().splitlines()
    assert any("tickets.tag" in line for line in text[region["startLine"] - 1 : region["endLine"]])


def test_compliant_agent_passes_every_check(fixture_run):
    _, out = fixture_run
    outcome = results(out / "agents.junit.xml")
    mine = {check: v for (file, check), v in outcome.items() if file == "meeting-summarizer.yaml"}
    assert set(mine) == REGISTRY_CHECK_IDS and set(mine.values()) == {"passed"}


def planted_secret() -> str:
    """A high-entropy value checkov's secrets scan reports (CKV_SECRET_6), built here so this file holds none."""
    return base64.b64encode(hashlib.sha256(b"agentid: a generated Sigma rule").digest()[:30]).decode()


def sigma_output(checkout: Path) -> Path:
    """Where `agentid detections --out build/detections` writes (docs/detections.md): git-ignored output."""
    path = checkout / "build" / "detections" / "sigma" / "finance-reconciler" / "token-rate-exceeded.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'title: Token rate exceeded\nclient_secret: "{planted_secret()}"\n', encoding="utf-8")
    return path


def test_sample_registry_repository_secrets_and_workflows_pass(tmp_path, checkout: Path):
    """The whole script on a checkout, with generated Sigma rules in the git-ignored build/: our own output, which
    the secrets scan skips like everything git ignores."""
    generated = sigma_output(checkout)
    ignored = subprocess.run(["git", "check-ignore", "-q", str(generated)], cwd=checkout, check=False)
    assert ignored.returncode == 0, "build/ is git-ignored"
    proc = run_script("--output", tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "token-rate-exceeded.yml" not in (tmp_path / "secrets.junit.xml").read_text()
    assert (tmp_path / "agents.sarif").exists() and (tmp_path / "secrets.junit.xml").exists()
    workflow_checks = set(re.findall(r"CKV2?_GHA_\d+", (tmp_path / "workflows.junit.xml").read_text()))
    assert len(workflow_checks) >= 5, f"the github_actions scan ran too few checks: {sorted(workflow_checks)}"
    ran = {check for _, check in results(tmp_path / "agents.junit.xml")}
    assert ran == REGISTRY_CHECK_IDS


def test_the_secrets_scan_still_reports_a_secret_in_a_tracked_file(tmp_path: Path):
    """Skipping what git ignores must not skip what is committed: the same value in a tracked file fails the scan
    (in a small checkout of its own: the scan of the whole tree is the test above)."""
    small = fixture_repo(tmp_path / "small", "scripts", "agentid")
    (small / ".venv-checkov").symlink_to(REPO / ".venv-checkov")
    generated = sigma_output(small)
    leaked = small / "docs" / "detections" / "token-rate-exceeded.yml"
    leaked.parent.mkdir(parents=True)
    leaked.write_text(generated.read_text(), encoding="utf-8")
    for args in (["init", "-q"], ["add", "-A", "."], ["commit", "-qm", "a leaked value"]):
        subprocess.run([*GIT, *args], cwd=small, check=True, capture_output=True)
    (tmp_path / "no-agents").mkdir()  # the agent checks are not under test here: give them nothing to read
    proc = subprocess.run(
        [str(small / "scripts" / "checkov"), "--output", str(tmp_path / "out"), str(tmp_path / "no-agents")],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report = (tmp_path / "out" / "secrets.junit.xml").read_text()
    assert "docs/detections/token-rate-exceeded.yml" in report and "CKV_SECRET_6" in report
    assert "build/detections" not in report, "the git-ignored copy of the same value is not reported"
    assert planted_secret() not in proc.stdout, "checkov masks the value it reports"


def test_a_checks_folder_that_loads_nothing_is_an_error_not_a_pass(tmp_path):
    """Without __init__.py checkov imports nothing and reports success; scripts/checkov refuses that."""
    empty = tmp_path / "checks"
    empty.mkdir()
    (empty / "agent_rule_checks.py").write_text((REPO / "policies/checkov/agent_rule_checks.py").read_text())
    proc = run_script("--no-secrets", "--checks", empty, "--output", tmp_path / "out")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "ran no CKV_AGENT check" in proc.stderr


def test_checkov_reports_a_leaked_key_without_quoting_it(tmp_path):
    """checkov quotes the lines of each failing block in its console, SARIF and JUnit output: for a file holding a
    private key those quotes must not carry the key (a flow-style key on one line, and a file that does not load,
    included)."""
    agents = tmp_path / "agents"
    agents.mkdir()
    auditor = (AGENTS_DIR / "okta-user-auditor.yaml").read_text()
    assert "\n      e: AQAB\n" in auditor
    leaked = auditor.replace(  # the agent's own key (its plugin's, indented deeper, comes later in the file)
        "\n      e: AQAB\n", "\n      e: AQAB\n      d: PLANTED-private-d\n      qi: PLANTED-private-qi\n", 1
    )
    (agents / "okta-user-auditor.yaml").write_text(
        leaked.replace("[nina.petrova@example.com, ", "[okta-user-auditor@example.com, ")
    )
    summariser = (AGENTS_DIR / "meeting-summarizer.yaml").read_text()
    uri = "  jwks_uri: https://keys.example.com/agents/meeting-summarizer/jwks.json\n"
    assert uri in summariser
    flow = "  keys: [{kty: EC, kid: summariser-1, crv: P-256, x: AAAA, y: BBBB, d: PLANTED-flow-d}]\n"
    (agents / "meeting-summarizer.yaml").write_text(summariser.replace(uri, flow) + "colour: teal\n")
    private_check = get_rule("private-key-material").meta.checkov_id
    skips = f"# checkov:skip={private_check}:rotating it tonight\n# checkov:skip={PURPOSE_CHECK}:reviewed in SEC-7\n"
    auditor_file = agents / "okta-user-auditor.yaml"
    auditor_file.write_text(auditor_file.read_text().replace("\nteam:", f"\n{skips}team:", 1))
    admin_check = get_rule("okta-admin-scope").meta.checkov_id
    reconciler = (AGENTS_DIR / "finance-reconciler.yaml").read_text()
    assert "  okta_api_scopes: []\n" in reconciler
    (agents / "finance-reconciler.yaml").write_text(
        reconciler.replace("  okta_api_scopes: []\n", "  okta_api_scopes: [okta.roles.manage]\n").replace(
            "\nteam:", f"\n# checkov:skip={admin_check}:needs it for one migration\nteam:", 1
        )
    )
    proc = run_script("--no-secrets", "--output", tmp_path / "out", agents)
    outcome = results(tmp_path / "out" / "agents.junit.xml")
    assert outcome[("finance-reconciler.yaml", admin_check)] == "failed", "an unwaivable rule is not skipped"
    # A skipped result quotes the whole document: a file holding a private key gets no skips until the key is gone
    assert outcome[("okta-user-auditor.yaml", PURPOSE_CHECK)] == "passed"
    # agentid never waives private key material, and checkov's skip does not either
    assert proc.returncode == 1 and outcome[("okta-user-auditor.yaml", private_check)] == "failed"
    assert outcome[("meeting-summarizer.yaml", private_check)] == "failed"
    assert "kid: okta-user-auditor-2026-11" in proc.stdout, "the result still quotes the key's public lines"
    for report in (proc.stdout, *(path.read_text() for path in (tmp_path / "out").iterdir())):
        assert "PLANTED" not in report


def test_a_malformed_day_is_refused_before_checkov_runs(tmp_path: Path):
    """checkov swallows the adapter's own error and would only say that no check ran."""
    run = run_script("--no-secrets", "--today", "2026-13-01", "--output", tmp_path, AGENT_FIXTURES)
    assert run.returncode == 2
    assert "--today/AGENTID_TODAY '2026-13-01' is not a date; use YYYY-MM-DD" in run.stderr
    assert not (tmp_path / "agents.junit.xml").exists()


def test_custom_scopes_beside_okta_management_access_fail_their_check_and_cannot_be_skipped(tmp_path: Path):
    """Rule 25 (okta-management-separate-identity) is a check like any other registry rule: it fails the agent that
    holds both on one key, whatever its skip comment says (agentid never waives it), and passes the agent whose
    Okta access sits on a plugin with `scopes: []` and the management-only agent."""
    separate = get_rule("okta-management-separate-identity").meta.checkov_id
    assert separate in RULE_CHECK_IDS
    source = FIXTURES / "policies" / "okta-identities"
    agents = tmp_path / "agents"
    agents.mkdir()
    for name in ("access-review-recorder", "dormant-account-reporter"):
        (agents / f"{name}.yaml").write_text((source / f"{name}.yaml").read_text())
    syncer = (source / "group-membership-syncer.yaml").read_text()
    skip = f"# checkov:skip={separate}:the syncer is retired next quarter\n"
    (agents / "group-membership-syncer.yaml").write_text(syncer.replace("\nteam:", f"\n{skip}team:", 1))
    proc = run_script("--no-secrets", "--output", tmp_path / "out", agents)
    outcome = results(tmp_path / "out" / "agents.junit.xml")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert {k: v for k, v in outcome.items() if v != "passed"} == {("group-membership-syncer.yaml", separate): "failed"}
    assert {check for file, check in outcome if file == "access-review-recorder.yaml"} == REGISTRY_CHECK_IDS
