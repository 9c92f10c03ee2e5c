"""What ``pulumi preview`` and ``pulumi up`` run (``Pulumi.yaml``: ``main: infra/``). Thin on purpose.

It loads the registry with the same strict loader as ``agentid validate``, reads the stack configuration and hands
both to :func:`infra.program.declare`, the function the offline plan runs too. Invalid definitions stop the deploy
with the loader's findings (``file:line:col: message``), never with a traceback or a half-applied registry.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

#: The repository root: agents/ and policies/ are read from here whatever directory Pulumi runs us from.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # Pulumi puts infra/ itself on sys.path, not the repository root
    sys.path.insert(0, str(ROOT))

import pulumi  # noqa: E402

from agentid.registry import CatalogError, load_registry  # noqa: E402
from infra.config import ConfigError, load_stack_config  # noqa: E402
from infra.program import ProgramError, declare  # noqa: E402


def main(root: Path = ROOT) -> None:
    """Declare the current stack. ``root`` is a parameter so tests can point it at a fixture repository."""
    try:
        config = load_stack_config()
        result = load_registry(root / "agents", root / "policies" / "catalog.yaml", root=root)
    except ConfigError as exc:
        raise pulumi.RunError(str(exc)) from None
    except CatalogError as exc:
        raise pulumi.RunError(
            "the scope catalog is invalid; nothing was deployed:\n"
            + "\n".join(f"{f.location}: {f.message}" for f in exc.findings)
        ) from None
    if not result.ok:
        raise pulumi.RunError(
            "the agent definitions are invalid; nothing was deployed. Fix these (see `agentid validate`):\n"
            + "\n".join(f"{f.location}: {f.severity}: {f.message}" for f in result.findings)
        )
    today = config.today or dt.datetime.now(dt.UTC).date()
    try:
        declared = declare(result.registry, config, today)
    except ProgramError as exc:
        raise pulumi.RunError(str(exc)) from None
    for name, value in declared.outputs.items():
        pulumi.export(name, value)


if __name__ == "__main__":  # Pulumi runs this file as __main__; importing it (tests) declares nothing
    main()
