"""A malformed ``#q=`` link must not stop the inventory page's script (issue 15): decodeURIComponent throws URIError on
a broken percent escape; the page falls back to the raw text and still works. Runs in the same headless Chromium as
test_inventory_browser.py (skipped, saying why, where it is not installed)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agentid.inventory import build_inventory, render
from tests.conftest import TODAY
from tests.inventory.test_inventory_browser import CHROMIUM, chromium, visible_agents

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="BROWSER TEST SKIPPED: run `scripts/setup --browser`."),
]


@pytest.mark.parametrize("fragment", ["#q=%E0%A4%A", "#q=%", "#q=restricted%ZZ"])
def test_a_malformed_search_link_falls_back_to_the_raw_text(sample_registry, tmp_path: Path, fragment: str):
    page = tmp_path / "inventory.html"
    page.write_text(render(build_inventory(sample_registry, TODAY), "html"), encoding="utf-8")
    result = chromium(tmp_path / "profile", "--dump-dom", page.as_uri() + fragment)
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    assert 'data-ready="true"' in dom, f"{fragment}: the page's script stopped before the end"
    assert re.search(r'<pre id="page-errors">\s*</pre>', dom), f"{fragment}: the page recorded a script error"
    assert "URIError" not in result.stderr
    # The raw text is searched: no agent's text holds it, so every row is hidden and the count says so.
    assert visible_agents(dom) == [] and "0 of 6 agents" in dom
