"""The mock engine harness: repeatable in one process, and loud about holes and failures."""

from __future__ import annotations

import pulumi
import pulumi_okta as okta
import pytest

from agentid.plan import PlanError, build_plan
from agentid.plan.engine import run_program
from tests.conftest import STACKS, TODAY


def _run(program):
    return run_program(program, project="agentid", stack="dev", config={}, secret_keys=())


def test_plans_are_repeatable_and_do_not_leak_between_runs(sample_registry, dev_plan, prod_plan):
    again = build_plan(sample_registry, "dev", today=TODAY, root=STACKS)
    assert again.to_dict() == dev_plan.to_dict(), "a second dev plan in the same process differs"
    assert again.outputs == dev_plan.outputs, "stack outputs differ between runs"
    prod_audience = prod_plan.named("okta-authorization-server").inputs["audiences"]
    assert prod_audience == ["api://agents"], f"prod plan saw another stack's config: {prod_audience}"
    assert len({r.urn for r in again.resources}) == len(again.resources), "a run registered resources twice"
    assert all(r.urn.startswith("urn:pulumi:dev::agentid::") for r in again.resources), "URNs name stack and project"


def test_an_unknown_input_fails_the_plan():
    def program():
        app = okta.app.OAuth("meeting-summarizer-app", label="meeting-summarizer", type="service")
        # The mock engine returns no `clientSecret`: in a preview it stays unknown and must not vanish silently.
        okta.auth.ServerPolicy(
            "meeting-summarizer-policy",
            auth_server_id="aus1",
            description="d",
            priority=1,
            client_whitelists=[app.client_secret],
        )
        return None, {}

    with pytest.raises(PlanError, match=r"unknown inputs.*meeting-summarizer-policy\.clientWhitelists\[0\]"):
        _run(program)


def test_an_unknown_stack_output_fails_the_plan():
    def program():
        app = okta.app.OAuth("finance-reconciler-app", label="finance-reconciler", type="service")
        return None, {"clientSecret": app.client_secret}

    with pytest.raises(PlanError, match="stack output `clientSecret` is unknown"):
        _run(program)


def test_an_exception_inside_an_apply_surfaces():
    def program():
        app = okta.app.OAuth("support-triage-app", label="support-triage", type="service")

        def broken(client_id: str) -> str:
            raise RuntimeError(f"cannot derive a policy name from {client_id}")

        okta.auth.ServerPolicy(
            "support-triage-policy",
            auth_server_id="aus1",
            description="d",
            priority=1,
            client_whitelists=[app.client_id.apply(broken)],
        )
        return None, {}

    with pytest.raises(RuntimeError, match="cannot derive a policy name"):
        _run(program)


def test_a_provider_function_call_cannot_be_planned_offline():
    def program():
        okta.auth.get_server(name="default")
        return None, {}

    with pytest.raises(Exception, match=r"okta:auth/getServer:getServer.*cannot be planned offline"):
        _run(program)


def test_secret_inputs_are_masked_wherever_they_sit():
    def program():
        okta.app.OAuth(
            "hr-onboarding-assistant-app",
            label="hr-onboarding-assistant",
            type="service",
            client_basic_secret=pulumi.Output.secret("s3cr3t-basic"),
        )
        return None, {"secret": pulumi.Output.secret("s3cr3t-output")}

    result = _run(program)
    (registration,) = result.registrations
    assert registration.inputs["clientBasicSecret"] == "[secret]", registration.urn
    assert "s3cr3t" not in repr(registration.inputs), registration.urn
    assert result.outputs == {"secret": "[secret]"}, "secret stack outputs are masked"


def test_log_streaming_keeps_a_plain_splunk_token_secret():
    """The component wraps the token in ``Output.secret`` itself, so a caller passing plain text cannot leak it."""
    from infra.components.log_streaming import LogStreaming, LogStreamingArgs
    from infra.config import SPLUNK, LogStreamConfig

    config = LogStreamConfig(type=SPLUNK, name="agentid-dev-splunk", host="acme.splunkcloud.com", edition="aws")

    def program():
        LogStreaming("log-streaming", LogStreamingArgs(config=config, splunk_token="hec-plain-0f8a21"))
        return None, {}

    result = _run(program)
    (stream,) = [r for r in result.registrations if r.type == "okta:index/logStream:LogStream"]
    assert stream.inputs["settings"]["token"] == "[secret]", f"{stream.urn}: the HEC token is not marked secret"
    assert "hec-plain-0f8a21" not in repr(stream.inputs), f"{stream.urn}: the HEC token reached the plan"
    assert stream.additional_secret_outputs == ("settings",), f"{stream.urn}: settings (the token) clear in state"
