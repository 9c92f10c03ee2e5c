"""Resource rules: judge the Okta resources a plan would deploy, whoever wrote the Pulumi code.

Registry rules judge what an agent *asks for*; these judge what would actually reach Okta. They read the
engine's camelCase inputs (``grantTypes``) of a :class:`PlannedResource`, which is what both the offline plan
(SDK mock engine) and CrossGuard (``pulumi preview --policy-pack policies/pack``) hand over. So an app written by
hand in ``infra/`` that bypasses the YAML is held to the same bar as one generated from ``agents/``.

Every rule ignores resource types it does not judge. The stack manages agent identities only, so every
``okta.app.OAuth`` in it is judged as an agent app, whether or not it belongs to a registered agent. Inputs the
engine cannot know yet (an app's client id during a preview) arrive as :data:`UNKNOWN`; a rule never treats an
unknown value as a violation. Defaults that matter are spelled out: Okta publishes a scope to ``ALL_CLIENTS`` and
issues 60-minute tokens when the input is left unset, so an omitted input is judged as its provider default.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, Final

from agentid.findings import Severity
from agentid.resources import PlannedResource
from policies.rules.base import RuleContext, RuleKind, Violation, rule
from policies.rules.scopes import wildcard_reason

# Pulumi type tokens, as pulumi-okta 7.0.1 registers them (pulumi_okta/*/…py `super().__init__('okta:…')`).
OAUTH_APP: Final = "okta:app/oAuth:OAuth"
SERVER_POLICY: Final = "okta:auth/serverPolicy:ServerPolicy"
SERVER_POLICY_RULE: Final = "okta:auth/serverPolicyRule:ServerPolicyRule"
SERVER_SCOPE: Final = "okta:auth/serverScope:ServerScope"
APP_ROLE_ASSIGNMENT: Final = "okta:app/oauthRoleAssignment:OauthRoleAssignment"
APP_API_SCOPE: Final = "okta:index/appOauthApiScope:AppOauthApiScope"
CLIENT_SUPER_ADMIN_ROLE: Final = "okta:index/oauth2V1ClientsRoleSuperAdmin:Oauth2V1ClientsRoleSuperAdmin"
CLIENT_ORG_ADMIN_ROLE: Final = "okta:index/oauth2V1ClientsRoleOrgAdmin:Oauth2V1ClientsRoleOrgAdmin"
#: pulumi-okta 7.0.1 has one ``Oauth2V1ClientsRole<Role>`` resource per standard role (and ``...Custom``), all under
#: this token prefix, each with a ``type`` input that must equal its role (``READ_ONLY_ADMIN``).
CLIENT_ROLE_PREFIX: Final = "okta:index/oauth2V1ClientsRole"
# pulumi-aws 7.x registers EventBridge rules under the legacy CloudWatch Events module name.
EVENT_RULE: Final = "aws:cloudwatch/eventRule:EventRule"

CLIENT_CREDENTIALS: Final = "client_credentials"
PRIVATE_KEY_JWT: Final = "private_key_jwt"
ALL_CLIENTS: Final = "ALL_CLIENTS"
#: Okta's floor for an access token lifetime, and its default when ``accessTokenLifetimeMinutes`` is unset.
MIN_TOKEN_MINUTES: Final = 5
OKTA_DEFAULT_TOKEN_MINUTES: Final = 60
#: AWS's event pattern size quota: the default, and the most a Service Quotas increase grants. The same values as
#: agentid.detect.eventbridge's (a test holds them equal); not imported, to keep the detections off the check's path.
DEFAULT_MAX_PATTERN_CHARS: Final = 2048
AWS_MAX_PATTERN_CHARS: Final = 4096


class _Unknown:
    """A value the engine cannot know yet (computed from another resource's output during a preview)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown during preview>"


UNKNOWN: Final = _Unknown()


# ----------------------------------------------------------------------------------------------------- helpers


def describe(resource: PlannedResource, kind: str) -> str:
    """How a message names a resource: its kind, logical name and, when known, the agent it belongs to."""
    owner = f" (agent {resource.agent})" if resource.agent else ""
    return f"{kind} `{resource.name}`{owner}"


def _strings(value: Any) -> list[str] | None:
    """The strings of a list input; ``None`` when the list is not known yet. Unknown members are skipped."""
    if value is UNKNOWN:
        return None
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence):
        return [item for item in value if isinstance(item, str)]
    return []


