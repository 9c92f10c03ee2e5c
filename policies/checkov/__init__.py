"""checkov adapter: the registry rules as checkov checks (CKV_AGENT_<n>) over agents/*.yaml.

This file must exist: checkov's ``--external-checks-dir`` silently loads *nothing* from a folder without an
``__init__.py`` and then reports a clean pass. ``tests/checkov`` asserts the number of checks actually loaded.
The checks live in :mod:`agent_rule_checks`; they run only inside checkov's own venv (``.venv-checkov``).
"""
