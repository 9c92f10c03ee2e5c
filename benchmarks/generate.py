"""Write N synthetic agent definitions (valid ones and a share with planted violations) and a manifest.

Agent ``i`` depends only on ``(seed, i)``: generating N+1 agents writes the same first N files byte for byte,
which is what the stability benchmark (plan N vs N+1) relies on. Files look like the hand-written samples:
realistic names from :mod:`benchmarks.vocabulary`, real public keys from :mod:`benchmarks.keys`, dates relative to
``today`` so the valid agents stay valid whenever the benchmark runs.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from benchmarks.keys import ec_public_jwk, rsa_public_jwk
from benchmarks.violations import VIOLATIONS, PlantedViolation, waive_okta_token_lifetime
from benchmarks.vocabulary import ACTIVE_HOURS, FIRST_NAMES, KINDS, LAST_NAMES, REGIONS, OktaPlugin

SCHEMA_HEADER = "# yaml-language-server: $schema=../policies/agent.schema.json\n"
MANIFEST_NAME = "manifest.json"
DEFAULT_SEED = 20261201
#: One agent in ten uses an RSA key from the committed pool (while it lasts), a quarter use a jwks_uri, the rest EC.
RSA_EVERY = 10


@dataclass(frozen=True, slots=True)
class GeneratedAgent:
    name: str
    file: str
    planted: str | None  # the rule id a checker must report for this agent, or None for a valid agent
    plugins: int


@dataclass(slots=True)
class Manifest:
    """What was generated: enough for a benchmark to verify that the checkers found every planted violation."""

    n: int
    seed: int
    today: str
    violation_rate: float
    agents: list[GeneratedAgent] = field(default_factory=list)

    @property
    def planted(self) -> dict[str, str]:
        return {a.name: a.planted for a in self.agents if a.planted}

    @property
    def valid(self) -> list[str]:
        return [a.name for a in self.agents if not a.planted]

    @property
    def plugin_count(self) -> int:
        return sum(a.plugins for a in self.agents)

    def to_json(self) -> str:
        body = {
            "n": self.n,
            "seed": self.seed,
            "today": self.today,
            "violation_rate": self.violation_rate,
            "agents": [
                {"name": a.name, "file": a.file, "planted": a.planted, "plugins": a.plugins} for a in self.agents
            ],
        }
        return json.dumps(body, indent=1) + "\n"

    @classmethod
    def read(cls, path: Path) -> Manifest:
        body = json.loads(path.read_text(encoding="utf-8"))
        manifest = cls(body["n"], body["seed"], body["today"], body["violation_rate"])
        manifest.agents = [GeneratedAgent(**a) for a in body["agents"]]
        return manifest


#: Network zone names the repository's stack files define (Pulumi.dev.yaml, Pulumi.prod.yaml: agentid:networkZones).
NETWORK_ZONES = ("finance-batch",)


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)}.{rng.choice(LAST_NAMES)}@example.com"


def _credentials(rng: random.Random, seed: int, index: int, label: str, kid: str, uri: str) -> dict[str, Any]:
    if label == "agent" and index % RSA_EVERY == 3 and (key := rsa_public_jwk(index // RSA_EVERY, kid)) is not None:
        return {"keys": [key]}
    if rng.random() < 0.25:
        return {"jwks_uri": uri}
    rng.random()  # was the P-384 roll: kept so every later draw (and so every generated registry) stays the same
    # P-256 only: the schema refuses other curves (pulumi-okta 7.0.1 drops `crv`; see policies/agent.schema.json).
    return {"keys": [ec_public_jwk(seed, f"{index}:{label}", kid, "P-256")]}


def valid_agent(index: int, *, seed: int, today: dt.date) -> dict[str, Any]:
    """Agent ``index`` as a mapping that passes the schema and every registry rule."""
    rng = random.Random(f"{seed}:{index}")
    kind = KINDS[rng.randrange(len(KINDS))]
    name = f"{kind.stem}-{rng.choice(REGIONS)}-{index:05d}"
    owners = [_person(rng)]
    while len(owners) < 2:
        candidate = _person(rng)
        if candidate != owners[0]:
            owners.append(candidate)
    roll = rng.random()
    environments = ["dev", "prod"] if roll < 0.7 else ["prod"] if roll < 0.9 else ["dev"]
    if rng.random() < 0.1:
        expires = today + dt.timedelta(days=rng.randint(3, 25))
        lifecycle = {"kind": "ephemeral", "review_by": expires.isoformat(), "expires": expires.isoformat()}
    else:
        lifecycle = {"kind": "persistent", "review_by": (today + dt.timedelta(days=rng.randint(30, 170))).isoformat()}
    base_uri = f"https://keys.example.com/agents/{name}"
    agent: dict[str, Any] = {
        "name": name,
        "description": kind.description,
        "owners": owners,
        "team": rng.choice(kind.teams),
        "purpose": kind.purpose,
        "environments": environments,
        "lifecycle": lifecycle,
        "credentials": _credentials(rng, seed, index, "agent", f"{name}-{today:%Y-%m}", f"{base_uri}/jwks.json"),
        "access": {
            "scopes": [{"name": scope, "reason": reason} for scope, reason in kind.scopes],
            "token_lifetime_minutes": rng.choice((5, 10, 15)) if kind.restricted else rng.choice((10, 15, 30)),
            "okta_api_scopes": [],
            # Zone names, resolved per stack (agentid:networkZones): both of the repository's stacks define these.
            "network_zones": [NETWORK_ZONES[index % len(NETWORK_ZONES)]] if rng.random() < 0.3 else [],
        },
        "plugins": [],
        "profile": {
            "max_tokens_per_hour": rng.choice((12, 30, 60, 120, 600)),
            "active_hours_utc": rng.choice(ACTIVE_HOURS),
        },
        "waivers": [],
    }
    if kind.plugin is not None and rng.random() < 0.6:
        plugin_name, description, scopes = kind.plugin
        agent["plugins"].append(
            {
                "name": plugin_name,
                "description": description,
                "scopes": list(scopes),
                "credentials": _credentials(
                    rng, seed, index, plugin_name, f"{name}-{plugin_name}", f"{base_uri}/{plugin_name}/jwks.json"
                ),
            }
        )
    if kind.okta_plugin is not None:
        agent["plugins"].append(_okta_plugin(kind.okta_plugin, rng, seed=seed, index=index, agent_name=name))
        waive_okta_token_lifetime(agent, today)
    return agent


def _okta_plugin(plugin: OktaPlugin, rng: random.Random, *, seed: int, index: int, agent_name: str) -> dict[str, Any]:
    """The plugin holding an agent's Okta management access: no custom scopes, a key of its own.

    An identity holds custom scopes or Okta management access, never both (rule okta-management-separate-identity),
    so the agent's own key never mints an identity-provider token."""
    uri = f"https://keys.example.com/agents/{agent_name}/{plugin.name}/jwks.json"
    return {
        "name": plugin.name,
        "description": plugin.description,
        "scopes": [],
        "okta_api_scopes": list(plugin.okta_api_scopes),
        "okta_admin_roles": list(plugin.okta_admin_roles),
        "credentials": _credentials(rng, seed, index, plugin.name, f"{agent_name}-{plugin.name}", uri),
    }


