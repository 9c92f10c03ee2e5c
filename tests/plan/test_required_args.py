"""Every Okta resource in the plan sets every argument the pulumi-okta SDK marks as required."""

from __future__ import annotations

import inspect

import pulumi_aws as aws
import pulumi_okta as okta

#: The SDK argument class of every Okta resource the program declares: their required parameters must be set.
ARGS_CLASSES = {
    "okta:app/oAuth:OAuth": okta.app.OAuthArgs,
    "okta:auth/server:Server": okta.auth.ServerArgs,
    "okta:auth/serverScope:ServerScope": okta.auth.ServerScopeArgs,
    "okta:auth/serverPolicy:ServerPolicy": okta.auth.ServerPolicyArgs,
    "okta:auth/serverPolicyRule:ServerPolicyRule": okta.auth.ServerPolicyRuleArgs,
    "okta:index/appOauthApiScope:AppOauthApiScope": okta.AppOauthApiScopeArgs,
    "okta:app/oauthRoleAssignment:OauthRoleAssignment": okta.app.OauthRoleAssignmentArgs,
    "okta:index/logStream:LogStream": okta.LogStreamArgs,
    # The Detections component (EventBridge rules on the Okta partner bus)
    "pulumi:providers:aws": aws.ProviderArgs,
    "aws:cloudwatch/eventBus:EventBus": aws.cloudwatch.EventBusArgs,
    "aws:cloudwatch/eventRule:EventRule": aws.cloudwatch.EventRuleArgs,
    "aws:cloudwatch/eventTarget:EventTarget": aws.cloudwatch.EventTargetArgs,
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _required(args_class: type) -> list[str]:
    signature = inspect.signature(args_class.__init__)
    return [
        _camel(p.name)
        for p in signature.parameters.values()
        if p.kind is p.KEYWORD_ONLY and p.default is inspect.Parameter.empty
    ]


def test_required_provider_arguments_are_all_present(dev_plan, prod_plan):
    checked = 0
    for plan in (dev_plan, prod_plan):
        for resource in plan.resources:
            if resource.type.startswith("agentid:"):
                continue
            assert resource.type in ARGS_CLASSES, f"{resource.urn}: add {resource.type} to ARGS_CLASSES"
            for name in _required(ARGS_CLASSES[resource.type]):
                assert resource.inputs.get(name) not in (None, "", []), f"{resource.urn}: required `{name}` missing"
                checked += 1
    assert checked > 100, f"only {checked} required arguments checked"
    assert _required(okta.auth.ServerPolicyRuleArgs) == ["authServerId", "grantTypeWhitelists", "policyId", "priority"]
