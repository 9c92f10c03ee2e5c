"""The headless Chromium both inventory browser test modules drive, and the marks that skip them, loudly, without it."""

from __future__ import annotations

import shutil

import pytest

#: Debian's `chromium` (``scripts/setup --browser`` installs it), or None.
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

#: ``pytestmark`` of a module that needs the browser.
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="BROWSER TEST SKIPPED: Debian's `chromium` is not installed. Run `scripts/setup --browser` "
        "(CI does, via `make test`) to test the inventory page in a real browser.",
    ),
]
