"""Stack configuration drives the plan: log stream kinds, masked secrets, reused servers, errors saying what to do."""

from __future__ import annotations

import json

import pytest

from agentid.plan import SECRET_PLACEHOLDER, PlanError, StackNotFoundError, build_plan, plan_repository
from tests.conftest import CATALOG, FIXTURES, REPO, STACKS, TODAY
from tests.plan.conftest import EVENTBRIDGE_STACK, SPLUNK_STACK, make_stack_root

LOG_STREAM = "okta:index/logStream:LogStream"


def test_eventbridge_log_stream(sample_registry, tmp_path):
    plan = build_plan(sample_registry, "dev", today=TODAY, root=make_stack_root(tmp_path, "dev", EVENTBRIDGE_STACK))
    assert len(plan.for_agent("meeting-summarizer")) == 8, "the dev agents are planned with this stack file"
    (stream,) = plan.of_type(LOG_STREAM)
    assert stream.inputs == {
        "name": "agentid-test-system-log",
        "settings": {"accountId": "123456789012", "eventSourceName": "agentid_test_okta", "region": "eu-west-1"},
        "status": "ACTIVE",
        "type": "aws_eventbridge",
    }, stream.urn
    assert plan.max_token_lifetime_minutes == 45, "agentid:maxTokenLifetimeMinutes from the stack file"


def test_splunk_log_stream_token_is_masked(sample_registry, tmp_path):
    plan = build_plan(sample_registry, "dev", today=TODAY, root=make_stack_root(tmp_path, "dev", SPLUNK_STACK))
    (stream,) = plan.of_type(LOG_STREAM)
    assert stream.inputs["type"] == "splunk_cloud_logstreaming", stream.urn
    assert stream.inputs["settings"] == {
        "edition": "aws",
        "host": "acme.splunkcloud.com",
        "token": SECRET_PLACEHOLDER,
    }, f"{stream.urn}: settings as the engine sees them, token masked"
    assert "settings" in plan.options_of(stream).additional_secret_outputs, f"{stream.urn}: token secret in state"
    dumped = json.dumps(plan.to_dict())
    assert "Q2lwaGVydGV4dE5vdEFSZWFsVG9rZW4" not in dumped, "the encrypted config value leaked into the plan"


def test_splunk_without_token_stops_with_the_command_to_set_it(sample_registry, tmp_path):
    stack = SPLUNK_STACK.split("  agentid:splunkHecToken:")[0]
    root = make_stack_root(tmp_path, "dev", stack)
    with pytest.raises(PlanError, match=r"agentid:splunkHecToken") as raised:
        build_plan(sample_registry, "dev", today=TODAY, root=root)
    assert "pulumi config set --secret" in str(raised.value), str(raised.value)


def test_reusing_an_existing_authorization_server(sample_registry, tmp_path):
    stack = EVENTBRIDGE_STACK.replace(
        '{name: agents-test, audience: "api://agents-test"}', '{id: aus1agents0test, audience: "api://agents-test"}'
    )
    plan = build_plan(sample_registry, "dev", today=TODAY, root=make_stack_root(tmp_path, "dev", stack))
    assert not plan.of_type("okta:auth/server:Server"), "an existing server must not be created again"
    scopes = plan.of_type("okta:auth/serverScope:ServerScope")
    assert scopes and all(s.inputs["authServerId"] == "aus1agents0test" for s in scopes), "scopes on the reused server"
    policy = plan.named("meeting-summarizer-policy")
    assert policy.inputs["authServerId"] == "aus1agents0test", policy.urn
    assert plan.outputs["issuer"] == "https://example-test.oktapreview.com/oauth2/aus1agents0test", "default issuer"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("type: aws_eventbridge", "type: kinesis"), r"agentid:logStream\.type must be one of"),
        (('accountId: "123456789012"', "accountId: twelve"), r"agentid:logStream\.accountId"),
        (('maxTokenLifetimeMinutes: "45"', 'maxTokenLifetimeMinutes: "2000"'), r"agentid:maxTokenLifetimeMinutes"),
        (("okta:orgName: example-test", "okta:orgName: ''"), r"okta:orgName is not set"),
        (('audience: "api://agents-test"}', 'audience: "api://agents-test", id: default}'), r"not both"),
    ],
)
def test_bad_stack_config_names_the_file_and_key(sample_registry, tmp_path, edit, message):
    stack = EVENTBRIDGE_STACK.replace(*edit)
    assert stack != EVENTBRIDGE_STACK, f"fixture edit {edit} applied"
    with pytest.raises(PlanError, match=message) as raised:
        build_plan(sample_registry, "dev", today=TODAY, root=make_stack_root(tmp_path, "dev", stack))
    assert "Pulumi.dev.yaml" in str(raised.value), str(raised.value)


def test_unknown_stack_lists_the_available_ones(sample_registry):
    with pytest.raises(StackNotFoundError) as raised:
        build_plan(sample_registry, "staging", today=TODAY, root=STACKS)
    assert raised.value.available == ["dev", "prod"], raised.value.available
    assert "Available stacks: dev, prod" in str(raised.value), str(raised.value)


def test_loader_errors_stop_the_plan_with_the_findings():
    with pytest.raises(PlanError) as raised:
        plan_repository(REPO, "dev", today=TODAY, agents_dir=FIXTURES / "agents" / "invalid", catalog=CATALOG)
    findings = raised.value.findings
    assert findings, "the loader's findings travel with the error"
    assert all(f.file and f.file.startswith("tests/fixtures/agents/invalid/") for f in findings), [
        f.location for f in findings
    ]
    assert any(f.line for f in findings), "findings point at lines"


def test_committed_stack_files_hold_no_secret_in_clear():
    import yaml

    checked = 0
    for path in sorted(STACKS.glob("Pulumi.*.yaml")):
        config = yaml.safe_load(path.read_text())["config"]
        for key in ("okta:orgName", "okta:baseUrl"):
            assert config.get(key), f"{path.name}: {key} is required by the Okta provider"
        for key in ("okta:privateKey", "okta:apiToken", "okta:accessToken", "agentid:splunkHecToken"):
            value = config.get(key)
            assert value is None or (isinstance(value, dict) and set(value) == {"secure"}), (
                f"{path.name}: {key} must be set with `pulumi config set --secret`"
            )
        checked += 1
    assert checked == 2, "Pulumi.dev.yaml and Pulumi.prod.yaml"


@pytest.mark.parametrize("key", ["okta:privateKey", "okta:apiToken", "agentid:splunkHecToken"])
def test_a_credential_in_clear_in_the_stack_file_stops_the_plan(sample_registry, tmp_path, key):
    leaked = "-----BEGIN PRIVATE KEY-----MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"
    stack = EVENTBRIDGE_STACK + f'  {key}: "{leaked}"\n'
    with pytest.raises(PlanError) as raised:
        build_plan(sample_registry, "dev", today=TODAY, root=make_stack_root(tmp_path, "dev", stack))
    message = str(raised.value)
    assert f"Pulumi.dev.yaml: {key} holds a credential in clear text" in message, message
    assert f"pulumi config set --secret {key}" in message, message
    assert leaked not in message, "the error must not repeat the credential"