def _listing(values: Iterable[str]) -> str:
    return ", ".join(f"`{v}`" for v in values)


# ----------------------------------------------------------------------------------------------------- agent apps


@rule(
    id="app-service-type",
    number=50,
    title="Agent apps are Okta service apps",
    severity=Severity.ERROR,
    nhi=("NHI10", "NHI4"),
    rationale="A service app has no user sign-in: nobody can log in through it or borrow the agent's identity "
    "interactively. Web, browser and native apps exist for humans; an agent holding one blurs who acted.",
    remediation='Create the app with `type="service"` (okta.app.OAuth(type="service", ...)); it is the only app '
    "type this stack deploys for agents.",
    kind=RuleKind.RESOURCE,
)
def app_is_service(resource: PlannedResource, ctx: RuleContext) -> Iterable[Violation]:
    if resource.type != OAUTH_APP:
        return
    app_type = resource.inputs.get("type")
    if app_type is not UNKNOWN and app_type != "service":
        yield Violation(
            f"{describe(resource, 'OAuth app')} has type `{app_type}`; an agent app must be a `service` app",
            ("type",),
        )


@rule(
    id="app-client-credentials-only",
    number=51,
    title="Agent apps use the client_credentials grant only",
    severity=Severity.ERROR,
    nhi=("NHI10", "NHI4"),
    rationale="client_credentials is the only grant that authenticates the agent itself. authorization_code, "
    "implicit, password, device and token-exchange grants act for a human, and refresh tokens outlive the "
    "short access tokens the policy counts on.",
    remediation='Set `grant_types=["client_credentials"]` and `response_types=["token"]` on the app.',
    kind=RuleKind.RESOURCE,
)
def app_client_credentials_only(resource: PlannedResource, ctx: RuleContext) -> Iterable[Violation]:
    if resource.type != OAUTH_APP:
        return
    grants = _strings(resource.inputs.get("grantTypes"))
    if grants is None:
        return
    if not grants:
        yield Violation(
            f"{describe(resource, 'OAuth app')} declares no grant types; set `client_credentials` explicitly "
            "rather than rely on Okta's default for the app type",
            ("grantTypes",),
        )
        return
    others = sorted(set(grants) - {CLIENT_CREDENTIALS})
    if others:
        yield Violation(
            f"{describe(resource, 'OAuth app')} allows grant types {_listing(others)}; "
            "an agent app may use `client_credentials` only",
            ("grantTypes",),
        )


@rule(
    id="app-private-key-jwt",
    number=52,
    title="Agent apps authenticate with private_key_jwt and a registered public key",
    severity=Severity.ERROR,
    nhi=("NHI4", "NHI7"),
    rationale="With private_key_jwt the agent proves possession of a private key that never leaves it; Okta "
    "holds only the public key. Shared-secret methods (client_secret_basic, client_secret_post, "
    "client_secret_jwt) put a long-lived secret on both sides of the wire.",
    remediation='Set `token_endpoint_auth_method="private_key_jwt"` and register the public key with `jwks=[...]` '
    "or `jwks_uri=...` (from the agent's `credentials`).",
    kind=RuleKind.RESOURCE,
)
def app_private_key_jwt(resource: PlannedResource, ctx: RuleContext) -> Iterable[Violation]:
    if resource.type != OAUTH_APP:
        return
    method = resource.inputs.get("tokenEndpointAuthMethod")
    if method is UNKNOWN:
        return
    if method != PRIVATE_KEY_JWT:
        shown = f"`{method}`" if method else "unset (Okta defaults to `client_secret_basic`)"
        yield Violation(
            f"{describe(resource, 'OAuth app')} token endpoint auth method is {shown}; an agent app must use "
            f"`{PRIVATE_KEY_JWT}`",
            ("tokenEndpointAuthMethod",),
        )
        return
    jwks, jwks_uri = resource.inputs.get("jwks"), resource.inputs.get("jwksUri")
    if not jwks and not jwks_uri:
        yield Violation(
            f"{describe(resource, 'OAuth app')} uses `{PRIVATE_KEY_JWT}` but registers no public key "
            "(neither `jwks` nor `jwksUri`); Okta rejects such an app",
            ("jwks",),
        )


