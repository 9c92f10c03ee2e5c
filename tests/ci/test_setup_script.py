"""scripts/setup never reuses a virtualenv built for another checkout (a copied or moved repository).

pip writes the checkout's absolute path into the shebang of every script it installs and into the editable install
of agentid, so a `.venv` copied along with the repository runs the other checkout's code (or nothing, once that
checkout is gone). These tests build a small checkout with a real venv (`python -m venv --without-pip`, no
packages: the detection is what is under test, not pip) and ask `scripts/setup --check`, which runs the same
detection `scripts/setup` runs before deciding to rebuild.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

SETUP = REPO / "scripts" / "setup"
SITE = Path("lib") / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"


def lock_hash(root: Path) -> str:
    return subprocess.run(
        "cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1",
        shell=True,
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def installed_for(root: Path, venv: Path, *, stamp_root: Path | None) -> None:
    """Make ``venv`` look as pip leaves it after `scripts/setup` in ``root``: agentid installed editable from
    ``root`` (a .pth naming it), an `agentid` script whose shebang names the venv's python, and the stamp."""
    base = sys._base_executable if hasattr(sys, "_base_executable") else sys.executable
    subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True)
    (venv / SITE / "__editable__.agentid-0.1.0.pth").write_text(f"{root}\n")
    script = venv / "bin" / "agentid"
    script.write_text(f"#!{venv}/bin/python\nfrom agentid.cli.main import main\nmain()\n")
    script.chmod(0o755)
    stamp = lock_hash(root) + (f"\n{stamp_root}\n" if stamp_root else "\n")
    (venv / ".agentid-stamp").write_text(stamp)


@pytest.fixture()
def checkout(tmp_path: Path) -> Path:
    """A checkout holding what scripts/setup reads, a stand-in agentid package, and its own venv."""
    root = tmp_path / "first-checkout"
    (root / "scripts").mkdir(parents=True)
    shutil.copy2(SETUP, root / "scripts" / "setup")
    for name in ("requirements.lock", "pyproject.toml"):
        shutil.copy2(REPO / name, root / name)
    (root / "agentid").mkdir()
    (root / "agentid" / "__init__.py").write_text("")
    installed_for(root, root / ".venv", stamp_root=root)
    return root


def check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(root / "scripts" / "setup"), "--check"], capture_output=True, text=True, timeout=60, check=False
    )


def test_the_checkouts_own_venv_is_used_as_it_is(checkout: Path):
    result = check(checkout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is this checkout's and up to date" in result.stdout


@pytest.mark.parametrize("how", ["copied", "moved"])
def test_a_venv_copied_or_moved_with_the_repository_is_refused(checkout: Path, tmp_path: Path, how: str):
    elsewhere = tmp_path / "second-checkout"
    if how == "copied":
        shutil.copytree(checkout, elsewhere, symlinks=True)
    else:
        checkout.rename(elsewhere)
    result = check(elsewhere)
    assert result.returncode == 1, result.stdout
    assert f".venv was built for {checkout}; run scripts/setup" in result.stdout


def test_an_old_stamp_without_the_path_is_caught_by_the_shebang(checkout: Path, tmp_path: Path):
    """Stamps written before the path was recorded hold only the hash: the scripts' shebangs still tell."""
    (checkout / ".venv" / ".agentid-stamp").write_text(lock_hash(checkout) + "\n")
    assert check(checkout).returncode == 0
    elsewhere = tmp_path / "second-checkout"
    shutil.copytree(checkout, elsewhere, symlinks=True)
    result = check(elsewhere)
    assert result.returncode == 1
    assert f".venv/bin/agentid runs {checkout}/.venv/bin/python, another checkout's" in result.stdout


def test_an_editable_install_of_another_checkout_is_caught(checkout: Path, tmp_path: Path):
    """Stamp and shebangs right, but agentid imports from elsewhere (`pip install -e` run in another checkout)."""
    other = tmp_path / "other-checkout"
    (other / "agentid").mkdir(parents=True)
    (other / "agentid" / "__init__.py").write_text("")
    (checkout / ".venv" / SITE / "__editable__.agentid-0.1.0.pth").write_text(f"{other}\n")
    result = check(checkout)
    assert result.returncode == 1
    assert f".venv imports agentid from {other}/agentid/__init__.py, not from {checkout}" in result.stdout


def test_a_changed_lock_file_is_reported_stale(checkout: Path):
    with (checkout / "requirements.lock").open("a") as lock:
        lock.write("# a new pin\n")
    result = check(checkout)
    assert result.returncode == 1 and ".venv is older than requirements.lock" in result.stdout


def test_setup_rebuilds_rather_than_reuses_what_check_refuses():
    """The install path acts on the same verdict: it removes a foreign venv before building (read from the script,
    since running it would reinstall every package)."""
    text = SETUP.read_text()
    assert "problem=$(venv_problem .venv agentid)" in text
    assert "if [[ -n $problem && -e .venv ]]; then" in text and "rm -rf .venv\n" in text
    assert "problem=$(venv_problem .venv-checkov checkov)" in text and "rm -rf .venv-checkov\n" in text


def test_the_repositorys_own_venv_passes_the_check():
    """The detection recognises a venv pip really built (real shebangs, setuptools' editable finder), so the
    check never forces a needless rebuild."""
    result = subprocess.run([str(SETUP), "--check"], capture_output=True, text=True, timeout=60, check=False)
    # stale only when a lock file changed since the last scripts/setup (make test runs it first)
    assert result.returncode == 0 or "older than requirements.lock" in result.stdout, result.stdout + result.stderr
