"""``AgentIdentity``: one agent (or one plugin) as an Okta non-human identity.

An identity holds EITHER custom authorization-server scopes OR Okta management API access, never both (registry
rule ``okta-management-separate-identity``): one key that mints both business-API and Okta-admin tokens would turn
every business-API compromise into an identity-provider compromise. So an identity costs at most 3 Okta resources.

Children, all parented to the component so a reviewer sees one bundle per identity:

* ``<name>-app``: an OAuth **service** app that may only use client credentials with ``private_key_jwt``, holding
  the identity's public keys (or its JWKS URL) and no client secret (``omit_secret``), INACTIVE once the agent
  expired, labelled ``agentid:<name>`` (``agentid:expired:<name>`` once expired) for the detections;
* ``<name>-policy``: an authorization-server policy whose client whitelist is this app alone, only when the
  identity has custom scopes;
* ``<name>-rule``: its one rule, client credentials only, exactly the identity's scopes and token lifetime (with
  the policy, and only then);
* ``<name>-okta-api-scopes``: Okta management API scopes, only when the identity declares them. They are minted by
  the org authorization server, which custom access policies do not govern: no policy or rule goes with them;
* ``<name>-admin-role-<role>``: one admin role assignment per declared ``okta_admin_roles`` entry (``read-only-admin``
  for ``READ_ONLY_ADMIN``). Okta answers 403 to every management API call from a service app that holds no admin
  role, whatever scopes its tokens carry: the scopes bound what a token may ask for, the role what the app may do;
* one nested ``AgentIdentity`` per plugin: a plugin acts with its own credential and its own, narrower scopes. A
  plugin may hold Okta management access (scopes and admin roles) of its own: that is where an agent that also needs
  custom scopes keeps it. It never inherits the agent's.

Logical names derive from the identity name only, so adding or removing an agent never renames another's resources.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_okta as okta

# The classes by name, not as ``okta.app.OAuth``: pulumi-okta loads its subpackages lazily, on first use, so these
# imports load them with this module (in `agentid check`, while the agent files are read: agentid.plan.prepare),
# not inside the first plan (~50 ms).
from pulumi_okta.app import OAuth, OAuthJwkArgs, OAuthNetworkArgs, OauthRoleAssignment
from pulumi_okta.auth import ServerPolicy, ServerPolicyRule

from agentid.detect.labels import app_label
from agentid.registry.model import Credentials
from infra.spec import IdentitySpec, rule_resource_name

COMPONENT_TYPE = "agentid:okta:AgentIdentity"

#: Every agent's policy is declared with the same priority. Each policy whitelists exactly one client, so the order
#: Okta evaluates them in cannot change who gets which token; a constant means adding an agent never renumbers the
#: others (Okta re-sorts priorities itself on insert, which ``ignore_changes`` below tolerates).
POLICY_PRIORITY = 1
#: Each policy holds a single rule.
RULE_PRIORITY = 1

GRANT_TYPES = ("client_credentials",)


@dataclass(frozen=True)
class AgentIdentityArgs:
    """``after`` is the last priority-bearing resource declared before this identity (see ``depends_on`` below):
    ``None`` when no identity declared before it has a policy."""

    spec: IdentitySpec
    auth_server_id: pulumi.Input[str]
    scope_resources: Mapping[str, pulumi.Resource]
    org_url: str
    plugins: Sequence[IdentitySpec] = ()
    after: pulumi.Resource | None = None
    #: ``agentid:adopt`` (infra.config.Adoption by identity name): existing objects to import instead of creating
    adopt: Mapping[str, Any] = field(default_factory=dict)
    #: the stack's reused authorization server id (policies and rules are imported as ``<server>/<policy>[/<rule>]``)
    existing_server_id: str | None = None


def admin_role_resource_name(identity: str, role: str) -> str:
    """``okta-user-auditor-admin-role-read-only-admin``: stable whatever other roles the identity holds."""
    return f"{identity}-admin-role-{role.lower().replace('_', '-')}"


def _jwks(credentials: Credentials) -> list[OAuthJwkArgs]:
    return [OAuthJwkArgs(kid=k.kid, kty=k.kty, e=k.e, n=k.n, x=k.x, y=k.y) for k in credentials.keys]


class AgentIdentity(pulumi.ComponentResource):
    """An agent's Okta identity: service app, then access policy and rule or Okta API scopes and admin roles, plugins.

    Its attributes are annotated in ``__init__``, not on the class: the SDK reads a resource class's annotations
    (``typing.get_type_hints``, compiling each string annotation) every time it resolves an instance's outputs, to
    type them, and a component has no engine outputs to type. Class annotations cost that once per identity.
    """

    def __init__(self, name: str, args: AgentIdentityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(COMPONENT_TYPE, name, None, opts)
        spec = args.spec
        child = pulumi.ResourceOptions(parent=self)
        credentials = spec.credentials
        # Adopting an existing app (`agentid import`, docs/adopting.md): Pulumi's `import` option takes the object
        # over instead of creating one, so the client id the running agent holds is kept. The import succeeds only
        # when the declared inputs match the object: the app keeps its current label until the entry is removed.
        adoption = args.adopt.get(spec.name)

        self.app = OAuth(
            f"{name}-app",
            # `agentid:<identity>` (`agentid:expired:` once expired): EventBridge recognises agents by this prefix
            # in actor.displayName, so its rules never list client ids (agentid/detect/labels.py).
            label=(adoption.label if adoption and adoption.label else app_label(spec.name, expired=not spec.active)),
            type="service",
            grant_types=list(GRANT_TYPES),
            response_types=["token"],
            token_endpoint_auth_method="private_key_jwt",
            jwks=_jwks(credentials) if credentials.keys else None,
            jwks_uri=credentials.jwks_uri,
            # Without omit_secret Okta still generates a client secret and the provider keeps it in state in clear.
            omit_secret=True,
            status="ACTIVE" if spec.active else "INACTIVE",
            # Without it the provider's Update calls PUT /apps/{id}/policies/{policy} after every change (expiry ->
            # INACTIVE, key rotation), and Okta answers 400 for API service apps, which have no sign-on policy
            # (provider issue 2295). PR 2403 stopped the call on Create for service apps only; Update and Read still
            # make it unless skip_authentication_policy is set (added by PR 2428): okta/terraform-provider-okta@
            # e59c130b okta/services/idaas/resource_okta_app_oauth.go:569 (Create), :691 (Read), :994 (Update).
            skip_authentication_policy=True,
            # The zones' ids in this stack's org (agentid:networkZones). Needs Okta's "network restrictions for the
            # OAuth token endpoint" feature (Settings > Features), without which the restriction is not applied to
            # token requests: https://support.okta.com/help/s/article/network-restrictions-for-oauth-token-endpoint
            network=(
                OAuthNetworkArgs(connection="ZONE", includes=list(spec.network_zones)) if spec.network_zones else None
            ),
            opts=pulumi.ResourceOptions(parent=self, import_=adoption.app) if adoption else child,
        )
        policy_import = rule_import = None
        adopt_server = (adoption.server or args.existing_server_id) if adoption else None
        if adoption and adoption.policy and adopt_server:
            # pulumi-okta's import ids: `<server>/<policy>` and `<server>/<policy>/<rule>`
            policy_import = f"{adopt_server}/{adoption.policy}"
            rule_import = f"{policy_import}/{adoption.rule}"

        #: the last policy rule of this identity's creation chain (its plugins' come after its own); an identity
        #: without custom scopes declares none and passes on the rule it was given
        self.last_priority_resource: pulumi.Resource | None = args.after
        self.policy: ServerPolicy | None = None
        self.rule: ServerPolicyRule | None = None
        if spec.scopes:
            # Only custom scopes go through a custom-server policy; an identity with none (Okta management access
            # only) would get a policy and rule granting nothing, 2 resources and a link in the serial chain for
            # no access at all.
            self.policy = ServerPolicy(
                f"{name}-policy",
                auth_server_id=args.auth_server_id,
                name=name,
                description=f"Access for {name}: {spec.description}"[:255],
                priority=POLICY_PRIORITY,
                client_whitelists=[self.app.client_id],
                opts=pulumi.ResourceOptions(
                    parent=self,
                    # Okta fails or drifts when priority-bearing policies are created in parallel (provider issues
                    # 1065, 1198, 2953), so each policy waits for the last rule declared before it.
                    depends_on=[args.after] if args.after is not None else [],
                    # Okta re-sorts priorities to 1..N whenever a policy is inserted; the order is irrelevant here
                    # (one client per policy), so reading back another number must not become an update.
                    ignore_changes=["priority"],
                    import_=policy_import,
                ),
            )

            self.rule = ServerPolicyRule(
                rule_resource_name(name),
                auth_server_id=args.auth_server_id,
                policy_id=self.policy.id,
                name=f"{name} client credentials",
                priority=RULE_PRIORITY,
                grant_type_whitelists=list(GRANT_TYPES),
                scope_whitelists=list(spec.scopes),
                access_token_lifetime_minutes=spec.token_lifetime_minutes,
                opts=pulumi.ResourceOptions(
                    parent=self,
                    # Okta rejects a rule naming a scope the server does not have yet: wait for its scopes.
                    depends_on=[args.scope_resources[scope] for scope in spec.scopes],
                    import_=rule_import,
                ),
            )
            self.last_priority_resource = self.rule

        if spec.okta_api_scopes:
            # Management API scopes are minted by the org authorization server only, hence the org URL as issuer.
            self.okta_api_scopes = okta.AppOauthApiScope(
                f"{name}-okta-api-scopes",
                app_id=self.app.id,
                issuer=args.org_url,
                scopes=list(spec.okta_api_scopes),
                opts=child,
            )

        # Okta refuses management API calls (403) from a service app with no admin role, even with the scopes
        # granted: the role is the app's standing privilege, the scopes only narrow each token within it. One
        # assignment per role, named after the identity and the role only, so adding a role never renames another.
        self.admin_roles = [
            OauthRoleAssignment(
                admin_role_resource_name(name, role),
                client_id=self.app.client_id,
                type=role,
                opts=child,
            )
            for role in spec.okta_admin_roles
        ]

        self.client_id: pulumi.Output[str] = self.app.client_id
        self.client_ids: dict[str, pulumi.Output[str]] = {spec.name: self.app.client_id}
        #: one nested identity per plugin, in declaration order
        self.plugin_identities: list[AgentIdentity] = []
        for plugin in args.plugins:
            identity = AgentIdentity(
                plugin.name,
                AgentIdentityArgs(
                    spec=plugin,
                    auth_server_id=args.auth_server_id,
                    scope_resources=args.scope_resources,
                    org_url=args.org_url,
                    after=self.last_priority_resource,
                    adopt=args.adopt,
                    existing_server_id=args.existing_server_id,
                ),
                opts=child,
            )
            self.plugin_identities.append(identity)
            self.client_ids.update(identity.client_ids)
            self.last_priority_resource = identity.last_priority_resource

        self.register_outputs({"clientId": self.app.client_id})