@rule(
    id="app-omit-secret",
    number=53,
    title="No client secret is kept in Pulumi state",
    severity=Severity.ERROR,
    nhi=("NHI2",),
    rationale="Unless `omit_secret` is true, pulumi-okta stores the app's generated client secret in state in "
    "plain text, and a `client_basic_secret` input is stored there too: anyone who can read the state (backups, "
    "CI logs, a stack export) holds a credential for the agent.",
    remediation="Set `omit_secret=True` on the app and remove any `client_basic_secret`; the agent authenticates "
    "with its private key, so it never needs a secret.",
    kind=RuleKind.RESOURCE,
)
def app_omit_secret(resource: PlannedResource, ctx: RuleContext) -> Iterable[Violation]:
    if resource.type != OAUTH_APP:
        return
    omit = resource.inputs.get("omitSecret")
    if omit is not UNKNOWN and omit is not True:
        yield Violation(
            f"{describe(resource, 'OAuth app')} does not set `omitSecret: true`, so its client secret would be "
            "stored in Pulumi state in plain text",
            ("omitSecret",),
        )
    # The value is never echoed: only the fact that a secret was supplied.
    if resource.inputs.get("clientBasicSecret") not in (None, ""):
        yield Violation(
            f"{describe(resource, 'OAuth app')} sets `clientBasicSecret`; a client secret in the program ends up "
            "in Pulumi state",
            ("clientBasicSecret",),
        )


# ----------------------------------------------------------------------------------------------------- access policy


@rule(
    id="policy-not-all-clients",
    number=54,
    title="No authorization server policy applies to all clients",
    severity=Severity.ERROR,
    nhi=("NHI5",),
    rationale="A policy whose `client_whitelists` is `ALL_CLIENTS` lets every app in the org, present and future, "
    "use its rules: any new client inherits the scopes without a review. Access is decided per agent.",
    remediation="List the agent's own client id in `client_whitelists=[app.client_id]`, one policy per agent.",
    kind=RuleKind.RESOURCE,
    waivable=False,
)
def policy_not_all_clients(resource: PlannedResource, ctx: RuleContext) -> Iterable[Violation]:
    if resource.type != SERVER_POLICY:
        return
    clients = _strings(resource.inputs.get("clientWhitelists"))
    if clients is not None and ALL_CLIENTS in clients:
        yield Violation(
            f"{describe(resource, 'authorization server policy')} applies to `{ALL_CLIENTS}`; "
            "a policy must name the clients it admits",
            ("clientWhitelists",),
        )


@rule(
    id="policy-rule-no-wildcard-scope",
    number=55,
    title="No policy rule grants every scope or a wildcard-like one",
    severity=Severity.ERROR,
    nhi=("NHI5",),
    rationale="A `*` in `scope_whitelists` admits every scope of the authorization server, including ones added "
    "later for other agents: least privilege is lost silently.",
    remediation="List the exact scopes the agent was granted in `scope_whitelists` (no `*`, `crm.*`, `all`).",
    kind=RuleKind.RESOURCE,
    waivable=False,
)
def policy_rule_no_wildcard_scope(resource: PlannedResource, ctx: RuleContext) -> Iterable[Violation]:
    if resource.type != SERVER_POLICY_RULE:
        return
    scopes = _strings(resource.inputs.get("scopeWhitelists"))
    if scopes is None:
        return
    if "*" in scopes:
        yield Violation(
            f"{describe(resource, 'policy rule')} allows every scope (`*`); list the granted scopes instead",
            ("scopeWhitelists",),
        )
    # The registry's idea of a wildcard-like name (`crm.*`, `all`, `crm..read`): Pulumi code that bypasses
    # agents/ must not reintroduce what scope-wildcard refuses there.
    for scope in scopes:
        if scope != "*" and (reason := wildcard_reason(scope)) is not None:
            yield Violation(
                f"{describe(resource, 'policy rule')} allows scope `{scope}`, which {reason}; list the granted "
                "scopes by their exact names",
                ("scopeWhitelists",),
            )


