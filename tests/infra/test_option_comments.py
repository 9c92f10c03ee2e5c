"""Each ``protect``, ``delete_before_replace`` and ``depends_on`` in the program says why it is there.

These options change what a deploy does to real Okta objects (refuse a delete, delete before create, serialise
creation); a later editor must know the Okta behaviour behind each one before touching it. The comment sits on the
lines just above the option (or on the same line).
"""

from __future__ import annotations

import re

from tests.conftest import REPO

OPTION = re.compile(r"\b(protect|delete_before_replace|depends_on)=")
#: how far above an option its explanation may start (a comment may span a few lines)
REACH = 4


def test_every_resource_option_is_explained():
    unexplained, seen = [], 0
    for path in sorted((REPO / "infra").rglob("*.py")):
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines):
            match = OPTION.search(line)
            if not match or line.lstrip().startswith("#"):
                continue
            seen += 1
            window = lines[max(0, number - REACH) : number + 1]
            if not any("#" in above.split('"')[0] for above in window):
                unexplained.append(f"{path.relative_to(REPO)}:{number + 1}: {line.strip()}")
    assert seen >= 5, f"found only {seen} options: the pattern no longer matches the program"
    assert not unexplained, "options without a comment saying why:\n" + "\n".join(unexplained)
