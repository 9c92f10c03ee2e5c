"""The HTML inventory in a real headless Chromium (Debian's `chromium`, installed by `scripts/setup --browser`).

The page is loaded from a file URL with networking disabled. ``#q=<text>`` pre-fills the search box through the
page's own script, so the dumped DOM shows what a user typing that text would see. The screenshot test writes its
PNG to pytest's temporary directory, or, when the environment variable ``AGENTID_SCREENSHOT_DIR`` is set, to its
``inventory-browser/`` subdirectory (tests/inventory/shots.py; CI uploads it as the ``inventory-screenshots``
artifact).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from agentid.inventory import build_inventory, render
from tests.conftest import TODAY
from tests.inventory.chromium import BROWSER_MARKS, CHROMIUM
from tests.inventory.shots import screenshot_dir

pytestmark = BROWSER_MARKS


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        CHROMIUM or "chromium",
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=3000",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)


@pytest.fixture(scope="module")
def page(sample_registry, tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("inventory-html")
    path = directory / "inventory.html"
    path.write_text(render(build_inventory(sample_registry, TODAY), "html"), encoding="utf-8")
    return path


def visible_agents(dom: str) -> list[str]:
    rows = re.findall(r'<tr data-agent="([^"]+)"([^>]*)>', dom)
    return [name for name, attributes in rows if "hidden" not in attributes]


def test_page_loads_without_errors_and_search_filters_rows(page, tmp_path):
    everything = chromium(tmp_path / "profile", "--dump-dom", page.as_uri())
    assert everything.returncode == 0, everything.stderr[-2000:]
    dom = everything.stdout
    assert 'data-ready="true"' in dom, "the page's script did not run to the end"
    assert re.search(r'<pre id="page-errors">\s*</pre>', dom), "the page recorded script errors"
    assert "Uncaught" not in everything.stderr, everything.stderr[-2000:]
    assert len(visible_agents(dom)) == 6
    assert "6 of 6 agents" in dom

    filtered = chromium(tmp_path / "profile", "--dump-dom", page.as_uri() + "#q=restricted")
    assert filtered.returncode == 0, filtered.stderr[-2000:]
    assert visible_agents(filtered.stdout) == ["hr-onboarding-assistant", "finance-reconciler"]  # riskiest first
    assert "2 of 6 agents" in filtered.stdout
    # The picture dims what the search excludes, and restricted data stays highlighted.
    assert re.search(r'<g data-agents="support-triage" data-node="a:support-triage" class="dim">', filtered.stdout)
    assert 'data-node="d:finance" data-restricted="true"' in filtered.stdout

    owner = chromium(tmp_path / "profile", "--dump-dom", page.as_uri() + "#q=nina.petrova%40example.com")
    assert visible_agents(owner.stdout) == ["okta-user-auditor"]


def test_screenshot_is_produced(page, tmp_path, tmp_path_factory):
    shot = screenshot_dir(tmp_path_factory, "inventory-browser") / "inventory-restricted.png"
    result = chromium(
        tmp_path / "profile", "--window-size=1400,1100", f"--screenshot={shot}", page.as_uri() + "#q=restricted"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1400, 1100)
    assert len(data) > 20_000, "a blank page compresses to almost nothing"