@rule(
    id="policy-rule-client-credentials-only",
    number=56,
    title="Policy rules admit the client_credentials grant only",
    severity=Severity.ERROR,
    nhi=("NHI10", "NHI4"),
    rationale="A policy rule decides which grants may mint tokens for its clients. Admitting a user-facing grant "
    "(authorization_code, password, implicit, token exchange) lets a human, or something acting as one, obtain "
    "tokens under the agent's policy.",
    remediation='Set `grant_type_whitelists=["client_credentials"]` on the rule.',
    kind=RuleKind.RESOURCE,
)
def policy_rule_client_credentials_only(resource: PlannedResource, ctx: RuleContext) -> Iterable[Violation]:
    if resource.type != SERVER_POLICY_RULE:
        return
    grants = _strings(resource.inputs.get("grantTypeWhitelists"))
    if grants is None:
        return
    others = sorted(set(grants) - {CLIENT_CREDENTIALS})
    if others:
        yield Violation(
            f"{describe(resource, 'policy rule')} admits grant types {_listing(others)}; "
            "only `client_credentials` is allowed",
            ("grantTypeWhitelists",),
        )


@rule(
    id="token-lifetime-bounds",
    number=57,
    title="Access token lifetimes stay within the stack's bounds",
    severity=Severity.ERROR,
    nhi=("NHI7",),
    rationale="A stolen access token works until it expires. The stack caps the lifetime; Okta's floor is 5 "
    "minutes, and an unset lifetime means Okta's default of 60 minutes, which may exceed the cap.",
    remediation="Set `access_token_lifetime_minutes` on the policy rule between 5 and the stack's maximum (the "
    "agent's `access.token_lifetime_minutes`).",
    kind=RuleKind.RESOURCE,
)
def token_lifetime_bounds(resource: PlannedResource, ctx: RuleContext) -> Iterable[Violation]:
    if resource.type != SERVER_POLICY_RULE:
        return
    given = resource.inputs.get("accessTokenLifetimeMinutes")
    lifetime = OKTA_DEFAULT_TOKEN_MINUTES if given is None else given
    if lifetime is UNKNOWN or isinstance(lifetime, bool) or not isinstance(lifetime, int | float):
        return
    maximum, bound = _token_ceiling(resource, ctx)
    shown = f"{lifetime:g} minutes" + (" (Okta's default: the input is unset)" if given is None else "")
    if lifetime < MIN_TOKEN_MINUTES:
        yield Violation(
            f"{describe(resource, 'policy rule')} sets an access token lifetime of {shown}; Okta's minimum is "
            f"{MIN_TOKEN_MINUTES}",
            ("accessTokenLifetimeMinutes",),
        )
    elif lifetime > maximum:
        yield Violation(
            f"{describe(resource, 'policy rule')} issues access tokens for {shown}; {bound} allows at most "
            f"{maximum} minutes",
            ("accessTokenLifetimeMinutes",),
        )


def _token_ceiling(resource: PlannedResource, ctx: RuleContext) -> tuple[int, str]:
    """The tighter of the stack's cap and, when the rule belongs to a registered agent, the agent's own lifetime:
    Pulumi code that quietly lengthens what the agent file declared is caught too."""
    maximum = ctx.stack_max_token_minutes or ctx.settings.default_stack_max_token_minutes
    bound = f"stack `{ctx.stack}`" if ctx.stack else "the stack"
    agent = ctx.registry.get(resource.agent) if ctx.registry is not None and resource.agent else None
    if agent is not None and agent.access.token_lifetime_minutes < maximum:
        maximum, bound = agent.access.token_lifetime_minutes, f"the agent file ({agent.file})"
    return maximum, bound


# ----------------------------------------------------------------------------------------------------- scopes


@rule(
    id="scope-not-published-to-all-clients",
    number=58,
    title="Scopes are not published to all clients",
    severity=Severity.ERROR,
    nhi=("NHI5",),
    rationale="`metadata_publish=ALL_CLIENTS` (Okta's default when unset) advertises the scope in the server's "
    "public metadata to every client, mapping the data an agent can reach for anyone probing the org.",
    remediation='Set `metadata_publish="NO_CLIENTS"` on every okta.auth.ServerScope.',
    kind=RuleKind.RESOURCE,
)
def scope_not_published_to_all(resource: PlannedResource, ctx: RuleContext) -> Iterable[Violation]:
    if resource.type != SERVER_SCOPE:
        return
    publish = resource.inputs.get("metadataPublish")
    if publish is UNKNOWN:
        return
    if publish is None or publish == ALL_CLIENTS:
        how = "by Okta's default (the input is unset)" if publish is None else "explicitly"
        scope = resource.inputs.get("name", resource.name)
        yield Violation(
            f"{describe(resource, 'scope')} publishes `{scope}` to `{ALL_CLIENTS}` {how}; set `NO_CLIENTS`",
            ("metadataPublish",),
        )


