"""The JSON report shared by ``validate`` and ``check``: ``{"findings": [...], "summary": {...}}``."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from agentid.findings import Finding


def render(findings: Iterable[Finding], summary: dict[str, Any], **extra: Any) -> str:
    document = {**extra, "findings": [f.to_dict() for f in findings], "summary": summary}
    return json.dumps(document, indent=2, sort_keys=False)
