"""Benchmarks for agentid: synthetic registries, floors, whole-process measurements and docs/benchmarks.md."""
