"""``LogStreaming``: Okta's System Log streamed to AWS EventBridge or Splunk Cloud, where detections watch agents.

Without it nobody sees an agent's token requests or a refused scope, so it is protected against accidental deletion.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_okta as okta

from infra.config import LogStreamConfig

COMPONENT_TYPE = "agentid:okta:LogStreaming"


@dataclass(frozen=True)
class LogStreamingArgs:
    config: LogStreamConfig
    #: The Splunk HEC token, as a secret Output (``pulumi config set --secret agentid:splunkHecToken``).
    splunk_token: pulumi.Input[str] | None = None


def _settings(args: LogStreamingArgs) -> okta.LogStreamSettingsArgs:
    config = args.config
    if config.is_eventbridge:
        return okta.LogStreamSettingsArgs(
            account_id=config.account_id, region=config.region, event_source_name=config.event_source_name
        )
    if args.splunk_token is None:
        raise ValueError("a Splunk log stream needs the secret agentid:splunkHecToken")
    # Output.secret: the token stays a secret even if a caller passed a plain string.
    return okta.LogStreamSettingsArgs(
        host=config.host, edition=config.edition, token=pulumi.Output.secret(args.splunk_token)
    )


class LogStreaming(pulumi.ComponentResource):
    """One ``okta.LogStream`` of the configured type."""

    stream: okta.LogStream

    def __init__(self, name: str, args: LogStreamingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(COMPONENT_TYPE, name, None, opts)
        self.config = args.config
        self.stream = okta.LogStream(
            "okta-system-log",
            name=args.config.name,
            type=args.config.type,
            status="ACTIVE",
            settings=_settings(args),
            opts=pulumi.ResourceOptions(
                parent=self,
                # Deleting the stream silently blinds every detection; it must take `pulumi state unprotect` first.
                protect=True,
                # Okta allows two log streams per org and unique names, and a type or AWS settings change forces a
                # replacement: the old stream must go before the new one can be created.
                delete_before_replace=True,
                # Splunk settings hold the HEC token: keep them secret in state as well as in inputs.
                additional_secret_outputs=[] if args.config.is_eventbridge else ["settings"],
            ),
        )
        self.register_outputs({"type": args.config.type, "name": args.config.name})
