"""Stack rules: judge the plan as a whole, for what no single resource can show (is anything watching?)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from agentid.findings import Severity
from agentid.resources import PlannedResource
from policies.rules.base import RuleContext, RuleKind, Violation, rule

LOG_STREAM: Final = "okta:index/logStream:LogStream"


@rule(
    id="stack-has-log-stream",
    number=90,
    title="The stack streams Okta's System Log",
    severity=Severity.ERROR,
    nhi=("NHI2", "NHI10"),
    rationale="Detections (a leaked key used from elsewhere, a human replaying an agent's credential, a scope "
    "refused, a client's privileges changed) all read the System Log. Without an active log stream the stack "
    "deploys identities that nobody watches, and Okta keeps only 90 days of log for later.",
    remediation="Deploy the LogStreaming component (okta.LogStream of type `aws_eventbridge` or "
    "`splunk_cloud_logstreaming`) in this stack, and keep its status ACTIVE.",
    kind=RuleKind.STACK,
    other_standards=("ASI10", "NIST SP 800-207"),
    reads_types=(LOG_STREAM,),
)
def stack_has_log_stream(resources: Sequence[PlannedResource], ctx: RuleContext) -> Iterable[Violation]:
    if ctx.stack in ctx.member_stacks:
        return  # the org's log stream is its core stack's (one per org; Okta allows two): judged there
    streams = [r for r in resources if r.type == LOG_STREAM]
    stack = f"stack `{ctx.stack}`" if ctx.stack else "the stack"
    if not streams:
        yield Violation(f"{stack} has no Okta log stream ({LOG_STREAM}); agent activity would go unwatched")
        return
    # An explicit INACTIVE is a stream that delivers nothing; unset means Okta's default, ACTIVE.
    if all(r.inputs.get("status") == "INACTIVE" for r in streams):
        names = ", ".join(f"`{r.name}`" for r in streams)
        yield Violation(f"{stack} declares log stream {names} but none is ACTIVE; agent activity would go unwatched")
