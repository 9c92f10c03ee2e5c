"""Renderers: the same findings as text for people, JSON for tools, SARIF for code scanning, JUnit for CI."""
