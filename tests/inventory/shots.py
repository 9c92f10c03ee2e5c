"""Where the browser tests keep their screenshots: pytest's temporary directory, or ``AGENTID_SCREENSHOT_DIR``.

pytest's temporary directories are gone with the runner, so CI (the ``gate`` job of pull-request.yml, docs/ci.md)
sets ``AGENTID_SCREENSHOT_DIR`` to a directory outside the checkout and uploads it as the ``inventory-screenshots``
artifact: a reviewer sees what the page looked like in the run that tested it. Outside the checkout, so checkov's
scan of the repository after the tests never reads them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: The environment variable naming the directory the screenshots are written to (created if missing).
SCREENSHOT_DIR_ENV = "AGENTID_SCREENSHOT_DIR"


def screenshot_dir(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """``$AGENTID_SCREENSHOT_DIR/<name>`` when the variable is set (one subdirectory per test module, so two
    modules' screenshots never overwrite each other), else a fresh temporary directory called ``name``."""
    configured = os.environ.get(SCREENSHOT_DIR_ENV)
    if not configured:
        return tmp_path_factory.mktemp(name)
    directory = Path(configured) / name
    directory.mkdir(parents=True, exist_ok=True)
    return directory
