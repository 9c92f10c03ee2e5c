"""The pack as the Pulumi CLI runs it: `python -m pulumi.policy <engine> policies/pack` serves the analyzer gRPC
protocol; the test speaks that protocol (GetAnalyzerInfo, Analyze, AnalyzeStack) instead of the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from policies.engine import STACK_FILE_RULES
from policies.rules import RuleKind, all_rules
from tests.conftest import TODAY, fixture_repo

APP = "okta:app/oAuth:OAuth"


@pytest.fixture(scope="module")
def analyzer(tmp_path_factory) -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    # The pack judges the checkout it sits in: run it from a repository built from the sample registry.
    pack = fixture_repo(tmp_path_factory.mktemp("pack-checkout")) / "policies" / "pack"
    env = {**os.environ, "AGENTID_TODAY": TODAY.isoformat(), "PYTHONPATH": ""}
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:0", str(pack)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=pack,
    )
    try:
        port = proc.stdout.readline().strip()
        assert port.isdigit(), (
            f"the pack did not start: {port!r} {proc.stderr.read() if proc.poll() is not None else ''}"
        )
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=10)
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        proc.kill()
        proc.wait(timeout=10)


def props(values: dict) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(values)
    return s


def test_pack_announces_one_mandatory_policy_per_resource_and_stack_rule(analyzer):
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty(), timeout=10)
    expected = [
        r.meta.id
        for r in all_rules()
        if r.meta.kind in (RuleKind.RESOURCE, RuleKind.STACK) or r.meta.id in STACK_FILE_RULES
    ]
    assert info.name == "agentid"
    assert [p.name for p in info.policies] == expected
    assert {p.enforcementLevel for p in info.policies} == {analyzer_pb2.MANDATORY}


def test_pack_blocks_a_hand_written_app_with_a_secret_in_state(analyzer):
    request = analyzer_pb2.AnalyzeRequest(
        type=APP,
        name="expense-approver-app",
        urn=f"urn:pulumi:prod::agentid::{APP}::expense-approver-app",
        properties=props({"label": "expense-approver", "type": "web", "grantTypes": ["authorization_code"]}),
    )
    response = analyzer.Analyze(request, timeout=30)
    by_policy = {d.policyName: d for d in response.diagnostics}
    assert {"app-service-type", "app-client-credentials-only", "app-private-key-jwt", "app-omit-secret"} <= set(
        by_policy
    ), [d.message for d in response.diagnostics]
    assert by_policy["app-omit-secret"].enforcementLevel == analyzer_pb2.MANDATORY
    assert "`expense-approver-app`" in by_policy["app-omit-secret"].message


def test_pack_blocks_a_hand_written_grant_of_an_admin_granting_okta_scope(analyzer):
    grant = "okta:index/appOauthApiScope:AppOauthApiScope"
    request = analyzer_pb2.AnalyzeRequest(
        type=grant,
        name="vendor-sync-okta-api-scopes",
        urn=f"urn:pulumi:prod::agentid::{grant}::vendor-sync-okta-api-scopes",
        properties=props(
            {"appId": "0oa1vendorsync", "issuer": "https://acme.okta.com", "scopes": ["okta.roles.manage"]}
        ),
    )
    [diagnostic] = analyzer.Analyze(request, timeout=30).diagnostics
    assert diagnostic.policyName == "no-forbidden-okta-scope-for-client"
    assert diagnostic.enforcementLevel == analyzer_pb2.MANDATORY and "`okta.roles.manage`" in diagnostic.message


def test_pack_passes_a_compliant_app_and_checks_the_stack_for_a_log_stream(analyzer):
    compliant = analyzer_pb2.AnalyzeRequest(
        type=APP,
        name="finance-reconciler-app",
        urn=f"urn:pulumi:prod::agentid::{APP}::finance-reconciler-app",
        properties=props(
            {
                "type": "service",
                "grantTypes": ["client_credentials"],
                "tokenEndpointAuthMethod": "private_key_jwt",
                "jwksUri": "https://keys.example.com/finance-reconciler/jwks.json",
                "omitSecret": True,
            }
        ),
    )
    assert list(analyzer.Analyze(compliant, timeout=30).diagnostics) == []
    stack = analyzer_pb2.AnalyzeStackRequest(
        resources=[
            analyzer_pb2.AnalyzerResource(
                type=compliant.type, name=compliant.name, urn=compliant.urn, properties=compliant.properties
            )
        ]
    )
    messages = [d.message for d in analyzer.AnalyzeStack(stack, timeout=30).diagnostics]
    assert any("stack `prod` has no Okta log stream" in m for m in messages), messages