def planted_violation(index: int, *, seed: int, rate: float) -> PlantedViolation | None:
    """Which violation (if any) agent ``index`` carries; its own random stream so rates do not shift the agents."""
    rng = random.Random(f"{seed}:{index}:violation")
    if rng.random() >= rate:
        return None
    return VIOLATIONS[rng.randrange(len(VIOLATIONS))]


class _AgentDumper(yaml.SafeDumper):
    """Block mappings, lists of plain values inline (``owners: [a, b]``), indented lists: like ``agents/``."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.SequenceNode:
    inline = all(not isinstance(item, (dict, list)) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=inline)


_AgentDumper.add_representer(list, _represent_list)


def render(agent: dict[str, Any]) -> str:
    """The YAML text of an agent, shaped like the samples."""
    body = yaml.dump(agent, Dumper=_AgentDumper, sort_keys=False, default_flow_style=False, width=4096)
    return SCHEMA_HEADER + body


def break_syntax(text: str) -> str:
    """An unclosed flow sequence on the owners line: the mistake a hurried edit makes."""
    return text.replace("owners: [", "owners: [[", 1)


def write_agent(
    agents_dir: Path, index: int, violation: PlantedViolation | None, *, seed: int, today: dt.date
) -> GeneratedAgent:
    """Write agent ``index`` (with ``violation`` planted, if any) to ``agents_dir`` and describe it."""
    agent = valid_agent(index, seed=seed, today=today)
    if violation is not None:
        violation.mutate(agent, today)
    text = render(agent)
    if violation is not None and violation.breaks_text:
        text = break_syntax(text)
    path = agents_dir / f"{agent['name']}.yaml"
    path.write_text(text, encoding="utf-8")
    return GeneratedAgent(
        agent["name"], path.name, violation.rule if violation else None, len(agent.get("plugins") or [])
    )


def generate(
    out_dir: Path,
    n: int,
    *,
    seed: int = DEFAULT_SEED,
    today: dt.date,
    violation_rate: float = 0.1,
) -> Manifest:
    """Write ``n`` agents to ``out_dir/agents/`` (replacing what was there) and ``out_dir/manifest.json``."""
    agents_dir = out_dir / "agents"
    if agents_dir.exists():
        shutil.rmtree(agents_dir)
    agents_dir.mkdir(parents=True)
    manifest = Manifest(n=n, seed=seed, today=today.isoformat(), violation_rate=violation_rate)
    for index in range(n):
        violation = planted_violation(index, seed=seed, rate=violation_rate)
        manifest.agents.append(write_agent(agents_dir, index, violation, seed=seed, today=today))
    (out_dir / MANIFEST_NAME).write_text(manifest.to_json(), encoding="utf-8")
    return manifest
