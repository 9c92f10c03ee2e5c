"""Reading the Pulumi project and stack files (``Pulumi.yaml``, ``Pulumi.<stack>.yaml``): PyYAML's safe constructors
over libyaml.

Why one reader. A pull request's ``check`` and ``review`` read each stack file several times (its digest for the
plan cache, the plan's configuration, the rules' limits, the shared zone ids), a dozen reads each, and PyYAML's
pure-Python parser took ~1.5 ms a file (~20 ms of a command). libyaml, part of the pinned PyYAML wheel, builds the
same values with the same safe constructors about ten times sooner (~0.13 ms), and raises the same
:class:`yaml.YAMLError` (with its ``problem_mark``; its messages are worded its own way). Agent definitions are
not read here: they have their own strict reader (:mod:`agentid.registry.yamlsafe`).
"""

from __future__ import annotations

from typing import Any

import yaml

#: PyYAML's safe loader on libyaml, or (without libyaml) the same loader in pure Python
SAFE_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """The data of one YAML document, built by the safe constructors. Raises :class:`yaml.YAMLError`."""
    return yaml.load(text, Loader=SAFE_LOADER)
