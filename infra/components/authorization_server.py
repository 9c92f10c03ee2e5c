"""``AuthorizationServer``: the custom authorization server agents get tokens from, and the scopes they use.

One ``ServerScope`` per catalog scope that at least one deployed identity requests, shared by every agent that uses
it (never one per agent). Scopes are ``consent: IMPLICIT`` (there is no user to ask), ``metadata_publish:
NO_CLIENTS`` (the discovery document does not advertise what agents can do) and never ``default`` (a default scope is
granted to a client that asks for none).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

# By name: pulumi-okta loads its subpackages lazily, on first use (see agent_identity.py).
from pulumi_okta.auth import Server, ServerScope

from agentid.registry.model import ScopeInfo
from infra.config import AuthorizationServerConfig

COMPONENT_TYPE = "agentid:okta:AuthorizationServer"


def scope_resource_name(scope: str) -> str:
    """Logical name of a scope: derived from the scope alone, so adding an agent never renames one."""
    return f"scope-{scope}"


def server_resource_name(component_name: str) -> str:
    """Logical name of the ``okta.auth.Server`` the component named ``component_name`` creates."""
    return f"okta-{component_name}"


@dataclass(frozen=True)
class AuthorizationServerArgs:
    config: AuthorizationServerConfig
    scopes: Sequence[ScopeInfo]
    org_url: str


class AuthorizationServer(pulumi.ComponentResource):
    """Creates the server (or adopts an existing one by id) and declares the scopes agents request."""

    id: pulumi.Output[str]
    issuer: pulumi.Output[str]
    audience: str
    scopes: dict[str, ServerScope]

    def __init__(self, name: str, args: AuthorizationServerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(COMPONENT_TYPE, name, None, opts)
        config = args.config
        self.audience = config.audience
        if config.existing_id is not None:
            self.id = pulumi.Output.from_input(config.existing_id)
            self.issuer = pulumi.Output.from_input(config.issuer or f"{args.org_url}/oauth2/{config.existing_id}")
        else:
            server = Server(
                server_resource_name(name),
                name=config.name,
                description=config.description,
                # Okta accepts exactly one audience per authorization server.
                audiences=[config.audience],
                credentials_rotation_mode="AUTO",
                opts=pulumi.ResourceOptions(
                    parent=self,
                    # Deleting the server revokes every agent's tokens and policies at once: make it a deliberate act
                    # (`pulumi state unprotect`), never the side effect of a config change or a `pulumi destroy`.
                    protect=True,
                ),
            )
            self.id = server.id
            self.issuer = server.issuer
        self.scopes = {}
        for scope in sorted(args.scopes, key=lambda s: s.name):
            self.scopes[scope.name] = ServerScope(
                scope_resource_name(scope.name),
                auth_server_id=self.id,
                name=scope.name,
                description=scope.description,
                consent="IMPLICIT",
                metadata_publish="NO_CLIENTS",
                default=False,
                opts=pulumi.ResourceOptions(
                    parent=self,
                    # Scope names are unique per server: a replacement must delete the old scope before creating it.
                    delete_before_replace=True,
                ),
            )
        self.register_outputs({"id": self.id, "issuer": self.issuer, "audience": self.audience})
