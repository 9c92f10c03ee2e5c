"""One ComponentResource per Okta bundle: each groups its children (``parent=self``) so a plan reads per agent."""

from infra.components.agent_identity import AgentIdentity, AgentIdentityArgs, IdentitySpec
from infra.components.authorization_server import AuthorizationServer, AuthorizationServerArgs
from infra.components.log_streaming import LogStreaming, LogStreamingArgs

__all__ = [
    "AgentIdentity",
    "AgentIdentityArgs",
    "AuthorizationServer",
    "AuthorizationServerArgs",
    "IdentitySpec",
    "LogStreaming",
    "LogStreamingArgs",
]
