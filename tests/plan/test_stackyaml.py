"""The stack-file reader (agentid/stackyaml.py) builds what PyYAML's pure-Python safe loader builds, refuses what it
refuses, and says where a broken file breaks: it only swaps the parser for libyaml, for speed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agentid.plan import PlanError
from agentid.plan.stackfile import read_yaml
from agentid.stackyaml import SAFE_LOADER, load_yaml
from tests.conftest import FIXTURES

STACK_FILES = sorted(FIXTURES.rglob("Pulumi*.yaml"))


def test_the_reader_runs_on_libyaml():
    assert SAFE_LOADER is yaml.CSafeLoader, "the pinned PyYAML wheel ships libyaml"


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_fixture_stack_file_reads_as_the_pure_python_safe_loader_reads_it(path: Path):
    text = path.read_text(encoding="utf-8")
    assert load_yaml(text) == yaml.load(text, Loader=yaml.SafeLoader)


YAML_11_VALUES = """\
config:
  agentid:orgUrl: https://example.okta.com
  agentid:networkZones:
    finance-batch: {id: nzo1finance0batch}
  agentid:adopt:
    invoice-matcher: {id: 0oa1invoice0matcher}
  agentid:description: "tab\\there, a NUL-free escape \\u2028 and a quote \\" inside"
  agentid:count: 0x1F
  agentid:when: 2026-12-01
  agentid:flag: yes
  agentid:empty:
  agentid:folded: >
    one
    two
"""


def test_yaml_11_scalars_and_escapes_read_the_same():
    assert load_yaml(YAML_11_VALUES) == yaml.load(YAML_11_VALUES, Loader=yaml.SafeLoader)


def test_a_python_tag_is_refused_not_run():
    with pytest.raises(yaml.constructor.ConstructorError):
        load_yaml("config:\n  agentid:orgUrl: !!python/object/apply:os.system ['echo pwned']\n")


def test_a_broken_stack_file_names_its_line_and_column(tmp_path: Path):
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text("config:\n  agentid:orgUrl: https://example.okta.com\n   agentid:shard: [\n", encoding="utf-8")
    with pytest.raises(PlanError, match=r"^Pulumi\.prod\.yaml:3:\d+: not valid YAML: "):
        read_yaml(path)
