"""`agentid:adopt` in a stack file: what `agentid import` writes, and the mistakes a person editing it can make."""

from __future__ import annotations

import pytest

from infra.config import AuthorizationServerConfig, ConfigError, parse_adopt

CREATED = AuthorizationServerConfig(audience="api://agents-dev", name="agents-dev")
REUSED = AuthorizationServerConfig(audience="api://agents", existing_id="aus0reused000000001")


def test_a_full_entry():
    adopted = parse_adopt(
        {"invoice-matcher": {"app": "0oa0invoicematcher01", "label": "Invoice Matcher", "server": "aus0x0000001",
                             "policy": "00p0invoicematcher01", "rule": "0pr0invoicematcher01"}},
        "dev",
        CREATED,
    )  # fmt: skip
    entry = adopted["invoice-matcher"]
    assert (entry.app, entry.label, entry.policy) == ("0oa0invoicematcher01", "Invoice Matcher", "00p0invoicematcher01")


def test_a_reused_server_needs_no_server_id():
    assert parse_adopt(
        {"a-b-c": {"app": "0oa0abc000000000001", "policy": "00p1234567", "rule": "0pr1234567"}}, "p", REUSED
    )


@pytest.mark.parametrize(
    ("entry", "server", "message"),
    [
        ({"label": "x"}, CREATED, "app is required"),
        ({"app": "0oa 1; rm"}, CREATED, "must be an Okta id"),
        ({"app": "0oa0abc00000001", "policy": "00p1234567"}, CREATED, "policy and its rule together"),
        ({"app": "0oa0abc00000001", "policy": "00p1234567", "rule": "0pr1234567"}, CREATED, "server is required"),
        ({"app": "0oa0abc00000001", "server": "aus0other000001", "policy": "00p1234567", "rule": "0pr1234567"}, REUSED,
         "only on the stack's own authorization server"),
        ({"app": "0oa0abc00000001", "secret": "x"}, CREATED, "secret"),
    ],
)  # fmt: skip
def test_mistakes_are_named(entry, server, message):
    with pytest.raises(ConfigError, match=message):
        parse_adopt({"invoice-matcher": entry}, "dev", server)