@rule(
    id="scope-not-default",
    number=59,
    title="No scope is a default scope",
    severity=Severity.ERROR,
    nhi=("NHI5",),
    rationale="A default scope is put in the token of any client that asks for no scope at all, so an agent "
    "holds a privilege it never requested and no review saw it ask for.",
    remediation="Remove `default=True` from the okta.auth.ServerScope; agents request their scopes explicitly.",
    kind=RuleKind.RESOURCE,
    waivable=False,
)
def scope_not_default(resource: PlannedResource, ctx: RuleContext) -> Iterable[Violation]:
    if resource.type != SERVER_SCOPE:
        return
    if resource.inputs.get("default") is True:
        scope = resource.inputs.get("name", resource.name)
        yield Violation(
            f"{describe(resource, 'scope')} makes `{scope}` a default scope, granted to clients that request none",
            ("default",),
        )


# ----------------------------------------------------------------------------------------------------- admin roles


@rule(
    id="no-org-admin-role-for-client",
    number=60,
    title="No client holds an admin role that raises privileges (super, org, app or API access management admin)",
    severity=Severity.ERROR,
    nhi=("NHI5",),
    rationale="A super or org administrator can create apps, reset credentials and erase the evidence; an app admin "
    "can change any app, its own keys and grants included; an API access management admin can widen the "
    "authorization-server policy that bounds its own tokens. A client holding any of them is a takeover waiting for "
    "one leaked key, whether the role comes from the registry or from hand-written Pulumi code. The list is "
    "`forbidden_okta_admin_roles` in policies/settings.yaml (the registry rule `okta-admin-role` uses it too).",
    remediation="Remove the role assignment. Assign the least standard role the agent's read-only `okta.*` API "
    "scopes need (`READ_ONLY_ADMIN`), or a custom role over a resource set if a write is unavoidable.",
    kind=RuleKind.RESOURCE,
    waivable=False,
    other_standards=("ASI03",),
)
def no_org_admin_role_for_client(resource: PlannedResource, ctx: RuleContext) -> Iterable[Violation]:
    role = _client_role(resource)
    if role is not None and role in ctx.settings.forbidden_okta_admin_roles:
        yield Violation(
            f"{describe(resource, 'role assignment')} gives a client the `{role}` role; agents never hold "
            "admin roles that raise privileges or rewrite their own access",
            ("type",),
        )


def _client_role(resource: PlannedResource) -> str | None:
    """The standard role a client role assignment grants, upper-cased however the program spells it; ``None`` for
    other resources and for a type not known yet. An ``Oauth2V1ClientsRole<Role>`` resource grants the role its
    token names whatever its ``type`` input says (``...SuperAdmin`` -> ``SUPER_ADMIN``)."""
    if resource.type.startswith(CLIENT_ROLE_PREFIX):
        name = resource.type.split(":")[-1].removeprefix("Oauth2V1ClientsRole")
        return re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()
    if resource.type == APP_ROLE_ASSIGNMENT:
        declared = resource.inputs.get("type")
        return declared.upper() if isinstance(declared, str) else None
    return None


@rule(
    id="no-forbidden-okta-scope-for-client",
    number=63,
    title="No client is granted an Okta management scope that grants admin roles or controls OAuth clients",
    severity=Severity.ERROR,
    nhi=("NHI5",),
    rationale="An `okta.AppOauthApiScope` grants a client Okta management scopes on the org authorization server. "
    "Scopes such as `okta.roles.manage` (assign admin roles, super admin included) or `okta.clients.manage` let the "
    "client raise its own privileges, whether the grant comes from the registry or from hand-written Pulumi code. "
    "The list is `forbidden_okta_scopes` in policies/settings.yaml (the registry rule `okta-admin-scope` uses it "
    "too); no waiver makes such a grant acceptable.",
    remediation="Remove the scope from the grant's `scopes`. An agent that must act on roles, clients, apps, "
    "authorization servers or policies proposes the change for a human admin.",
    kind=RuleKind.RESOURCE,
    waivable=False,
    other_standards=("ASI03",),
)
def no_forbidden_okta_scope_for_client(resource: PlannedResource, ctx: RuleContext) -> Iterable[Violation]:
    if resource.type != APP_API_SCOPE:
        return
    granted = _strings(resource.inputs.get("scopes"))
    if not granted:  # none, or not known yet during a preview
        return
    # Okta scope names are case-sensitive, but a differently cased spelling of a forbidden scope is never an honest
    # mistake worth letting through to Okta's own error.
    forbidden = {scope.casefold() for scope in ctx.settings.forbidden_okta_scopes}
    found = [scope for scope in granted if scope.casefold() in forbidden]
    if found:
        yield Violation(
            f"{describe(resource, 'Okta API scope grant')} gives a client {_listing(found)}; agents never hold "
            "Okta scopes that grant admin roles or control OAuth clients, apps, authorization servers or policies",
            ("scopes",),
        )


