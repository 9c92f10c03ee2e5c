"""The agentid policy pack: ``pulumi preview --policy-pack policies/pack`` (see README.md in this folder).

The Pulumi CLI runs this file in the pack's own virtualenv (``policies/pack/venv``, from requirements.txt). agentid
is not installed there: the repository root is put on ``sys.path`` so the pack always runs the rules of the
checkout being deployed. Constructing :class:`PolicyPack` starts the analyzer's gRPC server and blocks, so it
happens only when the file runs as a program; the validators live in :mod:`policies.pack.validators`.
"""

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

if __name__ == "__main__":
    from pulumi_policy import EnforcementLevel, PolicyPack

    from policies.pack.validators import PACK_NAME, build_policies

    PolicyPack(
        name=PACK_NAME,
        enforcement_level=EnforcementLevel.MANDATORY,
        description="agentid: least-privilege rules for AI agents' Okta identities (OWASP NHI Top 10).",
        policies=build_policies(),
    )
