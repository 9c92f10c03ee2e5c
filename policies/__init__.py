"""Policy as code: the agent schema, the scope/purpose catalog, the least-privilege rules and their front-ends."""

from pathlib import Path

POLICIES_DIR = Path(__file__).resolve().parent
AGENT_SCHEMA_PATH = POLICIES_DIR / "agent.schema.json"
CATALOG_SCHEMA_PATH = POLICIES_DIR / "catalog.schema.json"
DEFAULT_CATALOG_PATH = POLICIES_DIR / "catalog.yaml"
