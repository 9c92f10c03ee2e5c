"""How long `agentid rightsize` takes on 30 days of events of N synthetic agents (not run by the tests).

    .venv/bin/python -m benchmarks.rightsize --agents 1000 --per-day 8

Writes N agents (benchmarks/generate.py, no planted violations) and a JSON-lines file where every identity gets
``--per-day`` grants a day for 30 days, each granting its first declared scope, then times reading the registry,
folding the events (agentid.rightsize.usage) and building the report, and prints the figures and the peak memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import tempfile
import time
from pathlib import Path

from agentid.detect.clientids import offline_client_id
from agentid.registry import load_registry
from agentid.rightsize.analysis import analyse
from agentid.rightsize.usage import UsageCollector, Window
from benchmarks.generate import generate

TODAY = dt.date(2026, 12, 1)


def write_events(path: Path, registry, per_day: int, days: int) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for offset in range(days, 0, -1):
            day = (TODAY - dt.timedelta(days=offset)).isoformat()
            for agent in registry.agents:
                for identity, _credentials, scopes in agent.identities():
                    scope = (scopes or ("okta.users.read",))[0]
                    client = offline_client_id(identity)
                    for n in range(per_day):
                        event = {
                            "actor": {"id": client, "type": "PublicClientApp"},
                            "eventType": "app.oauth2.as.token.grant.access_token",
                            "outcome": {"result": "SUCCESS"},
                            "published": f"{day}T{(n * 3) % 24:02d}:{n % 60:02d}:00.000Z",
                            "uuid": f"{identity}-{day}-{n}",
                            "debugContext": {"debugData": {"requestedScopes": scope, "grantedScopes": scope}},
                        }
                        out.write(json.dumps(event, separators=(",", ":")) + "\n")
                        count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--per-day", type=int, default=8)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root, args.agents, today=TODAY, violation_rate=0.0)
        repo = Path(__file__).resolve().parents[1]
        registry = load_registry(root / "agents", repo / "policies" / "catalog.yaml").registry
        events = root / "events.jsonl"
        count = write_events(events, registry, args.per_day, args.days)
        from agentid.detect.definitions import build_detection_set

        started = time.perf_counter()
        detections = build_detection_set(registry, today=TODAY)
        collector = UsageCollector(detections.identities, Window(TODAY, args.days))
        with events.open("rb", buffering=1 << 20) as source:
            collector.read(source, str(events))
        folded = time.perf_counter()
        report = analyse(collector.usage, registry.agents)
        done = time.perf_counter()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{len(registry.agents)} agents, {len(detections.identities)} identities, {count} events "
            f"({events.stat().st_size / 1e6:.0f} MB): folded in {folded - started:.1f} s "
            f"({count / (folded - started):,.0f} events/s), report in {done - folded:.2f} s, "
            f"{len(report.proposals)} proposals; peak RSS {peak:.0f} MB"
        )


if __name__ == "__main__":
    main()