# ----------------------------------------------------------------------------------------------------- lifecycle


@rule(
    id="expired-agent-app-inactive",
    number=61,
    title="An expired agent's app is deployed INACTIVE",
    severity=Severity.ERROR,
    nhi=("NHI1", "NHI7"),
    rationale="Past its expiry an agent has no owner vouching for it; an ACTIVE app would keep minting tokens for "
    "a forgotten identity. Deactivating the app (rather than failing the deploy) lets the daily deploy offboard "
    "expired agents without anyone remembering to.",
    remediation='Deploy the app with `status="INACTIVE"` once `lifecycle.expires` has passed (the infra program '
    "does this from the deploy date); delete the agent file to remove the identity for good.",
    kind=RuleKind.RESOURCE,
    waivable=False,
)
def expired_agent_app_inactive(resource: PlannedResource, ctx: RuleContext) -> Iterable[Violation]:
    if resource.type != OAUTH_APP or resource.agent is None or ctx.registry is None:
        return
    agent = ctx.registry.get(resource.agent)
    if agent is None or not agent.lifecycle.is_expired(ctx.today):
        return
    status = resource.inputs.get("status", "ACTIVE")  # Okta creates apps ACTIVE when status is unset
    if status is not UNKNOWN and status != "INACTIVE":
        yield Violation(
            f"{describe(resource, 'OAuth app')} is `{status}` but {agent.name} expired on "
            f"{agent.lifecycle.expires}; it must be INACTIVE",
            ("status",),
        )


# ----------------------------------------------------------------------------------------------------- detections


@rule(
    id="event-pattern-within-quota",
    number=62,
    title="EventBridge event patterns fit AWS's size quota",
    severity=Severity.ERROR,
    nhi=("NHI6",),
    rationale="AWS rejects an event pattern longer than its quota (2,048 characters by default, at most 4,096 after "
    "a Service Quotas increase) only when PutRule runs, halfway through a deploy, leaving the detections partly "
    "updated. A pattern listing one client id per agent passes 2,048 characters at about 85 agents (the generated "
    "rules match agents by app label instead; only their deployer and allowed id lists can grow).",
    remediation="Match agents by their app label prefix (`agentid:`) rather than listing client ids, shorten "
    "`deployerIds`/`allowedClientIds`, or raise `maxPatternChars` in Pulumi.<stack>.yaml (at most 4096) once AWS "
    "has raised the account's quota.",
    kind=RuleKind.RESOURCE,
    waivable=False,
)
def event_pattern_within_quota(resource: PlannedResource, ctx: RuleContext) -> Iterable[Violation]:
    if resource.type != EVENT_RULE:
        return
    pattern = resource.inputs.get("eventPattern")
    if not isinstance(pattern, str):  # unset (a scheduled rule), or UNKNOWN until the client ids are minted
        return
    configured = ctx.stack_pattern_limits.get(ctx.stack) if ctx.stack else None
    limit = min(configured or DEFAULT_MAX_PATTERN_CHARS, AWS_MAX_PATTERN_CHARS)
    if len(pattern) > limit:
        where = f"stack `{ctx.stack}`" if ctx.stack else "the stack"
        yield Violation(
            f"{describe(resource, 'EventBridge rule')} has an event pattern of {len(pattern)} characters; {where} "
            f"allows at most {limit} (agentid:detections.maxPatternChars) and AWS would reject it at deploy",
            ("eventPattern",),
        )
