"""The dependency direction of docs/GUIDE: agents (data) -> agentid.registry -> {policies, infra} -> front-ends.

policies (the rules) and infra (the Pulumi program) are siblings: what both need (the registry model, the stack
configuration in agentid/stack.py) lives below both, so neither imports the other. Checked on the source with ``ast``,
so an import inside a function (the lazy kind) counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

#: package -> the top-level packages it must never import
FORBIDDEN = {"policies": {"infra"}, "infra": {"policies"}}


def imported_packages(path: Path) -> list[tuple[int, str]]:
    """(line, top-level package) for every absolute import in a module, wherever it sits in the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value.split(".")[0]))
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_policies_and_infra_never_import_each_other(package: str):
    modules = sorted((REPO / package).rglob("*.py"))
    assert modules, f"{package}/ holds no Python modules"
    wrong = [
        f"{path.relative_to(REPO)}:{line}: imports {imported}"
        for path in modules
        if "__pycache__" not in path.parts
        for line, imported in imported_packages(path)
        if imported in FORBIDDEN[package]
    ]
    assert not wrong, (
        f"{package}/ must not import {', '.join(sorted(FORBIDDEN[package]))}: move what both need below both "
        "(e.g. agentid/stack.py)\n" + "\n".join(wrong)
    )


def test_the_check_sees_imports_inside_functions(tmp_path: Path):
    """The layering check is not blind to the lazy import that broke the rule before (policies/engine.py)."""
    module = tmp_path / "engine.py"
    module.write_text("def shards():\n    from infra.sharding import parse_shard_config\n    import infra.config\n")
    assert imported_packages(module) == [(2, "infra"), (3, "infra")]
